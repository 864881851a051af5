"""What we sell: one Premium product with a monthly and a yearly price. The catalogue below is
the one source of names, prices and features; Stripe's copy is found by lookup key and read from
dj-stripe's synced Price rows (no Stripe call while rendering a page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djstripe.models import Price

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- The catalogue: the one place that says what we sell and for how much. ---
# The pricing page, the billing page and the API show it; `setup_billing` pushes it to Stripe
# (product name, description and features, one price per offer), whose synced prices Checkout
# then charges. Change a price here and run setup_billing again.

PRODUCT_NAME = "TypingTrainer Premium"
PRODUCT_DESCRIPTION = "Every course and lesson, unlimited coach exercises and chat with the coach."
# Marks the product and the portal configuration we created, so setup_billing finds them again.
METADATA = {"typingtrainer": "premium"}
CURRENCY = "usd"

# What Premium includes, as the pages list it and as Stripe's product shows it.
PREMIUM_FEATURES = (
    _("Every Premium course, such as typing real Python code"),
    _("The advanced lessons at the end of every course"),
    _("Unlimited coach exercises aimed at your weak keys"),
    _("Chat with your coach about your typing"),
    _("Cancel any time: Premium stays on until the end of the period you paid for"),
)
FREE_FEATURES = (
    _("The free courses, and the first lesson of every course"),
    _("Statistics, history and your keyboard heatmap"),
    _("Coach recommendations and a few exercises"),
)

INTERVAL_NAMES = {
    "month": pgettext_lazy("billing interval", "month"),
    "year": pgettext_lazy("billing interval", "year"),
}


def is_ours(metadata: Mapping[str, Any] | None) -> bool:
    return metadata is not None and all(metadata.get(k) == v for k, v in METADATA.items())


@dataclass(frozen=True)
class Offer:
    lookup_key: str
    name: StrOrPromise
    unit_amount: int  # in the currency's smallest unit (cents)
    interval: str  # Stripe's recurring interval: "month" or "year"


# Names in English for Stripe; shown to learners translated (PlanCard.label).
OFFERS = (
    Offer("premium_monthly", _("Premium monthly"), 800, "month"),
    Offer("premium_yearly", _("Premium yearly"), 7200, "year"),
)
LOOKUP_KEYS = tuple(offer.lookup_key for offer in OFFERS)


def offer_named(lookup_key: str) -> Offer | None:
    return next((offer for offer in OFFERS if offer.lookup_key == lookup_key), None)


def matches(offer: Offer, price: Mapping[str, Any]) -> bool:
    """Whether a Stripe price (its data) charges what the catalogue says for the offer."""
    recurring = price.get("recurring") or {}
    return (
        price.get("unit_amount") == offer.unit_amount
        and str(price.get("currency") or "").lower() == CURRENCY
        and recurring.get("interval") == offer.interval
        and int(recurring.get("interval_count") or 1) == 1
    )


@dataclass(frozen=True)
class PlanCard:
    lookup_key: str
    name: str
    price_id: str  # the synced Stripe price Checkout charges; empty while none is for sale
    amount: str  # "$8.00"
    interval: str  # "month"
    monthly_equivalent: str  # "$6.00" for the yearly price, else ""

    @property
    def interval_name(self) -> str:
        return str(INTERVAL_NAMES.get(self.interval, self.interval))

    @property
    def label(self) -> str:
        """The plan's name in the learner's language (translated when the card was made)."""
        return self.name


def offered_prices() -> list[Price]:
    """Active synced prices for our lookup keys, in the order of OFFERS."""
    prices = {
        price.lookup_key: price
        for price in Price.objects.filter(
            lookup_key__in=LOOKUP_KEYS, active=True, livemode=settings.STRIPE_LIVE_MODE
        )
    }
    return [prices[key] for key in LOOKUP_KEYS if key in prices]


def offered_price(lookup_key: str) -> Price | None:
    return next((price for price in offered_prices() if price.lookup_key == lookup_key), None)


def plan_cards() -> list[PlanCard]:
    """Every offer of the catalogue with its price, always (also without Stripe keys). An offer
    whose Stripe price is synced shows that price, which is what Checkout charges; setup_billing
    keeps it equal to the catalogue's."""
    from .checkout import is_configured  # checkout reads this module's METADATA

    synced = {price.lookup_key: price for price in offered_prices()} if is_configured() else {}
    cards = []
    for offer in OFFERS:
        price = synced.get(offer.lookup_key)
        amount, currency, interval = offer.unit_amount, CURRENCY, offer.interval
        if price is not None:
            data = price.stripe_data
            amount = int(data.get("unit_amount") or 0)
            currency = str(data.get("currency") or CURRENCY)
            interval = str((data.get("recurring") or {}).get("interval") or interval)
        cards.append(
            PlanCard(
                lookup_key=offer.lookup_key,
                name=str(offer.name),
                price_id=price.id if price is not None else "",
                amount=money(amount, currency),
                interval=interval,
                monthly_equivalent=money(amount // 12, currency) if interval == "year" else "",
            )
        )
    return cards


def lowest_monthly_price() -> str:
    """What Premium costs a month at the least, from the catalogue: "$6.00"."""
    per_month = [offer.unit_amount // (12 if offer.interval == "year" else 1) for offer in OFFERS]
    return money(min(per_month), CURRENCY)


SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk"}


def money(amount: int, currency: str) -> str:
    """An amount in the currency's smallest unit, for people: 800, "usd" → "$8.00"."""
    currency = currency.lower()
    value = f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"
