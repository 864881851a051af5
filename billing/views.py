from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from djstripe.models import Invoice

from typingtrainer.http import HtmxHttpRequest, render_fragment, wants_fragment

from .checkout import BillingUnavailable, customer_for, is_configured, open_portal, start_checkout
from .entitlements import plan_for
from .plans import money, offered_price, plan_cards

# The page polls while Stripe's webhook is on its way, every POLL_SECONDS, for at most
# MAX_POLLS times; after that it asks the learner to reload later.
POLL_SECONDS = 2
MAX_POLLS = 90
INVOICES_SHOWN = 24


@login_required
def billing_page(request: HtmxHttpRequest) -> HttpResponse:
    plan = plan_for(request.user)
    checkout = request.GET.get("checkout", "")
    polls = _bounded_int(request.GET.get("polls"), upper=MAX_POLLS)
    confirming = checkout == "success" and not plan.is_premium
    context: dict[str, Any] = {
        "configured": is_configured(),
        "plan": plan,
        "cards": plan_cards(),
        "checkout": checkout,
        "confirming": confirming,
        "keep_polling": confirming and polls < MAX_POLLS,
        "next_poll": polls + 1,
        "poll_seconds": POLL_SECONDS,
        "has_customer": customer_for(request.user) is not None,
    }
    if wants_fragment(request):  # the status poll
        return render_fragment(request, "billing/page.html", "status", context)
    context["invoices"] = _invoices(request)
    response = render(request, "billing/page.html", context)
    # The Upgrade and Manage forms end in a redirect to Stripe, which CSP form-action governs.
    response._csp_update = {"form-action": settings.STRIPE_HOSTED_ORIGINS}  # type: ignore[attr-defined]
    return response


@login_required
@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    if not is_configured():
        messages.error(request, "Billing is not configured on this site yet.")
        return redirect("billing:page")
    price = offered_price(request.POST.get("plan", ""))
    if price is None:
        return HttpResponseBadRequest(
            "Unknown plan: choose Premium monthly or Premium yearly on the Premium page.",
            content_type="text/plain; charset=utf-8",
        )
    if plan_for(request.user).is_premium:
        messages.info(request, "You already have Premium. Manage your subscription below.")
        return redirect("billing:page")
    page = request.build_absolute_uri(reverse("billing:page"))
    try:
        url = start_checkout(
            user=request.user,  # type: ignore[arg-type]
            price=price,
            success_url=f"{page}?checkout=success",
            cancel_url=f"{page}?checkout=cancelled",
        )
    except BillingUnavailable:
        messages.error(request, "We could not reach Stripe, so nothing was charged. Try again.")
        return redirect("billing:page")
    return _see_other(url)


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    if not is_configured():
        messages.error(request, "Billing is not configured on this site yet.")
        return redirect("billing:page")
    customer = customer_for(request.user)
    if customer is None:
        messages.info(request, "You have no subscription to manage yet.")
        return redirect("billing:page")
    try:
        url = open_portal(
            customer=customer, return_url=request.build_absolute_uri(reverse("billing:page"))
        )
    except BillingUnavailable:
        messages.error(request, "We could not reach Stripe. Try again in a moment.")
        return redirect("billing:page")
    return _see_other(url)


def premium_required(request: HttpRequest, *, lesson: object) -> HttpResponse:
    """The 403 page for a Premium lesson opened without Premium (for the views that gate)."""
    return render(request, "billing/premium_required.html", {"lesson": lesson}, status=403)


def _invoices(request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    invoices = Invoice.objects.filter(
        customer__subscriber_id=request.user.pk, livemode=settings.STRIPE_LIVE_MODE
    ).order_by("-created", "-djstripe_id")[:INVOICES_SHOWN]
    for invoice in invoices:
        data = invoice.stripe_data
        currency = str(data.get("currency") or "usd")
        rows.append(
            {
                "number": data.get("number") or invoice.id,
                "date": invoice.created,
                "amount": money(int(data.get("total") or data.get("amount_due") or 0), currency),
                "status": str(data.get("status") or "").replace("_", " "),
                "hosted_url": _https_or_none(data.get("hosted_invoice_url")),
                "pdf_url": _https_or_none(data.get("invoice_pdf")),
            }
        )
    return rows


def _https_or_none(url: object) -> str | None:
    # Links come from Stripe; only ever render web addresses.
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url
    return None


def _bounded_int(value: str | None, *, upper: int) -> int:
    try:
        return min(max(int(value or 0), 0), upper)
    except ValueError:
        return 0


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
