"""The learner's invoices on the billing page: date, amount, status, Stripe's page and PDF."""

from __future__ import annotations

import time

import pytest

from .conftest import fresh

pytestmark = pytest.mark.django_db


def test_paid_and_failed_invoices_are_listed_with_links_to_stripe(
    client, fake_stripe, subscribe, deliver, learner
):
    subscription = subscribe(learner)
    paid = fake_stripe.invoice(customer=subscription["customer"], subscription=subscription["id"])
    paid["created"] = int(time.time()) - 40 * 86400
    deliver(fake_stripe.event("invoice.paid", paid))
    failed = fake_stripe.invoice(
        customer=subscription["customer"], subscription=subscription["id"], status="open"
    )
    deliver(fake_stripe.event("invoice.payment_failed", failed))
    client.force_login(fresh(learner))

    page = client.get("/billing/").content.decode()

    table = page[page.index("Your invoices, newest first") :]
    assert table.index(failed["number"]) < table.index(paid["number"])  # newest first
    assert time.strftime("%-d %b %Y", time.gmtime(paid["created"])) in table
    assert table.count("$8.00") == 2
    assert '<span class="tag invoice-paid">paid</span>' in table
    assert '<span class="tag invoice-open">open</span>' in table
    assert f'href="{paid["hosted_invoice_url"]}"' in table
    assert f'href="{paid["invoice_pdf"]}"' in table


def test_only_the_learners_own_invoices_are_listed(
    client, fake_stripe, subscribe, deliver, learner, other_learner
):
    subscription = subscribe(learner)
    invoice = fake_stripe.invoice(
        customer=subscription["customer"], subscription=subscription["id"]
    )
    deliver(fake_stripe.event("invoice.paid", invoice))
    client.force_login(other_learner)

    page = client.get("/billing/").content.decode()

    assert invoice["number"] not in page
    assert "No invoices yet." in page
