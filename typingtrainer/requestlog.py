"""One log line per request, and the request's id on every line it causes.

The id comes from the client's `X-Request-ID` when it is one a log can safely hold (a proxy or
load balancer in front usually sets one), else it is made here. It goes back in the response's
`X-Request-ID`, onto every log record while the request runs (a context variable read by
typingtrainer.logconfig.RequestIdFilter, so lines from Django, allauth and other libraries
carry it too) and into the headers of every Celery task the request queues
(typingtrainer/celery.py), whose log lines carry it in turn.

The request line names the route (the URL pattern's name), never the path: paths hold session
ids and, for password resets, secret keys. It carries the user's id only (never an email or a
name), and only when something in the request already loaded the user or a view named the
learner its practice token belongs to (identify): the line never costs a session read of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject

from .http import client_ip, forwarded_client
from .logconfig import accepted_id, request_id

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
USER_ID = "_log_user_id"  # the request attribute identify() sets
log = logging.getLogger("typingtrainer.request")


@receiver(request_started)
def _start(environ: dict[str, Any] | None = None, **_: Any) -> None:
    """Django's handler, its test client and the keystroke dispatcher (typingtrainer/wsgi.py)
    all send request_started first and request_finished once the response is closed, so the id
    covers every line in between, Django's own "Not Found" and "Internal Server Error" too."""
    request_id.set(accepted_id((environ or {}).get(META_KEY)))


@receiver(request_finished)
def _finish(**_: Any) -> None:
    request_id.set(None)


def log_request(
    *,
    method: str,
    route: str | None,
    status: int,
    started: float,
    user_id: int | None,
    client: str,
) -> None:
    """The request line. The message reads well in plain text; the fields are for JSON."""
    if not log.isEnabledFor(logging.INFO):
        return
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info(
        "%s %s %s %.1fms",
        method,
        route or "-",
        status,
        duration_ms,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "user_id": user_id,
            "client": client,
        },
    )


def identify(request: HttpRequest, user_id: int | None) -> None:
    """For the request line: the learner a view authenticated without loading the user (the
    practice token names its owner); None for a guest."""
    request.__dict__[USER_ID] = user_id


def log_wsgi_request(
    environ: dict[str, Any],
    request: HttpRequest | None,
    *,
    route: str,
    status: int,
    started: float,
) -> str:
    """The request line for a request served without Django's handler (the keystroke
    dispatcher); returns the id for its response header."""
    log_request(
        method=environ.get("REQUEST_METHOD", ""),
        route=route,
        status=status,
        started=started,
        user_id=None if request is None else request.__dict__.get(USER_ID),
        client=forwarded_client(
            environ.get("REMOTE_ADDR", ""),
            environ.get("HTTP_X_FORWARDED_FOR", ""),
            settings.TRUSTED_PROXY_COUNT,
        ),
    )
    return request_id.get() or ""


def loaded_user_id(request: HttpRequest) -> int | None:
    """The id of the request's user if the request has loaded it (a view, the API's token
    check, a template) or a view named it (identify), without loading it here."""
    if USER_ID in request.__dict__:
        return request.__dict__[USER_ID]
    user: Any = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):  # AuthenticationMiddleware's; loaded into the cache
        user = request.__dict__.get("_cached_user")
    if user is None or not user.is_authenticated:
        return None
    # An account deleted by this very request has no id any more.
    return None if user.pk is None else int(user.pk)


class RequestLogMiddleware:
    """First in MIDDLEWARE, so its line times the whole stack and covers every response,
    redirects and errors included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        rid = request_id.get()
        if rid is None:  # a handler that sent no request_started
            rid = accepted_id(request.META.get(META_KEY))
            request_id.set(rid)
        response = self.get_response(request)
        response[HEADER] = rid
        match = request.resolver_match
        log_request(
            method=request.method or "",
            route=match.view_name if match is not None else None,
            status=response.status_code,
            started=started,
            user_id=loaded_user_id(request),
            client=client_ip(request),
        )
        return response
