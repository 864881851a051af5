from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class LearnerTimeZoneMiddleware:
    """Show dates and times in the logged-in learner's own time zone (User.time_zone)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        timezone.deactivate()
        if user is not None and user.is_authenticated:
            # An unknown name cannot be saved (it is validated); should one appear, UTC it is.
            with suppress(ZoneInfoNotFoundError, ValueError):
                timezone.activate(ZoneInfo(user.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
