"""Our receivers for Stripe's webhooks.

dj-stripe verifies the signature, stores each event once (a repeated delivery is not processed
again) and syncs the object the event is about before these receivers run. They make sure the
subscription row that decides Premium is current and belongs to the right user.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import stripe
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from djstripe import signals
from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Customer, Event, Subscription, WebhookEventTrigger
from djstripe.settings import djstripe_settings

from typingtrainer import metrics

from .entitlements import plan_from

logger = logging.getLogger(__name__)

ENTITLEMENT_EVENTS = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
]


# Counted from dj-stripe's own signals (djstripe.models.webhooks.WebhookEventTrigger.from_request):
# a bad signature is `valid=False` after validation; a delivery processed (a repeat of one
# already stored too) is post_process; an exception while processing (then a 500, and Stripe
# retries) is processing_error. A request without a Stripe-Signature header is refused before
# any of these (400, in tt_http_requests_total under dj-stripe's webhook route).
def _event_type(trigger: WebhookEventTrigger) -> str:
    """The event's type if it is one we act on, else "other" (a bounded label)."""
    event_type = trigger.json_body.get("type")
    return event_type if event_type in ENTITLEMENT_EVENTS else "other"


@receiver(signals.webhook_post_validate, dispatch_uid="metrics-webhook-rejected")
def _count_rejected(sender: Any, instance: WebhookEventTrigger, valid: bool, **_: Any) -> None:
    if not valid:
        metrics.webhook_event(_event_type(instance), "rejected")


@receiver(signals.webhook_post_process, dispatch_uid="metrics-webhook-processed")
def _count_processed(sender: Any, instance: WebhookEventTrigger, **_: Any) -> None:
    metrics.webhook_event(_event_type(instance), "processed")


@receiver(signals.webhook_processing_error, dispatch_uid="metrics-webhook-failed")
def _count_failed(sender: Any, instance: WebhookEventTrigger, **_: Any) -> None:
    metrics.webhook_event(_event_type(instance), "failed")


@djstripe_receiver(ENTITLEMENT_EVENTS)
def keep_entitlement_current(sender: type[Event], event: Event, **kwargs: Any) -> None:
    obj = event.data.get("object") or {}
    subscription_id = subscription_id_of(obj)
    if not subscription_id:
        return  # e.g. a one-off payment: nothing that decides Premium
    if event.category == "customer":
        # dj-stripe has just fetched this subscription as Stripe has it now.
        subscription = (
            Subscription.objects.filter(id=subscription_id).select_related("customer").first()
        )
    else:
        # A paid or failed invoice or a finished checkout changes the subscription's status
        # too, and Stripe does not promise the order of events: read it as it is now.
        subscription = _sync_subscription(subscription_id, api_key=event.default_api_key)
    if subscription is None:
        return
    user_id = obj.get("client_reference_id") or (
        subscription.stripe_data.get("metadata") or {}
    ).get("user_id")
    _link_customer(subscription.customer, user_id)
    plan = plan_from([subscription.stripe_data])
    logger.info(
        "billing: %s for %s: subscription %s is %s (premium: %s)",
        event.type,
        subscription.customer_id,
        subscription.id,
        subscription.stripe_data.get("status"),
        plan.is_premium,
    )


def subscription_id_of(obj: Mapping[str, Any]) -> str:
    """The subscription a subscription, invoice or checkout session is about, or ""."""
    if obj.get("object") == "subscription":
        return str(obj.get("id") or "")
    candidates = [obj.get("subscription")]
    # Invoices name their subscription under parent.subscription_details since API 2025-03-31.
    parent = obj.get("parent") or {}
    candidates.append((parent.get("subscription_details") or {}).get("subscription"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            return candidate
        if isinstance(candidate, Mapping) and candidate.get("id"):
            return str(candidate["id"])
    return ""


def _sync_subscription(subscription_id: str, *, api_key: str) -> Subscription | None:
    try:
        data = stripe.Subscription.retrieve(
            subscription_id, api_key=api_key, stripe_version=djstripe_settings.STRIPE_API_VERSION
        )
    except stripe.InvalidRequestError as exc:
        if exc.code == "resource_missing":
            logger.warning("billing: subscription %s no longer exists in Stripe", subscription_id)
            return None
        raise
    return Subscription.sync_from_stripe_data(data, api_key=api_key)


def _link_customer(customer: Customer, user_id: object) -> None:
    """Attach a customer that dj-stripe could not link (e.g. created outside Checkout) to the
    user our Checkout Session or subscription named. An existing link is never changed."""
    if customer.subscriber_id is not None or not str(user_id or "").isdigit():
        return
    user = get_user_model().objects.filter(pk=int(str(user_id))).first()
    if user is not None:
        Customer.objects.filter(pk=customer.pk, subscriber__isnull=True).update(subscriber=user)
