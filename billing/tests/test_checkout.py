"""Upgrading: the Upgrade button starts a Stripe Checkout Session for the learner's customer."""

from __future__ import annotations

import pytest
from djstripe.models import Customer

from .conftest import fresh

pytestmark = pytest.mark.django_db


def test_upgrading_sends_the_learner_to_checkout_with_their_customer_price_and_urls(
    client, fake_stripe, premium_prices, learner
):
    client.force_login(learner)

    response = client.post("/billing/checkout/", {"plan": "premium_yearly"})

    (session,) = fake_stripe.of_type("checkout.session")
    assert response.status_code == 303
    assert response["Location"] == session["url"]
    (sent,) = fake_stripe.received("POST", "/v1/checkout/sessions")
    customer = Customer.objects.get(subscriber=learner)
    assert sent.params["mode"] == "subscription"
    assert sent.params["customer"] == customer.id
    assert sent.params["line_items"] == [
        {"price": premium_prices["premium_yearly"].id, "quantity": "1"}
    ]
    assert sent.params["success_url"] == "http://testserver/billing/?checkout=success"
    assert sent.params["cancel_url"] == "http://testserver/billing/?checkout=cancelled"
    assert sent.params["client_reference_id"] == str(learner.pk)


def test_the_stripe_customer_is_created_once_and_reused_the_second_time(
    client, fake_stripe, premium_prices, learner
):
    client.force_login(learner)

    client.post("/billing/checkout/", {"plan": "premium_monthly"})
    client.post("/billing/checkout/", {"plan": "premium_yearly"})

    (created,) = fake_stripe.received("POST", "/v1/customers")
    assert created.params["email"] == learner.email
    assert created.params["metadata"]["djstripe_subscriber"] == str(learner.pk)
    first, second = fake_stripe.received("POST", "/v1/checkout/sessions")
    assert first.params["customer"] == second.params["customer"]
    assert Customer.objects.filter(subscriber=learner).count() == 1


def test_each_learner_gets_their_own_customer(
    client, fake_stripe, premium_prices, learner, other_learner
):
    for user in (learner, other_learner):
        client.force_login(user)
        client.post("/billing/checkout/", {"plan": "premium_monthly"})

    first, second = fake_stripe.received("POST", "/v1/checkout/sessions")
    assert first.params["customer"] != second.params["customer"]
    assert Customer.objects.get(subscriber=other_learner).id == second.params["customer"]


def test_an_unknown_plan_is_a_clear_400_and_calls_nobody(
    client, fake_stripe, premium_prices, learner
):
    client.force_login(learner)

    response = client.post("/billing/checkout/", {"plan": "platinum_forever"})

    assert response.status_code == 400
    assert "Unknown plan" in response.content.decode()
    assert fake_stripe.requests == []
    assert not Customer.objects.exists()


def test_a_premium_learner_is_not_sold_a_second_subscription(
    client, fake_stripe, subscribe, learner
):
    subscribe(learner)
    client.force_login(fresh(learner))

    response = client.post("/billing/checkout/", {"plan": "premium_yearly"}, follow=True)

    assert response.redirect_chain == [("/billing/", 302)]
    assert "You already have Premium" in response.content.decode()
    assert fake_stripe.received("POST", "/v1/checkout/sessions") == []


def test_when_stripe_fails_the_learner_is_told_and_stays_free(
    client, fake_stripe, premium_prices, learner
):
    client.force_login(learner)
    fake_stripe.stop()  # Stripe is down

    response = client.post("/billing/checkout/", {"plan": "premium_monthly"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [("/billing/", 302)]
    assert "We could not reach Stripe, so nothing was charged" in response.content.decode()


def test_checkout_is_a_post_for_logged_in_learners_only(
    client, fake_stripe, premium_prices, learner
):
    anonymous = client.post("/billing/checkout/", {"plan": "premium_monthly"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    client.force_login(learner)
    assert client.get("/billing/checkout/").status_code == 405
    assert fake_stripe.requests == []
