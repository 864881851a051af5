"""The practice-session workflow (DESIGN §3): start, store batches, complete, hand a guest's
sessions over to their new account."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Field, OuterRef, Q, Subquery
from django.http import HttpRequest
from django.utils import timezone

from courses.models import Lesson
from stats.aggregates import local_date, streak_ending
from stats.models import DailyStat
from stats.recording import record_session
from typingtrainer.celery import app as celery_app

from . import scoring
from .access import UNLOCK_RATING, next_lesson
from .achievements import CATALOGUE, STREAK_DAYS, Achievement, Facts, earned
from .models import EarnedAchievement, KeystrokeBatch, LessonProgress, PracticeSession

log = logging.getLogger(__name__)

GUEST_KEY = "guest_key"
ANALYSIS_TASK = "coach.tasks.analyze_session"


class Conflict(Exception):
    """The request contradicts what is stored (HTTP 409). `missing` lists absent batches."""

    def __init__(self, message: str, missing: list[int] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or []


class Unscorable(Exception):
    """The keystrokes cannot be scored (HTTP 422); nothing was changed."""


@dataclass(frozen=True)
class Outcome:
    session: PracticeSession
    achievements: list[Achievement]
    next_lesson: Lesson | None
    next_open: bool


def start_session(
    *,
    lesson: Lesson | None,
    user: Any,
    guest_key: str = "",
    text: str = "",
    target_wpm: int = 0,
) -> PracticeSession:
    """A session on a lesson, or (lesson None) on a text of its own such as a coach exercise."""
    return PracticeSession.objects.create(
        user=user if user.is_authenticated else None,
        guest_key="" if user.is_authenticated else guest_key,
        lesson=lesson,
        text=lesson.text if lesson else text,
        skip_indent=lesson.course.is_code if lesson else False,
        target_wpm=lesson.target_wpm if lesson else target_wpm,
    )


class Forbidden(Exception):
    """The session's owner may not write to it (HTTP 403): their account is deactivated."""


class NotFound(Exception):
    """No such session (HTTP 404)."""


@dataclass(frozen=True)
class SessionText:
    text: str
    skip_indent: bool


class _TextCache:
    """Per worker, bounded, least recently used: a session's text and skip_indent, which are
    a snapshot taken at start and never change, so a batch after the first costs no query."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, SessionText] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str) -> SessionText | None:
        with self._lock:
            found = self._items.get(session_id)
            if found is not None:
                self._items.move_to_end(session_id)
            return found

    def put(self, session_id: str, value: SessionText) -> None:
        with self._lock:
            self._items[session_id] = value
            self._items.move_to_end(session_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


session_texts = _TextCache(size=2048)


def session_text(session_id: str) -> SessionText | None:
    """The session's text snapshot: from the cache, else one SELECT (None: no such session)."""
    found = session_texts.get(session_id)
    if found is None:
        row = PracticeSession.objects.filter(pk=session_id).values_list("text", "skip_indent")
        first = row.first()
        if first is None:
            return None
        found = SessionText(text=first[0], skip_indent=first[1])
        session_texts.put(session_id, found)
    return found


def store_batch(*, session: PracticeSession | str, seq: Any, keys: Any) -> bool:
    """Store one batch, idempotently. True when stored now, False when this exact batch was
    already stored. With the text cached, a new batch is one statement: an INSERT that itself
    checks the session is still open and its owner active. Raises scoring.BatchError for bad
    input, NotFound, Forbidden (deactivated owner) and Conflict for a different batch under a
    used seq or a completed session. `session`: the session or its id."""
    session_id = session if isinstance(session, str) else str(session.pk)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 100_000:
        raise scoring.BatchError('"seq" must be an integer from 0 to 99999')
    snapshot = session_text(session_id)
    if snapshot is None:
        raise NotFound("No such session.")
    parsed = scoring.parse_keys(keys, text_length=len(snapshot.text))
    scoring.check_batch_follows_text(snapshot.text, parsed, skip_indent=snapshot.skip_indent)
    if _insert_batch(session_id, seq, keys):
        return True
    # Nothing inserted: say why, with one SELECT.
    stored = KeystrokeBatch.objects.filter(session=OuterRef("pk"), seq=seq).values("keys")[:1]
    row = (
        PracticeSession.objects.filter(pk=session_id)
        .annotate(stored=Subquery(stored))
        .values_list("status", "user_id", "user__is_active", "stored")
        .first()
    )
    if row is None:
        raise NotFound("No such session.")
    status, user_id, active, stored_keys = row
    if user_id is not None and not active:
        raise Forbidden("This account is deactivated; it cannot record keystrokes.")
    if stored_keys is not None:
        if _same_keys(stored_keys, keys):
            return False
        raise Conflict(f"Batch {seq} was already received with different keystrokes.")
    if status == PracticeSession.Status.COMPLETED:
        raise Conflict("This session is already complete; no more keystrokes are accepted.")
    raise Conflict(f"Batch {seq} could not be stored; send it again.")


def _same_keys(stored_value: Any, keys: Any) -> bool:
    """Whether a stored batch holds the same keystrokes as `keys` (as the widget sent them),
    whatever form the keys column returns them in."""
    return _key_tuples(stored_value) == _key_tuples(keys)


def _key_tuples(value: Any) -> list[tuple[int, str, int]]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = KeystrokeBatch._meta.get_field("keys").to_python(bytes(value))
    result = []
    for key in value:
        if isinstance(key, scoring.Keystroke):
            result.append((key.pos, key.typed, key.t))
        else:
            pos, typed, t = key
            result.append((int(pos), str(typed), int(t)))
    return result


BATCH_COLUMNS = ("session", "seq", "keys", "received_at")


def _insert_batch(session_id: str, seq: int, keys: Any) -> bool:
    """INSERT … SELECT … ON CONFLICT DO NOTHING: True when the row is new. One statement and
    one round trip on the hottest path; the SELECT stores nothing unless the session is still
    started and its owner (if any) active."""
    fields = _batch_fields()
    values = (session_id, seq, keys, timezone.now())
    params = [
        fields[name].get_db_prep_save(value, connection)
        for name, value in zip(BATCH_COLUMNS, values, strict=True)
    ]
    params.append(PracticeSession._meta.pk.get_db_prep_save(session_id, connection))
    params.append(PracticeSession.Status.STARTED.value)
    with connection.cursor() as cursor:
        cursor.execute(_batch_insert_sql(), params)
        return cursor.fetchone() is not None


@cache
def _batch_fields() -> dict[str, Field[Any, Any]]:
    return {field.name: field for field in KeystrokeBatch._meta.concrete_fields}


@cache
def _batch_insert_sql() -> str:
    """Built once: it is the same for every batch."""
    fields, qn = _batch_fields(), connection.ops.quote_name
    session_meta, user_meta = PracticeSession._meta, get_user_model()._meta
    columns = ", ".join(qn(fields[name].column) for name in BATCH_COLUMNS)
    conflict = ", ".join(qn(fields[name].column) for name in ("session", "seq"))
    session_user = qn(session_meta.get_field("user").column)
    return (
        f"INSERT INTO {qn(KeystrokeBatch._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(['%s'] * len(BATCH_COLUMNS))} "
        f"FROM {qn(session_meta.db_table)} s "
        f"LEFT JOIN {qn(user_meta.db_table)} u ON u.{qn(user_meta.pk.column)} = s.{session_user} "
        f"WHERE s.{qn(session_meta.pk.column)} = %s "
        f"AND s.{qn(session_meta.get_field('status').column)} = %s "
        f"AND (s.{session_user} IS NULL OR u.{qn(user_meta.get_field('is_active').column)}) "
        f"ON CONFLICT ({conflict}) DO NOTHING "
        f"RETURNING {qn(KeystrokeBatch._meta.pk.column)}"
    )


def complete_session(*, session: PracticeSession, batches: Any) -> Outcome:
    """Check every batch is there, replay them against the text, score, and in one transaction
    store the result, progress, unlocks and achievements. Completing twice returns the same
    result. Raises Conflict (missing batches) or Unscorable."""
    if not isinstance(batches, int) or isinstance(batches, bool) or not 0 < batches < 100_000:
        raise scoring.BatchError('"batches" must be a positive integer')
    with transaction.atomic():
        session = (
            PracticeSession.objects.select_for_update(of=("self",))
            .select_related("user", "lesson")
            .get(pk=session.pk)
        )
        if session.is_completed:
            return _outcome(session, list(session.achievements.values_list("code", flat=True)))
        stored = list(session.batches.order_by("seq").values_list("seq", "keys"))
        present = {seq for seq, _ in stored}
        missing = [seq for seq in range(batches) if seq not in present]
        if missing:
            raise Conflict(f"Batches {_ranges(missing)} have not arrived.", missing=missing)
        extra = sorted(present - set(range(batches)))
        if extra:
            raise Conflict(
                f"The session has {len(present)} batches, not {batches}: "
                f"batch {extra[0]} was not expected."
            )
        keys = [scoring.Keystroke(*key) for _, batch in stored for key in batch]
        try:
            replay = scoring.replay(session.text, keys, skip_indent=session.skip_indent)
            result = scoring.score(replay, target_wpm=session.target_wpm)
        except scoring.TooShort as exc:
            raise Unscorable(f"This session is too short to score: {exc}") from exc
        except scoring.ReplayError as exc:
            raise Unscorable(f"The keystrokes do not match the lesson text: {exc}") from exc
        _store_result(session, result)
        codes: list[str] = []
        best_rating = None
        if not session.flagged and session.user_id is not None:
            # Statistics first: the streak and hours-typed achievements read them.
            record_session(session=session, replay=replay)
            codes, best_rating = _record_progress(session)
    transaction.on_commit(lambda: queue_analysis(session.pk))
    return _outcome(session, codes, best_rating)


RESULT_FIELDS = [
    "status",
    "completed_at",
    "wpm",
    "raw_wpm",
    "accuracy",
    "errors",
    "keystrokes",
    "duration_ms",
    "flagged",
    "flag_reason",
    "rating",
    "improvement",
]


def _store_result(session: PracticeSession, result: scoring.Result) -> None:
    session.status = PracticeSession.Status.COMPLETED
    session.completed_at = timezone.now()
    session.wpm = result.wpm
    session.raw_wpm = result.raw_wpm
    session.accuracy = result.accuracy
    session.errors = result.errors
    session.keystrokes = result.keystrokes
    session.duration_ms = result.duration_ms
    session.flagged = result.flagged
    session.flag_reason = result.flag_reason
    # A flagged result earns no stars.
    session.rating = 0 if result.flagged else result.rating
    session.improvement = _improvement(session)
    session.save(update_fields=RESULT_FIELDS)


def _improvement(session: PracticeSession) -> float | None:
    """WPM difference to the previous completed session of the same lesson, else of any."""
    if session.wpm is None:
        return None
    owner = (
        Q(user_id=session.user_id) if session.user_id else Q(user=None, guest_key=session.guest_key)
    )
    earlier = (
        PracticeSession.objects.counted()
        .filter(owner)
        .exclude(pk=session.pk)
        .order_by("-completed_at")
        .values_list("wpm", flat=True)
    )
    previous = earlier.filter(lesson=session.lesson).first() or earlier.first()
    if previous is None:
        return None
    return round(session.wpm - previous, 1)


def _record_progress(session: PracticeSession) -> tuple[list[str], int | None]:
    """Lesson progress, unlocks and achievements for a counted session. Returns the new
    achievement codes and the lesson's best rating (None for a session without a lesson)."""
    assert session.user_id is not None
    assert session.wpm is not None
    best_rating = None
    if session.lesson_id is not None:
        progress, _ = LessonProgress.objects.select_for_update().get_or_create(
            user_id=session.user_id, lesson_id=session.lesson_id
        )
        progress.best_rating = max(progress.best_rating, session.rating or 0)
        progress.best_wpm = max(progress.best_wpm, session.wpm)
        progress.best_accuracy = max(progress.best_accuracy, session.accuracy or 0)
        progress.attempts = F("attempts") + 1
        progress.save(
            update_fields=[
                "best_rating",
                "best_wpm",
                "best_accuracy",
                "attempts",
                "last_completed_at",
            ]
        )
        best_rating = progress.best_rating
    have = set(
        EarnedAchievement.objects.filter(user_id=session.user_id).values_list("code", flat=True)
    )
    # The facts that take a query are only looked up while their achievement is still to earn.
    facts = Facts(
        wpm=session.wpm,
        accuracy=session.accuracy or 0,
        text_length=len(session.text),
        rating=session.rating or 0,
        streak_days=0 if "streak_7" in have else _streak_days(session),
        course_finished="course_finished" not in have and _course_finished(session),
        total_typed_ms=(
            0 if "ten_hours" in have else DailyStat.objects.total_typed_ms(session.user_id)
        ),
    )
    new = sorted(earned(facts) - have, key=list(CATALOGUE).index)
    EarnedAchievement.objects.bulk_create(
        [EarnedAchievement(user_id=session.user_id, code=code, session=session) for code in new],
        ignore_conflicts=True,
    )
    return new, best_rating


def _streak_days(session: PracticeSession) -> int:
    """Consecutive days with practice, ending on the session's day in the learner's time zone,
    read from the daily statistics (which already count this session)."""
    assert session.user is not None
    assert session.completed_at is not None
    day = local_date(session.completed_at, session.user.time_zone)
    since = day - timedelta(days=STREAK_DAYS)
    return streak_ending(DailyStat.objects.practice_days(session.user.pk, since=since), day)


def _course_finished(session: PracticeSession) -> bool:
    if session.lesson is None:
        return False
    return not (
        Lesson.objects.filter(course_id=session.lesson.course_id, is_published=True)
        .exclude(progress__user=session.user)
        .exists()
    )


def _outcome(session: PracticeSession, codes: list[str], best_rating: int | None = None) -> Outcome:
    """What the result card shows. `best_rating`: the lesson's best rating when the caller
    has just written it, else it is read."""
    following = next_lesson(session.lesson) if session.lesson else None
    next_open = False
    if following is not None and session.user_id is not None:
        if best_rating is None:
            best_rating = (
                LessonProgress.objects.filter(user_id=session.user_id, lesson=session.lesson)
                .values_list("best_rating", flat=True)
                .first()
            )
        next_open = (best_rating or 0) >= UNLOCK_RATING
    return Outcome(
        session=session,
        achievements=[CATALOGUE[code] for code in codes if code in CATALOGUE],
        next_lesson=following,
        next_open=next_open,
    )


def _ranges(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def queue_analysis(session_id: Any) -> None:
    """Queue the coach's analysis. A broker outage must not fail a completion: the session is
    left with analysis_queued_at empty and the periodic sweep queues it later."""
    try:
        celery_app.signature(ANALYSIS_TASK, args=[str(session_id)]).apply_async()
    except Exception:
        log.warning("Could not queue analysis of session %s; the sweep will retry", session_id)
        return
    PracticeSession.objects.filter(pk=session_id).update(analysis_queued_at=timezone.now())


def claim_guest_sessions(*, user: Any, guest_key: str) -> int:
    """A visitor's sessions become their account's after signup or login, and their completed
    sessions count for progress and achievements as if typed logged in."""
    if not guest_key:
        return 0
    with transaction.atomic():
        sessions = list(
            PracticeSession.objects.select_for_update()
            .filter(user=None, guest_key=guest_key)
            .order_by("started_at")
        )
        for session in sessions:
            session.user = user
            session.guest_key = ""
            session.save(update_fields=["user", "guest_key"])
            if session.is_completed and not session.flagged:
                record_session(session=session)  # replays the stored batches
                _record_progress(session)
    return len(sessions)


def claim_guest_sessions_on_login(sender: Any, request: HttpRequest | None, user: Any, **_: Any):
    if request is not None and hasattr(request, "session"):
        claim_guest_sessions(user=user, guest_key=request.session.get(GUEST_KEY, ""))
