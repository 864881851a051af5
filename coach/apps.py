from __future__ import annotations

from django.apps import AppConfig


class CoachConfig(AppConfig):
    name = "coach"

    def ready(self) -> None:
        # Register the tasks in every process, so that `lessons` can queue them by name.
        from . import tasks  # noqa: F401
