"""Completing a session is a fixed handful of round trips, however long the learner's history:
statistics, lesson progress and the achievements' facts go together (one round trip on
PostgreSQL), and the coach's time stamp goes in with the result."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from lessons.attempts import complete_session, start_session, store_batch
from lessons.models import EarnedAchievement, LessonProgress, PracticeSession

from .conftest import typed_keys

pytestmark = pytest.mark.django_db

# Savepoint, the session (locked, with the previous WPMs), its batches, the result, statistics +
# progress + facts, release, the next lesson. On SQLite each statistics table, the progress
# upsert and the facts query are statements of their own.
MOST = 7 if connection.vendor == "postgresql" else 12


def complete(learner, lesson, *, interval: int = 200):
    session = start_session(lesson=lesson, user=learner)
    keys = typed_keys(lesson.text, interval=interval)
    for seq in range(0, len(keys), 20):
        store_batch(session=session, seq=seq // 20, keys=keys[seq : seq + 20])
    with CaptureQueriesContext(connection) as captured:
        outcome = complete_session(session=session, batches=(len(keys) + 19) // 20)
    return outcome, len(captured)


def test_a_repeat_completion_costs_a_handful_of_queries_however_long_the_history(
    learner, lesson1, lesson2
):
    veteran = make_user("veteran@example.com")
    for _ in range(30):
        complete(veteran, lesson1)
        complete(veteran, lesson2)
    complete(learner, lesson1)
    _, short_history = complete(learner, lesson1)
    outcome, long_history = complete(veteran, lesson1)
    assert short_history == long_history <= MOST
    assert outcome.session.improvement == 0.0  # the same typing as last time
    assert LessonProgress.objects.get(user=veteran, lesson=lesson1).attempts == 31


def test_the_upsert_keeps_the_best_figures_and_counts_every_attempt(learner, lesson1):
    fast, _ = complete(learner, lesson1, interval=150)
    slow, _ = complete(learner, lesson1, interval=400)
    progress = LessonProgress.objects.get(user=learner, lesson=lesson1)
    assert progress.attempts == 2
    assert progress.best_wpm == fast.session.wpm > slow.session.wpm
    assert progress.best_rating == max(fast.session.rating, slow.session.rating)
    assert progress.last_completed_at >= progress.first_completed_at
    assert slow.session.improvement == round(slow.session.wpm - fast.session.wpm, 1)
    # The first completion earned "First steps" once; the second earns it no second time.
    codes = list(EarnedAchievement.objects.filter(user=learner).values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    assert "first_lesson" in codes
    assert [a.code for a in slow.achievements if a.code == "first_lesson"] == []
    assert PracticeSession.objects.filter(analysis_queued_at=None).count() == 0
