"""manage.py setup_billing: products, prices, portal and webhook endpoint, safe to run again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from djstripe.models import Price, Product, WebhookEndpoint

pytestmark = pytest.mark.django_db


def run(**options) -> str:
    out = StringIO()
    call_command("setup_billing", stdout=out, **options)
    return out.getvalue()


def test_it_creates_the_premium_product_and_both_prices_and_syncs_them(fake_stripe, settings):
    settings.SITE_URL = "https://typing.example.com"

    output = run(webhook_secret="whsec_" + "fromthestripedashboard")

    (product,) = fake_stripe.of_type("product")
    prices = {p["lookup_key"]: p for p in fake_stripe.of_type("price")}
    assert set(prices) == {"premium_monthly", "premium_yearly"}
    assert (prices["premium_monthly"]["unit_amount"], prices["premium_monthly"]["recurring"]) == (
        800,
        {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
    )
    assert prices["premium_yearly"]["unit_amount"] == 7200
    assert prices["premium_yearly"]["recurring"]["interval"] == "year"
    assert all(p["product"] == product["id"] for p in prices.values())
    assert Product.objects.get().id == product["id"]
    assert set(Price.objects.values_list("lookup_key", flat=True)) == set(prices)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == f"https://typing.example.com/stripe/webhook/{endpoint.djstripe_uuid}/"
    assert endpoint.secret == "whsec_fromthestripedashboard"
    assert f"Webhook endpoint (created): {endpoint.url}" in output
    assert "customer.subscription.deleted" in output
    assert "invoice.payment_failed" in output
    assert "$8.00 per month (created)" in output
    assert "$72.00 per year (created)" in output


def test_running_it_again_creates_nothing_and_keeps_the_webhook_url(fake_stripe):
    run()
    url = WebhookEndpoint.objects.get().url
    creations = len([r for r in fake_stripe.requests if r.method == "POST"])

    output = run(webhook_secret="whsec_" + "addedlater")

    assert len([r for r in fake_stripe.requests if r.method == "POST"]) == creations
    assert len(fake_stripe.of_type("product")) == 1
    assert len(fake_stripe.of_type("price")) == 2
    assert len(fake_stripe.of_type("billing_portal.configuration")) == 1
    assert Product.objects.count() == 1
    assert Price.objects.count() == 2
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == url
    assert endpoint.secret == "whsec_addedlater"
    assert "already there" in output
    assert "(created)" not in output


def test_a_missing_price_is_added_to_the_existing_product(fake_stripe):
    product = fake_stripe.product(metadata={"typingtrainer": "premium"})
    fake_stripe.price(
        product=product["id"], unit_amount=800, interval="month", lookup_key="premium_monthly"
    )

    run()

    assert len(fake_stripe.of_type("product")) == 1
    yearly = next(p for p in fake_stripe.of_type("price") if p["lookup_key"] == "premium_yearly")
    assert yearly["product"] == product["id"]


def test_without_a_signing_secret_it_says_what_to_do_next(fake_stripe):
    output = run()

    assert "set STRIPE_WEBHOOK_SECRET" in output
    assert WebhookEndpoint.objects.get().secret == ""


def test_a_secret_that_is_not_a_signing_secret_is_refused(fake_stripe):
    with pytest.raises(CommandError, match="whsec_"):
        run(webhook_secret="sk_test_oops")
    assert fake_stripe.requests == []
