"""Stop a learner's billing before their account is deleted."""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from djstripe.models import Customer

from .checkout import BillingUnavailable, is_configured

logger = logging.getLogger(__name__)


def close_billing(user: AbstractBaseUser) -> None:
    """Delete the learner's Stripe customers (in the current mode), which ends their
    subscriptions at once, so nothing is charged again, and removes their details from Stripe.
    dj-stripe keeps each as a purged record, no longer linked to the learner. Raises
    BillingUnavailable, and the account must then stay, when Stripe cannot be reached or
    refuses."""
    customers = list(
        Customer.objects.filter(
            subscriber_id=user.pk, livemode=settings.STRIPE_LIVE_MODE, date_purged__isnull=True
        )
    )
    if customers and not is_configured():
        raise BillingUnavailable("billing is not configured, so Stripe cannot be told")
    for customer in customers:
        try:
            customer.purge()  # "No such customer" (deleted in Stripe already) is not an error
        except stripe.StripeError as exc:
            logger.warning("billing: deleting customer %s failed: %s", customer.id, exc)
            raise BillingUnavailable(str(exc)) from exc
