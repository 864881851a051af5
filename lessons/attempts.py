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

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Field, OuterRef, Q, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from courses.models import Course, Lesson
from typingtrainer import metrics
from typingtrainer.celery import app as celery_app
from typingtrainer.zones import local_date

from . import hooks, placement, scoring
from .access import UNLOCK_RATING
from .achievements import CATALOGUE, STREAK_DAYS, Achievement, Facts, earned
from .models import EarnedAchievement, KeystrokeBatch, LessonProgress, LevelTest, PracticeSession

log = logging.getLogger(__name__)

GUEST_KEY = "guest_key"
ANALYSIS_TASK = "coach.tasks.analyze_session"


class Conflict(Exception):
    """The request contradicts what is stored (HTTP 409). `missing` lists absent batches; `code`
    says which contradiction it is, for the API's stable error codes."""

    def __init__(
        self, message: str, missing: list[int] | None = None, *, code: str = "conflict"
    ) -> None:
        super().__init__(message)
        self.missing = missing or []
        self.code = code


class Unscorable(Exception):
    """The keystrokes cannot be scored (HTTP 422); nothing was changed."""


@dataclass(frozen=True)
class Comparison:
    """What a session's `improvement` was measured against: the owner's previous counted
    session of the same lesson, or else their last counted session of any other text."""

    same_lesson: bool
    lesson_title: str | None = None
    """The other session's lesson (None: a coach exercise, or a lesson since deleted)."""
    lesson_position: int | None = None


@dataclass(frozen=True)
class Outcome:
    session: PracticeSession
    achievements: list[Achievement]
    next_lesson: Lesson | None
    next_open: bool
    comparison: Comparison | None = None
    """None when there was nothing to compare with (`session.improvement` is None too)."""
    replay: scoring.Replay | None = None
    """The replay the result was scored from; None for a session completed before."""
    level_test: LevelTest | None = None  # a placement test's or test-out's


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


def placement_seconds() -> int:
    return int(getattr(settings, "PLACEMENT_SECONDS", placement.SECONDS))


def placement_attempt(*, course: Course, user: Any, guest_key: str = "") -> int:
    """Which placement test of the course this is for the learner (or visitor): the number of
    them they have completed. The page and the start derive the same text from it, so a reload
    before the start and a resumed test keep their text, and a new test gets a new one."""
    tests = LevelTest.objects.filter(
        course=course,
        session__kind=PracticeSession.Kind.PLACEMENT,
        session__status=PracticeSession.Status.COMPLETED,
    )
    if user.is_authenticated:
        return tests.filter(session__user=user).count()
    if not guest_key:
        return 0
    return tests.filter(session__user=None, session__guest_key=guest_key).count()


def course_placement_text(*, course: Course, attempt: int) -> str:
    return placement.placement_text(
        language=course.language, layout=course.layout, seed=course.pk * 100_003 + attempt
    )


def start_level_test(
    *, course: Course, lesson: Lesson | None, user: Any, guest_key: str = ""
) -> PracticeSession:
    """A placement test of `course` (lesson None: common words, timed) or a test-out of
    `lesson`: a practice session with its LevelTest."""
    with transaction.atomic():
        if lesson is not None:
            session = start_session(lesson=lesson, user=user, guest_key=guest_key)
            session.kind = PracticeSession.Kind.TEST_OUT
            session.save(update_fields=["kind"])
        else:
            attempt = placement_attempt(course=course, user=user, guest_key=guest_key)
            targets = course.lessons.filter(is_published=True).values_list("target_wpm", flat=True)
            session = start_session(
                lesson=None,
                user=user,
                guest_key=guest_key,
                text=course_placement_text(course=course, attempt=attempt),
                # Its stars compare it with the course's hardest lesson.
                target_wpm=max(targets, default=0) or 20,
            )
            session.kind = PracticeSession.Kind.PLACEMENT
            session.save(update_fields=["kind"])
        LevelTest.objects.create(session=session, course=course)
    return session


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
        raise NotFound(gettext("No such session."))
    parsed = scoring.parse_keys(keys, text_length=len(snapshot.text))
    scoring.check_batch_follows_text(snapshot.text, parsed, skip_indent=snapshot.skip_indent)
    if _insert_batch(session_id, seq, keys):
        metrics.batch_stored(len(parsed))
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
        raise NotFound(gettext("No such session."))
    status, user_id, active, stored_keys = row
    if user_id is not None and not active:
        raise Forbidden(gettext("This account is deactivated; it cannot record keystrokes."))
    if stored_keys is not None:
        # The field decodes the stored batch into the widget's [[pos, typed, t], ...].
        if stored_keys == keys:
            return False
        raise Conflict(
            f"Batch {seq} was already received with different keystrokes.", code="batch_differs"
        )
    if status == PracticeSession.Status.COMPLETED:
        raise Conflict(
            gettext("This session is already complete; no more keystrokes are accepted."),
            code="session_completed",
        )
    raise Conflict(
        gettext("Batch %(seq)d could not be stored; send it again.") % {"seq": seq},
        code="batch_not_stored",
    )


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
    # PostgreSQL prepares the statement once per connection (typingtrainer.postgresql).
    prepared = getattr(connection, "prepared_cursor", connection.cursor)
    with prepared() as cursor:
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
    result. Raises Conflict (missing batches) or Unscorable.

    Round trips, a counted session on PostgreSQL: the session (locked, with its learner, lesson
    and the WPM of the learner's previous sessions), its batches, the result, then statistics +
    lesson progress + the achievements' facts in one go, new achievements if any, the commit, the
    next lesson; then the analysis is queued (its time stamp went in with the result)."""
    if not isinstance(batches, int) or isinstance(batches, bool) or not 0 < batches < 100_000:
        raise scoring.BatchError('"batches" must be a positive integer')
    owner = (session.user_id, session.guest_key, session.lesson_id)
    with transaction.atomic():
        session = (
            PracticeSession.objects.select_for_update(of=("self",))
            .select_related("user", "lesson")
            .annotate(**_previous_wpm(session))
            .get(pk=session.pk)
        )
        if (session.user_id, session.guest_key, session.lesson_id) != owner:
            # It changed hands meanwhile (a guest's, claimed): `_improvement` reads it again.
            _without_annotations(session)
        if session.is_completed:
            earned = list(session.achievements.values_list("code", flat=True))
            return _outcome(
                session,
                earned,
                comparison=comparison_before(session),
                level_test=_level_test(session),
            )
        stored = list(session.batches.order_by("seq").values_list("seq", "keys"))
        present = {seq for seq, _ in stored}
        missing = [seq for seq in range(batches) if seq not in present]
        if missing:
            raise Conflict(
                f"Batches {_ranges(missing)} have not arrived.",
                missing=missing,
                code="batches_missing",
            )
        extra = sorted(present - set(range(batches)))
        if extra:
            raise Conflict(
                f"The session has {len(present)} batches, not {batches}: "
                f"batch {extra[0]} was not expected.",
                code="batches_unexpected",
            )
        keys = [scoring.Keystroke(*key) for _, batch in stored for key in batch]
        try:
            replay = scoring.replay(
                session.text, keys, skip_indent=session.skip_indent, partial=session.is_timed
            )
            result = scoring.score(replay, target_wpm=session.target_wpm)
        except scoring.TooShort as exc:
            raise Unscorable(gettext("This session is too short to score: %s") % exc) from exc
        except scoring.ReplayError as exc:
            raise Unscorable(
                gettext("The keystrokes do not match the lesson text: %s") % exc
            ) from exc
        _check_placement_length(session, replay)
        comparison = _store_result(session, result)
        level_test = _level_test(session)
        if level_test is not None and not session.flagged:
            level_test.settle()
        codes: list[str] = []
        best_rating = None
        if not session.flagged and session.user_id is not None:
            # Statistics first: the streak and hours-typed achievements read them.
            codes, best_rating = _record_progress(
                session, replay, counts_for_lesson=_counts_for_lesson(session, level_test)
            )
    rating, flagged = session.rating or 0, session.flagged

    def committed() -> None:
        metrics.session_completed(rating=rating, flagged=flagged)  # counted once it is stored
        queue_analysis(session.pk, stamped=True)

    transaction.on_commit(committed)
    return _outcome(
        session, codes, best_rating, comparison=comparison, replay=replay, level_test=level_test
    )


def _level_test(session: PracticeSession) -> LevelTest | None:
    """The session's placement test or test-out (no query for a practice session)."""
    if session.kind == PracticeSession.Kind.PRACTICE:
        return None
    found = (
        LevelTest.objects.select_related("course", "opened_through").filter(session=session).first()
    )
    if found is not None:
        found.session = session  # the one just scored, not a second copy
    return found


def _counts_for_lesson(session: PracticeSession, level_test: LevelTest | None) -> bool:
    """Whether the session is a completion of its lesson (progress, stars, achievements): a
    practice session, or a passed test-out. A failed test-out of a locked lesson and a
    placement test count for the statistics only."""
    if session.kind == PracticeSession.Kind.PRACTICE:
        return True
    return session.kind == PracticeSession.Kind.TEST_OUT and bool(level_test and level_test.passed)


def _check_placement_length(session: PracticeSession, replay: scoring.Replay) -> None:
    """A placement test is scored over at least half its minute: a short sprint says little."""
    if not session.is_timed:
        return
    least = placement_seconds() * 1000 // 2
    if replay.duration_ms < least:
        raise Unscorable(
            gettext(
                "A placement test needs at least %(least)d seconds of typing; this one had %(had)d."
            )
            % {"least": least // 1000, "had": replay.duration_ms // 1000}
        )


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
    "analysis_queued_at",
]


def _store_result(session: PracticeSession, result: scoring.Result) -> Comparison | None:
    """Store the result; returns what its improvement compared with."""
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
    session.improvement, comparison = _improvement(session)
    # Stamped with the result, so queueing after commit costs no UPDATE; `queue_analysis` clears
    # it when the broker refuses. A process that dies between the commit and the publish leaves
    # a stamped session without a report, which the sweep queues again (coach.tasks).
    session.analysis_queued_at = session.completed_at
    session.save(update_fields=RESULT_FIELDS)
    return comparison


def _owner(session: PracticeSession) -> Q:
    if session.user_id:
        return Q(user_id=session.user_id)
    return Q(user=None, guest_key=session.guest_key)


def _earlier(session: PracticeSession) -> Any:
    return (
        PracticeSession.objects.counted()
        .filter(_owner(session))
        .exclude(pk=session.pk)
        .order_by("-completed_at", "-pk")
    )


PREVIOUS_ANNOTATIONS = (
    "previous_lesson_wpm",
    "previous_any_wpm",
    "previous_any_title",
    "previous_any_position",
)


def _previous_wpm(session: PracticeSession) -> dict[str, Subquery]:
    """The WPM of the owner's last counted session of the same lesson and of any (with that
    one's lesson), as annotations of the query that locks the session (read with it, not
    after it)."""
    earlier = _earlier(session)
    last = earlier[:1]
    return {
        "previous_lesson_wpm": Subquery(
            earlier.filter(lesson_id=session.lesson_id).values("wpm")[:1]
        ),
        "previous_any_wpm": Subquery(last.values("wpm")),
        "previous_any_title": Subquery(last.values("lesson__title")),
        "previous_any_position": Subquery(last.values("lesson__position")),
    }


def _previous(session: PracticeSession, earlier: Any) -> tuple[float, Comparison] | None:
    """The WPM `session` is compared with, and what it belongs to (the rule is `_improvement`'s)."""
    annotated = vars(session)
    if "previous_any_wpm" in annotated:  # read with the session (`_previous_wpm`)
        same = annotated["previous_lesson_wpm"]
        if same is not None:
            return same, Comparison(same_lesson=True)
        if annotated["previous_any_wpm"] is None:
            return None
        return annotated["previous_any_wpm"], Comparison(
            same_lesson=False,
            lesson_title=annotated["previous_any_title"],
            lesson_position=annotated["previous_any_position"],
        )
    same = earlier.filter(lesson_id=session.lesson_id).values_list("wpm", flat=True).first()
    if same is not None:
        return same, Comparison(same_lesson=True)
    row = earlier.values_list("wpm", "lesson__title", "lesson__position").first()
    if row is None:
        return None
    return row[0], Comparison(same_lesson=False, lesson_title=row[1], lesson_position=row[2])


def _improvement(session: PracticeSession) -> tuple[float | None, Comparison | None]:
    """WPM difference to the previous completed session of the same lesson, else of any;
    and which session that was."""
    if session.wpm is None:
        return None, None
    found = _previous(session, _earlier(session))
    if found is None:
        return None, None
    previous, comparison = found
    return round(session.wpm - previous, 1), comparison


def comparison_before(session: PracticeSession) -> Comparison | None:
    """For a session completed before: what its stored `improvement` was measured against
    (the sessions completed before it, by the same rule)."""
    if session.improvement is None or session.completed_at is None:
        return None
    earlier = _earlier(session).filter(completed_at__lt=session.completed_at)
    found = _previous(_without_annotations(session), earlier)
    return found[1] if found else None


def _without_annotations(session: PracticeSession) -> PracticeSession:
    for name in PREVIOUS_ANNOTATIONS:
        vars(session).pop(name, None)
    return session


def _record_progress(
    session: PracticeSession, replay: scoring.Replay, *, counts_for_lesson: bool = True
) -> tuple[list[str], int | None]:
    """Statistics (the registered `hooks` recorders'), lesson progress, unlocks and
    achievements for a counted session, in one round trip on PostgreSQL. Returns the new
    achievement codes and the lesson's best rating (None for a session without a lesson).
    `counts_for_lesson` False (see `_counts_for_lesson`): statistics only."""
    assert session.user_id is not None
    assert session.user is not None
    assert session.wpm is not None
    assert session.completed_at is not None
    counted = hooks.CountedSession(
        user_id=session.user_id,
        zone_name=session.user.time_zone,
        completed_at=session.completed_at,
        wpm=session.wpm,
        duration_ms=session.duration_ms or 0,
        text_length=replay.text_length,  # of a timed session, the part typed
        events=replay.events,
    )
    day = local_date(session.completed_at, session.user.time_zone)
    since = day - timedelta(days=STREAK_DAYS)
    stats: list[hooks.Statement] = []
    stats_facts: list[hooks.Statement] = []
    for recorder in hooks.recorders():
        # Statistics first: the streak and hours-typed achievements read them.
        stats += recorder.session_statements(counted)
        stats_facts += recorder.facts_statements(user_id=session.user_id, day=day, since=since)
    progress = _progress_upsert(session) if counts_for_lesson else None
    facts_sql = _facts_query(session, stats_facts)
    best_rating, rows = _run_together(stats, progress, facts_sql)
    have: set[str] = set()
    streak_days = open_lessons = typed_ms = 0
    for kind, text, number in rows:
        if kind == "code":
            have.add(text)
        elif kind == "streak":
            streak_days = int(number or 0)
        elif kind == "open":
            open_lessons = int(number)
        elif kind == "typed":
            typed_ms = int(number or 0)
    facts = Facts(
        wpm=session.wpm,
        accuracy=session.accuracy or 0,
        text_length=replay.text_length,
        rating=session.rating or 0,
        streak_days=streak_days,
        course_finished=session.lesson_id is not None and open_lessons == 0,
        total_typed_ms=typed_ms,
    )
    new = sorted(earned(facts) - have, key=list(CATALOGUE).index) if counts_for_lesson else []
    if new:
        EarnedAchievement.objects.bulk_create(
            [EarnedAchievement(user_id=session.user_id, code=c, session=session) for c in new],
            ignore_conflicts=True,
        )
    return new, best_rating


def _progress_upsert(session: PracticeSession) -> tuple[str, list[Any]] | None:
    """The lesson's progress row, created or raised to this session's figures in one statement
    (INSERT … ON CONFLICT DO UPDATE … RETURNING best_rating; PostgreSQL and SQLite both speak
    it). Two completions of the same lesson at once both count: the database applies each
    to the row as the other left it."""
    if session.lesson_id is None:
        return None
    qn = connection.ops.quote_name
    meta = LessonProgress._meta
    table = qn(meta.db_table)
    column = {field.name: qn(field.column) for field in meta.concrete_fields}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    names = ["user", "lesson", "best_rating", "best_wpm", "best_accuracy", "attempts"]
    values: list[Any] = [
        session.user_id,
        session.lesson_id,
        session.rating or 0,
        session.wpm,
        session.accuracy or 0,
        1,
    ]
    names += ["first_completed_at", "last_completed_at"]
    values += [now, now]

    def larger(name: str) -> str:
        col = column[name]
        old = f"{table}.{col}"
        return f"{col} = CASE WHEN EXCLUDED.{col} > {old} THEN EXCLUDED.{col} ELSE {old} END"

    sql = (
        f"INSERT INTO {table} ({', '.join(column[name] for name in names)}) "
        f"VALUES ({', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT ({column['user']}, {column['lesson']}) DO UPDATE SET "
        f"{larger('best_rating')}, {larger('best_wpm')}, {larger('best_accuracy')}, "
        f"{column['attempts']} = {table}.{column['attempts']} + 1, "
        f"{column['last_completed_at']} = EXCLUDED.{column['last_completed_at']} "
        f"RETURNING {column['best_rating']}"
    )
    return sql, values


def _facts_query(session: PracticeSession, others: list[hooks.Statement]) -> tuple[str, list[Any]]:
    """What the achievements need to know, in one query of (kind, text, number) rows: the codes
    already earned, the course's published lessons still without progress (0 or 1), and what
    the recorders add (`others`: the streak and the time typed in all)."""
    qn = connection.ops.quote_name
    earned_table = qn(EarnedAchievement._meta.db_table)
    progress = qn(LessonProgress._meta.db_table)
    lessons = qn(Lesson._meta.db_table)
    user = session.user_id
    parts: list[tuple[str, list[Any]]] = [
        (f"SELECT 'code', code, NULL FROM {earned_table} WHERE user_id = %s", [user]),
        *others,
    ]
    if session.lesson is not None:
        parts.append(
            (
                f"SELECT 'open', NULL, COUNT(*) FROM (SELECT 1 FROM {lessons} l "
                f"WHERE l.course_id = %s AND l.is_published = %s AND NOT EXISTS ("
                f"SELECT 1 FROM {progress} p WHERE p.user_id = %s AND p.lesson_id = l.id"
                f") LIMIT 1) AS still_open",
                [session.lesson.course_id, True, user],
            )
        )
    return (
        " UNION ALL ".join(sql for sql, _ in parts),
        [param for _, params in parts for param in params],
    )


def _run_together(
    stats: list[tuple[str, list[Any]]],
    progress: tuple[str, list[Any]] | None,
    facts: tuple[str, list[Any]],
) -> tuple[int | None, list[tuple[Any, ...]]]:
    """Run the statistics' upserts, the progress upsert and the facts query, in this order: in
    one round trip on PostgreSQL (psycopg binds on the client, so statements can go together;
    their results are read one after the other), one by one elsewhere. Returns the lesson's
    best rating (None without a lesson) and the facts' rows."""
    ordered = [*stats, *([progress] if progress else []), facts]
    best_rating = None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                ";\n".join(sql for sql, _ in ordered),
                [param for _, params in ordered for param in params],
            )
            for _ in stats:
                cursor.nextset()
            if progress:
                best_rating = cursor.fetchone()[0]
                cursor.nextset()
            return best_rating, cursor.fetchall()
        for sql, params in stats:
            cursor.execute(sql, params)
        if progress:
            cursor.execute(*progress)
            best_rating = cursor.fetchone()[0]
        cursor.execute(*facts)
        return best_rating, cursor.fetchall()


def _outcome(
    session: PracticeSession,
    codes: list[str],
    best_rating: int | None = None,
    *,
    comparison: Comparison | None = None,
    replay: scoring.Replay | None = None,
    level_test: LevelTest | None = None,
) -> Outcome:
    """What the result card shows. `best_rating`: the lesson's best rating when the caller
    has just written it, else it is read."""
    following = session.lesson.next() if session.lesson else None
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
        comparison=comparison,
        replay=replay,
        level_test=level_test,
    )


def _ranges(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def queue_analysis(session_id: Any, *, stamped: bool = False) -> None:
    """Queue the coach's analysis and stamp `analysis_queued_at` (`stamped`: the completion
    stamped it already, with the result). A broker outage must not fail a completion: the
    session is left with analysis_queued_at empty and the periodic sweep queues it later."""
    try:
        celery_app.signature(ANALYSIS_TASK, args=[str(session_id)]).apply_async()
    except Exception:
        log.warning("Could not queue analysis of session %s; the sweep will retry", session_id)
        if stamped:
            PracticeSession.objects.filter(pk=session_id).update(analysis_queued_at=None)
        return
    if not stamped:
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
                # Replays the stored batches.
                counts = _counts_for_lesson(session, _level_test(session))
                _record_progress(session, session.replay(), counts_for_lesson=counts)
    return len(sessions)


def claim_guest_sessions_on_login(sender: Any, request: HttpRequest | None, user: Any, **_: Any):
    if request is not None and hasattr(request, "session"):
        claim_guest_sessions(user=user, guest_key=request.session.get(GUEST_KEY, ""))
