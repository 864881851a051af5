"""/payments: plans, subscribe, cancel and invoices, through the real stripe SDK against the
billing tests' fake Stripe on 127.0.0.1; the same answers as the billing page's."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from djstripe.models import Customer

from billing.tests.conftest import fresh

from .conftest import error_of

pytestmark = pytest.mark.django_db


# --- plans ---


def test_plans_are_the_billing_page_s_with_its_prices(
    anonymous_api, premium_prices, client, learner
):
    response = anonymous_api.get("/api/v1/payments/plans")

    assert response.status_code == 200
    monthly, yearly = response.json()
    assert (monthly["lookup_key"], monthly["amount"], monthly["interval"]) == (
        "premium_monthly",
        "$8.00",
        "month",
    )
    assert monthly["price_id"] == premium_prices["premium_monthly"].id
    assert (yearly["name"], yearly["amount"], yearly["monthly_equivalent"]) == (
        "Premium yearly",
        "$72.00",
        "$6.00",
    )
    client.force_login(learner)
    page = client.get("/billing/").content.decode()
    for plan in (monthly, yearly):
        assert plan["amount"] in page


def test_without_stripe_the_plans_are_the_catalogue_s_with_no_price_to_buy(
    anonymous_api, billing_not_configured
):
    response = anonymous_api.get("/api/v1/payments/plans")
    assert response.status_code == 200
    assert [(p["lookup_key"], p["amount"], p["price_id"]) for p in response.json()] == [
        ("premium_monthly", "$8.00", ""),
        ("premium_yearly", "$72.00", ""),
    ]


# --- subscribe ---


def test_subscribe_returns_the_checkout_url_for_the_learner_s_customer(
    api, fake_stripe, premium_prices, learner
):
    response = api.post("/api/v1/payments/subscribe", {"plan": "premium_yearly"})

    assert response.status_code == 201, response.content
    (session,) = fake_stripe.of_type("checkout.session")
    assert response.json() == {"checkout_url": session["url"]}
    (sent,) = fake_stripe.received("POST", "/v1/checkout/sessions")
    assert sent.params["customer"] == Customer.objects.get(subscriber=learner).id
    assert sent.params["line_items"] == [
        {"price": premium_prices["premium_yearly"].id, "quantity": "1"}
    ]
    assert sent.params["success_url"] == "http://testserver/billing/?checkout=success"
    assert sent.params["client_reference_id"] == str(learner.pk)
    # The URL opens Stripe's (here the fake's) hosted Checkout page.
    assert session["url"].startswith(fake_stripe.url)


def test_after_the_webhook_the_learner_is_premium_and_subscribing_again_is_a_409(
    api, fake_stripe, subscribe, learner
):
    subscribe(learner)
    assert api.get("/api/v1/users/me").json()["premium"] is True

    response = api.post("/api/v1/payments/subscribe", {"plan": "premium_monthly"})

    assert response.status_code == 409
    assert error_of(response)["code"] == "already_premium"
    assert fake_stripe.received("POST", "/v1/checkout/sessions") == []


@pytest.mark.parametrize("plan", ["premium_weekly", ""])
def test_an_unknown_plan_is_a_422_naming_the_plans(api, fake_stripe, premium_prices, plan):
    response = api.post("/api/v1/payments/subscribe", {"plan": plan})

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "unknown_plan"
    assert "premium_monthly or premium_yearly" in error["fields"]["plan"][0]
    assert fake_stripe.received("POST", "/v1/checkout/sessions") == []


def test_a_missing_plan_is_a_422(api, fake_stripe, premium_prices):
    response = api.post("/api/v1/payments/subscribe", {})
    assert response.status_code == 422
    assert any(name.endswith("plan") for name in error_of(response)["fields"])


def test_stripe_down_is_a_503_not_a_500(api, fake_stripe, premium_prices):
    fake_stripe.stop()

    response = api.post("/api/v1/payments/subscribe", {"plan": "premium_monthly"})

    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "stripe_unavailable"
    assert "nothing was charged" in error["message"]
    assert response["Retry-After"] == "60"


def test_without_billing_subscribe_and_cancel_are_503_and_call_nobody(
    api, fake_stripe, billing_not_configured
):
    for path, body in (("subscribe", {"plan": "premium_monthly"}), ("cancel", None)):
        response = api.post(f"/api/v1/payments/{path}", body)
        assert response.status_code == 503
        assert error_of(response)["code"] == "billing_not_configured"
    assert fake_stripe.requests == []


# --- cancel ---


def test_cancel_returns_the_portal_url_for_the_learner_s_customer(
    api, fake_stripe, subscribe, learner
):
    subscription = subscribe(learner)

    response = api.post("/api/v1/payments/cancel")

    assert response.status_code == 200, response.content
    (portal,) = fake_stripe.of_type("billing_portal.session")
    assert response.json() == {"portal_url": portal["url"]}
    (sent,) = fake_stripe.received("POST", "/v1/billing_portal/sessions")
    assert sent.params["customer"] == subscription["customer"]
    assert sent.params["return_url"] == "http://testserver/billing/"


def test_cancel_without_premium_is_a_409(
    api, fake_stripe, premium_prices, other_learner, subscribe
):
    subscribe(other_learner)  # someone else's subscription is never used

    response = api.post("/api/v1/payments/cancel")

    assert response.status_code == 409
    assert error_of(response)["code"] == "not_premium"
    assert fake_stripe.received("POST", "/v1/billing_portal/sessions") == []


def test_cancel_when_stripe_is_down_is_a_503(api, fake_stripe, subscribe, learner):
    subscribe(learner)
    fake_stripe.stop()

    response = api.post("/api/v1/payments/cancel")

    assert response.status_code == 503
    assert error_of(response)["code"] == "stripe_unavailable"


# --- invoices ---


def test_invoices_are_the_billing_page_s_newest_first_and_paginated(
    api, fake_stripe, subscribe, deliver, learner, client
):
    subscription = subscribe(learner)
    paid = fake_stripe.invoice(customer=subscription["customer"], subscription=subscription["id"])
    paid["created"] = int(time.time()) - 40 * 86400
    deliver(fake_stripe.event("invoice.paid", paid))
    failed = fake_stripe.invoice(
        customer=subscription["customer"], subscription=subscription["id"], status="open"
    )
    deliver(fake_stripe.event("invoice.payment_failed", failed))

    first = api.get("/api/v1/payments/invoices", {"page_size": 1})
    second = api.get("/api/v1/payments/invoices", {"page_size": 1, "page": 2})

    assert first.status_code == 200
    assert (first.json()["total"], first.json()["page"]) == (2, 1)
    (newest,) = first.json()["items"]
    (older,) = second.json()["items"]
    assert (newest["number"], newest["status"], newest["amount"]) == (
        failed["number"],
        "open",
        "$8.00",
    )
    assert (older["number"], older["status"]) == (paid["number"], "paid")
    assert older["hosted_url"] == paid["hosted_invoice_url"]
    assert older["pdf_url"] == paid["invoice_pdf"]
    assert older["date"].startswith(time.strftime("%Y-%m-%d", time.gmtime(paid["created"])))
    client.force_login(fresh(learner))
    page = client.get("/billing/").content.decode()
    assert page.index(newest["number"]) < page.index(older["number"])


def test_another_learner_s_invoices_are_not_listed(
    other_api, fake_stripe, subscribe, deliver, learner
):
    subscription = subscribe(learner)
    invoice = fake_stripe.invoice(
        customer=subscription["customer"], subscription=subscription["id"]
    )
    deliver(fake_stripe.event("invoice.paid", invoice))

    response = other_api.get("/api/v1/payments/invoices")

    assert response.json() == {"items": [], "total": 0, "page": 1, "page_size": 20}


def test_a_bad_page_is_a_422(api):
    assert api.get("/api/v1/payments/invoices", {"page": 0}).status_code == 422


# --- access and documentation ---


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "subscribe"), ("post", "cancel"), ("get", "invoices")],
)
def test_everything_but_the_plans_needs_a_token(anonymous_api, method, path):
    response = getattr(anonymous_api, method)(f"/api/v1/payments/{path}")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_the_openapi_document_says_where_the_stripe_webhook_is():
    document = Client().get("/api/v1/openapi.json").json()

    (tag,) = [tag for tag in document["tags"] if tag["name"] == "payments"]
    assert "/stripe/webhook/<uuid>/" in tag["description"]
    assert "/api/v1/payments/plans" in document["paths"]
    assert "security" not in document["paths"]["/api/v1/payments/plans"]["get"]
