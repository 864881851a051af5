"""The practice protocol's rules, shared by the widget's endpoints (lessons.views) and the JSON
API (api.routers.lessons) so both refuse and answer alike: the limits a minute, the cap on open
sessions, the pace bound on batches, completing (once more when the database dropped the
connection mid-transaction) and the figures of the result."""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from typingtrainer.postgresql.base import connection_lost
from typingtrainer.ratelimit import retry_after, wait_phrase

from . import tokens
from .attempts import Outcome, complete_session
from .models import PracticeSession


class Limited(Exception):
    """Over a limit (HTTP 429): the request may be sent again in `wait` seconds."""

    def __init__(self, message: str, wait: int) -> None:
        super().__init__(message)
        self.wait = wait


def check_rate(who: Any, action: str) -> None:
    """Per learner (or visitor) and minute; generous for any human, the widget retries 429."""
    limit = settings.WIDGET_RATE_LIMITS[action]
    wait = retry_after(f"{action}:{who}", limit=limit)
    if wait:
        raise Limited(
            _("Too many requests: at most %(limit)d a minute. Try again in %(wait)s.")
            % {"limit": limit, "wait": wait_phrase(wait)},
            wait,
        )


def check_open_sessions(*, user: Any, guest_key: str) -> None:
    """Limited when the learner (or visitor) already has PRACTICE_MAX_OPEN_SESSIONS open:
    started, not completed, and started within the token's lifetime and renewal grace."""
    if not guest_key and not user.is_authenticated:
        return  # a first visit has no sessions
    cap = settings.PRACTICE_MAX_OPEN_SESSIONS
    window = timedelta(seconds=tokens.lifetime() + tokens.grace())
    since = timezone.now() - window
    owned = (
        PracticeSession.objects.filter(user=user)
        if user.is_authenticated
        else PracticeSession.objects.filter(user=None, guest_key=guest_key)
    )
    starts = list(
        owned.filter(status=PracticeSession.Status.STARTED, started_at__gte=since)
        .order_by("-started_at")
        .values_list("started_at", flat=True)[:cap]
    )
    if len(starts) < cap:
        return
    wait = max(1, math.ceil((starts[-1] + window - timezone.now()).total_seconds()))
    raise Limited(
        _(
            "You have %(cap)d practice sessions open at once, the most there may be: finish one "
            "or try again in %(wait)s."
        )
        % {"cap": cap, "wait": wait_phrase(wait)},
        wait,
    )


def pace_wait(seq: Any, token: tokens.Token) -> int:
    """Seconds until batch `seq` is within the session's pace bound (0: it is now, or `seq`
    is no number, which store_batch refuses)."""
    if not isinstance(seq, int) or isinstance(seq, bool):
        return 0
    allowed_at = (seq - settings.PRACTICE_BATCH_BURST) / settings.PRACTICE_BATCHES_PER_SECOND
    wait = token.started + allowed_at - time.time()
    return math.ceil(wait) if wait > 0 else 0


def check_pace(seq: Any, token: tokens.Token) -> None:
    if wait := pace_wait(seq, token):
        raise Limited(
            _("Batch %(seq)s arrived faster than anyone types; send it again in %(wait)s.")
            % {"seq": seq, "wait": wait_phrase(wait)},
            wait,
        )


def complete(*, session: PracticeSession, batches: Any) -> Outcome:
    """`complete_session`, run once more when the database ended the connection mid-transaction
    (a restart, a failover): it rolled the transaction back, and completing is idempotent."""
    try:
        return complete_session(session=session, batches=batches)
    except OperationalError as exc:
        if not connection_lost(exc):
            raise
        connection.close()
        return complete_session(session=session, batches=batches)


def result_figures(outcome: Outcome) -> dict[str, Any]:
    """The result as the widget's JSON and the API give it: every figure from the Outcome."""
    session = outcome.session
    following = outcome.next_lesson
    return {
        "wpm": session.wpm,
        "raw_wpm": session.raw_wpm,
        "accuracy": session.accuracy,
        "errors": session.errors,
        "keystrokes": session.keystrokes,
        "duration_ms": session.duration_ms,
        "rating": session.rating,
        "flagged": session.flagged,
        "improvement": session.improvement,
        "achievements": [
            {"code": a.code, "name": str(a.name), "description": str(a.description)}
            for a in outcome.achievements
        ],
        "next_lesson": None
        if following is None
        else {
            "id": following.pk,
            "title": following.title,
            "url": following.get_absolute_url(),
            "unlocked": outcome.next_open,
        },
    }
