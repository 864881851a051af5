"""Replay a typing session against its lesson text and score it. Pure: no Django, no database.

The widget posts keystrokes in batches of ``[pos, typed, t]`` triples. `parse_keys` validates one
batch; `replay` checks the whole session (all batches in ``seq`` order) against the text in
must-correct mode; `score` turns a `Replay` into the figures the learner sees.

Must-correct mode: a wrong key is recorded as an error and the cursor stays where it is until the
right key is typed. In code lessons (``skip_indent=True``) a correctly typed newline also moves the
cursor past the run of spaces that follows it, so indentation is never typed.

Keystrokes in a session are numbered from 0, in the order they were typed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

MAX_KEYS_PER_BATCH = 1000
MAX_T_MS = 24 * 60 * 60 * 1000
"""Largest allowed ``t``: 24 hours in milliseconds."""

MIN_TIMED_INTERVAL_MS = 40
MAX_TIMED_INTERVAL_MS = 12_000
"""Intervals outside [40, 12 000] ms are left out of timing statistics (`KeyEvent.interval_ms`)."""

MIN_DURATION_MS = 1000
MIN_TEXT_LENGTH = 10

FLAG_MAX_WPM = 350
FLAG_MIN_KEYSTROKES = 50
FLAG_MIN_MEDIAN_INTERVAL_MS = 30
FLAG_SPEED = "speed above 350 WPM"
FLAG_MEDIAN = "median key interval under 30 ms"

_MS_PER_MINUTE = 60_000
_CHARS_PER_WORD = 5


class BatchError(ValueError):
    """A batch payload is malformed. ``str(e)`` is a message fit to show the user."""


class ReplayError(ValueError):
    """The keystrokes do not replay against the text. ``str(e)`` says what and where."""


class TooShort(ValueError):
    """The session is too short to score; nothing is scored. ``str(e)`` says why."""


# Keystroke and KeyEvent are slotted and not frozen: a completion builds two thousand of them,
# and a frozen dataclass costs four times as much to build. Nothing changes them after.
@dataclass(slots=True)
class Keystroke:
    pos: int
    """Index in the lesson text where the cursor was."""
    typed: str
    """The character produced ("\\n" for Enter)."""
    t: int
    """Milliseconds since the session's first key."""


@dataclass(slots=True)
class KeyEvent:
    """One keystroke, as seen by per-key statistics."""

    expected: str
    """``text[pos]``: the character the learner should have typed."""
    typed: str
    previous: str | None
    """The last character typed correctly before this keystroke (the expected character of the
    previous correct keystroke); None before the first correct keystroke. After an indentation
    skip this is the newline, not the last skipped space."""
    interval_ms: int | None
    """Time since the previous keystroke; None for the first keystroke and when the interval is
    under 40 ms or over 12 000 ms (left out of timing statistics, but not out of WPM)."""
    correct: bool


@dataclass(frozen=True)
class Replay:
    text_length: int
    keystrokes: int
    errors: int
    """Keystrokes whose typed character differs from the text at their position."""
    duration_ms: int
    """Time from the first keystroke to the last."""
    intervals: tuple[int, ...]
    """``t[i] - t[i-1]`` for every pair of consecutive keystrokes, unfiltered."""
    events: tuple[KeyEvent, ...]


@dataclass(frozen=True)
class Result:
    """The scored session.

    A flagged result (``flagged`` True, ``flag_reason`` saying why) is stored but earns nothing:
    ``rating`` still holds the stars the figures would have earned, and callers must ignore it
    (award no stars, no progress, no records) whenever ``flagged`` is True.
    """

    wpm: float
    raw_wpm: float
    cpm: float
    accuracy: float
    errors: int
    keystrokes: int
    duration_ms: int
    rating: int
    flagged: bool
    flag_reason: str
    """Empty when not flagged."""


# --- Parsing -------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_keys(raw: object, *, text_length: int) -> list[Keystroke]:
    """Validate one batch's "keys" value: a non-empty list of at most MAX_KEYS_PER_BATCH items,
    each a list of exactly [int pos, str typed, int t]; bools are not ints; 0 <= pos <
    text_length; typed exactly one character (one Unicode code point, so "ж" is fine, "ab" and ""
    are not; lone surrogates and NUL are refused as well); 0 <= t <= 24 h; t non-decreasing
    within the batch. Raise BatchError naming the index of the offending key and what is wrong,
    e.g. 'keys[3]: "typed" must be exactly one character'."""
    if not isinstance(raw, list):
        raise BatchError('"keys" must be a list of [pos, typed, t] items')
    if not raw:
        raise BatchError('"keys" must not be empty')
    if len(raw) > MAX_KEYS_PER_BATCH:
        raise BatchError(
            f'"keys" has {len(raw)} items; a batch may hold at most {MAX_KEYS_PER_BATCH}'
        )
    keys: list[Keystroke] = []
    for index, item in enumerate(raw):
        where = f"keys[{index}]"
        if not isinstance(item, list) or len(item) != 3:
            raise BatchError(f"{where}: must be a list of exactly three items [pos, typed, t]")
        pos, typed, t = item
        if not _is_int(pos):
            raise BatchError(f'{where}: "pos" must be an integer')
        if not 0 <= pos < text_length:
            raise BatchError(
                f'{where}: "pos" is {pos} but must be from 0 to {text_length - 1} '
                f"(the text has {text_length} characters)"
            )
        if not isinstance(typed, str):
            raise BatchError(f'{where}: "typed" must be a string')
        if len(typed) != 1:
            raise BatchError(f'{where}: "typed" must be exactly one character')
        if typed == "\x00" or "\ud800" <= typed <= "\udfff":
            raise BatchError(f'{where}: "typed" must be a real character, not NUL or a surrogate')
        if not _is_int(t):
            raise BatchError(f'{where}: "t" must be an integer number of milliseconds')
        if not 0 <= t <= MAX_T_MS:
            raise BatchError(f'{where}: "t" is {t} but must be from 0 to {MAX_T_MS} ms')
        if keys and t < keys[-1].t:
            raise BatchError(
                f'{where}: "t" is {t} ms, earlier than keys[{index - 1}] at {keys[-1].t} ms'
            )
        keys.append(Keystroke(pos=pos, typed=typed, t=t))
    return keys


# --- Replay --------------------------------------------------------------------------------------


def _timed(interval: int) -> int | None:
    if MIN_TIMED_INTERVAL_MS <= interval <= MAX_TIMED_INTERVAL_MS:
        return interval
    return None


def _advance(text: str, cursor: int, *, skip_indent: bool) -> int:
    """Where the cursor goes after the character at `cursor` is typed correctly."""
    cursor += 1
    if skip_indent and text[cursor - 1] == "\n":
        while cursor < len(text) and text[cursor] == " ":
            cursor += 1
    return cursor


def check_batch_follows_text(text: str, keys: Sequence[Keystroke], *, skip_indent: bool) -> None:
    """Within one batch, each key must be where the previous one left the cursor. The seams
    between batches are checked by `replay` at completion. Raises BatchError."""
    for index in range(1, len(keys)):
        before = keys[index - 1]
        cursor = before.pos
        if before.typed == text[before.pos]:
            cursor = _advance(text, cursor, skip_indent=skip_indent)
        if cursor >= len(text):
            raise BatchError(f"keys[{index}]: comes after the end of the text")
        if keys[index].pos != cursor:
            raise BatchError(
                f'keys[{index}]: "pos" is {keys[index].pos} but the cursor was at {cursor}'
            )


def replay(
    text: str, keys: Sequence[Keystroke], *, skip_indent: bool, partial: bool = False
) -> Replay:
    """Replay the whole session (all batches concatenated in seq order). Raises ReplayError if:
    t decreases anywhere; a key's pos is not the position the cursor must be at (expected pos
    starts at 0; advances by one after a correct key — plus indentation skip after a newline when
    skip_indent — and stays after a wrong key); keys continue after the text is finished; the
    text is not finished at the end; there are no keys. Messages say what and where, e.g.
    'keystroke 17 is at position 9 but the cursor was at position 8'.

    `partial` (a timed session, such as a placement test, whose text is longer than anyone types
    in its time): the text need not be finished, and what was typed of it, up to where the
    cursor stopped, counts as the text (`Replay.text_length`)."""
    if not keys:
        raise ReplayError("there are no keystrokes")
    n = len(text)
    cursor = 0
    errors = 0
    previous: str | None = None
    intervals: list[int] = []
    events: list[KeyEvent] = []
    for index, key in enumerate(keys):
        interval: int | None = None
        if index:
            interval = key.t - keys[index - 1].t
            if interval < 0:
                raise ReplayError(
                    f"keystroke {index} is at {key.t} ms, earlier than keystroke {index - 1} "
                    f"at {keys[index - 1].t} ms"
                )
            intervals.append(interval)
        if cursor >= n:
            raise ReplayError(
                f"keystroke {index} comes after the text was finished "
                f"(all {n} characters were typed)"
            )
        if key.pos != cursor:
            raise ReplayError(
                f"keystroke {index} is at position {key.pos} "
                f"but the cursor was at position {cursor}"
            )
        expected = text[cursor]
        correct = key.typed == expected
        events.append(
            KeyEvent(
                expected=expected,
                typed=key.typed,
                previous=previous,
                interval_ms=None if interval is None else _timed(interval),
                correct=correct,
            )
        )
        if not correct:
            errors += 1
            continue
        previous = expected
        cursor = _advance(text, cursor, skip_indent=skip_indent)
    if partial:
        n = cursor
    elif cursor < n:
        raise ReplayError(
            f"the text is not finished: the cursor stopped at position {cursor} "
            f"of {n} after {len(keys)} keystrokes"
        )
    return Replay(
        text_length=n,
        keystrokes=len(keys),
        errors=errors,
        duration_ms=keys[-1].t - keys[0].t,
        intervals=tuple(intervals),
        events=tuple(events),
    )


# --- Scoring -------------------------------------------------------------------------------------


def _round_half_up(value: Fraction) -> Decimal:
    """``value`` (not negative) to one decimal place, halves rounded up, computed exactly."""
    tenths = math.floor(value * 10 + Fraction(1, 2))
    return Decimal(tenths).scaleb(-1)


def _exact(value: float | Decimal | int) -> Fraction:
    """The decimal figure a learner sees, exactly: 20.7 is 207/10, not the nearest binary float."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def rating_for(*, wpm: float | Decimal, accuracy: float | Decimal, target_wpm: int) -> int:
    """Stars (1–5) for the rounded figures the learner sees, with r = wpm / target_wpm compared
    exactly (22.0 WPM against a target of 20 is exactly r = 1.1):

    accuracy < 85 → 1; r ≥ 1.1 and accuracy ≥ 97 → 5; r ≥ 1.0 and accuracy ≥ 95 → 4;
    r ≥ 0.9 and accuracy ≥ 92 → 3; r ≥ 0.7 and accuracy ≥ 88 → 2; otherwise 1.
    """
    if target_wpm <= 0:
        raise ValueError(f"target_wpm must be positive, not {target_wpm}")
    r = _exact(wpm) / target_wpm
    acc = _exact(accuracy)
    if acc < 85:
        return 1
    rows = (
        (5, Fraction(11, 10), 97),
        (4, Fraction(1), 95),
        (3, Fraction(9, 10), 92),
        (2, Fraction(7, 10), 88),
    )
    for stars, min_ratio, min_accuracy in rows:
        if r >= min_ratio and acc >= min_accuracy:
            return stars
    return 1


def median_interval(intervals: Sequence[int]) -> float | None:
    """The median of the intervals (the mean of the middle two for an even count); None if empty."""
    if not intervals:
        return None
    return float(statistics.median(intervals))


def score(replay: Replay, *, target_wpm: int) -> Result:
    """Score a replayed session.

    With n = text length, k = keystrokes, e = wrong keystrokes, T = ms from first to last key:
    WPM = (n / 5) / (T / 60000); raw WPM = (k / 5) / (T / 60000); CPM = 5 × WPM (from the exact
    WPM, then rounded); accuracy = 100 × (k − e) / k. All four are rounded to one decimal, halves
    up, from the exact values. Raises TooShort when T < 1000 ms or n < 10.

    The rating comes from the rounded WPM and accuracy (see `rating_for`). The result is flagged
    when the rounded WPM is above 350 ("speed above 350 WPM"), or else when there are at least 50
    keystrokes and the median interval between consecutive keystrokes is under 30 ms ("median key
    interval under 30 ms"). A flagged result keeps its computed ``rating``, but the caller must
    ignore it: flagged results are stored and earn nothing.
    """
    n, k, e, duration = replay.text_length, replay.keystrokes, replay.errors, replay.duration_ms
    if n < MIN_TEXT_LENGTH:
        raise TooShort(
            f"too short to score: the text has {n} characters; "
            f"at least {MIN_TEXT_LENGTH} are needed"
        )
    if duration < MIN_DURATION_MS:
        raise TooShort(
            f"too short to score: the session lasted {duration} ms; "
            f"at least {MIN_DURATION_MS} ms are needed"
        )
    per_minute = Fraction(_MS_PER_MINUTE, duration)
    exact_wpm = Fraction(n, _CHARS_PER_WORD) * per_minute
    wpm = _round_half_up(exact_wpm)
    raw_wpm = _round_half_up(Fraction(k, _CHARS_PER_WORD) * per_minute)
    cpm = _round_half_up(exact_wpm * _CHARS_PER_WORD)
    accuracy = _round_half_up(Fraction(100 * (k - e), k))

    flag_reason = ""
    if wpm > FLAG_MAX_WPM:
        flag_reason = FLAG_SPEED
    elif k >= FLAG_MIN_KEYSTROKES:
        median = median_interval(replay.intervals)
        if median is not None and median < FLAG_MIN_MEDIAN_INTERVAL_MS:
            flag_reason = FLAG_MEDIAN

    return Result(
        wpm=float(wpm),
        raw_wpm=float(raw_wpm),
        cpm=float(cpm),
        accuracy=float(accuracy),
        errors=e,
        keystrokes=k,
        duration_ms=duration,
        rating=rating_for(wpm=wpm, accuracy=accuracy, target_wpm=target_wpm),
        flagged=bool(flag_reason),
        flag_reason=flag_reason,
    )
