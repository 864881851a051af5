from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from lessons import hooks

        # Register the tasks in every process, so that beat's schedule finds them by name.
        from . import tasks  # noqa: F401
        from .recording import recorder

        # Counted completions add to the statistics (lessons knows nothing of them).
        hooks.register(recorder)
