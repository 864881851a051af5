from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from lessons.attempts import queue_analysis
from lessons.models import PracticeSession

from .coaching import analyze
from .models import Report

log = logging.getLogger(__name__)

# A completion whose queueing failed (broker down) is queued by the sweep after this long; the
# wait only leaves room for the completion's own after-commit queueing.
SWEEP_AFTER = timedelta(minutes=1)
# An analysis queued this long ago without a report is queued again: its message was lost (a
# Redis broker keeps a dead worker's message for its 3,600 s visibility timeout; a broker crash
# can drop an unconfirmed one). On RabbitMQ a dead worker's message comes back at once, so this
# is the safety net. An analysis takes under a second with the built-in coach and about 10 s at
# worst with the LLM (two 4 s attempts, then the built-in advice); retries on OSError back off
# 1 + 2 + 4 + 8 + 16 s. A minute is past all of that, so a live task is rarely doubled, and a
# doubled one finds its report and does nothing.
REQUEUE_AFTER = timedelta(minutes=1)
# After this the sweep leaves a session alone: the analysis reads the learner's aggregates, so
# the report of their next session covers what this one would have said.
SWEEP_WINDOW = timedelta(days=1)
SWEEP_BATCH = 500


@shared_task(
    name="coach.tasks.analyze_session",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def analyze_session(session_id: str) -> bool:
    """Analyse the learner after a completed session. Safe to run twice: one report a session."""
    if Report.objects.filter(session__pk=session_id).exists():
        return False  # redelivered or re-queued after the report was written: nothing to do
    session = PracticeSession.objects.select_related("user").filter(pk=session_id).first()
    return session is not None and analyze(session) is not None


def awaiting_analysis(now: datetime | None = None) -> QuerySet[PracticeSession]:
    """Completed sessions that get a report and have none yet, within the sweep's window (older
    ones are left alone, see SWEEP_WINDOW): what the sweep looks at, and whose oldest the
    metrics report (tt_analysis_oldest_unfinished_age_seconds)."""
    now = now or timezone.now()
    return PracticeSession.objects.counted().filter(  # flagged and guest sessions get no report
        user__isnull=False, report__isnull=True, completed_at__gte=now - SWEEP_WINDOW
    )


@shared_task(name="coach.tasks.sweep_unqueued_sessions")
def sweep_unqueued_sessions() -> int:
    """Queue the analyses that are due and not done: never queued (the broker was down at
    completion), or queued and lost (the worker died, the message was dropped).

    Each re-queue stamps `analysis_queued_at` again, and a session is due again only once it has
    waited as long as it had already waited when last queued: re-queues come 1, 2, 4, 8 ...
    minutes after completion (about ten in the window), so a stopped worker or a long queue
    costs a few duplicate messages per session, never a storm.
    """
    now = timezone.now()
    due_again_at = ExpressionWrapper(
        F("analysis_queued_at") + (F("analysis_queued_at") - F("completed_at")),
        output_field=DateTimeField(),
    )
    due = (
        awaiting_analysis(now)
        .alias(due_again=due_again_at)
        .filter(
            Q(analysis_queued_at=None, completed_at__lt=now - SWEEP_AFTER)
            | Q(analysis_queued_at__lt=now - REQUEUE_AFTER, due_again__lt=now)
        )
        .order_by("completed_at")
        .values_list("pk", "analysis_queued_at")[:SWEEP_BATCH]
    )
    pending = list(due)
    for session_id, _ in pending:
        queue_analysis(session_id)
    missed = sum(1 for _, queued_at in pending if queued_at is None)
    if missed:
        log.info("Queued analysis for %d sessions the broker missed", missed)
    if len(pending) > missed:
        log.warning(
            "Queued analysis again for %d sessions queued over %d s ago and still not done",
            len(pending) - missed,
            REQUEUE_AFTER.total_seconds(),
        )
    return len(pending)


def request_analysis(user: Any) -> Report | PracticeSession | None:
    """What the coach page shows after a session, on request: the report of the learner's
    latest counted session if it is written; else that session, with its analysis queued
    again when the queued one looks lost (as the sweep would); None before any session."""
    latest = PracticeSession.objects.counted().filter(user=user).order_by("-completed_at").first()
    if latest is None:
        return None
    report = Report.objects.filter(session=latest).first()
    if report is not None:
        return report
    queued_at = latest.analysis_queued_at
    if queued_at is None or queued_at < timezone.now() - REQUEUE_AFTER:
        queue_analysis(latest.pk)
        latest.refresh_from_db(fields=["analysis_queued_at"])
        # An eager worker (tests, a broker-less setup) has written it already.
        report = Report.objects.filter(session=latest).first()
    return report or latest
