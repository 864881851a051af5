"""The learner's statistics: the dashboard's overview, the history, keys, pairs, confusions, the
progress chart's days and the export. Every figure is read by `stats.figures` (or the models'
QuerySet methods), the same calls the statistics pages make; this module only presents them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from stats import exports
from stats.aggregates import (
    SLOW_PAIR_MIN_SAMPLES,
    WEAK_ERROR_PERCENT,
    WEAK_MEAN_MS,
    WEAK_MIN_SAMPLES,
    KeyFigures,
    learner_today,
    shown_key,
    weak_keys,
)
from stats.figures import (
    CHART_WINDOWS,
    CONFUSIONS_SHOWN,
    HISTORY_SORTS,
    RECENT_DAYS,
    SLOW_PAIRS_SHOWN,
    confusions,
    day_rows,
    history_sessions,
    overview,
    ranked_keys,
    slow_pairs,
)
from stats.models import KeyStat

from ..core import ApiError, PageQuery, paginate
from ..schemas import AUTH_ERRORS, ErrorOut, Page

router: Router = Router(tags=["stats"])

# GET /users/me/stats lives here, beside /stats/summary that it shares a schema and a query with.
me_router: Router = Router(tags=["users"])

DASHBOARD_WEAK_KEYS = 6


# --- Summary -------------------------------------------------------------------------------------


class KeyOut(Schema):
    char: str
    label: str = Field(description="The key as written on it (Space, Enter, …).")
    hits: int
    errors: int
    error_percent: float
    mean_ms: float | None
    timed: int = Field(description="Keystrokes the mean time is over.")
    weak: bool
    weakness: str = Field(description='Why the key is weak, e.g. "23 % wrong"; "" if it is not.')
    severity: float = Field(description="How far past the thresholds: 1.0 is exactly at one.")

    @classmethod
    def of(cls, key: KeyFigures) -> KeyOut:
        return cls(
            char=key.char,
            label=key.label,
            hits=key.hits,
            errors=key.errors,
            error_percent=key.error_percent,
            mean_ms=key.mean_ms,
            timed=key.time_count,
            weak=key.weak,
            weakness=key.weakness,
            severity=key.severity,
        )


class SummaryOut(Schema):
    today: date = Field(description="The learner's today, in their time zone.")
    time_zone: str
    sessions: int
    practice_days: int
    typed_ms: int
    keystrokes: int
    errors: int
    best_wpm: float | None
    mean_wpm: float | None = Field(description="Mean WPM of every counted session.")
    accuracy: float | None
    recent_wpm: float | None = Field(
        description=f"Mean WPM over the last {RECENT_DAYS} days with practice."
    )
    recent_days: int
    lessons_completed: int
    current_streak: int
    longest_streak: int
    practised_today: bool
    today_minutes: int
    goal_minutes: int
    goal_met: bool
    goal_left: int
    weak_keys: list[KeyOut] = Field(description="The weakest keys, as the dashboard lists them.")


def _summary(user: Any) -> SummaryOut:
    figures = overview(user, learner_today(user))
    totals = figures.totals
    weakest = weak_keys(KeyStat.objects.figures(user).values(), limit=DASHBOARD_WEAK_KEYS)
    return SummaryOut(
        today=figures.today,
        time_zone=user.time_zone,
        sessions=totals.sessions,
        practice_days=totals.days,
        typed_ms=totals.typed_ms,
        keystrokes=totals.keystrokes,
        errors=totals.errors,
        best_wpm=totals.best_wpm,
        mean_wpm=totals.mean_wpm,
        accuracy=totals.accuracy,
        recent_wpm=figures.recent.mean_wpm,
        recent_days=figures.recent.days,
        lessons_completed=figures.lessons_completed,
        current_streak=figures.current_streak,
        longest_streak=figures.longest_streak,
        practised_today=figures.practised_today,
        today_minutes=figures.today_minutes,
        goal_minutes=figures.goal_minutes,
        goal_met=figures.goal_met,
        goal_left=figures.goal_left,
        weak_keys=[KeyOut.of(key) for key in weakest],
    )


@router.get(
    "/summary", response={200: SummaryOut, **AUTH_ERRORS}, summary="The dashboard's figures"
)
def summary(request: HttpRequest) -> SummaryOut:
    return _summary(request.user)


@me_router.get(
    "/me/stats",
    response={200: SummaryOut, **AUTH_ERRORS},
    summary="The dashboard's figures (as /stats/summary)",
)
def my_stats(request: HttpRequest) -> SummaryOut:
    return _summary(request.user)


# --- History -------------------------------------------------------------------------------------

SORTS = [key for name in HISTORY_SORTS for key in (f"-{name}", name)]
Sort = Literal["-date", "date", "-wpm", "wpm", "-accuracy", "accuracy", "-stars", "stars"]
assert sorted(SORTS) == sorted(Sort.__args__)  # type: ignore[attr-defined]  # one list of sorts


class HistoryQuery(PageQuery):
    course: str | None = Field(
        None, max_length=100, pattern=r"^[-\w]+$", description="A course's id or slug."
    )
    since: date | None = Field(
        None, alias="from", description="First day (the learner's time zone), included."
    )
    until: date | None = Field(
        None, alias="to", description="Last day (the learner's time zone), included."
    )
    sort: Sort = Field("-date", description="A field, `-` first for descending.")


class CourseRef(Schema):
    id: int
    slug: str
    title: str


class LessonRef(Schema):
    id: int
    title: str


class HistoryItem(Schema):
    id: str
    completed_at: datetime
    course: CourseRef | None
    lesson: LessonRef | None = Field(description="None for a generated exercise.")
    wpm: float | None
    raw_wpm: float | None
    accuracy: float | None
    errors: int
    keystrokes: int
    duration_ms: int | None
    rating: int | None = Field(description="Stars, 1–5.")
    flagged: bool = Field(description="Not counted (e.g. implausible timing).")
    flag_reason: str

    @classmethod
    def of(cls, session: Any) -> HistoryItem:
        lesson = session.lesson
        return cls(
            id=str(session.pk),
            completed_at=session.completed_at,
            course=CourseRef(
                id=lesson.course.pk, slug=lesson.course.slug, title=lesson.course.title
            )
            if lesson
            else None,
            lesson=LessonRef(id=lesson.pk, title=lesson.title) if lesson else None,
            wpm=session.wpm,
            raw_wpm=session.raw_wpm,
            accuracy=session.accuracy,
            errors=session.errors,
            keystrokes=session.keystrokes,
            duration_ms=session.duration_ms,
            rating=session.rating,
            flagged=session.flagged,
            flag_reason=session.flag_reason,
        )


@router.get(
    "/history",
    response={200: Page[HistoryItem], 422: ErrorOut, **AUTH_ERRORS},
    summary="The learner's sessions, as the history page lists them",
)
def history(request: HttpRequest, query: Query[HistoryQuery]) -> dict[str, Any]:
    if query.since and query.until and query.since > query.until:
        raise ApiError(
            422,
            "Some values are not valid.",
            code="invalid",
            fields={"from": ["The first day is after the last."]},
        )
    course = query.course or ""
    sessions = history_sessions(
        request.user,
        course_slug=course,
        course_id=int(course) if course.isdigit() and len(course) < 10 else None,
        since=query.since,
        until=query.until,
        sort=query.sort,
    )
    page = paginate(sessions, query)
    page["items"] = [HistoryItem.of(session) for session in page["items"]]
    return page


# --- Keys, pairs, confusions ---------------------------------------------------------------------


class Thresholds(Schema):
    min_samples: int = Field(description="Keystrokes (or timed ones) a key needs to be judged.")
    error_percent: int = Field(description="Weak above this percent of wrong keystrokes …")
    mean_ms: int = Field(description="… or above this mean time.")


class WeakKeysOut(Schema):
    thresholds: Thresholds
    keys: list[KeyOut] = Field(description="Every key typed: weak ones first, weakest first.")
    weak: list[str] = Field(description="The weak keys' characters, weakest first.")


@router.get(
    "/weak-keys",
    response={200: WeakKeysOut, **AUTH_ERRORS},
    summary="Per-key figures and the weak keys, with the thresholds",
)
def weak_keys_of(request: HttpRequest) -> WeakKeysOut:
    figures = KeyStat.objects.figures(request.user)
    ranked = ranked_keys(figures.values())
    return WeakKeysOut(
        thresholds=Thresholds(
            min_samples=WEAK_MIN_SAMPLES, error_percent=WEAK_ERROR_PERCENT, mean_ms=WEAK_MEAN_MS
        ),
        keys=[KeyOut.of(key) for key in ranked],
        weak=[key.char for key in weak_keys(ranked)],
    )


class PairOut(Schema):
    previous: str
    char: str
    label: str = Field(description='The pair as keys, e.g. "t → h".')
    mean_ms: float
    count: int = Field(description="Timed transitions the mean is over.")
    error_rate: float = Field(description="Percent of the pair's keystrokes that were wrong.")


class PairsOut(Schema):
    min_samples: int
    items: list[PairOut]


@router.get(
    "/bigrams",
    response={200: PairsOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="The slowest key pairs",
)
def bigrams(request: HttpRequest, limit: int = Query(SLOW_PAIRS_SHOWN, ge=1, le=50)) -> PairsOut:
    pairs = slow_pairs(request.user, limit, min_samples=SLOW_PAIR_MIN_SAMPLES)
    return PairsOut(
        min_samples=SLOW_PAIR_MIN_SAMPLES,
        items=[
            PairOut(
                **asdict(pair),
                label=f"{shown_key(pair.previous)} → {shown_key(pair.char)}",
            )
            for pair in pairs
        ],
    )


class ConfusionOut(Schema):
    expected: str
    typed: str
    count: int
    percent: float = Field(description="Of the keystrokes meant for `expected`.")


@router.get(
    "/confusions",
    response={200: list[ConfusionOut], 422: ErrorOut, **AUTH_ERRORS},
    summary="Which key was typed for which, most frequent first",
)
def confusions_of(
    request: HttpRequest, limit: int = Query(CONFUSIONS_SHOWN, ge=1, le=50)
) -> list[ConfusionOut]:
    return [ConfusionOut(**asdict(row)) for row in confusions(request.user, None, limit)]


# --- Progress chart ------------------------------------------------------------------------------


class ChartQuery(Schema):
    days: int = Field(
        CHART_WINDOWS[0],
        description="The window: " + ", ".join(map(str, CHART_WINDOWS)) + " days.",
        json_schema_extra={"enum": list(CHART_WINDOWS)},
    )

    @field_validator("days")
    @classmethod
    def _a_window(cls, value: int) -> int:
        if value not in CHART_WINDOWS:
            raise ValueError("Input should be " + ", ".join(map(str, CHART_WINDOWS)))
        return value


class DayOut(Schema):
    date: date
    sessions: int
    mean_wpm: float
    best_wpm: float
    accuracy: float
    minutes: int
    typed_ms: int


class ChartOut(Schema):
    days: int
    first: date
    last: date
    series: list[DayOut] = Field(description="The days with practice, oldest first.")


@router.get(
    "/progress-chart",
    response={200: ChartOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="The dashboard chart's days",
)
def progress_chart(request: HttpRequest, query: Query[ChartQuery]) -> ChartOut:
    today = learner_today(request.user)
    rows = day_rows(request.user, today, query.days)
    return ChartOut(
        days=query.days,
        first=date.fromordinal(today.toordinal() - query.days + 1),
        last=today,
        series=[
            DayOut(
                date=row.date,
                sessions=row.sessions,
                mean_wpm=row.mean_wpm,
                best_wpm=row.best_wpm,
                accuracy=row.accuracy,
                minutes=row.minutes,
                typed_ms=row.typed_ms,
            )
            for row in rows
        ],
    )


# --- Export --------------------------------------------------------------------------------------

Table = Literal["sessions", "keys", "confusions", "bigrams", "days"]
assert sorted(exports.CSV_TABLES) == sorted(Table.__args__)  # type: ignore[attr-defined]


class ExportQuery(Schema):
    format: Literal["json", "csv"] = "json"
    table: Table | None = Field(None, description="With format=csv: which table.")


EXPORT_CONTENT = {
    "application/json": {"schema": {"type": "object"}},
    "text/csv": {"schema": {"type": "string"}},
}


@router.get(
    "/export",
    response={200: Any, 422: ErrorOut, **AUTH_ERRORS},
    summary="Everything the learner has, as the site's export",
    openapi_extra={
        "responses": {200: {"description": "The export (a download).", "content": EXPORT_CONTENT}}
    },
)
def export(request: HttpRequest, query: Query[ExportQuery]) -> StreamingHttpResponse:
    """JSON: one document with the account, every session with its keystrokes and every
    aggregate (the site's data.json). CSV: one table (`table=`), as the site's CSV files."""
    if query.format == "json":
        response = StreamingHttpResponse(
            exports.json_chunks(request.user), content_type="application/json"
        )
        name = exports.filename("data", "json")
    else:
        if query.table is None:
            raise ApiError(
                422,
                "Some values are not valid.",
                code="invalid",
                fields={"table": ["A CSV export is one table: " + ", ".join(exports.CSV_TABLES)]},
            )
        response = StreamingHttpResponse(
            exports.csv_lines(request.user, query.table), content_type="text/csv; charset=utf-8"
        )
        name = exports.filename(query.table, "csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
