"""allauth, adapted: its rate limits count the client's address (behind proxies too), and when
they refuse, the learner and the client are told how long to wait.

allauth keeps each limit as a list of hit times in the cache (a sliding window). How long a full
one lasts is read with two of its internal helpers (`get_rates`, `get_cache_key`, allauth
65.x); tests/test_retry_after.py checks the figures, so an upgrade that changes them fails
there."""

from __future__ import annotations

import math
import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from .http import client_ip
from .ratelimit import wait_phrase

APP = "allauth.account"
LOCKOUT = "too_many_login_attempts"
FALLBACK_WAIT = 60  # allauth's limits on pages are per minute
# The allauth page behind each limit that answers 429 (the failed-login limit is a form error).
ACTIONS_BY_PAGE = {
    "account_login": "login",
    "account_signup": "signup",
    "account_reset_password": "reset_password",
    "account_reset_password_from_key": "reset_password_from_key",
    "account_change_password": "change_password",
    "account_set_password": "change_password",
    "account_email": "manage_email",
    "account_reauthenticate": "reauthenticate",
    "account_request_login_code": "request_login_code",
}


# A Russian speaker (the site in Russian, from Accept-Language or the switcher) who signs up
# types on ЙЦУКЕН; the Russian course is then listed first (Course.objects.language_first).
LAYOUT_FOR_LANGUAGE = {"ru": "jcuken"}


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request)

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=False)
        language = getattr(request, "LANGUAGE_CODE", "") or translation.get_language()
        user.language = translation.get_supported_language_variant(language)
        user.keyboard_layout = LAYOUT_FOR_LANGUAGE.get(user.language, user.keyboard_layout)
        if commit:
            user.save()
        return user

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        # The learner's own language from now on (LearnerLanguageMiddleware sets the cookie).
        if user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            request.learner_language = user.language  # type: ignore[attr-defined]

    def validation_error(self, code: str, *args: Any) -> ValidationError:
        if code == LOCKOUT:
            longest = max((rate.duration for rate in _rates("login_failed")), default=FALLBACK_WAIT)
            return ValidationError(lockout_message(math.ceil(longest)), code=code)
        return super().validation_error(code, *args)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != LOCKOUT:
                raise
            key = self._get_login_attempts_cache_key(request, **credentials)
            wait = seconds_until_allowed(request, action="login_failed", key=key)
            raise ValidationError(lockout_message(wait), code=LOCKOUT) from error


def lockout_message(seconds: int) -> str:
    return _("Too many failed login attempts. Try again in %(wait)s.") % {
        "wait": wait_phrase(seconds)
    }


def seconds_until_allowed(request: HttpRequest, *, action: str, key: str | None = None) -> int:
    """How long until allauth's limits on `action` let this request through: when its oldest
    hit in a full window leaves it. A per-key limit without its key (the 429 page does not know
    which email was asked for) counts as its whole window."""
    now = time.time()
    full: list[float] = []
    unknown: list[float] = []
    for rate in _rates(action):
        if rate.per == "key" and key is None:
            unknown.append(rate.duration)
            continue
        if rate.per == "user" and not request.user.is_authenticated:
            continue
        cache_key = allauth_ratelimit.get_cache_key(
            request, app=APP, action=action, rate=rate, key=key
        )
        hits = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]
        if len(hits) >= rate.amount:
            full.append(min(hits) + rate.duration - now)
    waits = full or unknown or [FALLBACK_WAIT]
    return max(1, math.ceil(max(waits)))


def _rates(action: str) -> list[allauth_ratelimit.Rate]:
    return allauth_ratelimit.get_rates(app=APP, action=action)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """allauth's 429 (it calls ROOT_URLCONF's handler429): the page, and Retry-After."""
    match = request.resolver_match
    action = ACTIONS_BY_PAGE.get(match.url_name or "") if match else None
    wait = seconds_until_allowed(request, action=action) if action else FALLBACK_WAIT
    response = render(request, "429.html", {"wait": wait_phrase(wait)}, status=429)
    response["Retry-After"] = str(wait)
    return response
