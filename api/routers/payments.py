"""Premium: the plans, Checkout to subscribe, the customer portal to cancel, and the invoices —
the billing page's functions (billing.plans, billing.checkout, billing.invoices) and its rules.
Stripe's webhook stays dj-stripe's; it is not part of this API."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from billing.checkout import (
    BillingUnavailable,
    customer_for,
    is_configured,
    open_portal,
    return_urls,
    start_checkout,
)
from billing.entitlements import plan_for
from billing.invoices import invoice_row, invoices_for
from billing.plans import LOOKUP_KEYS, offered_price, plan_cards
from typingtrainer.http import LearnerHttpRequest

from ..core import ApiError, PageQuery, api, paginate
from ..schemas import AUTH_ERRORS, ErrorOut, Page

DESCRIPTION = (
    "Premium through Stripe: the plans, a Checkout URL to subscribe, the customer portal to "
    "cancel (Premium then lasts to the end of the paid period) and your invoices. Stripe's "
    "webhook is not part of this API: Stripe posts its events to dj-stripe's endpoint on the "
    "site, /stripe/webhook/<uuid>/ (`manage.py setup_billing` creates it and prints its URL), "
    "which verifies the signature and keeps Premium current. When Stripe cannot be reached "
    "these endpoints answer 503 with Retry-After; on a site without billing, 503 too."
)
router: Router = Router(tags=["payments"])
# ninja's Router has no description of its own; the OpenAPI tag carries it.
api.openapi_extra.setdefault("tags", []).append({"name": "payments", "description": DESCRIPTION})

UNAVAILABLE = {503: ErrorOut}
RETRY = {"Retry-After": "60"}


class PlanOut(Schema):
    lookup_key: str = Field(..., description="What to send to /payments/subscribe as `plan`.")
    name: str
    price_id: str = Field(
        ..., description="The Stripe price Checkout charges; empty while the plan is not for sale."
    )
    amount: str = Field(..., description="As the site shows it, e.g. $8.00.")
    interval: str = Field(..., description="month or year")
    monthly_equivalent: str = Field(..., description="For a yearly price, e.g. $6.00; else empty.")


class SubscribeIn(Schema):
    plan: str = Field(..., max_length=64, description=" or ".join(LOOKUP_KEYS))


class CheckoutOut(Schema):
    checkout_url: str


class PortalOut(Schema):
    portal_url: str


class InvoiceOut(Schema):
    number: str
    date: datetime | None
    amount: str = Field(..., description="As the site shows it, e.g. $8.00.")
    status: str
    hosted_url: str | None
    pdf_url: str | None


@router.get(
    "/plans",
    auth=None,
    response={200: list[PlanOut], 400: ErrorOut, 429: ErrorOut},
    summary="The Premium plans and their prices",
)
def plans(request: HttpRequest) -> list[PlanOut]:
    return [PlanOut(**asdict(card)) for card in plan_cards()]


@router.post(
    "/subscribe",
    response={
        201: CheckoutOut,
        400: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        **UNAVAILABLE,
        **AUTH_ERRORS,
    },
    summary="Start a Checkout for a plan",
    description=(
        "Returns Stripe Checkout's URL: open it in a browser. Premium starts once Stripe's "
        "webhook confirms the payment (GET /users/me then says premium: true)."
    ),
)
def subscribe(request: LearnerHttpRequest, payload: SubscribeIn) -> Status[CheckoutOut]:
    _require_billing()
    price = offered_price(payload.plan)
    if price is None:
        message = f"Unknown plan: choose {' or '.join(LOOKUP_KEYS)}."
        raise ApiError(422, message, code="unknown_plan", fields={"plan": [message]})
    if plan_for(request.user).is_premium:
        raise ApiError(409, "You already have Premium.", code="already_premium")
    page = request.build_absolute_uri(reverse("billing:page"))
    try:
        url = start_checkout(user=request.user, price=price, **return_urls(page))
    except BillingUnavailable as exc:
        raise _stripe_down("nothing was charged") from exc
    return Status(201, CheckoutOut(checkout_url=url))


@router.post(
    "/cancel",
    response={200: PortalOut, 409: ErrorOut, **UNAVAILABLE, **AUTH_ERRORS},
    summary="Cancel (or change) your subscription in Stripe's portal",
    description=(
        "Returns the customer portal's URL, as the site's Manage subscription button opens it; "
        "cancelling there keeps Premium to the end of the paid period."
    ),
)
def cancel(request: HttpRequest) -> PortalOut:
    _require_billing()
    customer = customer_for(request.user)
    if customer is None or not plan_for(request.user).is_premium:
        raise ApiError(409, "You have no Premium subscription to cancel.", code="not_premium")
    page = request.build_absolute_uri(reverse("billing:page"))
    try:
        url = open_portal(customer=customer, return_url=page)
    except BillingUnavailable as exc:
        raise _stripe_down("nothing was changed") from exc
    return PortalOut(portal_url=url)


@router.get(
    "/invoices",
    response={200: Page[InvoiceOut], 422: ErrorOut, **AUTH_ERRORS},
    summary="Your invoices, newest first",
)
def invoices(request: HttpRequest, query: Query[PageQuery]) -> dict[str, object]:
    page = paginate(invoices_for(request.user), query)
    page["items"] = [InvoiceOut(**asdict(invoice_row(invoice))) for invoice in page["items"]]
    return page


def _require_billing() -> None:
    if not is_configured():
        raise ApiError(
            503, "Billing is not configured on this site yet.", code="billing_not_configured"
        )


def _stripe_down(consequence: str) -> ApiError:
    return ApiError(
        503,
        f"We could not reach Stripe, so {consequence}. Try again in a moment.",
        code="stripe_unavailable",
        headers=RETRY,
    )
