"""The pure rules: what a session adds to the aggregates, weak keys, streaks, local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lessons.scoring import Keystroke, replay
from stats.aggregates import (
    Deltas,
    KeyFigures,
    current_streak,
    is_weak,
    key_deltas,
    local_date,
    longest_streak,
    session_deltas,
    streak_ending,
    weak_keys,
    week_start,
)


def events(text: str, typed: list[tuple[int, str, int]]):
    keys = [Keystroke(pos, ch, t) for pos, ch, t in typed]
    return replay(text, keys, skip_indent=False).events


def test_every_keystroke_is_a_hit_of_the_expected_key_and_a_wrong_one_an_error():
    deltas = key_deltas(events("ab", [(0, "a", 0), (1, "x", 100), (1, "b", 250)]))
    assert deltas.keys["a"].hits == 1
    assert (deltas.keys["b"].hits, deltas.keys["b"].errors) == (2, 1)
    assert deltas.confusions == {("b", "x"): 1}


def test_only_correct_keystrokes_are_timed_by_the_interval_before_them():
    deltas = key_deltas(events("ab", [(0, "a", 0), (1, "x", 100), (1, "b", 250)]))
    assert (deltas.keys["a"].time_sum_ms, deltas.keys["a"].time_count) == (0, 0)  # first key
    assert (deltas.keys["b"].time_sum_ms, deltas.keys["b"].time_count) == (150, 1)


def test_intervals_outside_40_to_12000_ms_are_not_timed():
    deltas = key_deltas(
        events("abcd", [(0, "a", 0), (1, "b", 39), (2, "c", 12_040), (3, "d", 12_080)])
    )
    assert deltas.keys["b"].time_count == 0
    assert deltas.keys["c"].time_count == 0
    assert (deltas.keys["d"].time_sum_ms, deltas.keys["d"].time_count) == (40, 1)


def test_a_bigram_is_timed_only_for_a_clean_transition():
    deltas = key_deltas(
        events("abab", [(0, "a", 0), (1, "b", 100), (2, "a", 200), (3, "x", 300), (3, "b", 500)])
    )
    ab = deltas.bigrams[("a", "b")]
    # a→b twice right (once after a wrong x) and once wrong; only the first is a clean transition.
    assert (ab.count, ab.errors, ab.time_sum_ms, ab.time_count) == (3, 1, 100, 1)
    assert deltas.bigrams[("b", "a")].count == 1
    assert ("x", "b") not in deltas.bigrams  # "previous" is the last *correct* character


def test_the_first_keystroke_has_no_bigram():
    deltas = key_deltas(events("ab", [(0, "x", 0), (0, "a", 100), (1, "b", 200)]))
    assert list(deltas.bigrams) == [("a", "b")]


def test_a_session_adds_one_day_with_its_figures():
    ev = events("abc", [(0, "a", 0), (1, "x", 100), (1, "b", 200), (2, "c", 300)])
    deltas = session_deltas(ev, day=date(2025, 3, 4), wpm=42.3, duration_ms=300, text_length=3)
    day = deltas.days[date(2025, 3, 4)]
    assert (day.sessions, day.typed_ms, day.characters, day.keystrokes, day.errors) == (
        1,
        300,
        3,
        4,
        1,
    )
    assert (day.best_wpm, day.wpm_tenths_sum) == (42.3, 423)


def test_adding_deltas_sums_counts_and_keeps_the_best_speed():
    ev = events("ab", [(0, "a", 0), (1, "b", 100)])
    total = Deltas()
    total.add(session_deltas(ev, day=date(2025, 1, 1), wpm=30.1, duration_ms=100, text_length=2))
    total.add(session_deltas(ev, day=date(2025, 1, 1), wpm=50.2, duration_ms=100, text_length=2))
    total.add(session_deltas(ev, day=date(2025, 1, 2), wpm=20.0, duration_ms=100, text_length=2))
    assert total.keys["b"].hits == 3
    assert total.bigrams[("a", "b")].time_sum_ms == 300
    first = total.days[date(2025, 1, 1)]
    assert (first.sessions, first.best_wpm, first.wpm_tenths_sum) == (2, 50.2, 803)
    assert total.days[date(2025, 1, 2)].sessions == 1


# --- Weak keys: error rate > 15 % or mean > 400 ms, with at least 20 samples --------------------


def test_a_key_with_19_keystrokes_is_never_weak_however_bad():
    assert not is_weak(hits=19, errors=19, time_sum_ms=19 * 900, time_count=19)


def test_20_keystrokes_are_enough_to_judge_a_key():
    assert is_weak(hits=20, errors=4, time_sum_ms=0, time_count=0)  # 20 %


def test_an_error_rate_of_exactly_15_percent_is_not_weak():
    assert not is_weak(hits=20, errors=3, time_sum_ms=0, time_count=0)
    assert not is_weak(hits=1000, errors=150, time_sum_ms=0, time_count=0)


def test_an_error_rate_of_15_1_percent_is_weak():
    assert is_weak(hits=1000, errors=151, time_sum_ms=0, time_count=0)


def test_a_mean_of_exactly_400_ms_is_not_weak_and_401_is():
    assert not is_weak(hits=20, errors=0, time_sum_ms=20 * 400, time_count=20)
    assert is_weak(hits=20, errors=0, time_sum_ms=20 * 401, time_count=20)


def test_slowness_needs_20_timed_keystrokes():
    assert not is_weak(hits=40, errors=0, time_sum_ms=19 * 900, time_count=19)


def test_weak_keys_come_weakest_first_with_the_reason():
    keys = [
        KeyFigures("a", hits=100, errors=20),  # 20 % wrong: 1.33× the threshold
        KeyFigures("b", hits=100, errors=1, time_sum_ms=100 * 800, time_count=100),  # 2×
        KeyFigures("c", hits=100, errors=1, time_sum_ms=100 * 200, time_count=100),
    ]
    assert [key.char for key in weak_keys(keys)] == ["b", "a"]
    assert keys[0].weakness == "20 % wrong"
    assert keys[1].weakness == "800 ms"
    assert keys[2].weakness == ""


# --- Days and streaks ----------------------------------------------------------------------------


def test_23_30_utc_is_already_tomorrow_in_tokyo():
    moment = datetime(2025, 3, 3, 23, 30, tzinfo=UTC)
    assert local_date(moment, "UTC") == date(2025, 3, 3)
    assert local_date(moment, "Asia/Tokyo") == date(2025, 3, 4)


def test_midnight_belongs_to_the_day_that_starts():
    assert local_date(datetime(2025, 3, 4, 0, 0, tzinfo=UTC), "UTC") == date(2025, 3, 4)
    assert local_date(datetime(2025, 3, 3, 23, 59, 59, tzinfo=UTC), "UTC") == date(2025, 3, 3)
    # Midnight in Tokyo is 15:00 UTC the day before.
    assert local_date(datetime(2025, 3, 3, 15, 0, tzinfo=UTC), "Asia/Tokyo") == date(2025, 3, 4)
    assert local_date(datetime(2025, 3, 3, 14, 59, tzinfo=UTC), "Asia/Tokyo") == date(2025, 3, 3)


def test_an_unknown_time_zone_falls_back_to_utc():
    assert local_date(datetime(2025, 3, 3, 23, 30, tzinfo=UTC), "Mars/Olympus") == date(2025, 3, 3)


def days_back(today: date, *offsets: int) -> set[date]:
    return {today - timedelta(days=n) for n in offsets}


def test_the_current_streak_counts_back_from_today():
    today = date(2025, 3, 10)
    assert current_streak(days_back(today, 0, 1, 2, 4), today) == 3


def test_a_streak_ending_yesterday_is_still_alive_today():
    today = date(2025, 3, 10)
    assert current_streak(days_back(today, 1, 2, 3), today) == 3
    assert current_streak(days_back(today, 2, 3), today) == 0


def test_a_streak_ending_on_a_day_must_include_that_day():
    today = date(2025, 3, 10)
    assert streak_ending(days_back(today, 1, 2, 3), today) == 0
    assert streak_ending(days_back(today, 0, 1, 2, 3, 4, 5, 6), today) == 7


def test_the_longest_streak_is_the_longest_run_of_days():
    today = date(2025, 3, 10)
    assert longest_streak(days_back(today, 0, 1, 5, 6, 7, 8, 20)) == 4
    assert longest_streak([]) == 0


def test_a_streak_runs_across_months_and_years():
    assert longest_streak([date(2024, 12, 31), date(2025, 1, 1), date(2025, 1, 2)]) == 3
    assert longest_streak([date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]) == 3


@pytest.mark.parametrize(
    ("day", "monday"),
    [(date(2025, 3, 10), date(2025, 3, 10)), (date(2025, 3, 16), date(2025, 3, 10))],
)
def test_a_week_starts_on_monday(day, monday):
    assert week_start(day) == monday
