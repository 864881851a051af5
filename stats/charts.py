"""Line charts of daily figures, drawn as SVG by the server. Pure: (day, value) points and a date
window in, the paths, dots and axis ticks of an SVG out. No chart library, no JavaScript."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

WIDTH = 640
HEIGHT = 190
MARGIN_LEFT = 40
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 26


class Dot(NamedTuple):
    """A tuple, not a frozen dataclass: a year of days makes 365 of them a chart, and a frozen
    dataclass costs several times as much to build."""

    x: float
    y: float
    day: date
    value: float
    title: str


# What strftime's %a and %b give in the C locale the server runs in, without a strftime call
# per day.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date) -> str:
    """ "Mon 3 Mar 2025", as f"{day:%a} {day.day} {day:%b %Y}"."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month]} {day.year}"


@dataclass(frozen=True)
class Tick:
    position: float
    label: str

    @property
    def at(self) -> str:
        return str(self.position)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    line: str
    """Path data of the line through the days that have a value ("" without points)."""
    area: str
    """The same line closed down to the x axis, for a soft fill underneath."""
    dots: tuple[Dot, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]

    @property
    def empty(self) -> bool:
        return not self.dots

    @property
    def dot_radius(self) -> float:
        """Smaller dots when a year of days shares the width."""
        per_day = (self.right - self.left) / max(len(self.dots), 1)
        return 3.5 if per_day >= 12 else 2.5 if per_day >= 5 else 1.8

    @property
    def label_x(self) -> str:
        return str(self.left - 8)

    @property
    def tick_end(self) -> str:
        return str(self.bottom + 4)


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) that cuts `span` into about `ticks` parts."""
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def value_range(
    values: Sequence[float], *, min_span: float, floor: float = 0, ceiling: float | None = None
) -> tuple[float, float, float]:
    """(low, high, step): round bounds around the values, at least `min_span` apart, never
    below `floor` nor above `ceiling`."""
    low, high = min(values), max(values)
    if high - low < min_span:
        middle = (high + low) / 2
        low, high = middle - min_span / 2, middle + min_span / 2
    step = nice_step(high - low)
    low = max(floor, math.floor(low / step) * step)
    high = math.ceil(high / step) * step
    if ceiling is not None and high > ceiling:
        high = ceiling
        low = min(low, max(floor, high - math.ceil(min_span / step) * step))
    if high <= low:
        high = low + step
    return low, high, step


def _x_ticks(first: date, last: date) -> list[date]:
    days = (last - first).days
    span = [first + timedelta(days=n) for n in range(days + 1)]
    if days <= 31:
        return [d for d in span if d.weekday() == 0]
    if days <= 92:
        return [d for d in span if d.day in (1, 15)]
    return [d for d in span if d.day == 1]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def line_chart(
    points: Sequence[tuple[date, float]],
    *,
    first: date,
    last: date,
    unit: str,
    min_span: float,
    floor: float = 0,
    ceiling: float | None = None,
) -> Chart:
    """A chart of `points` (one value per day, days without practice left out) over the days
    `first`..`last`. The line joins the days that have a value; each has a dot with a title."""
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    span_days = max((last - first).days, 1)

    def x_of(day: date) -> float:
        return round(left + (right - left) * (day - first).days / span_days, 1)

    x_ticks = tuple(
        Tick(x_of(day), f"{day:%b}" if (last - first).days > 92 else f"{day.day} {day:%b}")
        for day in _x_ticks(first, last)
    )
    shown = sorted((day, value) for day, value in points if first <= day <= last)
    if not shown:
        return Chart(WIDTH, HEIGHT, left, right, top, bottom, "", "", (), (), x_ticks)
    low, high, step = value_range(
        [value for _, value in shown], min_span=min_span, floor=floor, ceiling=ceiling
    )

    def y_of(value: float) -> float:
        return round(bottom - (bottom - top) * (value - low) / (high - low), 1)

    dots = tuple(
        Dot(
            x_of(day),
            y_of(value),
            day,
            value,
            f"{day.day} {MONTHS[day.month]} {day.year}: {value:.1f}{unit}",
        )
        for day, value in shown
    )
    line = "M" + " L".join(f"{dot.x},{dot.y}" for dot in dots)
    area = f"{line} L{dots[-1].x},{bottom} L{dots[0].x},{bottom} Z"
    y_ticks = []
    value = low
    while value <= high + step / 1000:
        y_ticks.append(Tick(y_of(value), _fmt(value)))
        value += step
    return Chart(WIDTH, HEIGHT, left, right, top, bottom, line, area, dots, tuple(y_ticks), x_ticks)
