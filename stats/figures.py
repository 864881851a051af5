"""What the statistics pages show, read once for the pages and the API alike: the dashboard's
overview, the chart's days, the keys page's rows, slow pairs and confusions, and the history's
sessions. Each reads the aggregates through the QuerySet methods of `stats.models` and derives
its figures with the formulas of `stats.aggregates`; a view or an endpoint only presents them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple

from django.db.models import F, Q

from lessons.models import LessonProgress, PracticeSession

from .aggregates import DaySummary, KeyFigures, accuracy, mean_wpm, time_zone
from .models import BigramStat, DailyStat, KeyConfusion, KeyStat

CHART_WINDOWS = (30, 90, 365)
RECENT_DAYS = 7
"""The dashboard's "recent": the learner's last seven days with practice."""
SLOW_PAIRS_SHOWN = 10
CONFUSIONS_SHOWN = 8
HISTORY_SORTS = {
    "date": "completed_at",
    "wpm": "wpm",
    "accuracy": "accuracy",
    "stars": "rating",
}
"""The history's sort keys (`-key` for descending) and the session field each sorts by."""


def whole_minutes(ms: int) -> int:
    return ms // 60_000


class DayFigures(NamedTuple):
    """One day of DailyStat, read as a plain row (a year of days stays cheap to read)."""

    date: date
    sessions: int
    typed_ms: int
    keystrokes: int
    errors: int
    best_wpm: float
    wpm_tenths_sum: int

    @property
    def mean_wpm(self) -> float:
        return mean_wpm(self.wpm_tenths_sum, self.sessions) or 0.0

    @property
    def accuracy(self) -> float:
        return accuracy(self.keystrokes, self.errors) or 0.0

    @property
    def minutes(self) -> int:
        return whole_minutes(self.typed_ms)


def day_rows(user: Any, today: date, window: int) -> list[DayFigures]:
    """The practice days of the `window` days ending `today` (the learner's), oldest first."""
    return [
        DayFigures(*row)
        for row in DailyStat.objects.for_user(user)
        .recent(today, window)
        .order_by("date")
        .values_list(*DayFigures._fields)
    ]


@dataclass(frozen=True)
class Overview:
    """The dashboard's figures: all time, the recent days, streaks and today against the goal."""

    today: date
    totals: DaySummary
    recent: DaySummary
    current_streak: int
    longest_streak: int
    practised_today: bool
    today_typed_ms: int
    goal_minutes: int
    lessons_completed: int
    rows: tuple[DayFigures, ...] = ()
    """The practice days `overview` was asked for, oldest first."""

    @property
    def today_minutes(self) -> int:
        return whole_minutes(self.today_typed_ms)

    @property
    def goal_met(self) -> bool:
        return self.today_minutes >= self.goal_minutes

    @property
    def goal_value(self) -> int:
        return min(self.today_minutes, self.goal_minutes)

    @property
    def goal_left(self) -> int:
        return max(self.goal_minutes - self.today_minutes, 0)


def overview(user: Any, today: date, *, chart_days: int = 1) -> Overview:
    """The learner's overview on `today` (their day), with the practice days of the last
    `chart_days` days (the dashboard's chart; at least today)."""
    days = DailyStat.objects.for_user(user)
    totals = days.summary()
    if not totals.sessions:
        return Overview(today, totals, DaySummary(), 0, 0, False, 0, user.daily_goal_minutes, 0)
    recent = days.last_practised(RECENT_DAYS).summary()
    current, longest = DailyStat.objects.streaks(user.pk, today)
    rows = day_rows(user, today, max(chart_days, 1))
    today_row = next((row for row in rows if row.date == today), None)
    return Overview(
        today=today,
        totals=totals,
        recent=recent,
        current_streak=current,
        longest_streak=longest,
        practised_today=today_row is not None,
        today_typed_ms=today_row.typed_ms if today_row else 0,
        goal_minutes=user.daily_goal_minutes,
        lessons_completed=LessonProgress.objects.filter(user=user).count(),
        rows=tuple(rows),
    )


# --- Keys ----------------------------------------------------------------------------------------


def ranked_keys(figures: Iterable[KeyFigures]) -> list[KeyFigures]:
    """Every key the learner typed as the keys page lists them: weak ones first, weakest first."""
    return sorted(figures, key=lambda f: (-f.weak, -f.severity, f.char))


@dataclass(frozen=True)
class SlowPair:
    previous: str
    char: str
    mean_ms: float
    count: int
    """Timed transitions (what the mean is over)."""
    error_rate: float
    """Percent of the pair's keystrokes that were wrong."""


def slow_pairs(user: Any, n: int = SLOW_PAIRS_SHOWN, *, min_samples: int = 5) -> list[SlowPair]:
    """The `n` slowest key pairs with at least `min_samples` timed transitions, as typed
    characters (shown with `shown_key`)."""
    return [
        SlowPair(
            previous=pair.previous,
            char=pair.char,
            mean_ms=pair.mean_ms,
            count=pair.time_count,
            error_rate=100 * pair.errors / pair.count if pair.count else 0,
        )
        for pair in BigramStat.objects.for_user(user).slowest(n, min_samples=min_samples)
    ]


@dataclass(frozen=True)
class ConfusionFigures:
    expected: str
    typed: str
    count: int
    percent: float
    """Of the keystrokes meant for `expected`."""


def confusions(
    user: Any, figures: dict[str, KeyFigures] | None = None, n: int = CONFUSIONS_SHOWN
) -> list[ConfusionFigures]:
    """The `n` most frequent "typed X for Y" (most first). `figures`: the learner's key figures
    if already read (`KeyStat.objects.figures`)."""
    rows = list(KeyConfusion.objects.filter(user=user).order_by("-count", "expected", "typed")[:n])
    if figures is None:
        figures = (
            KeyStat.objects.for_user(user)
            .filter(char__in={row.expected for row in rows})
            .figures(user)
        )
    found = []
    for row in rows:
        hits = figures[row.expected].hits if row.expected in figures else 0
        found.append(
            ConfusionFigures(
                row.expected, row.typed, row.count, 100 * row.count / hits if hits else 0
            )
        )
    return found


# --- History -------------------------------------------------------------------------------------


def _start_of(day: date, zone: tzinfo, *, days_later: int = 0) -> datetime | None:
    """When `day` (plus `days_later`) begins in `zone`, or None when that instant lies beyond
    what a datetime holds (around 0001-01-01 and 9999-12-31). No session lies out there, so no
    bound is the same filter."""
    try:
        return datetime.combine(day + timedelta(days=days_later), time.min, zone).astimezone(UTC)
    except OverflowError:
        return None


def history_sessions(
    user: Any,
    *,
    course_slug: str = "",
    course_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    sort: str = "-date",
) -> Any:
    """The learner's completed sessions as the history page lists them: of one course (by slug
    or id), completed from `since` to `until` (days in the learner's time zone, both included),
    ordered by `sort` (a key of HISTORY_SORTS, `-` first for descending; a key that is not
    one raises KeyError)."""
    field = HISTORY_SORTS[sort.lstrip("-")]
    zone = time_zone(user.time_zone)
    sessions = (
        PracticeSession.objects.for_user(user)
        .completed()
        .select_related("lesson__course")
        .defer("text", "lesson__text", "lesson__course__description")
    )
    if course_slug or course_id is not None:
        match = Q()
        if course_slug:
            match |= Q(lesson__course__slug=course_slug)
        if course_id is not None:
            match |= Q(lesson__course_id=course_id)
        sessions = sessions.filter(match)
    if since and (start := _start_of(since, zone)):
        sessions = sessions.filter(completed_at__gte=start)
    if until and (end := _start_of(until, zone, days_later=1)):
        sessions = sessions.filter(completed_at__lt=end)
    descending = sort.startswith("-")
    if field == "completed_at":  # never empty on a completed session; the index has it in order
        return sessions.order_by("-completed_at" if descending else "completed_at")
    return sessions.order_by(
        F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True),
        "-completed_at",
    )
