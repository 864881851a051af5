from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone


class LearnerTimeZoneMiddleware:
    """Show dates and times in the logged-in learner's own time zone (User.time_zone).

    Lazily: the zone activated is a LearnerZone, which looks the user up (a session read and a
    query) the first time a date is shown in it, so a request that shows none — a keystroke
    batch, a completion sent with its token — loads no user for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(LearnerZone(request))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class LearnerLanguageMiddleware:
    """Remember the language of a learner who just logged in (User.language) in the cookie
    LocaleMiddleware reads, so the next pages, on this device too, are in it. The login sets
    `request.learner_language` (typingtrainer.accounts); every other request loads no user here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        language = getattr(request, "learner_language", "")
        if language:
            remember_language(response, language)
        return response


def remember_language(response: HttpResponse, language: str) -> None:
    """The cookie Django's set_language sets, with the same settings."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )


class LearnerZone(tzinfo):
    """The time zone of the request's learner (UTC for visitors), resolved on first use."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._zone: tzinfo | None = None

    @property
    def zone(self) -> tzinfo:
        if self._zone is None:
            zone: tzinfo = UTC
            user = getattr(self._request, "user", None)
            if user is not None and user.is_authenticated:
                # An unknown name cannot be saved (it is validated); should one appear, UTC.
                with suppress(ZoneInfoNotFoundError, ValueError):
                    zone = ZoneInfo(user.time_zone)
            self._zone = zone
        return self._zone

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self.zone.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.zone.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self.zone.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        # The real zone's conversion (DST folds included); the result carries the real zone.
        zone = self.zone
        return zone.fromutc(dt.replace(tzinfo=zone))

    def __str__(self) -> str:
        return str(self.zone)

    def __repr__(self) -> str:
        return f"LearnerZone({self.zone!r})" if self._zone is not None else "LearnerZone(?)"


class RejectNulMiddleware:
    """Answer 400 to a request with a NUL character in its path, query string, form fields or
    (non-form) body, and ignore a cookie with one. PostgreSQL cannot store NUL in text, so a
    `?course=%00` used in a query was a DataError, a 500, and so was a session cookie spelled
    `"abcdefgh\\000"` (cookie quoting decodes the octal escape). No field of ours takes NUL,
    so one check here covers every view: ours, allauth's, the admin's and dj-stripe's webhook
    (which stores the raw body). A bad cookie counts as absent rather than a 400 on every page
    until the browser forgets it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookies = request.COOKIES
        if any("\x00" in name or "\x00" in value for name, value in cookies.items()):
            request.COOKIES = {
                name: value
                for name, value in cookies.items()
                if "\x00" not in name and "\x00" not in value
            }
        if where := _nul_in(request):
            message = f"The request has a NUL character (%00) in its {where}; nothing accepts one."
            if request.path_info.startswith("/api/"):  # the API's one error shape
                error = {"code": "bad_request", "message": message, "fields": {}}
                return JsonResponse({"error": error}, status=400)
            wants_json = "json" in (request.content_type or "") + request.headers.get("Accept", "")
            if wants_json:
                return JsonResponse({"error": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _nul_in(request: HttpRequest) -> str:
    """Where `request` carries a NUL character, or "" when it does not."""
    if "\x00" in request.path_info:
        return "address"
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        return "query string"
    if request.method not in ("POST", "PUT", "PATCH"):
        return ""
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        # Field names and values; uploaded files may hold any bytes.
        fields = request.POST.lists()
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in fields):
            return "form fields"
        return ""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # gunicorn refuses such requests; Django then reads no body either
        length = 0
    # A body over Django's limit is refused by whoever reads it; none of ours is that large.
    too_large = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or length) < length
    if length and not too_large and b"\x00" in request.body:
        return "body"
    return ""
