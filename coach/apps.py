from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoachConfig(AppConfig):
    name = "coach"
    verbose_name = _("Coach")

    def ready(self) -> None:
        from lessons import hooks

        # Register the tasks in every process, so that `lessons` can queue them by name.
        from . import tasks  # noqa: F401
        from .analysis import result_notes

        # The result card shows the session's keys and a tip on them (lessons knows not how).
        hooks.register_result_notes(result_notes)
