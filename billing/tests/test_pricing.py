"""/pricing/: the catalogue's plans, prices and what Premium includes, for everyone, with a
working Subscribe button where Stripe is set up and an honest disabled one where it is not; and
`setup_billing` pushing that same catalogue to Stripe."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from djstripe.models import Price, Product

from billing import plans, setup
from billing.plans import CURRENCY, OFFERS, PREMIUM_FEATURES, PRODUCT_NAME, money

from .conftest import fresh

pytestmark = pytest.mark.django_db


def catalogue_prices() -> list[str]:
    """How the page must show each offer's price, computed from the catalogue itself."""
    return [
        f"{money(offer.unit_amount, CURRENCY)} <small>/ {offer.interval}</small>"
        for offer in OFFERS
    ]


def assert_shows_the_catalogue(page: str) -> None:
    assert "$0.00" in page  # Free
    for offer, price in zip(OFFERS, catalogue_prices(), strict=True):
        assert str(offer.name) in page
        assert price in page
    for feature in PREMIUM_FEATURES:
        assert str(feature) in page
    assert "That’s $6.00 a month." in page  # the yearly price per month


# --- without Stripe keys ---


def test_a_visitor_sees_plans_prices_and_features_without_stripe(
    client, fake_stripe, billing_not_configured
):
    response = client.get("/pricing/")

    page = response.content.decode()
    assert response.status_code == 200
    assert_shows_the_catalogue(page)
    assert "Payments are not switched on yet" in page
    assert page.count('disabled aria-describedby="payments-off"') == len(OFFERS)
    assert "/billing/checkout/" not in page
    assert "The first lesson of every course is free to try" in page
    assert fake_stripe.requests == []  # the page never asks Stripe


def test_a_free_learner_sees_the_same_prices_and_disabled_buttons_without_stripe(
    client, learner, billing_not_configured
):
    client.force_login(learner)

    page = client.get("/pricing/").content.decode()

    assert_shows_the_catalogue(page)
    assert page.count('disabled aria-describedby="payments-off"') == len(OFFERS)
    assert "/billing/checkout/" not in page


# --- with Stripe keys ---


def test_a_free_learner_can_subscribe_to_each_plan(client, learner, premium_prices):
    client.force_login(learner)

    response = client.get("/pricing/")

    page = response.content.decode()
    assert_shows_the_catalogue(page)
    assert "Payments are not switched on yet" not in page
    assert " disabled" not in page
    assert page.count('action="/billing/checkout/"') == len(OFFERS)
    for offer in OFFERS:
        assert f'name="plan" value="{offer.lookup_key}"' in page
        assert f"Upgrade to {offer.name}" in page
    assert "https://checkout.stripe.com" in response["Content-Security-Policy"]


def test_subscribing_from_the_pricing_page_goes_to_checkout(
    client, learner, fake_stripe, premium_prices
):
    client.force_login(learner)

    response = client.post("/billing/checkout/", {"plan": "premium_yearly"})

    assert response.status_code == 303
    assert response["Location"].startswith(fake_stripe.url)


def test_a_visitor_is_asked_to_sign_up_to_subscribe(client, premium_prices):
    page = client.get("/pricing/").content.decode()

    assert_shows_the_catalogue(page)
    assert page.count('href="/accounts/signup/?next=/pricing/">Sign up to subscribe</a>') == 2
    assert "/billing/checkout/" not in page
    assert 'href="/accounts/login/?next=/billing/">Log in</a> to manage' in page


def test_a_premium_learner_sees_their_plan_and_where_to_manage_it(client, learner, subscribe):
    subscribe(learner, plan="premium_yearly")
    client.force_login(fresh(learner))

    page = client.get("/pricing/").content.decode()

    assert_shows_the_catalogue(page)
    yearly = page[page.index('id="plan-premium_yearly"') :]
    assert "Your plan" in yearly[: yearly.index("</li>")]
    assert "/billing/checkout/" not in page  # no second subscription
    assert 'href="/billing/">Manage your subscription</a>' in page


def test_before_setup_billing_the_buttons_say_the_plans_are_being_set_up(
    client, learner, fake_stripe
):
    client.force_login(learner)

    page = client.get("/pricing/").content.decode()

    assert_shows_the_catalogue(page)  # prices from the catalogue, not from Stripe
    assert page.count("This plan is being set up") == len(OFFERS)
    assert "/billing/checkout/" not in page


# --- setup_billing pushes the catalogue ---


def run_setup() -> str:
    out = StringIO()
    call_command("setup_billing", stdout=out)
    return out.getvalue()


def test_setup_billing_pushes_the_catalogue_to_stripe_and_the_page_shows_the_same(
    client, fake_stripe
):
    run_setup()

    (product,) = fake_stripe.of_type("product")
    assert product["name"] == PRODUCT_NAME
    assert product["description"] == plans.PRODUCT_DESCRIPTION
    assert [f["name"] for f in product["marketing_features"]] == [str(f) for f in PREMIUM_FEATURES]
    prices = {p["lookup_key"]: p for p in fake_stripe.of_type("price")}
    assert {
        key: (p["unit_amount"], p["currency"], p["recurring"]["interval"])
        for key, p in prices.items()
    } == {offer.lookup_key: (offer.unit_amount, CURRENCY, offer.interval) for offer in OFFERS}
    page = client.get("/pricing/").content.decode()
    for price in catalogue_prices():
        assert price in page


def test_a_changed_price_in_the_catalogue_replaces_stripe_s_on_the_next_run(
    client, fake_stripe, monkeypatch, learner
):
    run_setup()
    old_monthly = Price.objects.get(lookup_key="premium_monthly")
    monthly, yearly = OFFERS
    dearer = (dataclasses.replace(monthly, unit_amount=900), yearly)
    monkeypatch.setattr(plans, "OFFERS", dearer)
    monkeypatch.setattr(setup, "OFFERS", dearer)

    output = run_setup()

    active = {p["lookup_key"]: p for p in fake_stripe.of_type("price") if p["active"]}
    assert active["premium_monthly"]["unit_amount"] == 900
    assert active["premium_yearly"]["unit_amount"] == yearly.unit_amount  # untouched
    assert fake_stripe.objects[old_monthly.id]["active"] is False  # archived, subscribers keep it
    assert "$9.00 per month (created)" in output
    assert Product.objects.count() == 1
    client.force_login(learner)
    page = client.get("/pricing/").content.decode()
    assert "$9.00 <small>/ month</small>" in page
    assert "$8.00" not in page
    assert 'name="plan" value="premium_monthly"' in page


def test_a_product_edited_in_stripe_gets_the_catalogue_s_name_and_features_back(fake_stripe):
    run_setup()
    (product,) = fake_stripe.of_type("product")
    product.update(name="Something else", marketing_features=[])

    run_setup()

    assert product["name"] == PRODUCT_NAME
    assert len(product["marketing_features"]) == len(PREMIUM_FEATURES)
    assert Product.objects.get().name == PRODUCT_NAME


# --- the way there ---


@pytest.mark.parametrize("who", ["visitor", "learner"])
def test_the_menu_links_to_pricing(client, who, request, billing_not_configured):
    if who == "learner":
        client.force_login(request.getfixturevalue("learner"))

    page = client.get("/").content.decode()

    assert '<a href="/pricing/">Pricing</a>' in page
