"""A learner's invoices as the billing page and the API list them: dj-stripe's synced Invoice
rows, newest first, each with its number, date, amount, status and Stripe's links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from djstripe.models import Invoice

from .plans import money


@dataclass(frozen=True)
class InvoiceRow:
    number: str
    date: datetime | None
    amount: str  # "$8.00"
    status: str  # "paid", "open", "uncollectible", …
    hosted_url: str | None
    pdf_url: str | None


def invoices_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Invoice]:
    return Invoice.objects.filter(
        customer__subscriber_id=user.pk, livemode=settings.STRIPE_LIVE_MODE
    ).order_by("-created", "-djstripe_id")


def invoice_row(invoice: Invoice) -> InvoiceRow:
    data = invoice.stripe_data
    currency = str(data.get("currency") or "usd")
    return InvoiceRow(
        number=str(data.get("number") or invoice.id),
        date=invoice.created,
        amount=money(int(data.get("total") or data.get("amount_due") or 0), currency),
        status=str(data.get("status") or "").replace("_", " "),
        hosted_url=_https_or_none(data.get("hosted_invoice_url")),
        pdf_url=_https_or_none(data.get("invoice_pdf")),
    )


def _https_or_none(url: object) -> str | None:
    # Links come from Stripe; only ever render web addresses.
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url
    return None
