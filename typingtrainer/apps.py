from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TypingTrainerConfig(AppConfig):
    name = "typingtrainer"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Here rather than in the settings module: settings_production imports the base
        # settings, so only now is SENTRY_ENVIRONMENT final. Web (wsgi), worker and beat (the
        # Celery Django fixup) all set Django up before they handle anything.
        from . import requestlog  # noqa: F401  (connects its request_started receiver)
        from .sentry import init_from_settings

        init_from_settings()
