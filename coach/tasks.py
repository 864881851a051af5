from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from lessons.attempts import queue_analysis
from lessons.models import PracticeSession

from .coaching import analyze

log = logging.getLogger(__name__)
SWEEP_AFTER = timedelta(minutes=2)


@shared_task(
    name="coach.tasks.analyze_session",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def analyze_session(session_id: str) -> bool:
    """Analyse the learner after a completed session. Safe to run twice: one report a session."""
    session = PracticeSession.objects.select_related("user").filter(pk=session_id).first()
    return session is not None and analyze(session) is not None


@shared_task(name="coach.tasks.sweep_unqueued_sessions")
def sweep_unqueued_sessions() -> int:
    """Queue analysis for completed sessions whose queueing failed (broker down at the time)."""
    cutoff = timezone.now() - SWEEP_AFTER
    pending = list(
        PracticeSession.objects.completed()
        .filter(analysis_queued_at=None, completed_at__lt=cutoff)
        .values_list("pk", flat=True)[:500]
    )
    for session_id in pending:
        queue_analysis(session_id)
    if pending:
        log.info("Queued analysis for %d sessions the broker missed", len(pending))
    return len(pending)
