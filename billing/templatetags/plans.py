"""The plan catalogue's features for templates: `{% plan_features "premium" as features %}`."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise

from billing.plans import FREE_FEATURES, PREMIUM_FEATURES

register = template.Library()


@register.simple_tag
def plan_features(plan: str) -> tuple[str | Promise, ...]:
    return PREMIUM_FEATURES if plan == "premium" else FREE_FEATURES
