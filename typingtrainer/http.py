from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from .models import User


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it, for type checking views."""

    htmx: HtmxDetails


class LearnerHttpRequest(HtmxHttpRequest):
    """A request to a @login_required view: the user is a logged-in learner."""

    user: User
