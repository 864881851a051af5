"""Make Stripe and dj-stripe ready to sell Premium as the catalogue (billing/plans.py) says;
`manage.py setup_billing` runs these.

Each step finds what an earlier run created (by lookup key or by our metadata) before creating
anything, so running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import stripe
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from djstripe.enums import WebhookEndpointStatus
from djstripe.models import Account, Price, Product, WebhookEndpoint
from djstripe.settings import djstripe_settings

from .checkout import PORTAL_CONFIGURATION_CACHE_KEY, api_options
from .plans import (
    CURRENCY,
    LOOKUP_KEYS,
    METADATA,
    OFFERS,
    PREMIUM_FEATURES,
    PRODUCT_DESCRIPTION,
    PRODUCT_NAME,
    is_ours,
    matches,
)

# The events our receivers act on, plus catalogue changes so the plans page stays current.
WEBHOOK_EVENTS = (
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
    "price.created",
    "price.updated",
    "product.updated",
)


@dataclass
class Report:
    product: str = ""
    prices: dict[str, str] = field(default_factory=dict)  # lookup key → price id
    created: list[str] = field(default_factory=list)  # ids created by this run


def ensure_premium_prices() -> tuple[Product, list[Price], Report]:
    """Push the catalogue (billing/plans.py) to Stripe: the Premium product with its name,
    description and features, and one active price per offer at the catalogue's amount. A
    missing price is created; one whose amount, currency or interval no longer matches the
    catalogue is replaced (the lookup key moves to the new price, the old one is archived, and
    existing subscribers keep theirs). Everything is synced into dj-stripe."""
    report = Report()
    existing = {
        price.lookup_key: price
        for price in stripe.Price.list(
            lookup_keys=list(LOOKUP_KEYS),
            active=True,
            limit=len(LOOKUP_KEYS),
            **api_options(),
        ).auto_paging_iter()
    }
    product_id = next((_id_of(price.product) for price in existing.values()), None)
    if product_id is None:
        product_id = _find_or_create_product(report)
    report.product = product_id
    stale = []
    for offer in OFFERS:
        current = existing.get(offer.lookup_key)
        if current is not None and matches(offer, current.to_dict()):
            continue
        price = stripe.Price.create(
            product=product_id,
            currency=CURRENCY,
            unit_amount=offer.unit_amount,
            recurring={"interval": offer.interval},
            lookup_key=offer.lookup_key,
            transfer_lookup_key=current is not None,
            nickname=_english(offer.name),
            metadata=METADATA,
            **api_options(),
        )
        if current is not None:
            stale.append(stripe.Price.modify(current.id, active=False, **api_options()))
        existing[offer.lookup_key] = price
        report.created.append(price.id)
    product = Product.sync_from_stripe_data(
        _with_catalogue_details(stripe.Product.retrieve(product_id, **api_options())),
        api_key=settings.STRIPE_SECRET_KEY,
    )
    for price in stale:
        Price.sync_from_stripe_data(price, api_key=settings.STRIPE_SECRET_KEY)
    prices = [
        Price.sync_from_stripe_data(existing[key], api_key=settings.STRIPE_SECRET_KEY)
        for key in LOOKUP_KEYS
    ]
    report.prices = {str(price.lookup_key): price.id for price in prices}
    return product, prices, report


def _product_details() -> dict[str, Any]:
    """The product as the catalogue describes it, in English (Stripe shows it on Checkout)."""
    return {
        "name": PRODUCT_NAME,
        "description": PRODUCT_DESCRIPTION,
        "marketing_features": [{"name": _english(feature)} for feature in PREMIUM_FEATURES],
    }


def _with_catalogue_details(product: stripe.Product) -> stripe.Product:
    details = _product_details()
    found = product.to_dict()
    if all(found.get(key) == value for key, value in details.items()):
        return product
    return stripe.Product.modify(product.id, **details, **api_options())


def _english(text: object) -> str:
    with translation.override("en"):
        return str(text)


def _find_or_create_product(report: Report) -> str:
    for product in stripe.Product.list(
        active=True,
        limit=100,
        **api_options(),
    ).auto_paging_iter():
        if is_ours(product.to_dict().get("metadata")):
            return str(product.id)
    product = stripe.Product.create(**_product_details(), metadata=METADATA, **api_options())
    report.created.append(product.id)
    return str(product.id)


def ensure_portal_configuration(*, product: Product, prices: list[Price]) -> tuple[str, bool]:
    """A customer portal configuration where cancelling keeps Premium to the end of the paid
    period and learners can switch between our prices. Returns (id, created)."""
    for configuration in stripe.billing_portal.Configuration.list(
        active=True,
        limit=100,
        **api_options(),
    ).auto_paging_iter():
        if is_ours(configuration.to_dict().get("metadata")):
            return str(configuration.id), False
    configuration = stripe.billing_portal.Configuration.create(
        business_profile={"headline": PRODUCT_NAME},
        features={
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True},
            "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price"],
                "products": [{"product": product.id, "prices": [p.id for p in prices]}],
                "proration_behavior": "create_prorations",
            },
        },
        metadata=METADATA,
        **api_options(),
    )
    cache.delete(PORTAL_CONFIGURATION_CACHE_KEY)
    return str(configuration.id), True


def ensure_webhook_endpoint(*, base_url: str, secret: str = "") -> tuple[WebhookEndpoint, bool]:
    """dj-stripe's endpoint row for this site and mode (its URL carries the row's UUID).
    `secret` is the signing secret Stripe shows for the endpoint; empty keeps the stored one."""
    livemode = bool(settings.STRIPE_LIVE_MODE)
    endpoint_id = f"typingtrainer_{'live' if livemode else 'test'}"
    endpoint = WebhookEndpoint.objects.filter(id=endpoint_id).first()
    created = endpoint is None
    if endpoint is None:
        endpoint = WebhookEndpoint(
            id=endpoint_id,
            djstripe_uuid=uuid4(),
            livemode=livemode,
            api_version=djstripe_settings.STRIPE_API_VERSION,
            enabled_events=list(WEBHOOK_EVENTS),
            status=WebhookEndpointStatus.enabled,
            djstripe_owner_account=Account.get_or_retrieve_for_api_key(settings.STRIPE_SECRET_KEY),
        )
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    endpoint.url = base_url.rstrip("/") + path
    if secret:
        endpoint.secret = secret
    endpoint.save()
    return endpoint, created


def _id_of(value: object) -> str:
    return value if isinstance(value, str) else str(getattr(value, "id", ""))
