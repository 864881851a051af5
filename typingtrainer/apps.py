from __future__ import annotations

from django.apps import AppConfig


class TypingTrainerConfig(AppConfig):
    name = "typingtrainer"
    verbose_name = "Accounts"
