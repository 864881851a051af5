"""Manage subscription: a Stripe customer portal session for the learner's own customer."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from .conftest import fresh

pytestmark = pytest.mark.django_db


def test_manage_subscription_opens_the_portal_for_the_learners_customer(
    client, fake_stripe, subscribe, learner
):
    subscription = subscribe(learner)
    client.force_login(fresh(learner))

    response = client.post("/billing/portal/")

    (portal,) = fake_stripe.of_type("billing_portal.session")
    assert response.status_code == 303
    assert response["Location"] == portal["url"]
    (sent,) = fake_stripe.received("POST", "/v1/billing_portal/sessions")
    assert sent.params["customer"] == subscription["customer"]
    assert sent.params["return_url"] == "http://testserver/billing/"


def test_the_portal_uses_the_configuration_setup_billing_made(
    client, fake_stripe, subscribe, learner
):
    call_command("setup_billing", stdout=StringIO())
    (configuration,) = fake_stripe.of_type("billing_portal.configuration")
    subscribe(learner)
    client.force_login(fresh(learner))

    client.post("/billing/portal/")
    client.post("/billing/portal/")

    first, second = fake_stripe.received("POST", "/v1/billing_portal/sessions")
    assert first.params["configuration"] == second.params["configuration"] == configuration["id"]
    # Cancelling there keeps Premium to the end of the paid period.
    assert configuration["features"]["subscription_cancel"]["mode"] == "at_period_end"
    assert len(fake_stripe.received("GET", "/v1/billing_portal/configurations")) == 2  # setup + 1


def test_another_learners_customer_is_never_used(
    client, fake_stripe, subscribe, learner, other_learner
):
    subscribe(learner)
    client.force_login(other_learner)

    response = client.post("/billing/portal/", follow=True)

    assert "You have no subscription to manage yet." in response.content.decode()
    assert fake_stripe.received("POST", "/v1/billing_portal/sessions") == []


def test_the_portal_is_a_post(client, fake_stripe, subscribe, learner):
    subscribe(learner)
    client.force_login(fresh(learner))

    assert client.get("/billing/portal/").status_code == 405
    assert fake_stripe.received("POST", "/v1/billing_portal/sessions") == []
