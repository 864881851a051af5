from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # Connect our receivers to dj-stripe's webhook signals (after dj-stripe's own handlers,
        # which sync the Stripe objects first: djstripe comes earlier in INSTALLED_APPS).
        from . import webhooks  # noqa: F401
