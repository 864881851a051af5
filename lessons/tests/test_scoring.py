"""Replay and scoring rules. Pure functions: no database, no Django."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import pytest

from lessons.scoring import (
    FLAG_MEDIAN,
    FLAG_SPEED,
    MAX_KEYS_PER_BATCH,
    BatchError,
    KeyEvent,
    Keystroke,
    Replay,
    ReplayError,
    Result,
    TooShort,
    check_batch_follows_text,
    median_interval,
    parse_keys,
    rating_for,
    replay,
    score,
)

CODE = "if x:\n    y = 1\nz"  # the indentation is positions 6-9


def typed_perfectly(
    text: str,
    *,
    interval: int = 200,
    skip_indent: bool = False,
    wrong: Mapping[int, str] | None = None,
    start: int = 0,
) -> list[Keystroke]:
    """Keystrokes for typing `text` to the end, one key every `interval` ms from `start`.
    `wrong` maps a text position to the wrong characters pressed there before the right one."""
    wrong = wrong or {}
    keys: list[Keystroke] = []
    pos = 0
    while pos < len(text):
        for ch in [*wrong.get(pos, ""), text[pos]]:
            keys.append(Keystroke(pos=pos, typed=ch, t=start + interval * len(keys)))
        pos += 1
        if skip_indent and text[pos - 1] == "\n":
            while pos < len(text) and text[pos] == " ":
                pos += 1
    return keys


def at_times(keys: Sequence[Keystroke], times: Sequence[int]) -> list[Keystroke]:
    """The same keystrokes at other times."""
    assert len(keys) == len(times)
    return [Keystroke(pos=k.pos, typed=k.typed, t=t) for k, t in zip(keys, times, strict=True)]


def with_intervals(keys: Sequence[Keystroke], intervals: Sequence[int]) -> list[Keystroke]:
    """The same keystrokes, the first at 0 ms and each next one `intervals[i]` ms later."""
    times = [0]
    for gap in intervals:
        times.append(times[-1] + gap)
    return at_times(keys, times)


def letters(n: int) -> str:
    return ("abcdefghij" * (n // 10 + 1))[:n]


def scored(text: str, keys: Sequence[Keystroke], *, target_wpm: int = 20) -> Result:
    return score(replay(text, keys, skip_indent=False), target_wpm=target_wpm)


# --- A perfect run -------------------------------------------------------------------------------


def test_a_perfect_run_scores_exact_wpm_cpm_and_full_accuracy() -> None:
    # 61 characters, 60 gaps of 200 ms: T = 12 000 ms = 0.2 min.
    # WPM = (61 / 5) / 0.2 = 12.2 / 0.2 = 61.0; CPM = 5 × 61 = 305.0; accuracy = 100 × 61 / 61.
    text = letters(61)
    result = scored(text, typed_perfectly(text, interval=200), target_wpm=40)
    assert result == Result(
        wpm=61.0,
        raw_wpm=61.0,
        cpm=305.0,
        accuracy=100.0,
        errors=0,
        keystrokes=61,
        duration_ms=12_000,
        rating=5,
        flagged=False,
        flag_reason="",
    )


def test_cpm_is_five_times_the_exact_wpm_rounded_on_its_own() -> None:
    # 60 characters, 59 gaps of 200 ms: T = 11 800 ms.
    # WPM = 12 / (11 800 / 60 000) = 61.016… → 61.0; CPM = 305.084… → 305.1 (not 5 × 61.0).
    text = letters(60)
    result = scored(text, typed_perfectly(text, interval=200))
    assert result.wpm == 61.0
    assert result.cpm == 305.1
    assert result.duration_ms == 11_800


def test_a_perfect_replay_reports_counts_duration_and_intervals() -> None:
    text = letters(12)
    keys = typed_perfectly(text, interval=150, start=700)
    result = replay(text, keys, skip_indent=False)
    assert result.text_length == 12
    assert result.keystrokes == 12
    assert result.errors == 0
    assert result.duration_ms == 11 * 150  # from the first key, not from zero
    assert result.intervals == (150,) * 11
    assert all(event.correct for event in result.events)
    assert [event.expected for event in result.events] == list(text)


# --- Errors and corrections ----------------------------------------------------------------------


def test_a_wrong_key_keeps_the_cursor_and_counts_an_error() -> None:
    text = "abcdefghij"
    keys = typed_perfectly(text, wrong={3: "x"})
    assert [key.pos for key in keys] == [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9]
    result = replay(text, keys, skip_indent=False)
    assert result.keystrokes == 11
    assert result.errors == 1
    assert result.events[3] == KeyEvent(
        expected="d", typed="x", previous="c", interval_ms=200, correct=False
    )
    assert result.events[4] == KeyEvent(
        expected="d", typed="d", previous="c", interval_ms=200, correct=True
    )


def test_accuracy_counts_every_wrong_press_even_at_the_same_position() -> None:
    # 16 characters, 3 wrong presses at position 2 and 1 at position 5: k = 20, e = 4.
    # Accuracy = 100 × (20 − 4) / 20 = 80.0.
    text = letters(16)
    result = scored(text, typed_perfectly(text, wrong={2: "xyz", 5: "q"}))
    assert result.errors == 4
    assert result.keystrokes == 20
    assert result.accuracy == 80.0


def test_raw_wpm_counts_every_keystroke_while_wpm_counts_the_text() -> None:
    # 20 characters + 4 wrong presses = 24 keys, 23 gaps of 250 ms: T = 5750 ms.
    # WPM = 4 / (5750 / 60 000) = 41.739… → 41.7; raw = 4.8 / 0.0958… = 50.086… → 50.1.
    text = letters(20)
    result = scored(text, typed_perfectly(text, interval=250, wrong={0: "zz", 19: "zz"}))
    assert result.wpm == 41.7
    assert result.raw_wpm == 50.1
    assert result.accuracy == 83.3  # 100 × 20 / 24 = 83.33…


def test_a_correct_key_typed_twice_is_a_position_error_not_a_typing_error() -> None:
    text = letters(10)
    keys = typed_perfectly(text)
    keys.insert(2, Keystroke(pos=1, typed="b", t=keys[1].t))
    with pytest.raises(
        ReplayError, match=r"^keystroke 2 is at position 1 but the cursor was at position 2$"
    ):
        replay(text, keys, skip_indent=False)


# --- Newlines and indentation --------------------------------------------------------------------


def test_code_mode_skips_the_indentation_after_a_correct_newline() -> None:
    keys = typed_perfectly(CODE, skip_indent=True)
    assert [key.pos for key in keys] == [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16]
    result = replay(CODE, keys, skip_indent=True)
    assert result.keystrokes == 13
    assert result.errors == 0
    assert result.text_length == len(CODE)


def test_code_mode_refuses_a_key_inside_the_skipped_indentation() -> None:
    keys = typed_perfectly(CODE, skip_indent=False)  # types the four spaces too
    with pytest.raises(
        ReplayError, match=r"^keystroke 6 is at position 6 but the cursor was at position 10$"
    ):
        replay(CODE, keys, skip_indent=True)


def test_without_skip_indent_the_spaces_must_be_typed() -> None:
    keys = typed_perfectly(CODE, skip_indent=False)
    assert [key.pos for key in keys][5:11] == [5, 6, 7, 8, 9, 10]
    assert replay(CODE, keys, skip_indent=False).keystrokes == len(CODE)


def test_without_skip_indent_jumping_over_the_spaces_is_refused() -> None:
    keys = typed_perfectly(CODE, skip_indent=True)
    with pytest.raises(
        ReplayError, match=r"^keystroke 6 is at position 10 but the cursor was at position 6$"
    ):
        replay(CODE, keys, skip_indent=False)


def test_a_wrong_key_at_a_newline_does_not_skip_the_indentation() -> None:
    keys = typed_perfectly(CODE, skip_indent=True, wrong={5: " "})
    assert [key.pos for key in keys][5:8] == [5, 5, 10]
    result = replay(CODE, keys, skip_indent=True)
    assert result.errors == 1
    assert result.events[5] == KeyEvent(
        expected="\n", typed=" ", previous=":", interval_ms=200, correct=False
    )


def test_code_mode_skips_only_spaces_so_a_blank_line_still_needs_its_newline() -> None:
    text = "def f():\n\n    return 1"
    keys = typed_perfectly(text, skip_indent=True)
    assert [key.pos for key in keys][7:11] == [7, 8, 9, 14]
    assert replay(text, keys, skip_indent=True).keystrokes == len(text) - 4


def test_indentation_at_the_very_end_is_skipped_and_the_text_is_finished() -> None:
    text = "abcdefghi\n   "
    keys = typed_perfectly(text, skip_indent=True)
    assert len(keys) == 10
    assert replay(text, keys, skip_indent=True).keystrokes == 10


def test_previous_across_an_indentation_skip_is_the_newline() -> None:
    events = replay(CODE, typed_perfectly(CODE, skip_indent=True), skip_indent=True).events
    assert events[6].expected == "y"
    assert events[6].previous == "\n"


# --- Unicode -------------------------------------------------------------------------------------


def test_cyrillic_text_typed_with_cyrillic_keys_replays_and_scores() -> None:
    text = "съешь же ещё"
    raw = [[key.pos, key.typed, key.t] for key in typed_perfectly(text, wrong={6: "ш"})]
    keys = parse_keys(raw, text_length=len(text))
    assert keys[6] == Keystroke(pos=6, typed="ш", t=1200)
    result = replay(text, keys, skip_indent=False)
    assert result.errors == 1
    assert result.events[7] == KeyEvent(
        expected="ж", typed="ж", previous=" ", interval_ms=200, correct=True
    )
    assert score(result, target_wpm=20).accuracy == 92.3  # 100 × 12 / 13 = 92.307…


@pytest.mark.parametrize("typed", ["ж", "ё", "é", "😀", "\n", " "])
def test_parse_keys_accepts_any_single_code_point(typed: str) -> None:
    assert parse_keys([[0, typed, 0]], text_length=10)[0].typed == typed


@pytest.mark.parametrize(
    "typed",
    [
        "е\u0308",  # Cyrillic е + combining diaeresis: looks like ё, two code points
        "e\u0301",  # e + combining acute
        "👍🏽",  # emoji + skin-tone modifier
        "ab",
    ],
)
def test_parse_keys_rejects_a_multi_code_point_typed_value(typed: str) -> None:
    with pytest.raises(BatchError, match=r'^keys\[0\]: "typed" must be exactly one character$'):
        parse_keys([[0, typed, 0]], text_length=10)


# --- Too short -----------------------------------------------------------------------------------


def test_a_session_under_one_second_is_too_short_to_score() -> None:
    text = letters(10)
    keys = with_intervals(typed_perfectly(text), [111] * 9)  # T = 999 ms
    assert replay(text, keys, skip_indent=False).duration_ms == 999
    with pytest.raises(TooShort, match=r"too short to score: the session lasted 999 ms"):
        scored(text, keys)


def test_a_session_of_exactly_one_second_is_scored() -> None:
    text = letters(10)
    keys = with_intervals(typed_perfectly(text), [111] * 8 + [112])  # T = 1000 ms
    result = scored(text, keys)
    assert result.duration_ms == 1000
    assert result.wpm == 120.0  # (10 / 5) / (1 / 60)


def test_a_text_under_ten_characters_is_too_short_to_score() -> None:
    text = letters(9)
    with pytest.raises(TooShort, match=r"too short to score: the text has 9 characters"):
        scored(text, typed_perfectly(text, interval=1000))


def test_a_text_of_exactly_ten_characters_is_scored() -> None:
    text = letters(10)
    assert scored(text, typed_perfectly(text, interval=1000)).wpm == 13.3  # 2 / 0.15 = 13.33…


def test_every_scoring_error_is_a_value_error() -> None:
    assert issubclass(TooShort, ValueError)
    assert issubclass(BatchError, ValueError)
    assert issubclass(ReplayError, ValueError)


# --- Flags ---------------------------------------------------------------------------------------


def test_exactly_350_wpm_is_not_flagged() -> None:
    # 35 characters in T = 1200 ms: (35 / 5) / (1200 / 60 000) = 7 / 0.02 = 350.0.
    text = letters(35)
    keys = with_intervals(typed_perfectly(text), [36] * 33 + [12])
    result = scored(text, keys)
    assert (result.wpm, result.duration_ms) == (350.0, 1200)
    assert not result.flagged
    assert result.flag_reason == ""


def test_350_point_1_wpm_is_flagged_for_speed() -> None:
    # 36 characters in T = 1234 ms: 7.2 / (1234 / 60 000) = 350.08… → 350.1.
    text = letters(36)
    keys = with_intervals(typed_perfectly(text), [35] * 34 + [44])
    result = scored(text, keys)
    assert (result.wpm, result.duration_ms) == (350.1, 1234)
    assert result.flagged
    assert result.flag_reason == FLAG_SPEED == "speed above 350 WPM"


def test_speed_is_judged_on_the_rounded_wpm() -> None:
    # 36 characters in T = 1235 ms: 349.797… → 349.8, not flagged.
    text = letters(36)
    keys = with_intervals(typed_perfectly(text), [35] * 34 + [45])
    assert not scored(text, keys).flagged


def _bursty(n_keys: int, fast: int) -> tuple[str, list[Keystroke]]:
    """A perfect run of n_keys keys: one more fast gap than slow (2 s) gaps, so the median is fast
    while the pauses keep the WPM low."""
    text = letters(n_keys)
    gaps = n_keys - 1
    n_slow = (gaps - 1) // 2
    keys = with_intervals(typed_perfectly(text), [fast] * (gaps - n_slow) + [2000] * n_slow)
    return text, keys


def test_a_median_interval_of_29_ms_over_50_keys_is_flagged() -> None:
    text, keys = _bursty(50, fast=29)  # 25 gaps of 29 ms, 24 of 2000 ms: median 29
    result = scored(text, keys)
    assert median_interval(replay(text, keys, skip_indent=False).intervals) == 29.0
    assert result.wpm < 350
    assert result.flagged
    assert result.flag_reason == FLAG_MEDIAN == "median key interval under 30 ms"


def test_a_median_interval_of_exactly_30_ms_is_not_flagged() -> None:
    text, keys = _bursty(50, fast=30)
    assert median_interval(replay(text, keys, skip_indent=False).intervals) == 30.0
    assert not scored(text, keys).flagged


def test_the_median_rule_needs_50_keystrokes() -> None:
    text, keys = _bursty(49, fast=10)  # median 10 ms, but only 49 keystrokes
    assert median_interval(replay(text, keys, skip_indent=False).intervals) == 10.0
    assert not scored(text, keys).flagged


def test_the_median_rule_counts_keystrokes_including_wrong_ones() -> None:
    text = letters(48)
    keys = typed_perfectly(text, wrong={10: "zz"})  # 50 keystrokes
    keys = with_intervals(keys, [10] * 25 + [2000] * 24)
    result = scored(text, keys)
    assert result.keystrokes == 50
    assert result.flag_reason == FLAG_MEDIAN


def test_the_median_rule_uses_the_raw_intervals_not_the_timed_ones() -> None:
    # Intervals under 40 ms are None in the events but still count towards the median.
    text, keys = _bursty(50, fast=5)
    result = replay(text, keys, skip_indent=False)
    assert sum(event.interval_ms is None for event in result.events) == 26
    assert score(result, target_wpm=20).flag_reason == FLAG_MEDIAN


def test_speed_is_the_reason_given_when_both_flags_apply() -> None:
    text = letters(60)
    keys = typed_perfectly(text, interval=20)  # median 20 ms and 600 WPM
    result = scored(text, keys)
    assert result.flagged
    assert result.flag_reason == FLAG_SPEED


def test_a_flagged_result_keeps_its_computed_rating() -> None:
    text = letters(36)
    keys = with_intervals(typed_perfectly(text), [35] * 34 + [44])
    result = scored(text, keys, target_wpm=20)
    assert result.flagged
    assert result.rating == 5


def test_median_interval_of_nothing_is_none() -> None:
    assert median_interval([]) is None


@pytest.mark.parametrize(
    ("intervals", "median"),
    [([50], 50.0), ([30, 10, 20], 20.0), ([10, 40, 20, 30], 25.0), ([29, 30], 29.5)],
)
def test_median_interval_takes_the_middle_or_the_mean_of_the_middle_two(
    intervals: list[int], median: float
) -> None:
    assert median_interval(intervals) == median


def test_an_even_count_median_of_29_point_5_is_flagged() -> None:
    text = letters(50)
    keys = with_intervals(typed_perfectly(text), [29] * 24 + [30] + [2000] * 24)
    # 49 gaps sorted: 24 × 29, 30, 24 × 2000 → median 30, not flagged.
    assert not scored(text, keys).flagged
    text = letters(50)
    keys = typed_perfectly(text, wrong={0: "z"})  # 51 keys, 50 gaps: median (29 + 30) / 2
    keys = with_intervals(keys, [29] * 25 + [30] + [2000] * 24)
    assert median_interval(replay(text, keys, skip_indent=False).intervals) == 29.5
    assert scored(text, keys).flag_reason == FLAG_MEDIAN


# --- Rating --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wpm", "accuracy", "stars"),
    [
        # accuracy < 85 → 1, however fast
        (50.0, 84.9, 1),
        (50.0, 85.0, 1),  # out of the first row, but 85 reaches no other row either
        # r ≥ 1.1 and accuracy ≥ 97 → 5
        (22.0, 97.0, 5),
        (21.9, 97.0, 4),
        (22.0, 96.9, 4),
        # r ≥ 1.0 and accuracy ≥ 95 → 4
        (20.0, 95.0, 4),
        (19.9, 95.0, 3),
        (20.0, 94.9, 3),
        # r ≥ 0.9 and accuracy ≥ 92 → 3
        (18.0, 92.0, 3),
        (17.9, 92.0, 2),
        (18.0, 91.9, 2),
        # r ≥ 0.7 and accuracy ≥ 88 → 2
        (14.0, 88.0, 2),
        (13.9, 88.0, 1),
        (14.0, 87.9, 1),
        # otherwise 1
        (0.1, 100.0, 1),
        # the best figures
        (200.0, 100.0, 5),
    ],
)
def test_the_rating_table_at_and_just_below_every_boundary(
    wpm: float, accuracy: float, stars: int
) -> None:
    assert rating_for(wpm=wpm, accuracy=accuracy, target_wpm=20) == stars


@pytest.mark.parametrize(
    ("wpm", "target_wpm", "stars"),
    [
        (13.2, 12, 5),  # 13.2 / 12 is 1.0999… in floats, exactly 1.1 here
        (3.3, 3, 5),
        (11.7, 13, 3),  # exactly 0.9
        (8.1, 9, 3),
        (22.0, 20, 5),
    ],
)
def test_rating_boundaries_are_exact_without_float_error(
    wpm: float, target_wpm: int, stars: int
) -> None:
    assert rating_for(wpm=wpm, accuracy=100.0, target_wpm=target_wpm) == stars


def test_rating_accepts_decimal_figures() -> None:
    assert rating_for(wpm=Decimal("22.0"), accuracy=Decimal("97.0"), target_wpm=20) == 5
    assert rating_for(wpm=Decimal("21.9"), accuracy=Decimal("97.0"), target_wpm=20) == 4


def test_rating_needs_a_positive_target() -> None:
    with pytest.raises(ValueError, match="target_wpm must be positive"):
        rating_for(wpm=30.0, accuracy=100.0, target_wpm=0)


def test_the_rating_is_computed_from_the_rounded_wpm() -> None:
    # 61 characters in 33 333 ms: WPM = 12.2 / 0.55555 = 21.96… → 22.0, which is r = 1.1.
    text = letters(61)
    keys = with_intervals(typed_perfectly(text), [555] * 59 + [588])
    result = scored(text, keys, target_wpm=20)
    assert (result.wpm, result.duration_ms) == (22.0, 33_333)
    assert result.rating == 5


def test_the_rating_is_computed_from_the_rounded_accuracy() -> None:
    # 32 characters + 1 wrong key: accuracy = 100 × 32 / 33 = 96.969… → 97.0, enough for 5 stars.
    text = letters(32)
    result = scored(text, typed_perfectly(text, wrong={4: "z"}), target_wpm=20)
    assert result.accuracy == 97.0
    assert result.rating == 5


# --- Half-up rounding ----------------------------------------------------------------------------


def test_accuracy_rounds_an_exact_half_up() -> None:
    # 397 characters + 3 wrong keys = 400: 100 × 397 / 400 = 99.25 → 99.3 (round() would say 99.2).
    text = letters(397)
    result = scored(text, typed_perfectly(text, wrong={0: "zzz"}))
    assert result.accuracy == 99.3
    assert round(99.25, 1) == 99.2  # why the rule says Decimal, not round()


def test_wpm_rounds_an_exact_half_up() -> None:
    # 49 characters in 48 000 ms: 9.8 / 0.8 = 12.25 → 12.3; CPM = 61.25 → 61.3.
    text = letters(49)
    result = scored(text, typed_perfectly(text, interval=1000))
    assert result.duration_ms == 48_000
    assert result.wpm == 12.3
    assert result.cpm == 61.3


def test_raw_wpm_rounds_an_exact_half_up() -> None:
    # 48 characters + 1 wrong key = 49 keys in 48 000 ms: raw = 9.8 / 0.8 = 12.25 → 12.3.
    text = letters(48)
    result = scored(text, typed_perfectly(text, interval=1000, wrong={0: "z"}))
    assert result.raw_wpm == 12.3
    assert result.wpm == 12.0


def test_just_under_a_half_rounds_down() -> None:
    # 397 characters + 4 wrong keys = 401: 100 × 397 / 401 = 99.002… → 99.0.
    text = letters(397)
    assert scored(text, typed_perfectly(text, wrong={0: "zzzz"})).accuracy == 99.0


# --- Event timing --------------------------------------------------------------------------------


def test_event_intervals_outside_40_to_12000_ms_are_left_out_but_kept_in_the_raw_list() -> None:
    text = letters(10)
    gaps = [39, 40, 12_000, 12_001, 1, 0, 200, 11_999, 41]
    result = replay(text, with_intervals(typed_perfectly(text), gaps), skip_indent=False)
    assert [event.interval_ms for event in result.events] == [
        None,  # the first keystroke
        None,  # 39 ms
        40,
        12_000,
        None,  # 12 001 ms
        None,  # 1 ms
        None,  # 0 ms: same millisecond
        200,
        11_999,
        41,
    ]
    assert result.intervals == tuple(gaps)
    assert result.duration_ms == sum(gaps)


def test_long_pauses_still_count_towards_wpm() -> None:
    # 10 characters, 8 gaps of 100 ms and one of 60 000 ms: T = 60 800 ms → 2 / 1.0133 = 1.97 → 2.0.
    text = letters(10)
    keys = with_intervals(typed_perfectly(text), [100] * 8 + [60_000])
    assert scored(text, keys).wpm == 2.0


def test_the_first_keystroke_has_no_interval_and_no_previous_character() -> None:
    result = replay("abcdefghij", typed_perfectly("abcdefghij", start=5000), skip_indent=False)
    assert result.events[0] == KeyEvent(
        expected="a", typed="a", previous=None, interval_ms=None, correct=True
    )


def test_previous_is_the_last_correct_character_even_after_wrong_keys() -> None:
    text = "abcdefghij"
    events = replay(text, typed_perfectly(text, wrong={0: "x", 3: "yz"}), skip_indent=False).events
    assert [(e.expected, e.typed, e.previous) for e in events[:7]] == [
        ("a", "x", None),
        ("a", "a", None),
        ("b", "b", "a"),
        ("c", "c", "b"),
        ("d", "y", "c"),
        ("d", "z", "c"),
        ("d", "d", "c"),
    ]


# --- parse_keys ----------------------------------------------------------------------------------


def test_parse_keys_turns_a_valid_batch_into_keystrokes() -> None:
    raw = [[0, "a", 0], [1, "b", 120], [1, "x", 120], [2, "\n", 500]]
    assert parse_keys(raw, text_length=3) == [
        Keystroke(0, "a", 0),
        Keystroke(1, "b", 120),
        Keystroke(1, "x", 120),
        Keystroke(2, "\n", 500),
    ]


@pytest.mark.parametrize("raw", ["abc", None, 5, {"0": [0, "a", 0]}, ((0, "a", 0),)])
def test_parse_keys_rejects_keys_that_are_not_a_list(raw: object) -> None:
    with pytest.raises(BatchError, match=r'^"keys" must be a list'):
        parse_keys(raw, text_length=10)


def test_parse_keys_rejects_an_empty_batch() -> None:
    with pytest.raises(BatchError, match=r'^"keys" must not be empty$'):
        parse_keys([], text_length=10)


def test_parse_keys_accepts_exactly_the_maximum_batch() -> None:
    raw = [[i, "a", i] for i in range(MAX_KEYS_PER_BATCH)]
    assert len(parse_keys(raw, text_length=2000)) == MAX_KEYS_PER_BATCH == 1000


def test_parse_keys_rejects_one_key_too_many() -> None:
    raw = [[i, "a", i] for i in range(MAX_KEYS_PER_BATCH + 1)]
    with pytest.raises(BatchError, match=r'^"keys" has 1001 items; a batch may hold at most 1000$'):
        parse_keys(raw, text_length=2000)


GOOD = [[0, "a", 0], [1, "b", 100]]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        # not a list of exactly three
        ([2, "c"], "must be a list of exactly three items [pos, typed, t]"),
        ([2, "c", 200, 0], "must be a list of exactly three items [pos, typed, t]"),
        ([], "must be a list of exactly three items [pos, typed, t]"),
        ((2, "c", 200), "must be a list of exactly three items [pos, typed, t]"),
        ("2c2", "must be a list of exactly three items [pos, typed, t]"),
        (
            {"pos": 2, "typed": "c", "t": 200},
            "must be a list of exactly three items [pos, typed, t]",
        ),
        (None, "must be a list of exactly three items [pos, typed, t]"),
        # pos
        ([True, "c", 200], '"pos" must be an integer'),
        ([2.0, "c", 200], '"pos" must be an integer'),
        (["2", "c", 200], '"pos" must be an integer'),
        ([None, "c", 200], '"pos" must be an integer'),
        ([-1, "c", 200], '"pos" is -1 but must be from 0 to 9 (the text has 10 characters)'),
        ([10, "c", 200], '"pos" is 10 but must be from 0 to 9 (the text has 10 characters)'),
        ([99, "c", 200], '"pos" is 99 but must be from 0 to 9 (the text has 10 characters)'),
        # typed
        ([2, "", 200], '"typed" must be exactly one character'),
        ([2, "cd", 200], '"typed" must be exactly one character'),
        ([2, 99, 200], '"typed" must be a string'),
        ([2, None, 200], '"typed" must be a string'),
        ([2, ["c"], 200], '"typed" must be a string'),
        ([2, "\ud800", 200], '"typed" must be a real character, not NUL or a surrogate'),
        ([2, "\x00", 200], '"typed" must be a real character, not NUL or a surrogate'),
        # t
        ([2, "c", False], '"t" must be an integer number of milliseconds'),
        ([2, "c", True], '"t" must be an integer number of milliseconds'),
        ([2, "c", 200.0], '"t" must be an integer number of milliseconds'),
        ([2, "c", "200"], '"t" must be an integer number of milliseconds'),
        ([2, "c", -1], '"t" is -1 but must be from 0 to 86400000 ms'),
        ([2, "c", 86_400_001], '"t" is 86400001 but must be from 0 to 86400000 ms'),
        ([2, "c", 99], '"t" is 99 ms, earlier than keys[1] at 100 ms'),
    ],
)
def test_parse_keys_rejects_a_bad_key_and_names_its_index(item: object, message: str) -> None:
    with pytest.raises(BatchError) as excinfo:
        parse_keys([*GOOD, item], text_length=10)
    assert str(excinfo.value) == f"keys[2]: {message}"


def test_parse_keys_names_the_first_bad_key_when_the_first_key_is_bad() -> None:
    with pytest.raises(BatchError, match=r'^keys\[0\]: "pos" must be an integer$'):
        parse_keys([[False, "a", 0]], text_length=10)


def test_parse_keys_accepts_the_boundaries() -> None:
    keys = parse_keys([[0, "a", 0], [9, "j", 0], [5, "f", 86_400_000]], text_length=10)
    assert [key.t for key in keys] == [0, 0, 86_400_000]  # equal t is not decreasing


# --- Replay errors -------------------------------------------------------------------------------


def test_replay_refuses_a_session_without_keys() -> None:
    with pytest.raises(ReplayError, match=r"^there are no keystrokes$"):
        replay("abcdefghij", [], skip_indent=False)


def test_replay_refuses_a_key_that_skips_ahead() -> None:
    keys = typed_perfectly("abcdefghij")
    del keys[3]
    with pytest.raises(
        ReplayError, match=r"^keystroke 3 is at position 4 but the cursor was at position 3$"
    ):
        replay("abcdefghij", keys, skip_indent=False)


def test_replay_refuses_a_key_that_goes_back() -> None:
    keys = typed_perfectly("abcdefghij")
    keys[3] = Keystroke(pos=1, typed="b", t=keys[3].t)
    with pytest.raises(
        ReplayError, match=r"^keystroke 3 is at position 1 but the cursor was at position 3$"
    ):
        replay("abcdefghij", keys, skip_indent=False)


def test_replay_refuses_a_key_that_moves_on_after_a_wrong_key() -> None:
    keys = typed_perfectly("abcdefghij")
    keys[2] = Keystroke(pos=2, typed="x", t=keys[2].t)  # wrong, so the cursor stays at 2
    with pytest.raises(
        ReplayError, match=r"^keystroke 3 is at position 3 but the cursor was at position 2$"
    ):
        replay("abcdefghij", keys, skip_indent=False)


def test_replay_refuses_time_going_back_between_batches() -> None:
    text = "abcdefghij"
    first = parse_keys([[0, "a", 0], [1, "b", 100], [2, "c", 200]], text_length=10)
    second = parse_keys(
        [[3, "d", 150], *[[i, text[i], 300 + i] for i in range(4, 10)]], text_length=10
    )
    with pytest.raises(
        ReplayError, match=r"^keystroke 3 is at 150 ms, earlier than keystroke 2 at 200 ms$"
    ):
        replay(text, [*first, *second], skip_indent=False)


def test_replay_refuses_keys_after_the_text_is_finished() -> None:
    keys = typed_perfectly("abcdefghij")
    keys.append(Keystroke(pos=10, typed="k", t=5000))
    with pytest.raises(
        ReplayError,
        match=r"^keystroke 10 comes after the text was finished \(all 10 characters were typed\)$",
    ):
        replay("abcdefghij", keys, skip_indent=False)


def test_replay_refuses_a_repeat_of_the_last_key_after_the_end() -> None:
    keys = typed_perfectly("abcdefghij")
    keys.append(Keystroke(pos=9, typed="j", t=5000))
    with pytest.raises(ReplayError, match=r"^keystroke 10 comes after the text was finished"):
        replay("abcdefghij", keys, skip_indent=False)


def test_replay_refuses_an_unfinished_text() -> None:
    keys = typed_perfectly("abcdefghij")[:7]
    with pytest.raises(
        ReplayError,
        match=r"^the text is not finished: the cursor stopped at position 7 of 10 after 7 ",
    ):
        replay("abcdefghij", keys, skip_indent=False)


def test_replay_refuses_a_text_left_on_a_wrong_last_key() -> None:
    keys = typed_perfectly("abcdefghij")
    keys[-1] = Keystroke(pos=9, typed="x", t=keys[-1].t)
    with pytest.raises(ReplayError, match="cursor stopped at position 9 of 10"):
        replay("abcdefghij", keys, skip_indent=False)


def test_replay_result_is_a_frozen_dataclass() -> None:
    result = replay("abcdefghij", typed_perfectly("abcdefghij"), skip_indent=False)
    assert isinstance(result, Replay)
    with pytest.raises(AttributeError):
        result.errors = 3  # type: ignore[misc]


# --- check_batch_follows_text ------------------------------------------------------------------


def test_a_batch_that_follows_the_text_passes_the_continuity_check():
    keys = [Keystroke(3, "x", 0), Keystroke(3, "d", 100), Keystroke(4, " ", 200)]
    check_batch_follows_text("asdd fj", keys, skip_indent=False)


def test_a_batch_that_skips_ahead_fails_the_continuity_check_naming_the_key():
    keys = [Keystroke(0, "a", 0), Keystroke(2, "d", 100)]
    with pytest.raises(BatchError, match=r'keys\[1\]: "pos" is 2 but the cursor was at 1'):
        check_batch_follows_text("asdf jkl", keys, skip_indent=False)


def test_a_wrong_key_must_be_followed_by_a_key_at_the_same_position():
    keys = [Keystroke(1, "x", 0), Keystroke(2, "d", 100)]
    with pytest.raises(BatchError, match="cursor was at 1"):
        check_batch_follows_text("asdf jkl", keys, skip_indent=False)


def test_the_continuity_check_follows_indentation_skips_in_code():
    text = "if x:\n    y"
    keys = [Keystroke(5, "\n", 0), Keystroke(10, "y", 100)]
    check_batch_follows_text(text, keys, skip_indent=True)
    with pytest.raises(BatchError):
        check_batch_follows_text(text, keys, skip_indent=False)


def test_a_key_after_the_last_character_fails_the_continuity_check():
    keys = [Keystroke(9, "j", 0), Keystroke(10, "k", 100)]
    with pytest.raises(BatchError, match="after the end of the text"):
        check_batch_follows_text("asdf jkl;j", keys, skip_indent=False)
