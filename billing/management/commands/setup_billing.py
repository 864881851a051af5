from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.checkout import is_configured
from billing.plans import money
from billing.setup import (
    WEBHOOK_EVENTS,
    ensure_portal_configuration,
    ensure_premium_prices,
    ensure_webhook_endpoint,
)


class Command(BaseCommand):
    help = (
        "Push the plan catalogue (billing/plans.py) to Stripe: the Premium product and one price "
        "per plan, created or replaced where they differ; sync them into dj-stripe, "
        "set up the customer portal and the webhook endpoint, and print the URL to register "
        "with Stripe. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL,
            help="Public address of the site for the webhook URL (default: SITE_URL).",
        )
        parser.add_argument(
            "--webhook-secret",
            default=settings.STRIPE_WEBHOOK_SECRET,
            help="The endpoint's signing secret from Stripe (default: STRIPE_WEBHOOK_SECRET).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not is_configured():
            raise CommandError("Billing is not configured: set STRIPE_SECRET_KEY first.")
        secret = options["webhook_secret"] or ""
        if secret and not secret.startswith("whsec_"):
            raise CommandError("The webhook signing secret starts with whsec_.")
        mode = "live" if settings.STRIPE_LIVE_MODE else "test"
        self.stdout.write(f"Stripe {mode} mode.")
        try:
            product, prices, report = ensure_premium_prices()
            portal_id, portal_created = ensure_portal_configuration(product=product, prices=prices)
            endpoint, endpoint_created = ensure_webhook_endpoint(
                base_url=options["base_url"], secret=secret
            )
        except stripe.StripeError as exc:
            raise CommandError(f"Stripe refused the request: {exc.user_message or exc}") from exc

        def state(created: bool) -> str:
            return "created" if created else "already there"

        self.stdout.write(
            f"Product {product.name}: {product.id} ({state(product.id in report.created)})"
        )
        for price in prices:
            data = price.stripe_data
            amount = money(int(data.get("unit_amount") or 0), str(data.get("currency") or ""))
            interval = (data.get("recurring") or {}).get("interval", "")
            self.stdout.write(
                f"Price {price.lookup_key}: {price.id}, {amount} per {interval} "
                f"({state(price.id in report.created)})"
            )
        self.stdout.write(f"Customer portal configuration: {portal_id} ({state(portal_created)})")
        self.stdout.write(f"Webhook endpoint ({state(endpoint_created)}): {endpoint.url}")
        self.stdout.write(
            "Register this URL in the Stripe dashboard (Developers → Webhooks) with the events: "
            + ", ".join(WEBHOOK_EVENTS)
        )
        if endpoint.secret:
            self.stdout.write(self.style.SUCCESS("The webhook signing secret is stored."))
        else:
            self.stdout.write(
                self.style.WARNING(
                    "No signing secret yet: set STRIPE_WEBHOOK_SECRET to the endpoint's signing "
                    "secret (whsec_…) and run setup_billing again. Until then webhooks fail."
                )
            )
