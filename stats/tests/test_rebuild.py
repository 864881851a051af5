"""`manage.py rebuild_stats` recomputes exactly what the incremental updates produced."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from conftest import make_user
from courses.models import Lesson
from stats.models import DailyStat, KeyStat

from .conftest import aggregates_of, play, play_at, typed_keys

pytestmark = pytest.mark.django_db


def play_a_varied_history(client, course, monkeypatch):
    lesson1, lesson2 = course.lessons.order_by("position")
    fast = Lesson.objects.create(
        course=course, position=9, title="Robot", text="asdf jkl; " * 6, target_wpm=20
    )
    moments = [
        datetime(2025, 3, day, hour, tzinfo=UTC) for day, hour in ((1, 9), (1, 22), (3, 23), (4, 0))
    ]
    play_at(
        client,
        lesson1,
        typed_keys(lesson1.text, mistakes={3: "g", 7: "d"}),
        moments[0],
        monkeypatch,
    )
    play_at(client, lesson2, typed_keys(lesson2.text, interval=310), moments[1], monkeypatch)
    play_at(client, lesson1, typed_keys(lesson1.text, interval=15_000), moments[2], monkeypatch)
    play_at(
        client,
        lesson2,
        typed_keys(lesson2.text, interval=90, mistakes={0: "s"}),
        moments[3],
        monkeypatch,
    )
    play(client, fast, typed_keys(fast.text, interval=25))  # flagged: never counted


def test_rebuilding_gives_exactly_what_completion_recorded(client, course, monkeypatch):
    tokyo = make_user("tokyo@example.com", time_zone="Asia/Tokyo")
    client.force_login(tokyo)
    play_a_varied_history(client, course, monkeypatch)
    before = aggregates_of(tokyo)
    # In Tokyo the four counted sessions fall on 1, 2, 4 and 4 March.
    assert [day[0].day for day in before["days"]] == [1, 2, 4]
    KeyStat.objects.filter(user=tokyo).update(hits=0)
    DailyStat.objects.filter(user=tokyo).delete()
    out = StringIO()
    call_command("rebuild_stats", "--user", "TOKYO@example.com", stdout=out)
    assert aggregates_of(tokyo) == before
    assert "1 learner(s) from 4 session(s)" in out.getvalue()


def test_rebuilding_everyone_leaves_each_learner_with_their_own(
    client, course, learner, monkeypatch
):
    other = make_user("other@example.com")
    client.force_login(learner)
    play_a_varied_history(client, course, monkeypatch)
    client.force_login(other)
    play(client, course.lessons.get(position=1), typed_keys(course.lessons.get(position=1).text))
    before = {user.pk: aggregates_of(user) for user in (learner, other)}
    call_command("rebuild_stats", stdout=StringIO())
    assert {user.pk: aggregates_of(user) for user in (learner, other)} == before


def test_rebuilding_removes_statistics_no_session_supports(learner):
    DailyStat.objects.create(user=learner, date=datetime(2025, 1, 1).date(), sessions=3)
    call_command("rebuild_stats", stdout=StringIO())
    assert not DailyStat.objects.filter(user=learner).exists()


def test_an_unknown_learner_is_an_error(db):
    with pytest.raises(
        CommandError, match=r"No learner with the email address nobody@example\.com"
    ):
        call_command("rebuild_stats", "--user", "nobody@example.com")
