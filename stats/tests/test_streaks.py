"""The database counts streaks (current and longest) exactly as the pure rules do."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from stats.aggregates import current_streak, longest_streak
from stats.models import DailyStat

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 10)


def practise(user, days):
    DailyStat.objects.bulk_create([DailyStat(user=user, date=day, sessions=1) for day in days])


def test_no_practice_is_no_streak(learner):
    assert DailyStat.objects.streaks(learner.pk, TODAY) == (0, 0)


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [
        ((0,), (1, 1)),
        ((1, 2, 3), (3, 3)),  # ended yesterday: still current today
        ((2, 3), (0, 2)),
        ((0, 1, 5, 6, 7, 8), (2, 4)),
        ((0, 1, 2, 3, 4, 5, 6), (7, 7)),
    ],
)
def test_streaks_from_the_database(learner, offsets, expected):
    practise(learner, [TODAY - timedelta(days=n) for n in offsets])
    assert DailyStat.objects.streaks(learner.pk, TODAY) == expected


def test_a_run_across_a_leap_day_and_a_new_year_is_one_run(learner):
    practise(
        learner,
        [
            date(2023, 12, 31),
            date(2024, 1, 1),
            date(2024, 2, 28),
            date(2024, 2, 29),
            date(2024, 3, 1),
        ],
    )
    assert DailyStat.objects.streaks(learner.pk, date(2024, 3, 2)) == (3, 3)


def test_days_after_today_do_not_count(learner):
    # A learner who moved west can have a day that is still "tomorrow" where they are now.
    practise(learner, [TODAY, TODAY + timedelta(days=1)])
    assert DailyStat.objects.streaks(learner.pk, TODAY) == (1, 1)


def test_only_the_learners_own_days_count(learner, other_learner):
    practise(other_learner, [TODAY - timedelta(days=n) for n in range(5)])
    practise(learner, [TODAY])
    assert DailyStat.objects.streaks(learner.pk, TODAY) == (1, 1)


@pytest.mark.parametrize("seed", range(5))
def test_the_database_agrees_with_the_pure_rules_on_a_random_year(learner, seed):
    rng = random.Random(seed)
    days = {TODAY - timedelta(days=n) for n in range(365) if rng.random() < 0.7}
    practise(learner, sorted(days))
    assert DailyStat.objects.streaks(learner.pk, TODAY) == (
        current_streak(days, TODAY),
        longest_streak(days),
    )
