"""Completing a session adds it to the learner's aggregates, in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from conftest import PASSWORD, make_user
from courses.models import Lesson
from lessons.models import EarnedAchievement, PracticeSession
from stats.models import BigramStat, DailyStat, KeyConfusion, KeyStat

from .conftest import aggregates_of, play, play_at, typed_keys

pytestmark = pytest.mark.django_db


def test_a_completed_session_counts_every_key_pair_and_day(client, learner, lesson1):
    client.force_login(learner)
    # "asdf jkl; asdf jkl; fads lads", 200 ms a key, "g" typed for the "f" at position 3.
    body = play(client, lesson1, typed_keys(lesson1.text, mistakes={3: "g"})).json()
    a = KeyStat.objects.get(user=learner, char="a")
    # Four a's; the first keystroke of the session has no interval to time.
    assert (a.hits, a.errors, a.time_sum_ms, a.time_count) == (4, 0, 600, 3)
    f = KeyStat.objects.get(user=learner, char="f")
    # Three f's and the wrong g typed for one of them.
    assert (f.hits, f.errors, f.time_sum_ms, f.time_count) == (4, 1, 600, 3)
    assert KeyStat.objects.get(user=learner, char=" ").hits == 5
    assert list(KeyConfusion.objects.values_list("expected", "typed", "count")) == [("f", "g", 1)]
    d_to_f = BigramStat.objects.get(user=learner, previous="d", char="f")
    # Typed twice (wrong, then right); the right one came after a wrong key: not a clean
    # transition, so it is not timed; the d→f of the second "asdf" is.
    assert (d_to_f.count, d_to_f.errors, d_to_f.time_count) == (3, 1, 1)
    day = DailyStat.objects.get(user=learner)
    assert day.date == datetime.now(UTC).date()  # the learner's time zone is UTC
    assert (day.sessions, day.characters, day.keystrokes, day.errors) == (1, 29, 30, 1)
    assert day.typed_ms == 29 * 200
    assert day.best_wpm == body["wpm"]
    assert day.wpm_tenths_sum == round(body["wpm"] * 10)


def test_two_sessions_add_up_and_keep_the_best_speed(client, learner, lesson1):
    client.force_login(learner)
    slow = play(client, lesson1, typed_keys(lesson1.text, interval=300)).json()
    fast = play(client, lesson1, typed_keys(lesson1.text, interval=200)).json()
    day = DailyStat.objects.get(user=learner)
    assert day.sessions == 2
    assert day.best_wpm == fast["wpm"] == 62.1
    assert day.mean_wpm == pytest.approx((slow["wpm"] + fast["wpm"]) / 2)
    assert KeyStat.objects.get(user=learner, char="a").hits == 8


def test_completing_twice_counts_once(client, learner, lesson1):
    from lessons.tests.conftest import post_json, send_batches, start

    client.force_login(learner)
    session = start(client, lesson1)
    count = send_batches(client, session, typed_keys(lesson1.text))
    post_json(client, f"/sessions/{session}/complete", {"batches": count})
    post_json(client, f"/sessions/{session}/complete", {"batches": count})
    assert DailyStat.objects.get(user=learner).sessions == 1
    assert KeyStat.objects.get(user=learner, char="a").hits == 4


def test_a_flagged_session_adds_nothing_to_the_statistics(client, learner, course):
    client.force_login(learner)
    lesson = Lesson.objects.create(
        course=course, position=0, title="Fast", text="asdf jkl; " * 6, target_wpm=20
    )
    assert play(client, lesson, typed_keys(lesson.text, interval=25)).json()["flagged"]
    assert not KeyStat.objects.exists()
    assert not BigramStat.objects.exists()
    assert not DailyStat.objects.exists()


def test_a_guests_session_counts_once_the_account_claims_it(client, lesson1):
    play(client, lesson1, typed_keys(lesson1.text, mistakes={0: "s"}))
    assert not KeyStat.objects.exists()  # a visitor has no statistics
    client.post(
        "/accounts/signup/",
        {"email": "newbie@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    session = PracticeSession.objects.get()
    assert session.user is not None
    a = KeyStat.objects.get(user=session.user, char="a")
    assert (a.hits, a.errors) == (5, 1)
    assert DailyStat.objects.get(user=session.user).sessions == 1
    assert KeyConfusion.objects.get(user=session.user).typed == "s"


def test_the_day_is_the_learners_own_day(client, lesson1, monkeypatch):
    tokyo = make_user("tokyo@example.com", time_zone="Asia/Tokyo")
    client.force_login(tokyo)
    # 23:30 UTC on 3 March is 08:30 on 4 March in Tokyo.
    play_at(
        client,
        lesson1,
        typed_keys(lesson1.text),
        datetime(2025, 3, 3, 23, 30, tzinfo=UTC),
        monkeypatch,
    )
    assert DailyStat.objects.get(user=tokyo).date == date(2025, 3, 4)


def test_a_session_just_before_midnight_and_one_just_after_are_two_days(
    client, learner, lesson1, monkeypatch
):
    client.force_login(learner)
    keys = typed_keys(lesson1.text)
    play_at(client, lesson1, keys, datetime(2025, 3, 3, 23, 59, 59, tzinfo=UTC), monkeypatch)
    play_at(client, lesson1, keys, datetime(2025, 3, 4, 0, 0, 0, tzinfo=UTC), monkeypatch)
    assert list(DailyStat.objects.order_by("date").values_list("date", "sessions")) == [
        (date(2025, 3, 3), 1),
        (date(2025, 3, 4), 1),
    ]


def test_seven_days_in_a_row_in_the_learners_time_zone_earn_the_streak(
    client, lesson1, monkeypatch
):
    tokyo = make_user("tokyo@example.com", time_zone="Asia/Tokyo")
    client.force_login(tokyo)
    today = date(2025, 3, 10)
    DailyStat.objects.bulk_create(
        [DailyStat(user=tokyo, date=today - timedelta(days=n), sessions=1) for n in range(1, 7)]
    )
    # 9 March 23:30 UTC is already 10 March in Tokyo: the seventh day.
    body = play_at(
        client,
        lesson1,
        typed_keys(lesson1.text),
        datetime(2025, 3, 9, 23, 30, tzinfo=UTC),
        monkeypatch,
    )
    assert "streak_7" in [a["code"] for a in body["achievements"]]


def test_six_days_and_a_gap_earn_no_streak(client, learner, lesson1, monkeypatch):
    client.force_login(learner)
    today = date(2025, 3, 10)
    DailyStat.objects.bulk_create(
        [DailyStat(user=learner, date=today - timedelta(days=n), sessions=1) for n in range(2, 8)]
    )
    body = play_at(
        client,
        lesson1,
        typed_keys(lesson1.text),
        datetime(2025, 3, 10, 12, tzinfo=UTC),
        monkeypatch,
    )
    assert "streak_7" not in [a["code"] for a in body["achievements"]]


def test_ten_hours_typed_are_read_from_the_daily_statistics(client, learner, lesson1):
    client.force_login(learner)
    ten_hours = 10 * 60 * 60 * 1000
    DailyStat.objects.create(
        user=learner, date=date(2024, 1, 1), sessions=900, typed_ms=ten_hours - 5000
    )
    play(client, lesson1, typed_keys(lesson1.text))  # 5 800 ms more
    assert EarnedAchievement.objects.filter(user=learner, code="ten_hours").exists()


def test_just_under_ten_hours_earns_nothing(client, learner, lesson1):
    client.force_login(learner)
    ten_hours = 10 * 60 * 60 * 1000
    DailyStat.objects.create(
        user=learner, date=date(2024, 1, 1), sessions=900, typed_ms=ten_hours - 5801
    )
    play(client, lesson1, typed_keys(lesson1.text))  # 5 800 ms more
    assert not EarnedAchievement.objects.filter(user=learner, code="ten_hours").exists()


def test_each_learner_has_their_own_aggregates(client, learner, other_learner, lesson1):
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text))
    client.force_login(other_learner)
    play(client, lesson1, typed_keys(lesson1.text))
    play(client, lesson1, typed_keys(lesson1.text))
    assert aggregates_of(learner)["days"][0][1] == 1
    assert aggregates_of(other_learner)["days"][0][1] == 2
    assert KeyStat.objects.get(user=learner, char="a").hits == 4


def test_quotes_braces_and_backslashes_are_counted_like_any_key(client, learner, course):
    client.force_login(learner)
    text = 'say "{a,b}" \\ it\'s [x]; done'
    lesson = Lesson.objects.create(course=course, position=0, title="Symbols", text=text)
    play(client, lesson, typed_keys(text, mistakes={4: "'", 5: "}"}))
    play(client, lesson, typed_keys(text))
    stats = dict(KeyStat.objects.filter(user=learner).values_list("char", "hits"))
    assert stats['"'] == 2 * 2 + 1
    assert stats["{"] == 2 + 1
    assert stats["\\"] == 2
    assert stats[","] == 2
    assert KeyConfusion.objects.get(user=learner, expected='"').typed == "'"
    assert BigramStat.objects.get(user=learner, previous="\\", char=" ").count == 2
    assert BigramStat.objects.get(user=learner, previous='"', char="{").count == 2 + 1
