"""The move from jsonb batches to packed bytes (migration lessons 0003) keeps every keystroke,
both ways, and the old and new storage formats replay identically."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from conftest import make_user
from lessons import scoring
from lessons.keypack import pack
from lessons.models import KeystrokeBatch, PracticeSession
from stats.models import BigramStat, DailyStat, KeyConfusion, KeyStat
from stats.tests.conftest import aggregates_of

from .conftest import play, typed_keys

# serialized_rollback: the flush after each test leaves the data migrations and content types
# as they were, for the transactional tests that run later.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OLD = [("lessons", "0002_session_completed_index")]
BATCHES = 2_345  # more than two chunks of the conversion


def migrate(target=None):
    executor = MigrationExecutor(connection)
    if target is None:
        target = executor.loader.graph.leaf_nodes()
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


@pytest.fixture
def at_old_schema():
    apps = migrate(OLD)
    yield apps
    migrate()


def raw_keys(seq: int):
    table = KeystrokeBatch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT keys FROM {table} WHERE seq = %s", [seq])
        return cursor.fetchone()[0]


def old_batch(seq: int) -> list[list]:
    text = "ЙЦУКЕН фыва\nasdf 😀"
    return [
        [(seq * 7 + i) % 50, text[(seq + i) % len(text)], seq * 4_000 + i * 180] for i in range(20)
    ]


def test_old_rows_are_packed_and_unpacked_back(at_old_schema):
    Session = at_old_schema.get_model("lessons", "PracticeSession")
    Batch = at_old_schema.get_model("lessons", "KeystrokeBatch")
    session = Session.objects.create(text="x" * 50, target_wpm=30)
    Batch.objects.bulk_create(
        [Batch(session=session, seq=seq, keys=old_batch(seq)) for seq in range(BATCHES)]
    )
    Batch.objects.create(session=session, seq=BATCHES, keys=[[3, "a", 9], [1, "\n", 9]])
    expected = {seq: old_batch(seq) for seq in range(BATCHES)}
    expected[BATCHES] = [[3, "a", 9], [1, "\n", 9]]

    migrate()
    stored = dict(KeystrokeBatch.objects.values_list("seq", "keys"))
    assert stored == expected
    assert bytes(raw_keys(7)) == pack(expected[7])

    old = migrate(OLD)
    restored = dict(old.get_model("lessons", "KeystrokeBatch").objects.values_list("seq", "keys"))
    assert restored == expected
    raw = raw_keys(7)
    assert (json.loads(raw) if isinstance(raw, str) else raw) == expected[7]


def test_the_old_and_new_storage_formats_replay_identically(client, course):
    learner = make_user("format@example.com", time_zone="Europe/Moscow")
    client.force_login(learner)
    lesson1, lesson2 = course.lessons.order_by("position")
    for lesson, keys in [
        (lesson1, typed_keys(lesson1.text, mistakes={2: "g", 9: "ж"})),
        (lesson2, typed_keys(lesson2.text, interval=260)),
        (lesson1, typed_keys(lesson1.text, interval=140, mistakes={0: "\n"})),
    ]:
        assert play(client, lesson, keys).status_code == 200
    recorded = aggregates_of(learner)
    scores = list(
        PracticeSession.objects.order_by("started_at").values_list(
            "wpm", "raw_wpm", "accuracy", "errors", "keystrokes", "duration_ms", "rating"
        )
    )
    assert recorded["keys"]
    assert recorded["bigrams"]
    assert recorded["days"]

    migrate(OLD)  # the batches are jsonb again, as the old code stored them
    raw = raw_keys(0)
    assert isinstance(raw if isinstance(raw, list) else json.loads(raw), list)

    migrate()
    for model in (KeyStat, KeyConfusion, BigramStat, DailyStat):
        model.objects.filter(user=learner).delete()
    call_command("rebuild_stats", "--user", learner.email, stdout=StringIO())
    assert aggregates_of(learner) == recorded
    rescored = []
    for session in PracticeSession.objects.order_by("started_at"):
        result = scoring.score(session.replay(), target_wpm=session.target_wpm)
        rescored.append(
            (
                result.wpm,
                result.raw_wpm,
                result.accuracy,
                result.errors,
                result.keystrokes,
                result.duration_ms,
                result.rating,
            )
        )
    assert rescored == scores
