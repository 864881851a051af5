"""The learner's statistics pages. Each reads the aggregates (and the history page one page of
sessions), so the number and cost of queries stays flat however long the history grows."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from courses.layouts import LAYOUTS
from courses.models import Course, Lesson
from lessons import scoring
from lessons.models import PracticeSession
from typingtrainer.http import LearnerHttpRequest as HttpRequest
from typingtrainer.http import render_fragment, render_page, wants_fragment

from . import charts, exports, keyboard
from .aggregates import (
    SLOW_PAIR_MIN_SAMPLES,
    KeyFigures,
    key_deltas,
    learner_today,
    mean_ms,
    shown_key,
    weak_keys,
)
from .figures import (
    CHART_WINDOWS,
    CONFUSIONS_SHOWN,
    HISTORY_SORTS,
    SLOW_PAIRS_SHOWN,
    DayFigures,
    confusions,
    day_rows,
    history_sessions,
    overview,
    ranked_keys,
    slow_pairs,
)
from .models import KeyStat
from .templatetags.stats_format import duration

HISTORY_PAGE_SIZE = 20


def _first_lesson() -> Lesson | None:
    return (
        Lesson.objects.published()
        .filter(is_premium=False, course__is_premium=False)
        .order_by("course__position", "course__title", "position", "id")
        .first()
    )


# --- Dashboard -----------------------------------------------------------------------------------


def _chart_context(today: date, window: int, rows: list[DayFigures]) -> dict[str, Any]:
    first = today - timedelta(days=window - 1)
    wpm = charts.line_chart(
        [(row.date, row.mean_wpm) for row in rows],
        first=first,
        last=today,
        unit=" WPM",
        min_span=10,
    )
    accuracy = charts.line_chart(
        [(row.date, row.accuracy) for row in rows],
        first=first,
        last=today,
        unit=" %",
        min_span=5,
        ceiling=100,
    )
    return {
        "window": window,
        "windows": CHART_WINDOWS,
        # Formatted here: the table has up to a year of rows, and filters cost per cell.
        "chart_rows": [
            (
                charts.day_label(row.date),
                row.sessions,
                f"{row.mean_wpm:.1f}",
                f"{row.best_wpm:.1f}",
                f"{row.accuracy:.1f} %",
                duration(row.typed_ms),
            )
            for row in rows
        ],
        "wpm_chart": wpm,
        "accuracy_chart": accuracy,
        "wpm_label": _chart_label(_("Words per minute"), [r.mean_wpm for r in rows], window),
        "accuracy_label": _chart_label(_("Accuracy"), [r.accuracy for r in rows], window),
    }


def _chart_label(what: str, values: list[float], window: int) -> str:
    """What a chart shows, for screen readers (the table below has every figure)."""
    if not values:
        return _("%(what)s per day over the last %(window)d days: no practice.") % {
            "what": what,
            "window": window,
        }
    return _(
        "%(what)s per day over the last %(window)d days, %(days)d days with practice: "
        "first %(first).1f, last %(last).1f, lowest %(lowest).1f, highest %(highest).1f."
    ) % {
        "what": what,
        "window": window,
        "days": len(values),
        "first": values[0],
        "last": values[-1],
        "lowest": min(values),
        "highest": max(values),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = learner_today(user)
    try:
        window = int(request.GET.get("days", CHART_WINDOWS[0]))
    except ValueError:
        window = CHART_WINDOWS[0]
    if window not in CHART_WINDOWS:
        window = CHART_WINDOWS[0]
    if wants_fragment(request):
        rows = day_rows(user, today, window)
        return render_fragment(
            request, "stats/dashboard.html", "chart", _chart_context(today, window, rows)
        )

    figures = overview(user, today, chart_days=window)
    totals = figures.totals
    if not totals.sessions:
        return render(request, "stats/dashboard.html", {"empty": True, "lesson": _first_lesson()})
    rows = list(figures.rows)
    context = {
        "empty": False,
        "sessions": totals.sessions,
        "typed_ms": totals.typed_ms,
        "best_wpm": totals.best_wpm,
        "recent_wpm": figures.recent.mean_wpm or 0.0,
        "recent_days": figures.recent.days,
        "accuracy": totals.accuracy or 0.0,
        "lessons_completed": figures.lessons_completed,
        "current_streak": figures.current_streak,
        "longest_streak": figures.longest_streak,
        "practised_today": figures.practised_today,
        "today_minutes": figures.today_minutes,
        "goal_minutes": figures.goal_minutes,
        "goal_met": figures.goal_met,
        "goal_value": figures.goal_value,
        "goal_left": figures.goal_left,
        "weak_keys": weak_keys(KeyStat.objects.figures(user).values(), limit=6),
        **_chart_context(today, window, rows),
    }
    return render(request, "stats/dashboard.html", context)


# --- Keys: heatmap, slow pairs, confusions -------------------------------------------------------


def _slow_pairs(user: Any) -> list[dict[str, Any]]:
    return [
        {**asdict(pair), "previous": shown_key(pair.previous), "char": shown_key(pair.char)}
        for pair in slow_pairs(user, SLOW_PAIRS_SHOWN, min_samples=SLOW_PAIR_MIN_SAMPLES)
    ]


def _confusions(user: Any, figures: dict[str, KeyFigures]) -> list[dict[str, Any]]:
    return [
        {**asdict(row), "expected": shown_key(row.expected), "typed": shown_key(row.typed)}
        for row in confusions(user, figures, CONFUSIONS_SHOWN)
    ]


def _metric(request: HttpRequest) -> keyboard.Metric:
    return "time" if request.GET.get("metric") == "time" else "errors"


@login_required
def keys(request: HttpRequest) -> HttpResponse:
    user = request.user
    metric = _metric(request)
    figures = KeyStat.objects.figures(user)
    layout = LAYOUTS.get(user.keyboard_layout, LAYOUTS["qwerty"])
    context: dict[str, Any] = {
        "metric": metric,
        "drawing": keyboard.draw(layout, figures, metric=metric),
        "has_data": bool(figures),
        "lesson": None if figures else _first_lesson(),
    }
    if wants_fragment(request):
        return render_fragment(request, "stats/keys.html", "heatmap", context)
    context.update(
        {
            "slow_pairs": _slow_pairs(user),
            "confusions": _confusions(user, figures),
            "key_rows": ranked_keys(figures.values()),
            "slow_pair_min": SLOW_PAIR_MIN_SAMPLES,
        }
    )
    return render(request, "stats/keys.html", context)


# --- History and one session ---------------------------------------------------------------------


def _parse_day(value: str, label: str) -> tuple[date | None, str]:
    """A date filter: the day, or None and, for a value that is not a date, a notice saying it
    was left out (the page still shows every session)."""
    if not value:
        return None, ""
    try:
        return date.fromisoformat(value), ""
    except ValueError:
        shown = value if len(value) <= 20 else f"{value[:20]}…"
        return None, _(
            "“%(value)s” is not a date (like 2025-01-31), so “%(label)s” was left out."
        ) % {
            "value": shown,
            "label": label,
        }


@login_required
def history(request: HttpRequest) -> HttpResponse:
    user = request.user
    course_slug = request.GET.get("course", "")
    since, since_notice = _parse_day(request.GET.get("from", ""), _("From"))
    until, until_notice = _parse_day(request.GET.get("to", ""), _("To"))
    sort = request.GET.get("sort", "-date")
    if sort.lstrip("-") not in HISTORY_SORTS:
        sort = "-date"
    descending = sort.startswith("-")
    sessions = history_sessions(user, course_slug=course_slug, since=since, until=until, sort=sort)
    page = Paginator(sessions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {
        key: value
        for key, value in (
            ("course", course_slug),
            ("from", since.isoformat() if since else ""),
            ("to", until.isoformat() if until else ""),
        )
        if value
    }

    def link(**changes: Any) -> str:
        query = {**filters, "sort": sort, **changes}
        return "?" + urlencode({k: v for k, v in query.items() if v not in ("", None)})

    columns = []
    for key, label in (
        ("date", _("Date")),
        ("wpm", _("WPM")),
        ("accuracy", _("Accuracy")),
        ("stars", _("Stars")),
    ):
        active = sort.lstrip("-") == key
        next_sort = key if active and descending else f"-{key}"
        columns.append(
            {
                "key": key,
                "label": label,
                "url": link(sort=next_sort, page=None),
                "active": active,
                "aria_sort": ("descending" if descending else "ascending") if active else "none",
            }
        )
    context = {
        "page": page,
        "columns": columns,
        "courses": Course.objects.filter(lessons__progress__user=user)
        .distinct()
        .order_by("position", "title"),
        "course_slug": course_slug,
        "since": since,
        "until": until,
        "sort": sort,
        "filtered": bool(filters),
        "notices": [notice for notice in (since_notice, until_notice) if notice],
        "previous_url": link(page=page.previous_page_number()) if page.has_previous() else "",
        "next_url": link(page=page.next_page_number()) if page.has_next() else "",
        "stars": range(1, 6),
    }
    return render_page(request, "stats/history.html", context, fragment="results")


@login_required
def session_detail(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = get_object_or_404(
        PracticeSession.objects.completed().select_related("lesson__course"),
        pk=session_id,
        user=request.user,
    )
    try:
        replay = session.replay()
    except scoring.ReplayError as exc:  # stored keystrokes always replay; never show a 500
        raise Http404(_("This session's keystrokes cannot be replayed.")) from exc
    deltas = key_deltas(replay.events)
    figures = {
        char: KeyFigures(
            char=char,
            hits=tally.hits,
            errors=tally.errors,
            time_sum_ms=tally.time_sum_ms,
            time_count=tally.time_count,
        )
        for char, tally in deltas.keys.items()
    }
    layout = LAYOUTS.get(request.user.keyboard_layout, LAYOUTS["qwerty"])
    pairs = sorted(
        (
            (pair, mean_ms(bigram.time_sum_ms, bigram.time_count) or 0.0, bigram.time_count)
            for pair, bigram in deltas.bigrams.items()
            if bigram.time_count >= 2
        ),
        key=lambda item: -item[1],
    )[:SLOW_PAIRS_SHOWN]
    confusions = sorted(deltas.confusions.items(), key=lambda item: (-item[1], item[0]))
    context = {
        "session": session,
        "drawing": keyboard.draw(layout, figures, metric="errors"),
        "key_rows": sorted(figures.values(), key=lambda f: (-f.errors, -(f.mean_ms or 0), f.char)),
        "slow_pairs": [
            {"previous": shown_key(a), "char": shown_key(b), "mean_ms": mean, "count": count}
            for (a, b), mean, count in pairs
        ],
        "confusions": [
            {
                "expected": shown_key(expected),
                "typed": shown_key(typed),
                "count": count,
                "percent": 100 * count / figures[expected].hits,
            }
            for (expected, typed), count in confusions[:CONFUSIONS_SHOWN]
        ],
        "stars": range(1, 6),
    }
    return render(request, "stats/session.html", context)


# --- Export --------------------------------------------------------------------------------------


@login_required
def export(request: HttpRequest) -> HttpResponse:
    return render(request, "stats/export.html", {"tables": exports.CSV_TABLES})


@login_required
def export_csv(request: HttpRequest, table: str) -> StreamingHttpResponse:
    if table not in exports.CSV_TABLES:
        raise Http404(_("No such export."))
    response = StreamingHttpResponse(
        exports.csv_lines(request.user, table), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(table, "csv")}"'
    return response


@login_required
def export_json(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        exports.json_chunks(request.user), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename("data", "json")}"'
    return response
