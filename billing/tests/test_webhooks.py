"""Every webhook our entitlement depends on, delivered signed to dj-stripe's real webhook URL."""

from __future__ import annotations

import time

import pytest
from djstripe.models import Event, Invoice, Subscription, WebhookEventTrigger

from billing.entitlements import is_premium, plan_for

from .conftest import fresh, stripe_customer_for

pytestmark = pytest.mark.django_db


def test_a_subscription_created_webhook_makes_the_learner_premium(
    fake_stripe, premium_prices, deliver, learner
):
    customer = stripe_customer_for(fake_stripe, learner)
    price = fake_stripe.objects[premium_prices["premium_yearly"].id]
    subscription = fake_stripe.subscription(customer=customer["id"], price=price, period_days=365)

    response = deliver(fake_stripe.event("customer.subscription.created", subscription))

    assert response.status_code == 200
    assert Event.objects.filter(type="customer.subscription.created").count() == 1
    plan = plan_for(fresh(learner))
    assert plan.is_premium
    assert plan.name == "Premium yearly"
    assert plan.renews_at is not None
    assert plan.renews_at.timestamp() == pytest.approx(time.time() + 365 * 86400, abs=60)


def test_a_subscription_updated_webhook_reads_the_subscription_as_stripe_has_it_now(
    fake_stripe, subscribe, deliver, learner
):
    subscription = subscribe(learner)
    stale = fake_stripe.event("customer.subscription.updated", subscription)
    subscription["status"] = "unpaid"  # changed again in Stripe before this event arrived

    assert deliver(stale).status_code == 200

    assert not is_premium(fresh(learner))
    assert Subscription.objects.get(id=subscription["id"]).stripe_data["status"] == "unpaid"


def test_a_subscription_deleted_webhook_ends_premium(fake_stripe, subscribe, deliver, learner):
    subscription = subscribe(learner)
    subscription.update(status="canceled", ended_at=int(time.time()))

    response = deliver(fake_stripe.event("customer.subscription.deleted", subscription))

    assert response.status_code == 200
    assert not is_premium(fresh(learner))
    assert plan_for(fresh(learner)).name == "Free"


def test_checkout_session_completed_makes_the_learner_premium_on_its_own(
    fake_stripe, premium_prices, deliver, learner, client
):
    client.force_login(learner)
    client.post("/billing/checkout/", {"plan": "premium_monthly"})
    (session,) = fake_stripe.of_type("checkout.session")
    fake_stripe.complete_checkout(
        session["id"], price=fake_stripe.objects[premium_prices["premium_monthly"].id]
    )

    response = deliver(fake_stripe.event("checkout.session.completed", session))

    assert response.status_code == 200
    plan = plan_for(fresh(learner))
    assert plan.is_premium
    assert plan.name == "Premium monthly"


def test_checkout_session_completed_links_a_customer_dj_stripe_could_not_link(
    fake_stripe, premium_prices, deliver, learner
):
    # A customer made outside our Checkout flow carries no subscriber metadata.
    customer = fake_stripe.customer(email=learner.email)
    price = fake_stripe.objects[premium_prices["premium_monthly"].id]
    session = fake_stripe.put(
        {
            "id": "cs_test_outside",
            "object": "checkout.session",
            "mode": "subscription",
            "customer": customer["id"],
            "client_reference_id": str(learner.pk),
            "subscription": None,
            "payment_intent": None,
            "setup_intent": None,
            "status": "open",
            "livemode": False,
            "created": int(time.time()),
            "metadata": {},
        }
    )
    subscription = fake_stripe.subscription(customer=customer["id"], price=price)
    session.update(status="complete", subscription=subscription["id"])

    assert deliver(fake_stripe.event("checkout.session.completed", session)).status_code == 200

    assert is_premium(fresh(learner))


def test_invoice_paid_brings_a_past_due_learner_back_to_active(
    fake_stripe, subscribe, deliver, learner
):
    subscription = subscribe(learner, status="past_due")
    assert plan_for(fresh(learner)).payment_failed
    invoice = fake_stripe.invoice(
        customer=subscription["customer"], subscription=subscription["id"]
    )
    subscription["status"] = "active"  # Stripe's retry succeeded

    response = deliver(fake_stripe.event("invoice.paid", invoice))

    assert response.status_code == 200
    plan = plan_for(fresh(learner))
    assert plan.is_premium
    assert not plan.payment_failed
    assert Invoice.objects.get(id=invoice["id"]).stripe_data["status"] == "paid"


def test_invoice_payment_failed_keeps_premium_while_stripe_retries(
    fake_stripe, subscribe, deliver, learner
):
    subscription = subscribe(learner)
    invoice = fake_stripe.invoice(
        customer=subscription["customer"], subscription=subscription["id"], status="open"
    )
    subscription["status"] = "past_due"

    response = deliver(fake_stripe.event("invoice.payment_failed", invoice))

    assert response.status_code == 200
    plan = plan_for(fresh(learner))
    assert plan.is_premium
    assert plan.payment_failed
    assert plan.status == "past_due"


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    fake_stripe, premium_prices, deliver, learner
):
    customer = stripe_customer_for(fake_stripe, learner)
    price = fake_stripe.objects[premium_prices["premium_monthly"].id]
    subscription = fake_stripe.subscription(customer=customer["id"], price=price)
    requests_before = len(fake_stripe.requests)

    response = deliver(
        fake_stripe.event("customer.subscription.created", subscription),
        secret="whsec_" + "someone0else0entirely",
    )

    assert response.status_code == 400
    assert not is_premium(fresh(learner))
    assert not Event.objects.exists()
    assert not Subscription.objects.exists()
    assert WebhookEventTrigger.objects.get().valid is False
    assert len(fake_stripe.requests) == requests_before  # nothing fetched for a forged event


def test_a_webhook_delivered_twice_is_processed_once(fake_stripe, premium_prices, deliver, learner):
    customer = stripe_customer_for(fake_stripe, learner)
    price = fake_stripe.objects[premium_prices["premium_monthly"].id]
    subscription = fake_stripe.subscription(customer=customer["id"], price=price)
    event = fake_stripe.event("customer.subscription.created", subscription)

    first = deliver(event)
    fetches = len(fake_stripe.received("GET", "/v1/subscriptions"))
    second = deliver(event)

    assert first.status_code == second.status_code == 200
    assert WebhookEventTrigger.objects.filter(processed=True).count() == 2
    assert Event.objects.filter(id=event["id"]).count() == 1
    assert len(fake_stripe.received("GET", "/v1/subscriptions")) == fetches  # not processed again
    assert Subscription.objects.count() == 1
    assert is_premium(fresh(learner))
