"""Turn a replayed session into increments of the learner's aggregates (DESIGN §5), and the rules
read back from them: day summaries (mean WPM, accuracy), mean key times, weak keys, streaks.
Pure: no database. Every figure derived from the aggregates has its formula here, once.

Counting rules, per keystroke (`lessons.scoring.KeyEvent`):
- key: every keystroke is a hit of the key that was expected; a wrong one is also an error and a
  confusion (expected → typed). Timing is the interval before a correct keystroke, when it is
  within 40–12 000 ms (`interval_ms` is None otherwise).
- bigram (previous → expected): every keystroke after the first correct one counts, a wrong one
  also as an error. Timing only for a clean transition: a correct keystroke right after a
  correct keystroke, so the time measured is really "from `previous` to this key".
- day: one session, its duration, the text length, keystrokes, errors, and its WPM (kept in
  tenths, so sums stay exact integers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.translation import gettext as _

from lessons.scoring import KeyEvent
from typingtrainer.zones import learner_today, local_date, time_zone

__all__ = ["learner_today", "local_date", "time_zone"]  # re-exported: the learner's calendar

WEAK_MIN_SAMPLES = 20
WEAK_ERROR_PERCENT = 15
WEAK_MEAN_MS = 400
SLOW_PAIR_MIN_SAMPLES = 5
"""A key pair is listed among the slowest once it has this many timed transitions."""


@dataclass
class KeyTally:
    hits: int = 0
    errors: int = 0
    time_sum_ms: int = 0
    time_count: int = 0

    def add(self, other: KeyTally) -> None:
        self.hits += other.hits
        self.errors += other.errors
        self.time_sum_ms += other.time_sum_ms
        self.time_count += other.time_count


@dataclass
class BigramTally:
    count: int = 0
    errors: int = 0
    time_sum_ms: int = 0
    time_count: int = 0

    def add(self, other: BigramTally) -> None:
        self.count += other.count
        self.errors += other.errors
        self.time_sum_ms += other.time_sum_ms
        self.time_count += other.time_count


@dataclass
class DayTally:
    sessions: int = 0
    typed_ms: int = 0
    characters: int = 0
    keystrokes: int = 0
    errors: int = 0
    best_wpm: float = 0.0
    wpm_tenths_sum: int = 0

    def add(self, other: DayTally) -> None:
        self.sessions += other.sessions
        self.typed_ms += other.typed_ms
        self.characters += other.characters
        self.keystrokes += other.keystrokes
        self.errors += other.errors
        self.best_wpm = max(self.best_wpm, other.best_wpm)
        self.wpm_tenths_sum += other.wpm_tenths_sum


@dataclass
class Deltas:
    """What one or more sessions add to a learner's aggregates."""

    keys: dict[str, KeyTally] = field(default_factory=dict)
    confusions: dict[tuple[str, str], int] = field(default_factory=dict)
    """(expected, typed) → count."""
    bigrams: dict[tuple[str, str], BigramTally] = field(default_factory=dict)
    """(previous, char) → tally."""
    days: dict[date, DayTally] = field(default_factory=dict)

    def add(self, other: Deltas) -> None:
        for char, key in other.keys.items():
            self.keys.setdefault(char, KeyTally()).add(key)
        for pair, count in other.confusions.items():
            self.confusions[pair] = self.confusions.get(pair, 0) + count
        for pair, bigram in other.bigrams.items():
            self.bigrams.setdefault(pair, BigramTally()).add(bigram)
        for day, tally in other.days.items():
            self.days.setdefault(day, DayTally()).add(tally)


def wpm_tenths(wpm: float) -> int:
    """The WPM a learner sees (one decimal) as an exact integer number of tenths."""
    return round(wpm * 10)


def key_deltas(events: Sequence[KeyEvent]) -> Deltas:
    """Per-key, confusion and bigram increments of one session's keystrokes (no day)."""
    deltas = Deltas()
    keys, confusions, bigrams = deltas.keys, deltas.confusions, deltas.bigrams
    previous_correct = False
    # Runs once per keystroke of every completion: tallies are made only on a miss (setdefault
    # would build one per keystroke), names are local.
    for event in events:
        expected, correct, interval = event.expected, event.correct, event.interval_ms
        key = keys.get(expected)
        if key is None:
            key = keys[expected] = KeyTally()
        key.hits += 1
        if not correct:
            key.errors += 1
            pair = (expected, event.typed)
            confusions[pair] = confusions.get(pair, 0) + 1
        elif interval is not None:
            key.time_sum_ms += interval
            key.time_count += 1
        if event.previous is not None:
            pair = (event.previous, expected)
            bigram = bigrams.get(pair)
            if bigram is None:
                bigram = bigrams[pair] = BigramTally()
            bigram.count += 1
            if not correct:
                bigram.errors += 1
            elif previous_correct and interval is not None:
                bigram.time_sum_ms += interval
                bigram.time_count += 1
        previous_correct = correct
    return deltas


def session_deltas(
    events: Sequence[KeyEvent], *, day: date, wpm: float, duration_ms: int, text_length: int
) -> Deltas:
    """Everything one counted session adds: its keys, confusions, bigrams and its day."""
    deltas = key_deltas(events)
    deltas.days[day] = DayTally(
        sessions=1,
        typed_ms=duration_ms,
        characters=text_length,
        keystrokes=len(events),
        errors=sum(1 for event in events if not event.correct),
        best_wpm=wpm,
        wpm_tenths_sum=wpm_tenths(wpm),
    )
    return deltas


# --- Reading the aggregates back -----------------------------------------------------------------


def is_weak(*, hits: int, errors: int, time_sum_ms: int, time_count: int) -> bool:
    """Weak key (DESIGN §5): error rate above 15 % over at least 20 keystrokes, or mean time
    above 400 ms over at least 20 timed keystrokes. Compared exactly, without float rounding."""
    missed = hits >= WEAK_MIN_SAMPLES and errors * 100 > hits * WEAK_ERROR_PERCENT
    slow = time_count >= WEAK_MIN_SAMPLES and time_sum_ms > time_count * WEAK_MEAN_MS
    return missed or slow


def mean_wpm(wpm_tenths_sum: int, sessions: int) -> float | None:
    """The mean WPM of `sessions` sessions whose WPM (in tenths) add up to `wpm_tenths_sum`;
    None without sessions. The only place the mean speed is computed."""
    return wpm_tenths_sum / sessions / 10 if sessions else None


def accuracy(keystrokes: int, errors: int) -> float | None:
    """Percent of keystrokes that were right; None without keystrokes. The only place
    accuracy over aggregates is computed."""
    return 100 * (keystrokes - errors) / keystrokes if keystrokes else None


def mean_ms(time_sum_ms: int, time_count: int) -> float | None:
    """Mean time of a timed key or transition; None when none was timed. The SQL twin is
    `stats.models.mean_ms_expression`."""
    return time_sum_ms / time_count if time_count else None


@dataclass(frozen=True)
class DaySummary:
    """Days of `DailyStat` added up (`DailyStatQuerySet.summary`): what the dashboard, the
    coach, the weekly email and the API report about a span of days."""

    sessions: int = 0
    days: int = 0
    typed_ms: int = 0
    characters: int = 0
    keystrokes: int = 0
    errors: int = 0
    best_wpm: float | None = None
    wpm_tenths_sum: int = 0

    @property
    def mean_wpm(self) -> float | None:
        return mean_wpm(self.wpm_tenths_sum, self.sessions)

    @property
    def accuracy(self) -> float | None:
        return accuracy(self.keystrokes, self.errors)


# The streak rules in plain Python: the specification `DailyStatQuerySet.streaks` (the one
# definition the pages, the email and the achievements use) is tested against.


def current_streak(days: Iterable[date], today: date) -> int:
    """Consecutive practice days ending today, or ending yesterday when today has no practice
    yet (the streak is still alive until the day is over)."""
    practised = set(days)
    end = today if today in practised else today - timedelta(days=1)
    streak = 0
    while end - timedelta(days=streak) in practised:
        streak += 1
    return streak


def streak_ending(days: Iterable[date], day: date) -> int:
    """Consecutive practice days ending exactly on `day` (0 when `day` has no practice)."""
    practised = set(days)
    streak = 0
    while day - timedelta(days=streak) in practised:
        streak += 1
    return streak


def longest_streak(days: Iterable[date]) -> int:
    longest = run = 0
    last: date | None = None
    for day in sorted(set(days)):
        run = run + 1 if last is not None and day - last == timedelta(days=1) else 1
        longest = max(longest, run)
        last = day
    return longest


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def shown_key(char: str) -> str:
    """A character as a learner reads it on a key."""
    return {" ": "Space", "\n": "Enter"}.get(char, char)


@dataclass(frozen=True)
class KeyFigures:
    """A learner's figures for one character, as the pages and the email read them."""

    char: str
    hits: int = 0
    errors: int = 0
    time_sum_ms: int = 0
    time_count: int = 0

    @property
    def error_rate(self) -> float:
        return self.errors / self.hits if self.hits else 0.0

    @property
    def error_percent(self) -> float:
        return 100 * self.error_rate

    @property
    def mean_ms(self) -> float | None:
        return mean_ms(self.time_sum_ms, self.time_count)

    @property
    def weak(self) -> bool:
        return is_weak(
            hits=self.hits,
            errors=self.errors,
            time_sum_ms=self.time_sum_ms,
            time_count=self.time_count,
        )

    @property
    def severity(self) -> float:
        """How far past the thresholds: 1.0 is exactly at one of them."""
        by_errors = self.error_rate * 100 / WEAK_ERROR_PERCENT
        by_time = (self.mean_ms or 0) / WEAK_MEAN_MS
        return max(by_errors, by_time)

    @property
    def label(self) -> str:
        return shown_key(self.char)

    @property
    def weakness(self) -> str:
        """Why the key is weak, e.g. "23 % wrong" or "512 ms"; "" for a key that is not."""
        reasons = []
        if self.hits >= WEAK_MIN_SAMPLES and self.errors * 100 > self.hits * WEAK_ERROR_PERCENT:
            reasons.append(_("%(rate).0f %% wrong") % {"rate": self.error_rate * 100})
        mean = self.mean_ms
        if self.time_count >= WEAK_MIN_SAMPLES and mean is not None and mean > WEAK_MEAN_MS:
            reasons.append(_("%(ms).0f ms") % {"ms": mean})
        return ", ".join(reasons)

    def combined(self, other: KeyFigures) -> KeyFigures:
        """Both characters of one physical key (say "a" and "A") as one."""
        return KeyFigures(
            char=self.char,
            hits=self.hits + other.hits,
            errors=self.errors + other.errors,
            time_sum_ms=self.time_sum_ms + other.time_sum_ms,
            time_count=self.time_count + other.time_count,
        )


# --- One session's keys ---------------------------------------------------------------------------

SESSION_KEYS_SHOWN = 3
SESSION_SLOW_MIN_TIMED = 3
"""A key is ranked among a session's slowest once it was timed this many times in it."""


@dataclass(frozen=True)
class MissedKey:
    """A key the learner missed in one session, and what they typed instead."""

    char: str
    errors: int
    hits: int
    typed_instead: tuple[tuple[str, int], ...]
    """(typed character, times), the most frequent first."""

    @property
    def label(self) -> str:
        return shown_key(self.char)

    @property
    def instead(self) -> tuple[tuple[str, int], ...]:
        """`typed_instead` as a learner reads the keys."""
        return tuple((shown_key(typed), count) for typed, count in self.typed_instead)


@dataclass(frozen=True)
class SlowKey:
    char: str
    mean_ms: float
    timed: int

    @property
    def label(self) -> str:
        return shown_key(self.char)


@dataclass(frozen=True)
class SessionKeys:
    """One session's most-missed and slowest keys: the result card, the coach's tip on it and
    the session page all read these."""

    missed: tuple[MissedKey, ...] = ()
    slowest: tuple[SlowKey, ...] = ()


def session_keys(
    deltas: Deltas, *, shown: int = SESSION_KEYS_SHOWN, min_timed: int = SESSION_SLOW_MIN_TIMED
) -> SessionKeys:
    """From one session's `key_deltas`: the keys missed most (most errors first, then the
    highest error rate, then the character), each with what was typed instead, and the keys
    slowest on average among those timed at least `min_timed` times."""
    instead: dict[str, list[tuple[str, int]]] = {}
    for (expected, typed), count in deltas.confusions.items():
        instead.setdefault(expected, []).append((typed, count))
    missed = sorted(
        (
            MissedKey(
                char=char,
                errors=tally.errors,
                hits=tally.hits,
                typed_instead=tuple(sorted(instead.get(char, []), key=lambda t: (-t[1], t[0]))),
            )
            for char, tally in deltas.keys.items()
            if tally.errors
        ),
        key=lambda key: (-key.errors, -key.errors / key.hits, key.char),
    )
    slowest = sorted(
        (
            SlowKey(
                char=char,
                mean_ms=mean_ms(tally.time_sum_ms, tally.time_count) or 0.0,
                timed=tally.time_count,
            )
            for char, tally in deltas.keys.items()
            if tally.time_count >= min_timed
        ),
        key=lambda key: (-key.mean_ms, key.char),
    )
    return SessionKeys(missed=tuple(missed[:shown]), slowest=tuple(slowest[:shown]))


def weak_keys(figures: Iterable[KeyFigures], limit: int | None = None) -> list[KeyFigures]:
    """The weak keys, the weakest first."""
    found = sorted((f for f in figures if f.weak), key=lambda f: (-f.severity, f.char))
    return found if limit is None else found[:limit]
