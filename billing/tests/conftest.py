"""Billing fixtures: a fake Stripe API on 127.0.0.1 that the real stripe SDK and dj-stripe talk
to, Stripe keys pointing at it, synced Premium prices, dj-stripe's webhook endpoint row and a
way to deliver signed webhooks to it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from django.test import Client
from djstripe.models import Customer, Price, WebhookEndpoint

from billing.setup import ensure_premium_prices, ensure_webhook_endpoint
from typingtrainer.models import User

from .fake_stripe import FakeStripe, sign

# dj-stripe parses keys: they must look like real test keys.
SECRET_KEY = "sk_test_" + "TypingTrainerFakeKey0123456789"
WEBHOOK_SECRET = "whsec_" + "typingtrainer0fake0signing0secret"

Deliver = Callable[..., Any]

# The SDK logs every request at INFO; failing tests' output is easier to read without them.
logging.getLogger("stripe").setLevel(logging.WARNING)


@pytest.fixture
def fake_stripe(settings) -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    api_base = stripe.api_base
    stripe.api_base = fake.url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLIC_KEY = "pk_test_" + "TypingTrainerFakeKey0123456789"
    settings.STRIPE_LIVE_MODE = False
    # The fake's hosted Checkout and portal pages stand in for Stripe's.
    settings.STRIPE_HOSTED_ORIGINS = [*settings.STRIPE_HOSTED_ORIGINS, fake.url]
    yield fake
    stripe.api_base = api_base
    fake.stop()


@pytest.fixture
def billing_not_configured(settings) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLIC_KEY = ""


@pytest.fixture
def premium_prices(fake_stripe, db) -> dict[str, Price]:
    """premium_monthly and premium_yearly, in the fake and synced into dj-stripe."""
    _, prices, _ = ensure_premium_prices()
    fake_stripe.requests.clear()  # tests see the requests they caused
    return {str(price.lookup_key): price for price in prices}


@pytest.fixture
def webhook_endpoint(fake_stripe, db) -> WebhookEndpoint:
    endpoint, _ = ensure_webhook_endpoint(base_url="http://testserver", secret=WEBHOOK_SECRET)
    fake_stripe.requests.clear()
    return endpoint


@pytest.fixture
def deliver(webhook_endpoint) -> Deliver:
    """POST an event to dj-stripe's webhook URL the way Stripe does, signed unless told not."""
    stripe_client = Client()

    def deliver(event: dict[str, Any], *, secret: str = WEBHOOK_SECRET):
        payload = json.dumps(event)
        return stripe_client.post(
            f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
            payload,
            content_type="application/json",
            headers={"Stripe-Signature": sign(payload, secret)},
        )

    return deliver


def fresh(user: User) -> User:
    """The user as a new request would load it (plans are memoised per user object)."""
    return User.objects.get(pk=user.pk)


def stripe_customer_for(fake: FakeStripe, user: User) -> dict[str, Any]:
    """The user's Stripe customer, created the way Checkout creates it."""
    customer, _ = Customer.get_or_create(subscriber=user, livemode=False, api_key=SECRET_KEY)
    return fake.objects[customer.id]


@pytest.fixture
def subscribe(fake_stripe, premium_prices, deliver) -> Callable[..., dict[str, Any]]:
    """Make a user a subscriber as Stripe would tell us: a subscription in the fake and its
    customer.subscription.created webhook delivered. Returns the fake's subscription."""

    def subscribe(user: User, plan: str = "premium_monthly", **extra: Any) -> dict[str, Any]:
        customer = stripe_customer_for(fake_stripe, user)
        price = fake_stripe.objects[premium_prices[plan].id]
        subscription = fake_stripe.subscription(customer=customer["id"], price=price, **extra)
        response = deliver(fake_stripe.event("customer.subscription.created", subscription))
        assert response.status_code == 200, response.content
        return subscription

    return subscribe
