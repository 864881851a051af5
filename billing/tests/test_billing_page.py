"""/billing/: the plans from Stripe's prices, what each includes and the learner's own plan."""

from __future__ import annotations

import time

import pytest

from .conftest import fresh

pytestmark = pytest.mark.django_db


def test_a_free_learner_sees_the_three_plans_with_prices_and_upgrade_buttons(
    client, premium_prices, learner
):
    client.force_login(learner)

    page = client.get("/billing/").content.decode()

    assert "Your plan: Free" in page
    assert "Premium monthly" in page
    assert "$8.00 <small>/ month</small>" in page
    assert "Premium yearly" in page
    assert "$72.00 <small>/ year</small>" in page
    assert "That’s $6.00 a month." in page
    assert "Unlimited coach exercises" in page  # what Premium includes
    assert page.count('action="/billing/checkout/"') == 2
    assert 'name="plan" value="premium_monthly"' in page
    assert 'name="plan" value="premium_yearly"' in page
    assert "Manage subscription" not in page  # nothing to manage yet


def test_a_premium_learner_sees_their_plan_and_renewal_date_and_can_manage_it(
    client, subscribe, learner
):
    subscription = subscribe(learner, plan="premium_yearly", period_days=365)
    renews = subscription["items"]["data"][0]["current_period_end"]
    client.force_login(fresh(learner))

    page = client.get("/billing/").content.decode()

    assert "Your plan: Premium yearly" in page
    assert f"Renews on {time.strftime('%-d %B %Y', time.gmtime(renews))}" in page
    assert "Manage subscription" in page
    assert 'action="/billing/checkout/"' not in page  # no second subscription


def test_the_page_lets_the_browser_go_on_to_stripe_after_its_forms(client, premium_prices, learner):
    client.force_login(learner)

    policy = client.get("/billing/")["Content-Security-Policy"]

    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert "'self'" in form_action
    assert "https://checkout.stripe.com" in form_action
    assert "https://billing.stripe.com" in form_action
    assert "script-src 'self'" in policy  # nothing else loosened


def test_a_cancelled_checkout_says_nothing_was_charged(client, premium_prices, learner):
    client.force_login(learner)

    page = client.get("/billing/?checkout=cancelled").content.decode()

    assert "Checkout was cancelled. Nothing was charged." in page
    assert "Your plan: Free" in page


def test_visitors_are_sent_to_the_pricing_page(client, premium_prices):
    response = client.get("/billing/")

    assert response.status_code == 302
    assert response["Location"] == "/pricing/"


def test_the_nav_links_to_premium_for_logged_in_learners(client, learner, billing_not_configured):
    assert 'href="/billing/"' not in client.get("/").content.decode()
    client.force_login(learner)
    assert '<a href="/billing/">Premium</a>' in client.get("/").content.decode()
