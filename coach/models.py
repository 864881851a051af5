from __future__ import annotations

from django.db import models

from lessons.models import PracticeSession


class SessionReport(models.Model):
    """The coach's analysis of one completed session."""

    session = models.OneToOneField(PracticeSession, on_delete=models.CASCADE, related_name="report")
    findings = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"report on {self.session_id}"
