from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from typingtrainer.http import HtmxHttpRequest, render_fragment, wants_fragment

from .checkout import (
    BillingUnavailable,
    customer_for,
    is_configured,
    open_portal,
    return_urls,
    start_checkout,
)
from .entitlements import plan_for
from .invoices import invoice_row, invoices_for
from .plans import CURRENCY, lowest_monthly_price, money, offered_price, plan_cards

# The page polls while Stripe's webhook is on its way, every POLL_SECONDS, for at most
# MAX_POLLS times; after that it asks the learner to reload later.
POLL_SECONDS = 2
MAX_POLLS = 90
INVOICES_SHOWN = 24
PAYMENTS_OFF = _lazy("Payments are not switched on yet, so nothing was charged.")


def _plans_context(request: HttpRequest) -> dict[str, Any]:
    """What templates/billing/_plans.html shows: the catalogue's plans with their prices."""
    return {
        "configured": is_configured(),
        "plan": plan_for(request.user),
        "cards": plan_cards(),
        "free_amount": money(0, CURRENCY),
    }


def pricing(request: HttpRequest) -> HttpResponse:
    """The plans, their prices and what Premium includes, for everyone, with or without Stripe."""
    context = {**_plans_context(request), "manage_link": True}
    response = render(request, "billing/pricing.html", context)
    # The Upgrade forms end in a redirect to Stripe, which CSP form-action governs.
    response._csp_update = {"form-action": settings.STRIPE_HOSTED_ORIGINS}  # type: ignore[attr-defined]
    return response


def billing_page(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        # A visitor has no subscription here yet: what there is to buy is on the pricing page.
        return redirect("pricing")
    plan = plan_for(request.user)
    checkout = request.GET.get("checkout", "")
    polls = _bounded_int(request.GET.get("polls"), upper=MAX_POLLS)
    confirming = checkout == "success" and not plan.is_premium
    context: dict[str, Any] = {
        **_plans_context(request),
        "checkout": checkout,
        "confirming": confirming,
        "keep_polling": confirming and polls < MAX_POLLS,
        "next_poll": polls + 1,
        "poll_seconds": POLL_SECONDS,
        "has_customer": customer_for(request.user) is not None,
    }
    if wants_fragment(request):  # the status poll
        return render_fragment(request, "billing/page.html", "status", context)
    context["invoices"] = [
        invoice_row(invoice) for invoice in invoices_for(request.user)[:INVOICES_SHOWN]
    ]
    response = render(request, "billing/page.html", context)
    # The Upgrade and Manage forms end in a redirect to Stripe, which CSP form-action governs.
    response._csp_update = {"form-action": settings.STRIPE_HOSTED_ORIGINS}  # type: ignore[attr-defined]
    return response


@login_required
@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    if not is_configured():
        messages.error(request, PAYMENTS_OFF)
        return redirect("pricing")
    price = offered_price(request.POST.get("plan", ""))
    if price is None:
        return HttpResponseBadRequest(
            _("Unknown plan: choose Premium monthly or Premium yearly on the Premium page."),
            content_type="text/plain; charset=utf-8",
        )
    if plan_for(request.user).is_premium:
        messages.info(request, _("You already have Premium. Manage your subscription below."))
        return redirect("billing:page")
    page = request.build_absolute_uri(reverse("billing:page"))
    try:
        url = start_checkout(
            user=request.user,  # type: ignore[arg-type]
            price=price,
            **return_urls(page),
        )
    except BillingUnavailable:
        messages.error(request, _("We could not reach Stripe, so nothing was charged. Try again."))
        return redirect("billing:page")
    return _see_other(url)


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    if not is_configured():
        messages.error(request, PAYMENTS_OFF)
        return redirect("pricing")
    customer = customer_for(request.user)
    if customer is None:
        messages.info(request, _("You have no subscription to manage yet."))
        return redirect("billing:page")
    try:
        url = open_portal(
            customer=customer, return_url=request.build_absolute_uri(reverse("billing:page"))
        )
    except BillingUnavailable:
        messages.error(request, _("We could not reach Stripe. Try again in a moment."))
        return redirect("billing:page")
    return _see_other(url)


def premium_required(request: HttpRequest, *, lesson: object) -> HttpResponse:
    """The 403 page for a Premium lesson opened without Premium (for the views that gate)."""
    context = {"lesson": lesson, "from_price": lowest_monthly_price()}
    return render(request, "billing/premium_required.html", context, status=403)


def _bounded_int(value: str | None, *, upper: int) -> int:
    try:
        return min(max(int(value or 0), 0), upper)
    except ValueError:
        return 0


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
