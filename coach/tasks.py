from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import IntegrityError
from django.utils import timezone

from lessons import scoring
from lessons.attempts import queue_analysis
from lessons.models import PracticeSession

from .analysis import session_findings
from .models import SessionReport

log = logging.getLogger(__name__)
SWEEP_AFTER = timedelta(minutes=2)


@shared_task(
    name="coach.tasks.analyze_session",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def analyze_session(session_id: str) -> bool:
    """Analyse a completed session into a report. Safe to run twice: the report is made once."""
    session = PracticeSession.objects.counted().filter(pk=session_id).first()
    if session is None or SessionReport.objects.filter(session=session).exists():
        return False
    keys = [
        scoring.Keystroke(*key)
        for batch in session.batches.order_by("seq").values_list("keys", flat=True)
        for key in batch
    ]
    replay = scoring.replay(session.text, keys, skip_indent=session.skip_indent)
    findings = session_findings(
        replay.events,
        wpm=session.wpm or 0,
        accuracy=session.accuracy or 0,
        target_wpm=session.target_wpm,
    )
    try:
        SessionReport.objects.create(
            session=session, findings=[finding.as_dict() for finding in findings]
        )
    except IntegrityError:
        return False  # a concurrent run made it first
    return True


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
