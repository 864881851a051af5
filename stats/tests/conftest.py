"""Helpers for the statistics tests: play sessions through HTTP (the real path into the
aggregates) and build long histories directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from lessons.models import KeystrokeBatch, PracticeSession
from lessons.tests.conftest import play, typed_keys
from stats.models import BigramStat, DailyStat, KeyConfusion, KeyStat

__all__ = ["aggregates_of", "history", "play", "play_at", "typed_keys"]


@pytest.fixture
def lesson1(course):
    return course.lessons.get(position=1)


@pytest.fixture
def lesson2(course):
    return course.lessons.get(position=2)


def play_at(client, lesson, keys, moment: datetime, monkeypatch) -> dict:
    """Play a lesson as if it were completed at `moment` (aware)."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    response = play(client, lesson, keys)
    monkeypatch.undo()
    assert response.status_code == 200, response.content
    return response.json()


def aggregates_of(user) -> dict[str, list[tuple]]:
    """Every aggregate row of a learner, as comparable tuples."""
    return {
        "keys": list(
            KeyStat.objects.filter(user=user)
            .order_by("char")
            .values_list("char", "hits", "errors", "time_sum_ms", "time_count")
        ),
        "confusions": list(
            KeyConfusion.objects.filter(user=user)
            .order_by("expected", "typed")
            .values_list("expected", "typed", "count")
        ),
        "bigrams": list(
            BigramStat.objects.filter(user=user)
            .order_by("previous", "char")
            .values_list("previous", "char", "count", "errors", "time_sum_ms", "time_count")
        ),
        "days": list(
            DailyStat.objects.filter(user=user)
            .order_by("date")
            .values_list(
                "date",
                "sessions",
                "typed_ms",
                "characters",
                "keystrokes",
                "errors",
                "best_wpm",
                "wpm_tenths_sum",
            )
        ),
    }


def history(user, lesson, *, sessions: int, last_day: date, keys_per_batch: int = 20) -> None:
    """A long history built directly (no replay): `sessions` completed sessions of `lesson`, one
    batch each, spread over days ending on `last_day`, with matching daily and per-key rows."""
    text = lesson.text
    keys = typed_keys(text)
    start = datetime.combine(last_day, datetime.min.time(), UTC) + timedelta(hours=12)
    rows = []
    for n in range(sessions):
        moment = start - timedelta(hours=6 * n)
        rows.append(
            PracticeSession(
                user=user,
                lesson=lesson,
                text=text,
                target_wpm=lesson.target_wpm,
                status=PracticeSession.Status.COMPLETED,
                completed_at=moment,
                wpm=40 + n % 20,
                raw_wpm=42 + n % 20,
                accuracy=95.0,
                errors=1,
                keystrokes=len(keys),
                duration_ms=keys[-1][2],
                rating=3,
            )
        )
    PracticeSession.objects.bulk_create(rows, batch_size=500)
    KeystrokeBatch.objects.bulk_create(
        [KeystrokeBatch(session=session, seq=0, keys=keys[:keys_per_batch]) for session in rows],
        batch_size=500,
    )
    days = sorted({(start - timedelta(hours=6 * n)).date() for n in range(sessions)})
    DailyStat.objects.bulk_create(
        [
            DailyStat(
                user=user,
                date=day,
                sessions=4,
                typed_ms=4 * keys[-1][2],
                characters=4 * len(text),
                keystrokes=4 * len(keys),
                errors=4,
                best_wpm=59,
                wpm_tenths_sum=4 * 450,
            )
            for day in days
        ],
        batch_size=500,
    )
    KeyStat.objects.bulk_create(
        [
            KeyStat(
                user=user,
                char=char,
                hits=sessions * 5,
                errors=sessions,
                time_sum_ms=sessions * 5 * 300,
                time_count=sessions * 5,
            )
            for char in sorted(set(text))
        ]
    )
    BigramStat.objects.bulk_create(
        [
            BigramStat(
                user=user,
                previous=a,
                char=b,
                count=sessions,
                errors=0,
                time_sum_ms=sessions * 250,
                time_count=sessions,
            )
            for a, b in sorted(set(pairwise(text)))
        ]
    )
    KeyConfusion.objects.bulk_create(
        [KeyConfusion(user=user, expected="a", typed="s", count=sessions)]
    )
