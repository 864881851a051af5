"""Two sessions of one learner completing at the same moment both land in full: the upserts
increment the rows as the other transaction left them, so no count is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from lessons.attempts import complete_session, start_session, store_batch
from stats.models import BigramStat, DailyStat, KeyConfusion, KeyStat

from .conftest import typed_keys

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite lets one writer in at a time, so there is no race to lose: run on "
        "PostgreSQL (DATABASE_URL) to test concurrent completions",
    ),
]

ROUNDS = 4


def started(learner, lesson, keys):
    session = start_session(lesson=lesson, user=learner)
    for seq in range(0, len(keys), 20):
        store_batch(session=session, seq=seq // 20, keys=keys[seq : seq + 20])
    return session, (len(keys) + 19) // 20


def complete_together(sessions) -> list[BaseException]:
    barrier = threading.Barrier(len(sessions))
    failures: list[BaseException] = []

    def run(session, batches):
        try:
            barrier.wait(timeout=10)
            complete_session(session=session, batches=batches)
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return failures


def test_two_sessions_completing_at_once_lose_no_count(learner, course):
    lesson1, lesson2 = course.lessons.order_by("position")
    keys1 = typed_keys(lesson1.text, mistakes={0: "s"})
    keys2 = typed_keys(lesson2.text, mistakes={0: "s"})
    for _ in range(ROUNDS):
        pairs = [started(learner, lesson1, keys1), started(learner, lesson2, keys2)]
        assert complete_together(pairs) == []
    # Both texts start with "a", typed after a wrong "s"; lesson 1 has 4 a's, lesson 2 has 8.
    a = KeyStat.objects.get(user=learner, char="a")
    assert a.hits == ROUNDS * ((4 + 1) + (8 + 1))
    assert a.errors == ROUNDS * 2
    assert KeyConfusion.objects.get(user=learner, expected="a", typed="s").count == ROUNDS * 2
    day = DailyStat.objects.get(user=learner)
    assert day.sessions == ROUNDS * 2
    assert day.keystrokes == ROUNDS * (len(keys1) + len(keys2))
    # " a" appears in both texts: every one of its transitions is counted.
    space_a = BigramStat.objects.get(user=learner, previous=" ", char="a")
    expected = lesson1.text.count(" a") + lesson2.text.count(" a")
    assert space_a.count == ROUNDS * expected
