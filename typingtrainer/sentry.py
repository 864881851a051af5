"""Error reports to Sentry, with the learner's personal data taken out before anything is sent.

`send_default_pii=False` already keeps cookies, the user and client addresses out of the
SDK's own data; `scrub` covers what it cannot know about: an email address in an exception
message or a log breadcrumb, a name in a form, the practice token and the keystrokes. Local
variables are not sent at all: a frame of the ingest path holds a learner's keys and token.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from sentry_sdk.types import Event

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FILTERED = "[Filtered]"
# Keys whose values are dropped wherever they appear (request data, extra, contexts, headers).
# Names are taken out by field; any value found under one is then also scrubbed from free text
# (an exception message that repeats a display name from the form).
NAME_KEYS = frozenset(
    {"name", "display_name", "first_name", "last_name", "full_name", "username", "email"}
)
SECRET_KEYS = frozenset(
    {
        # Keystroke payloads (batches, completion) and the practice write token.
        "keys",
        "keystrokes",
        "batches",
        "events",
        "token",
        "practice_token",
        # Headers, in the forms the SDK and Django use.
        "authorization",
        "x-practice-token",
        "http_x_practice_token",
        "http_authorization",
        "cookie",
        "cookies",
        "http_cookie",
        "set-cookie",
        "password",
        "password1",
        "password2",
    }
)


# The SDK's own fields (its name, the runtime's, the release, which may look like an email
# address: "tt@1.2.3"), which never hold a learner's data and must reach Sentry unchanged.
SDK_FIELDS = frozenset(
    {
        *("sdk", "release", "dist", "environment", "platform", "event_id", "timestamp"),
        *("start_timestamp", "level", "logger", "server_name", "modules", "type", "contexts"),
        *("transaction", "transaction_info", "spans", "measurements", "_meta", "user"),
    }
)


def _personal(event: dict[str, Any]) -> dict[str, Any]:
    """The parts of the event that may hold a learner's data."""
    return {key: value for key, value in event.items() if key not in SDK_FIELDS}


def _collect_names(value: Any, found: set[str]) -> None:
    """The personal strings under name-like keys, so they can be removed from free text too."""
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in NAME_KEYS:
                for text in item if isinstance(item, list) else [item]:
                    if isinstance(text, str) and len(text.strip()) >= 2:
                        found.add(text.strip())
            else:
                _collect_names(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_names(item, found)


def _clean(value: Any, names: list[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: FILTERED
            if str(key).lower() in NAME_KEYS or str(key).lower() in SECRET_KEYS
            else _clean(item, names)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        # Headers may come as [name, value] pairs.
        if len(value) == 2 and isinstance(value[0], str) and value[0].lower() in SECRET_KEYS:
            return [value[0], FILTERED]
        return [_clean(item, names) for item in value]
    if isinstance(value, str):
        value = EMAIL.sub(FILTERED, value)
        for name in names:
            value = value.replace(name, FILTERED)
        return value
    return value


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """`before_send`: the event without emails, names, tokens, cookies or keystrokes."""
    user = event.get("user") or {}
    names: set[str] = set()
    _collect_names(_personal(event), names)
    _collect_names({"name": user.get("username")}, names)
    names.update(value for value in (user.get("email"),) if isinstance(value, str))
    # Only the id stays: enough to find the account, nothing that names the person.
    event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    _drop_cache_keys(event)
    # Longest first, so "Lena Berg" goes before "Lena".
    return _apply(event, sorted(names, key=len, reverse=True))


def _drop_cache_keys(event: dict[str, Any]) -> None:
    """Redis commands keep only their name: a key may hold a session key (the cached_db
    sessions) or a learner's id in a rate limit."""
    crumbs = event.get("breadcrumbs")
    values = crumbs.get("values", []) if isinstance(crumbs, dict) else crumbs or []
    for crumb in values:
        if crumb.get("category") == "redis":
            crumb["message"] = str(crumb.get("message") or "").split(" ", 1)[0]
            crumb["data"] = {k: v for k, v in (crumb.get("data") or {}).items() if "key" not in k}
    for span in event.get("spans") or []:
        if str(span.get("op", "")).startswith(("db.redis", "cache")):
            span["description"] = str(span.get("description") or "").split(" ", 1)[0]
            for part in ("data", "tags"):
                span[part] = {k: v for k, v in (span.get(part) or {}).items() if "key" not in k}


def _apply(event: dict[str, Any], names: list[str]) -> dict[str, Any]:
    event.update(_clean(_personal(event), names))
    return event


class LearnerScrubMiddleware:
    """Takes the logged-in learner's email and names out of any event their request causes,
    free text included (an exception message that quotes them). The user is read only when an
    event is sent; without Sentry the middleware is not used at all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        import sentry_sdk

        if not sentry_sdk.get_client().is_active():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import sentry_sdk

        sentry_sdk.get_isolation_scope().add_event_processor(_learner_processor(request))
        return self.get_response(request)


def _learner_processor(request: HttpRequest) -> Callable[[Event, dict[str, Any]], Event]:
    held = weakref.ref(request)

    def processor(event: Event, hint: dict[str, Any]) -> Event:
        request = held()
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return event
        event["user"] = {"id": str(user.pk)}
        personal = [user.email, getattr(user, "display_name", "")]
        names = sorted((text for text in personal if len(text.strip()) >= 2), key=len)
        return _apply(event, names[::-1])  # type: ignore[arg-type,return-value]

    return processor


def init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    """Start the SDK with the Django and Celery integrations (only called with a DSN)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        release=release or None,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        before_send=scrub,  # type: ignore[arg-type]
        # Traces (when sampled) carry the request and breadcrumbs too.
        before_send_transaction=scrub,  # type: ignore[arg-type]
    )


def init_from_settings() -> None:
    """Called once Django's settings are complete (TypingTrainerConfig.ready)."""
    if settings.SENTRY_DSN:
        init(
            dsn=settings.SENTRY_DSN,
            environment=settings.SENTRY_ENVIRONMENT,
            release=settings.SENTRY_RELEASE,
            traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        )
