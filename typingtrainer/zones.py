"""A learner's calendar: the day a moment falls on where they live. One home for it, read by
the statistics (their days), the coach (its daily allowance and "recent") and the completion
workflow (the streak achievement), so the three never disagree about what "today" is."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone


def time_zone(name: str) -> ZoneInfo:
    """The learner's time zone, UTC when the name is unknown (it is validated on input)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime, zone_name: str) -> date:
    """The calendar day `moment` (aware) falls on in the named time zone."""
    return moment.astimezone(time_zone(zone_name)).date()


def learner_today(user: Any, now: datetime | None = None) -> date:
    """Today where the learner lives (`now`: the moment, by default the present)."""
    return local_date(now or timezone.now(), user.time_zone)


def learner_day_start(user: Any, day: date) -> datetime:
    """The moment `day` begins where the learner lives."""
    return datetime.combine(day, datetime.min.time(), time_zone(user.time_zone))
