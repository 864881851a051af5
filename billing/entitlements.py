"""Who has Premium: the one place that decides it (DESIGN §7).

dj-stripe's Subscription rows, kept current by Stripe's webhooks, are the source of truth. A user
has Premium while one of their customer's subscriptions is active, trialing or past_due (Stripe is
still retrying a failed payment). The answer is memoised on the user object, so a request that
gates many lessons asks the database once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Prefetch, QuerySet
from django.utils.translation import gettext, gettext_noop
from djstripe.models import Customer, Subscription

from .plans import offer_named

PREMIUM_STATUSES = frozenset({"active", "trialing", "past_due"})

_MEMO = "_billing_plan"
_PREFETCHED = "_billing_customers"

UserT = TypeVar("UserT", bound=Model)


@dataclass(frozen=True)
class Plan:
    name: str
    status: str = ""  # Stripe's subscription status; empty on Free
    is_premium: bool = False
    renews_at: datetime | None = None  # next charge, while the subscription renews
    ends_at: datetime | None = None  # when Premium stops, once it was cancelled
    cancel_at_period_end: bool = False
    payment_failed: bool = False  # Stripe is retrying (past_due) or gave up (unpaid)
    price_lookup_key: str = ""

    @property
    def label(self) -> str:
        """The plan's name in the learner's language."""
        return gettext(self.name)

    @property
    def summary(self) -> str:
        """One line for staff, e.g. in the admin."""
        if not self.status or (self.status == "active" and not self.cancel_at_period_end):
            return self.name
        if self.cancel_at_period_end and self.ends_at:
            return f"{self.name} (ends {self.ends_at:%Y-%m-%d})"
        return f"{self.name} ({self.status.replace('_', ' ')})"


FREE = Plan(name=gettext_noop("Free"))


def is_premium(user: AbstractBaseUser | AnonymousUser) -> bool:
    return plan_for(user).is_premium


def plan_for(user: AbstractBaseUser | AnonymousUser) -> Plan:
    """The user's plan; anonymous visitors are on Free. One query per user object at most."""
    if not user.is_authenticated:
        return FREE
    memo = getattr(user, _MEMO, None)
    if isinstance(memo, Plan):
        return memo
    customers = getattr(user, _PREFETCHED, None)
    if customers is not None:
        subscriptions: Iterable[Subscription] = [
            subscription for customer in customers for subscription in customer.subscriptions.all()
        ]
    else:
        subscriptions = _subscriptions().filter(customer__subscriber_id=user.pk)
    plan = plan_from([subscription.stripe_data for subscription in subscriptions])
    setattr(user, _MEMO, plan)
    return plan


def forget_plan(user: AbstractBaseUser | AnonymousUser) -> None:
    """Drop the memoised plan, e.g. after a subscription changed in this request."""
    if hasattr(user, _MEMO):
        delattr(user, _MEMO)


def with_plans(users: QuerySet[UserT]) -> QuerySet[UserT]:
    """Prefetch what plan_for needs for a list of users: two queries for the whole list."""
    customers = Customer.objects.filter(livemode=settings.STRIPE_LIVE_MODE).prefetch_related(
        Prefetch("subscriptions", queryset=_subscriptions())
    )
    return users.prefetch_related(
        Prefetch("djstripe_customers", queryset=customers, to_attr=_PREFETCHED)
    )


def _subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.filter(livemode=settings.STRIPE_LIVE_MODE).only(
        "id", "stripe_data", "customer_id"
    )


def plan_from(subscriptions: Iterable[Mapping[str, Any]]) -> Plan:
    """The plan given the Stripe data of a user's subscriptions (pure, no database)."""
    newest_first = sorted(subscriptions, key=lambda data: data.get("created") or 0, reverse=True)
    current = next((s for s in newest_first if s.get("status") in PREMIUM_STATUSES), None)
    if current is None:
        if newest_first and newest_first[0].get("status") == "unpaid":
            # Stripe gave up retrying; Premium is paused until the learner pays.
            return Plan(name=FREE.name, status="unpaid", payment_failed=True)
        return FREE
    status = str(current["status"])
    period_end = _period_end(current)
    cancel_at = _timestamp(current.get("cancel_at"))
    # The portal cancels "at period end"; newer API versions express that with cancel_at.
    cancelling = bool(current.get("cancel_at_period_end")) or cancel_at is not None
    lookup_key = _price(current).get("lookup_key") or ""
    return Plan(
        name=str(offer.name) if (offer := offer_named(lookup_key)) else "Premium",
        status=status,
        is_premium=True,
        renews_at=None if cancelling else period_end,
        ends_at=(cancel_at or period_end) if cancelling else None,
        cancel_at_period_end=cancelling,
        payment_failed=status == "past_due",
        price_lookup_key=lookup_key,
    )


def _items(subscription: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = subscription.get("items") or {}
    return list(items.get("data") or []) if isinstance(items, Mapping) else []


def _price(subscription: Mapping[str, Any]) -> Mapping[str, Any]:
    for item in _items(subscription):
        price = item.get("price")
        if isinstance(price, Mapping):
            return price
    return {}


def _period_end(subscription: Mapping[str, Any]) -> datetime | None:
    # Since Stripe API 2025-03-31 the billing period lives on the subscription items.
    ends = [_timestamp(subscription.get("current_period_end"))]
    ends += [_timestamp(item.get("current_period_end")) for item in _items(subscription)]
    known = [end for end in ends if end is not None]
    return max(known) if known else None


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None
