"""Deleting a learner's account: the one workflow the settings page and the API both run."""

from __future__ import annotations

from billing.closing import close_billing

from .models import User


def delete_account(*, user: User) -> None:
    """Delete the account and everything that belongs to it (sessions, keystrokes, progress,
    statistics, achievements, email addresses: they all cascade), and its avatar file. A Premium
    subscription is ended at Stripe first: when Stripe cannot be reached this raises
    billing.checkout.BillingUnavailable and nothing is deleted."""
    close_billing(user)  # first: a subscription must never outlive its account
    avatar = user.avatar.name
    storage = user.avatar.storage
    user.delete()
    if avatar:
        storage.delete(avatar)
