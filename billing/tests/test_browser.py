"""The Upgrade button in headless Chromium: on to (the fake) Stripe Checkout, and back."""

from __future__ import annotations

import os
import re

import pytest
from django.test import Client

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Playwright's sync API runs an event loop in this thread; our ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_upgrade_takes_the_learner_to_stripe_checkout(
    page, live_server, fake_stripe, premium_prices, learner
):
    log_in(page, live_server, learner)
    page.goto(f"{live_server.url}/billing/")

    page.get_by_role("button", name="Upgrade to Premium yearly").click()

    page.wait_for_url(re.compile(re.escape(fake_stripe.url) + r"/pay/cs_test_\w+"))
    assert page.title() == "Fake Stripe Checkout"
    (sent,) = fake_stripe.received("POST", "/v1/checkout/sessions")
    assert sent.params["line_items"][0]["price"] == premium_prices["premium_yearly"].id
    assert sent.params["success_url"] == f"{live_server.url}/billing/?checkout=success"


def test_back_from_checkout_the_page_turns_premium_when_the_webhook_arrives(
    page, live_server, fake_stripe, premium_prices, deliver, learner
):
    log_in(page, live_server, learner)
    page.goto(f"{live_server.url}/billing/")
    page.get_by_role("button", name="Upgrade to Premium monthly").click()
    page.wait_for_url(re.compile(re.escape(fake_stripe.url) + "/pay/"))
    (session,) = fake_stripe.of_type("checkout.session")
    price = fake_stripe.objects[premium_prices["premium_monthly"].id]
    fake_stripe.complete_checkout(session["id"], price=price)

    page.goto(session["success_url"])  # Stripe sends the learner back
    status = page.locator("#billing-status")
    assert "confirming your payment" in status.inner_text()
    page.evaluate("window.notReloaded = true")
    deliver(fake_stripe.event("checkout.session.completed", session))

    page.get_by_text("Your plan: Premium monthly").wait_for(timeout=10_000)
    assert "confirming" not in status.inner_text()
    assert page.evaluate("window.notReloaded") is True  # updated in place, not reloaded


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pricing_page_fits_a_phone_in_both_themes(
    browser, live_server, billing_not_configured, scheme
):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, color_scheme=scheme, is_mobile=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/pricing/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    off = page.get_by_role("button", name="Upgrade to Premium yearly")
    assert off.is_disabled()
    assert page.get_by_text("Payments are not switched on yet").is_visible()
    assert page.get_by_text("$72.00").is_visible()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(16, 19, 26)") == (scheme == "dark")
    context.close()
