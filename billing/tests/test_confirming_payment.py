"""Back from Checkout: the page says the payment is being confirmed and polls (HTMX) until the
webhook has arrived, then shows Premium without a reload."""

from __future__ import annotations

import pytest

from .conftest import fresh

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def test_back_from_checkout_the_page_says_the_payment_is_being_confirmed_and_polls(
    client, premium_prices, learner
):
    client.force_login(learner)

    page = client.get("/billing/?checkout=success").content.decode()

    assert "We’re confirming your payment with Stripe" in page
    assert 'hx-get="/billing/?checkout=success&amp;polls=1"' in page
    assert 'hx-trigger="load delay:2s"' in page


def test_the_fragment_says_confirming_until_the_webhook_arrives_then_premium(
    client, fake_stripe, premium_prices, deliver, learner
):
    client.force_login(learner)
    client.post("/billing/checkout/", {"plan": "premium_monthly"})
    (session,) = fake_stripe.of_type("checkout.session")
    price = fake_stripe.objects[premium_prices["premium_monthly"].id]

    waiting = client.get("/billing/?checkout=success&polls=1", headers=HTMX)

    fake_stripe.complete_checkout(session["id"], price=price)  # paid, webhook not yet here
    still_waiting = client.get("/billing/?checkout=success&polls=2", headers=HTMX)
    deliver(fake_stripe.event("checkout.session.completed", session))
    arrived = client.get("/billing/?checkout=success&polls=3", headers=HTMX)

    for fragment in (waiting, still_waiting):
        html = fragment.content.decode()
        assert "We’re confirming your payment" in html
        assert "hx-trigger" in html
        assert "<html" not in html  # only the fragment
    html = arrived.content.decode()
    assert html.lstrip().startswith('<section id="billing-status"')
    assert "Your plan: Premium monthly" in html
    assert "confirming" not in html
    assert "hx-get" not in html  # polling stops


def test_polling_stops_after_a_while_and_asks_to_reload_later(client, premium_prices, learner):
    client.force_login(learner)

    html = client.get("/billing/?checkout=success&polls=90", headers=HTMX).content.decode()

    assert "Stripe hasn’t confirmed your payment yet. Reload this page in a minute" in html
    assert "hx-get" not in html


@pytest.mark.parametrize("polls", ["lots", "-5", "9" * 5000, ""])
def test_a_garbled_poll_count_is_harmless(client, premium_prices, learner, polls):
    client.force_login(learner)

    response = client.get(f"/billing/?checkout=success&polls={polls}", headers=HTMX)

    assert response.status_code == 200
    assert "confirming your payment" in response.content.decode()


def test_a_learner_already_premium_sees_premium_at_once(client, subscribe, learner):
    subscribe(learner)
    client.force_login(fresh(learner))

    page = client.get("/billing/?checkout=success").content.decode()

    assert "Your plan: Premium monthly" in page
    assert "confirming" not in page
