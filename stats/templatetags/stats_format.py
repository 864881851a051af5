"""Formatting for the statistics pages and emails."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from stats.charts import Chart

register = template.Library()


@register.filter
def duration(ms: int | None) -> str:
    """Milliseconds as a learner reads a length of time: "45 s", "12 min", "3 h 05 min"."""
    seconds = round((ms or 0) / 1000)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


@register.filter
def clock(ms: int | None) -> str:
    """A session's length as on a stopwatch: "0:58", "1:05", "12:30"."""
    seconds = round((ms or 0) / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


@register.filter
def signed(value: float | None) -> str:
    """A change with its sign: "+3.1", "−0.4", "±0"."""
    if value is None:
        return ""
    if value == 0:
        return "±0"
    return f"+{value:.1f}" if value > 0 else f"−{abs(value):.1f}"


@register.simple_tag
def chart_dots(chart: Chart) -> SafeString:
    """The chart's dots, each with its title (shown on hover). Written here rather than in a
    template loop, and with the standard library's escaping rather than `format_html`: a year
    has up to 365 of them, and each of those costs several times as much per dot."""
    radius = chart.dot_radius
    return mark_safe(  # numbers, and the titles escaped
        "".join(
            f'<circle class="chart-dot" cx="{dot.x}" cy="{dot.y}" r="{radius}">'
            f"<title>{escape(dot.title)}</title></circle>"
            for dot in chart.dots
        )
    )


@register.simple_tag
def day_rows(rows: list[tuple[object, ...]]) -> SafeString:
    """The rows of the per-day table under the chart (day, sessions, mean WPM, best WPM,
    accuracy, time), for the same reasons as `chart_dots`."""
    return mark_safe(  # every cell escaped
        "".join(
            f'<tr><th scope="row">{escape(str(day))}</th>'
            + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells)
            + "</tr>"
            for day, *cells in rows
        )
    )
