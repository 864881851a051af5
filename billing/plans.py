"""What we sell: one Premium product with a monthly and a yearly price, found in Stripe by lookup
key and shown from dj-stripe's synced Price rows (no Stripe call while rendering a page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_noop
from djstripe.models import Price

PRODUCT_NAME = "TypingTrainer Premium"
# Marks the product and the portal configuration we created, so setup_billing finds them again.
METADATA = {"typingtrainer": "premium"}
CURRENCY = "usd"


def is_ours(metadata: Mapping[str, Any] | None) -> bool:
    return metadata is not None and all(metadata.get(k) == v for k, v in METADATA.items())


@dataclass(frozen=True)
class Offer:
    lookup_key: str
    name: str
    unit_amount: int  # in cents
    interval: str  # Stripe's recurring interval: "month" or "year"


# Names in English for Stripe; shown to learners translated (PlanCard.label).
OFFERS = (
    Offer("premium_monthly", gettext_noop("Premium monthly"), 800, "month"),
    Offer("premium_yearly", gettext_noop("Premium yearly"), 7200, "year"),
)
LOOKUP_KEYS = tuple(offer.lookup_key for offer in OFFERS)


@dataclass(frozen=True)
class PlanCard:
    lookup_key: str
    name: str
    price_id: str
    amount: str  # "$8.00"
    interval: str  # "month"
    monthly_equivalent: str  # "$6.00" for the yearly price, else ""

    @property
    def label(self) -> str:
        """The plan's name in the learner's language."""
        return gettext(self.name)


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
    cards = []
    names = {offer.lookup_key: offer.name for offer in OFFERS}
    for price in offered_prices():
        data = price.stripe_data
        amount = int(data.get("unit_amount") or 0)
        currency = str(data.get("currency") or CURRENCY)
        interval = str((data.get("recurring") or {}).get("interval") or "")
        cards.append(
            PlanCard(
                lookup_key=price.lookup_key or "",
                name=names.get(price.lookup_key or "", price.nickname or "Premium"),
                price_id=price.id,
                amount=money(amount, currency),
                interval=interval,
                monthly_equivalent=money(amount // 12, currency) if interval == "year" else "",
            )
        )
    return cards


SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk"}


def money(amount: int, currency: str) -> str:
    """An amount in the currency's smallest unit, for people: 800, "usd" → "$8.00"."""
    currency = currency.lower()
    value = f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"
