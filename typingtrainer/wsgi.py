"""The WSGI application: Django, with the keystroke endpoint routed around its handler.

`POST /sessions/<uuid>/keystrokes` is most of the site's requests, and needs no cookie, user,
session or template; Django's handler and middleware stack cost it about a fifth of its
throughput (issue 11). The dispatcher sends it straight to the same function the URLconf
serves (lessons.views.ingest_keystrokes), doing itself what the stack did for it: the
request_started/request_finished signals (which close stale database connections), the
ALLOWED_HOSTS check, SecurityMiddleware's HTTPS redirect and headers, and a logged JSON 500
for any exception. Everything else goes to Django."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "typingtrainer.settings")

django_application = get_wsgi_application()

# After Django is set up: these import models.
from django.core import signals  # noqa: E402
from django.core.exceptions import DisallowedHost  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_script_name  # noqa: E402
from django.dispatch import receiver  # noqa: E402
from django.http import HttpResponse, HttpResponseBase, JsonResponse  # noqa: E402
from django.middleware.security import SecurityMiddleware  # noqa: E402
from django.test.signals import setting_changed  # noqa: E402
from django.urls import set_script_prefix  # noqa: E402
from django.utils.log import log_response  # noqa: E402

from lessons.views import ingest_keystrokes  # noqa: E402
from typingtrainer.metrics import observe_dispatch  # noqa: E402

KEYSTROKES = re.compile(
    r"^/sessions/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/keystrokes$"
)
security_log = logging.getLogger("django.security.DisallowedHost")
StartResponse = Callable[..., Any]


def _unreachable(request: Any) -> HttpResponseBase:
    raise AssertionError("SecurityMiddleware is used for its hooks only")


_security = SecurityMiddleware(_unreachable)  # it reads its settings once, as in the stack


@receiver(setting_changed)
def _reread_security_settings(**_: Any) -> None:  # tests that change SECURE_* settings
    global _security
    _security = SecurityMiddleware(_unreachable)


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    if environ.get("REQUEST_METHOD") == "POST":
        match = KEYSTROKES.match(environ.get("PATH_INFO", ""))
        if match:
            return keystrokes(environ, start_response, match.group(1))
    return django_application(environ, start_response)


@observe_dispatch("session_keystrokes")  # the request metrics the middleware would count
def keystrokes(
    environ: dict[str, Any], start_response: StartResponse, session_id: str
) -> Iterable[bytes]:
    set_script_prefix(get_script_name(environ))
    signals.request_started.send(sender=WSGIHandler, environ=environ)
    request: WSGIRequest | None = None
    response: HttpResponseBase
    try:
        request = WSGIRequest(environ)
        response = _answer(request, session_id)
    except Exception as exc:
        response = JsonResponse({"error": "Something went wrong on our side."}, status=500)
        log_response(
            "%s: %s",
            "Internal Server Error",
            environ.get("PATH_INFO", ""),
            response=response,
            request=request,
            exception=exc,
        )
    # Like WSGIHandler: the server's closing the response sends request_finished.
    response._handler_class = WSGIHandler  # type: ignore[attr-defined]
    status = f"{response.status_code} {response.reason_phrase}"
    headers = [
        *response.items(),
        *(("Set-Cookie", cookie.OutputString()) for cookie in response.cookies.values()),
    ]
    start_response(status, headers)
    return response


def _answer(request: WSGIRequest, session_id: str) -> HttpResponseBase:
    try:
        request.get_host()
    except DisallowedHost as exc:
        security_log.error(str(exc), extra={"status_code": 400, "request": request})
        return _secured(request, JsonResponse({"error": "Bad Request (400)"}, status=400))
    redirect = _security.process_request(request)
    if redirect is not None:
        return _secured(request, redirect)
    return _secured(request, ingest_keystrokes(request, session_id))


def _secured(request: WSGIRequest, response: HttpResponseBase) -> HttpResponseBase:
    """SecurityMiddleware's headers: nosniff, Referrer-Policy, Cross-Origin-Opener-Policy and
    HSTS, as the settings say."""
    result = _security.process_response(request, cast(HttpResponse, response))
    return response if result is None else result
