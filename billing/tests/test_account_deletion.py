"""Deleting an account ends its Premium subscription at Stripe first, or deletes nothing."""

from __future__ import annotations

import pytest
from djstripe.models import Customer

from conftest import PASSWORD
from typingtrainer.models import User

pytestmark = pytest.mark.django_db


def delete_account(client, user):
    client.force_login(user)
    return client.post("/accounts/delete/", {"password": PASSWORD})


def test_deleting_a_subscribers_account_ends_the_subscription_at_stripe(
    client, fake_stripe, subscribe, learner
):
    subscription = subscribe(learner)
    customer_id = subscription["customer"]

    response = delete_account(client, learner)

    assert response.status_code == 302
    assert not User.objects.filter(pk=learner.pk).exists()
    assert [r.path for r in fake_stripe.received("DELETE", "/v1/customers")] == [
        f"/v1/customers/{customer_id}"
    ]
    assert fake_stripe.objects[subscription["id"]]["status"] == "canceled"
    assert customer_id not in fake_stripe.objects
    purged = Customer.objects.get(id=customer_id)
    assert purged.subscriber is None
    assert purged.date_purged is not None


def test_when_stripe_cannot_be_reached_nothing_is_deleted(client, fake_stripe, subscribe, learner):
    subscription = subscribe(learner)
    fake_stripe.stop()  # Stripe is down

    response = delete_account(client, learner)

    assert response.status_code == 503
    assert "could not reach Stripe to cancel your Premium subscription" in response.text
    assert "nothing was deleted" in response.text
    assert User.objects.filter(pk=learner.pk).exists()
    customer = Customer.objects.get(id=subscription["customer"])
    assert customer.subscriber_id == learner.pk
    assert customer.date_purged is None


def test_a_customer_already_deleted_at_stripe_does_not_block_deletion(
    client, fake_stripe, subscribe, learner
):
    subscription = subscribe(learner)
    del fake_stripe.objects[subscription["customer"]]  # deleted from Stripe's dashboard

    response = delete_account(client, learner)

    assert response.status_code == 302
    assert not User.objects.filter(pk=learner.pk).exists()


def test_a_learner_who_never_paid_is_deleted_without_asking_stripe(
    client, billing_not_configured, learner
):
    response = delete_account(client, learner)

    assert response.status_code == 302
    assert not User.objects.filter(pk=learner.pk).exists()
