"""The whole path: upgrade → Premium → cancel (Premium until the period ends, and the page says
until when) → period end → Free."""

from __future__ import annotations

import time

import pytest

from billing.entitlements import is_premium

from .conftest import fresh

pytestmark = pytest.mark.django_db


def test_upgrade_then_cancel_keeps_premium_to_the_period_end_then_ends_it(
    client, fake_stripe, premium_prices, deliver, learner
):
    client.force_login(learner)

    # Upgrade: Checkout, paid, webhooks arrive.
    response = client.post("/billing/checkout/", {"plan": "premium_monthly"})
    (session,) = fake_stripe.of_type("checkout.session")
    assert response["Location"] == session["url"]
    price = fake_stripe.objects[premium_prices["premium_monthly"].id]
    subscription = fake_stripe.complete_checkout(session["id"], price=price)
    deliver(fake_stripe.event("checkout.session.completed", session))
    deliver(fake_stripe.event("customer.subscription.created", subscription))
    invoice = fake_stripe.objects[subscription["latest_invoice"]]
    deliver(fake_stripe.event("invoice.paid", invoice))
    assert is_premium(fresh(learner))
    page = client.get("/billing/").content.decode()
    assert "Your plan: Premium monthly" in page
    assert "Renews on" in page
    assert invoice["number"] in page

    # Cancel in the portal: Stripe keeps the subscription active until the period ends.
    period_end = subscription["items"]["data"][0]["current_period_end"]
    subscription.update(
        cancel_at_period_end=True, cancel_at=period_end, canceled_at=int(time.time())
    )
    deliver(fake_stripe.event("customer.subscription.updated", subscription))
    assert is_premium(fresh(learner))
    page = client.get("/billing/").content.decode()
    until = time.strftime("%-d %B %Y", time.gmtime(period_end))
    assert f"Premium stays on until <strong>{until}</strong> and will not renew" in page
    assert "Renews on" not in page

    # The period ends: Stripe deletes the subscription.
    subscription.update(status="canceled", ended_at=period_end)
    deliver(fake_stripe.event("customer.subscription.deleted", subscription))
    assert not is_premium(fresh(learner))
    page = client.get("/billing/").content.decode()
    assert "Your plan: Free" in page
    assert page.count('action="/billing/checkout/"') == 2  # can subscribe again
