from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lessons.models import PracticeSession

from . import exercises
from .analysis import Finding


class Report(models.Model):
    """The coach's analysis after a session: ranked findings, and advice in plain words."""

    class Source(models.TextChoices):
        BUILT_IN = "built-in", _("Built-in coach")
        LLM = "llm", _("LLM coach")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach_reports"
    )
    session = models.OneToOneField(
        PracticeSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="report"
    )
    findings = models.JSONField(default=list)
    advice = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BUILT_IN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"report for {self.user} at {self.created_at:%Y-%m-%d %H:%M}"

    def finding_list(self) -> list[Finding]:
        return [Finding.from_dict(data) for data in self.findings]


class Exercise(models.Model):
    """A generated text of real words, practised like a lesson: aimed at the learner's weak
    keys, the keys they chose, the home row, or a warm-up of common words."""

    class Purpose(models.TextChoices):
        WEAK_KEYS = exercises.WEAK_KEYS, _("Weak keys")
        SLOW_PAIRS = exercises.SLOW_PAIRS, _("Slow pairs")
        HOME_ROW = exercises.HOME_ROW, _("Home row")
        CHOSEN_KEYS = exercises.CHOSEN_KEYS, _("Chosen keys")
        WARM_UP = exercises.WARM_UP, _("Warm-up")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach_exercises"
    )
    title = models.CharField(max_length=120)
    text = models.TextField()
    focus_keys = models.CharField(max_length=40, blank=True)
    focus_bigrams = models.CharField(max_length=80, blank=True)
    purpose = models.CharField(
        max_length=12,
        choices=Purpose.choices,
        default=Purpose.CHOSEN_KEYS,
        help_text=_("What the exercise trains; its title and page say so."),
    )
    source = models.CharField(max_length=10, default="built-in")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class ChatMessage(models.Model):
    class Role(models.TextChoices):
        LEARNER = "user", _("You")
        COACH = "assistant", _("Coach")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach_messages"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.text[:40]}"
