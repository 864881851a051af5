"""Schemas every router shares: the one error shape and the page of a paginated list."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from django.conf import settings
from ninja import Schema

from billing.entitlements import is_premium

T = TypeVar("T")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    """Every 4xx and 5xx of the API has this shape."""

    error: ErrorBody


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


# The error statuses any endpoint can answer with, for `response=` declarations: 401 and 429
# (the token and its limit), and 400 for a request refused before the endpoint reads it — a body
# that is not JSON, or a NUL character anywhere (typingtrainer.middleware.RejectNulMiddleware).
AUTH_ERRORS = {400: ErrorOut, 401: ErrorOut, 429: ErrorOut}


class UserOut(Schema):
    id: int
    email: str
    name: str
    display_name: str
    keyboard_layout: str
    daily_goal_minutes: int
    time_zone: str
    weekly_email: bool
    premium: bool
    date_joined: datetime
    avatar_url: str | None  # absolute; a new address each time the picture changes

    @classmethod
    def of(cls, user: Any) -> UserOut:
        return cls(
            id=user.pk,
            email=user.email,
            name=user.name,
            display_name=user.display_name,
            keyboard_layout=user.keyboard_layout,
            daily_goal_minutes=user.daily_goal_minutes,
            time_zone=user.time_zone,
            weekly_email=user.weekly_email,
            premium=is_premium(user),
            date_joined=user.date_joined,
            avatar_url=_absolute(user.avatar.url) if user.avatar else None,
        )


def _absolute(url: str) -> str:
    """Storage URLs are often a path (/media/…); an app needs the whole address."""
    return url if "://" in url else settings.SITE_URL + url
