"""The figures read from the aggregates have one home each: a day summary, the mean time of a
key or pair, the runs of practice days. Every page, the coach and the email call these."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db import connection

from stats.aggregates import DaySummary, streak_ending
from stats.models import BigramStat, DailyStat, KeyStat

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 10)


def day(user, offset: int, *, sessions=1, tenths=300, keystrokes=100, errors=5, best=31.0):
    return DailyStat.objects.create(
        user=user,
        date=TODAY - timedelta(days=offset),
        sessions=sessions,
        typed_ms=90_000 * sessions,
        characters=80 * sessions,
        keystrokes=keystrokes,
        errors=errors,
        best_wpm=best,
        wpm_tenths_sum=tenths,
    )


def test_a_summary_adds_the_days_up_in_one_query(learner, other_learner, django_assert_num_queries):
    day(learner, 0, sessions=2, tenths=700, keystrokes=200, errors=10, best=40.5)
    day(learner, 3, sessions=1, tenths=250, keystrokes=100, errors=30, best=25.0)
    day(other_learner, 0, sessions=5, tenths=5000)
    with django_assert_num_queries(1):
        summary = DailyStat.objects.for_user(learner).summary()
    assert summary == DaySummary(
        sessions=3,
        days=2,
        typed_ms=270_000,
        characters=240,
        keystrokes=300,
        errors=40,
        best_wpm=40.5,
        wpm_tenths_sum=950,
    )
    assert summary.mean_wpm == pytest.approx(95 / 3)
    assert summary.accuracy == pytest.approx(100 * 260 / 300)


def test_a_summary_of_no_days_has_no_mean_and_no_accuracy(learner):
    summary = DailyStat.objects.for_user(learner).summary()
    assert summary == DaySummary()
    assert summary.mean_wpm is None
    assert summary.accuracy is None
    assert summary.best_wpm is None


def test_since_and_until_both_count_their_own_day(learner):
    for offset in range(10):
        day(learner, offset, tenths=10 * (offset + 1))
    days = DailyStat.objects.for_user(learner)
    week = days.summary(since=TODAY - timedelta(days=6), until=TODAY - timedelta(days=2))
    assert week.days == 5
    assert week.wpm_tenths_sum == sum(10 * (n + 1) for n in range(2, 7))
    assert days.summary(until=TODAY - timedelta(days=8)).days == 2
    assert days.recent(TODAY, 7).summary().days == 7


def test_the_last_practised_days_reach_back_over_gaps(learner):
    for offset in (0, 2, 30, 31, 90):
        day(learner, offset, tenths=100 * (offset + 1))
    last = DailyStat.objects.for_user(learner).last_practised(3).summary()
    assert last.days == 3
    assert last.wpm_tenths_sum == 100 * (1 + 3 + 31)


def test_a_day_row_reads_its_mean_and_accuracy_as_the_summary_does(learner):
    row = day(learner, 0, sessions=4, tenths=1234, keystrokes=400, errors=17)
    summary = DailyStat.objects.for_user(learner).summary()
    assert row.mean_wpm == summary.mean_wpm
    assert row.accuracy == summary.accuracy
    empty = DailyStat(user=learner, date=TODAY)
    assert (empty.mean_wpm, empty.accuracy) == (0.0, 0.0)


def test_mean_key_times_are_null_until_a_key_is_timed(learner):
    KeyStat.objects.create(user=learner, char="a", hits=10, time_sum_ms=2_000, time_count=8)
    KeyStat.objects.create(user=learner, char="b", hits=3, errors=3)
    means = dict(KeyStat.objects.for_user(learner).with_mean().values_list("char", "mean_ms"))
    assert means == {"a": pytest.approx(250.0), "b": None}
    figures = KeyStat.objects.figures(learner)
    assert figures["a"].mean_ms == pytest.approx(means["a"])
    assert figures["b"].mean_ms is None


def test_the_slowest_pairs_are_the_timed_ones_by_mean_then_by_keys(learner, other_learner):
    for previous, char, total, count in [
        ("a", "s", 3_000, 10),  # 300 ms
        ("d", "f", 4_000, 10),  # 400 ms
        ("j", "k", 2_000, 5),  # 400 ms
        ("k", "l", 1_000, 1),  # 1 000 ms, one sample
        ("l", ";", 0, 0),  # never timed
    ]:
        BigramStat.objects.create(
            user=learner,
            previous=previous,
            char=char,
            count=count + 2,
            time_sum_ms=total,
            time_count=count,
        )
    BigramStat.objects.create(
        user=other_learner, previous="q", char="w", count=9, time_sum_ms=9_000, time_count=9
    )
    pairs = BigramStat.objects.for_user(learner)
    assert [(p.previous + p.char, p.mean_ms) for p in pairs.slowest(10)] == [
        ("kl", 1000.0),
        ("df", 400.0),
        ("jk", 400.0),
        ("as", 300.0),
    ]
    assert [p.previous + p.char for p in pairs.slowest(2, min_samples=5)] == ["df", "jk"]
    assert pairs.with_mean().get(previous="l").mean_ms is None


@pytest.mark.parametrize("seed", range(4))
def test_the_streak_the_achievement_reads_is_the_pure_rule(learner, seed):
    rng = random.Random(seed)
    days = {TODAY - timedelta(days=n) for n in range(40) if rng.random() < 0.75}
    DailyStat.objects.bulk_create([DailyStat(user=learner, date=d, sessions=1) for d in days])
    for offset in range(30):
        end = TODAY - timedelta(days=offset)
        since = end - timedelta(days=7)
        sql, params = DailyStat.objects.streak_ending_sql(learner.pk, end, since=since)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {sql}", params)
            found = cursor.fetchone()[0]
        window = {d for d in days if since <= d <= end}
        assert found == streak_ending(window, end), end
