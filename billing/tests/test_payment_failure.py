"""A failed renewal: Premium stays during Stripe's retries and the page tells the learner."""

from __future__ import annotations

import pytest

from billing.entitlements import is_premium

from .conftest import fresh

pytestmark = pytest.mark.django_db


def test_while_stripe_retries_the_page_says_the_payment_failed_and_premium_stays(
    client, fake_stripe, subscribe, deliver, learner
):
    subscription = subscribe(learner)
    invoice = fake_stripe.invoice(
        customer=subscription["customer"], subscription=subscription["id"], status="open"
    )
    subscription["status"] = "past_due"
    deliver(fake_stripe.event("invoice.payment_failed", invoice))
    client.force_login(fresh(learner))

    page = client.get("/billing/").content.decode()

    assert is_premium(fresh(learner))
    assert "Your plan: Premium monthly" in page
    assert "Your last payment failed. Stripe will try again" in page
    assert "Manage subscription" in page


def test_when_stripe_gives_up_premium_is_paused_and_the_page_says_why(
    client, fake_stripe, subscribe, deliver, learner
):
    subscription = subscribe(learner, status="past_due")
    subscription["status"] = "unpaid"
    deliver(fake_stripe.event("customer.subscription.updated", subscription))
    client.force_login(fresh(learner))

    page = client.get("/billing/").content.decode()

    assert not is_premium(fresh(learner))
    assert "Your payments failed, so Premium is paused" in page
    assert "Manage subscription" in page
