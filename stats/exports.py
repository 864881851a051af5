"""Everything a learner has, as CSV tables and as one JSON document. Streamed: a long history
is written out a chunk at a time, never held in memory whole."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lessons.models import EarnedAchievement, KeystrokeBatch, LessonProgress, PracticeSession

from .aggregates import shown_key
from .models import BigramStat, DailyStat, KeyConfusion, KeyStat

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CHUNK = 500

SESSION_FIELDS = [
    "id",
    "status",
    "course",
    "lesson",
    "started_at",
    "completed_at",
    "wpm",
    "raw_wpm",
    "accuracy",
    "errors",
    "keystrokes",
    "duration_ms",
    "rating",
    "flagged",
    "flag_reason",
]
KEY_FIELDS = ["char", "key", "hits", "errors", "time_sum_ms", "time_count"]
CONFUSION_FIELDS = ["expected", "typed", "count"]
BIGRAM_FIELDS = ["previous", "char", "count", "errors", "time_sum_ms", "time_count"]
DAY_FIELDS = [
    "date",
    "sessions",
    "typed_ms",
    "characters",
    "keystrokes",
    "errors",
    "best_wpm",
    "wpm_tenths_sum",
]

CSV_TABLES: dict[str, StrOrPromise] = {
    "sessions": _("Every practice session and its result"),
    "keys": _("Per key: keystrokes, errors and timing"),
    "confusions": _("Which key you typed when you meant another"),
    "bigrams": _("Per key pair: keystrokes, errors and timing"),
    "days": _("Per day: sessions, time, characters, errors and speed"),
}


def filename(table: str, extension: str) -> str:
    return f"typingtrainer-{table}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def session_row(session: PracticeSession) -> dict[str, Any]:
    lesson = session.lesson
    return {
        "id": str(session.pk),
        "status": session.status,
        "course": lesson.course.title if lesson else "",
        "lesson": lesson.title if lesson else "",
        "started_at": _iso(session.started_at),
        "completed_at": _iso(session.completed_at),
        "wpm": session.wpm,
        "raw_wpm": session.raw_wpm,
        "accuracy": session.accuracy,
        "errors": session.errors,
        "keystrokes": session.keystrokes,
        "duration_ms": session.duration_ms,
        "rating": session.rating,
        "flagged": session.flagged,
        "flag_reason": session.flag_reason,
    }


def _sessions(user: Any) -> Iterator[PracticeSession]:
    return (
        PracticeSession.objects.for_user(user)
        .select_related("lesson__course")
        .order_by("started_at", "id")
        .iterator(chunk_size=CHUNK)
    )


def rows(user: Any, table: str) -> Iterator[dict[str, Any]]:
    """The rows of one CSV table, as dicts keyed by its field names."""
    if table == "sessions":
        yield from (session_row(session) for session in _sessions(user))
    elif table == "keys":
        for stat in KeyStat.objects.for_user(user).order_by("char"):
            yield {
                "char": stat.char,
                "key": shown_key(stat.char),
                "hits": stat.hits,
                "errors": stat.errors,
                "time_sum_ms": stat.time_sum_ms,
                "time_count": stat.time_count,
            }
    elif table == "confusions":
        yield from (
            KeyConfusion.objects.filter(user=user)
            .order_by("expected", "typed")
            .values(*CONFUSION_FIELDS)
        )
    elif table == "bigrams":
        yield from (
            BigramStat.objects.filter(user=user).order_by("previous", "char").values(*BIGRAM_FIELDS)
        )
    elif table == "days":
        for day in DailyStat.objects.for_user(user).order_by("date").values(*DAY_FIELDS):
            yield {**day, "date": day["date"].isoformat()}
    else:
        raise KeyError(table)


FIELDS = {
    "sessions": SESSION_FIELDS,
    "keys": KEY_FIELDS,
    "confusions": CONFUSION_FIELDS,
    "bigrams": BIGRAM_FIELDS,
    "days": DAY_FIELDS,
}


def csv_lines(user: Any, table: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS[table])
    writer.writeheader()
    for count, row in enumerate(rows(user, table), start=1):
        writer.writerow(row)
        if count % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _sessions_with_keys(user: Any) -> Iterator[dict[str, Any]]:
    """Each session as in sessions.csv plus its keystrokes, [[pos, typed, t], ...] in order."""
    chunk: list[PracticeSession] = []

    def flush() -> Iterator[dict[str, Any]]:
        keys: dict[Any, list[Any]] = {session.pk: [] for session in chunk}
        for session_id, batch in (
            KeystrokeBatch.objects.filter(session__in=[session.pk for session in chunk])
            .order_by("session_id", "seq")
            .values_list("session_id", "keys")
        ):
            keys[session_id].extend(batch)
        for session in chunk:
            yield {**session_row(session), "text": session.text, "keys": keys[session.pk]}

    for session in _sessions(user):
        chunk.append(session)
        if len(chunk) == CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


def _json_list(items: Iterable[Any]) -> Iterator[str]:
    yield "["
    for index, item in enumerate(items):
        yield ("," if index else "") + json.dumps(item, ensure_ascii=False)
    yield "]"


def json_chunks(user: Any) -> Iterator[str]:
    """One JSON document: the account, every session with its keystrokes, and every
    aggregate (keys with their confusions, key pairs, days), lesson progress, achievements."""
    confusions: dict[str, dict[str, int]] = {}
    for row in KeyConfusion.objects.filter(user=user).order_by("expected", "typed"):
        confusions.setdefault(row.expected, {})[row.typed] = row.count
    account = {
        "email": user.email,
        "display_name": user.display_name,
        "keyboard_layout": user.keyboard_layout,
        "daily_goal_minutes": user.daily_goal_minutes,
        "time_zone": user.time_zone,
        "weekly_email": user.weekly_email,
        "date_joined": _iso(user.date_joined),
    }
    yield '{"exported_at": ' + json.dumps(timezone.now().isoformat())
    yield ', "account": ' + json.dumps(account, ensure_ascii=False)
    yield ', "sessions": '
    yield from _json_list(_sessions_with_keys(user))
    yield ', "keys": '
    yield from _json_list(
        {**row, "confusions": confusions.get(row["char"], {})} for row in rows(user, "keys")
    )
    yield ', "bigrams": '
    yield from _json_list(rows(user, "bigrams"))
    yield ', "days": '
    yield from _json_list(rows(user, "days"))
    yield ', "lesson_progress": '
    yield from _json_list(
        {
            "course": progress.lesson.course.title,
            "lesson": progress.lesson.title,
            "best_rating": progress.best_rating,
            "best_wpm": progress.best_wpm,
            "best_accuracy": progress.best_accuracy,
            "attempts": progress.attempts,
            "first_completed_at": _iso(progress.first_completed_at),
            "last_completed_at": _iso(progress.last_completed_at),
        }
        for progress in LessonProgress.objects.filter(user=user)
        .select_related("lesson__course")
        .order_by("first_completed_at")
    )
    yield ', "achievements": '
    yield from _json_list(
        {"code": a.code, "earned_at": _iso(a.earned_at)}
        for a in EarnedAchievement.objects.filter(user=user).order_by("earned_at")
    )
    yield "}"
