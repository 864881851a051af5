"""Without Stripe keys the plans and prices still show, the buttons say payments are not switched
on yet, nothing calls Stripe and nothing breaks."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.entitlements import is_premium

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_watch(fake_stripe, billing_not_configured):
    """The fake is up to catch any call, but the site has no keys."""
    return fake_stripe


def test_the_billing_page_shows_the_prices_and_says_payments_are_off(client, stripe_watch, learner):
    client.force_login(learner)

    response = client.get("/billing/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Payments are not switched on yet" in page
    assert "not configured" not in page
    assert "Your plan: Free" in page
    assert "$8.00 <small>/ month</small>" in page  # the catalogue's prices
    assert "$72.00 <small>/ year</small>" in page
    assert "Every Premium course" in page  # still says what Premium is
    assert page.count('disabled aria-describedby="payments-off"') == 2
    assert 'href="/pricing/"' in page
    assert "/billing/checkout/" not in page
    assert "Manage subscription" not in page
    assert stripe_watch.requests == []


def test_upgrade_and_portal_posts_explain_and_call_nobody(client, stripe_watch, learner):
    client.force_login(learner)

    for url in ("/billing/checkout/", "/billing/portal/"):
        response = client.post(url, {"plan": "premium_monthly"}, follow=True)
        assert response.redirect_chain == [("/pricing/", 302)]
        assert "Payments are not switched on yet, so nothing was charged." in (
            response.content.decode()
        )
    assert stripe_watch.requests == []


def test_the_rest_of_the_site_works_and_nobody_is_premium(client, stripe_watch, learner, course):
    client.force_login(learner)

    for url in ("/", "/courses/", f"/courses/{course.slug}/", "/accounts/settings/", "/pricing/"):
        assert client.get(url).status_code == 200, url
    assert not is_premium(learner)
    assert stripe_watch.requests == []


def test_setup_billing_refuses_to_run_without_a_key(stripe_watch):
    with pytest.raises(CommandError, match="set STRIPE_SECRET_KEY"):
        call_command("setup_billing")
    assert stripe_watch.requests == []
