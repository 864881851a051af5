"""How long ago something happened, as the coach page says it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()

JUST_NOW = timedelta(minutes=1)


@register.filter
def ago(value: datetime | None) -> str:
    """Under a minute "just now" (never "0 minutes ago"), else "3 minutes ago", "2 days ago":
    the largest unit only."""
    if value is None:
        return ""
    if timezone.now() - value < JUST_NOW:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(value, depth=1)}
