from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .weekly import send_due_weekly_emails


@shared_task(name="stats.tasks.send_weekly_progress_emails")
def send_weekly_progress_emails() -> int:
    """Hourly: the weekly email for learners for whom it is now Monday morning."""
    return send_due_weekly_emails(timezone.now())
