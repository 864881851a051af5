"""Send a learner to Stripe: Checkout to subscribe, the customer portal to manage it."""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from djstripe.models import Customer, Price
from djstripe.settings import djstripe_settings

from .plans import is_ours

logger = logging.getLogger(__name__)

PORTAL_CONFIGURATION_CACHE_KEY = "billing:portal-configuration"


class BillingUnavailable(Exception):
    """Stripe could not be reached or refused the request; nothing was charged."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def api_options() -> dict[str, Any]:
    return {
        "api_key": settings.STRIPE_SECRET_KEY,
        "stripe_version": djstripe_settings.STRIPE_API_VERSION,
    }


def customer_for(user: AbstractBaseUser | AnonymousUser) -> Customer | None:
    """The user's existing Stripe customer in the current mode, without calling Stripe."""
    return (
        Customer.objects.filter(subscriber_id=user.pk, livemode=settings.STRIPE_LIVE_MODE)
        .order_by("-djstripe_id")
        .first()
    )


def return_urls(billing_page: str) -> dict[str, str]:
    """Where Checkout sends the browser back to: the billing page (its absolute URL), which
    says what happened and waits for Stripe's webhook."""
    return {
        "success_url": f"{billing_page}?checkout=success",
        "cancel_url": f"{billing_page}?checkout=cancelled",
    }


def start_checkout(
    *, user: AbstractBaseUser, price: Price, success_url: str, cancel_url: str
) -> str:
    """Create a subscription Checkout Session for the user's customer (created once, then
    reused) and return the URL to send the browser to."""
    try:
        customer, _ = Customer.get_or_create(
            subscriber=user, livemode=settings.STRIPE_LIVE_MODE, api_key=settings.STRIPE_SECRET_KEY
        )
        session = stripe.checkout.Session.create(
            mode="subscription",
            customer=customer.id,
            line_items=[{"price": price.id, "quantity": 1}],
            success_url=success_url,
            cancel_url=cancel_url,
            # Lets the webhook link the subscription to the user even if the customer was not.
            client_reference_id=str(user.pk),
            subscription_data={"metadata": {"user_id": str(user.pk)}},
            **api_options(),
        )
    except stripe.StripeError as exc:
        logger.warning("billing: checkout for user %s failed: %s", user.pk, exc)
        raise BillingUnavailable(str(exc)) from exc
    return str(session.url)


def open_portal(*, customer: Customer, return_url: str) -> str:
    """Create a customer portal session and return its URL."""
    try:
        options = api_options()
        configuration = portal_configuration_id()
        if configuration:
            options["configuration"] = configuration
        session = stripe.billing_portal.Session.create(
            customer=customer.id, return_url=return_url, **options
        )
    except stripe.StripeError as exc:
        logger.warning("billing: portal for customer %s failed: %s", customer.id, exc)
        raise BillingUnavailable(str(exc)) from exc
    return str(session.url)


def portal_configuration_id() -> str:
    """The portal configuration setup_billing created (cancel at period end, switch between
    our prices), or "" for the account's default one. Cached: it rarely changes."""
    cached = cache.get(PORTAL_CONFIGURATION_CACHE_KEY)
    if cached is not None:
        return str(cached)
    found = ""
    configurations = stripe.billing_portal.Configuration.list(
        active=True,
        limit=100,
        **api_options(),
    )
    for configuration in configurations.auto_paging_iter():
        if is_ours(configuration.to_dict().get("metadata")):
            found = configuration.id
            break
    cache.set(PORTAL_CONFIGURATION_CACHE_KEY, found, timeout=60 * 60)
    return found
