"""The keyboard heatmap: a layout and per-character figures in, the geometry and colours of an SVG
keyboard out. Pure: the template only writes out what this computes.

Each physical key shows the figures of both its characters ("a" and "A" are one key). Keys are
coloured on a green → amber → red scale whose middle is the weak-key threshold (15 % errors, or
400 ms), so "amber or worse" reads as "needs work"; keys with no keystrokes yet stay neutral.
Error rates are spread by a square root below the threshold, where most keys are.
Weak keys (DESIGN §5) are outlined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.layouts import FINGER_NAMES, Key, Layout

from .aggregates import WEAK_ERROR_PERCENT, WEAK_MEAN_MS, KeyFigures

Metric = Literal["errors", "time"]
METRICS: tuple[Metric, ...] = ("errors", "time")

UNIT = 44
"""One key unit in SVG user units; keys are a unit minus the gap."""
GAP = 5
WIDTH_UNITS = 15
ROWS = 5

# Scale ends: the threshold sits in the middle, so amber is "at the threshold".
ERROR_RATE_MAX = 2 * WEAK_ERROR_PERCENT / 100  # 30 %
TIME_MIN_MS = 150
TIME_MAX_MS = 2 * WEAK_MEAN_MS - TIME_MIN_MS  # 650 ms

# Green → amber → red; mid-bright so dark text reads on all of them, in light and dark mode.
_STOPS = ((0.0, (0x4C, 0xB9, 0x82)), (0.5, (0xF2, 0xC1, 0x4E)), (1.0, (0xEE, 0x5D, 0x5D)))
DARK_TEXT = "#15171c"
LIGHT_TEXT = "#ffffff"


@dataclass(frozen=True)
class KeyCap:
    """One key as drawn."""

    x: float
    y: float
    width: float
    height: float
    label: str
    """The big character on the cap (capital letter for letter keys)."""
    corner: str
    """The small character in the corner (the shifted symbol), or ""."""
    figure: str
    """The key's figure in the chosen metric ("12 %", "240 ms"), or "" without data."""
    title: str
    """What hover and focus tell: the key, its finger, both figures, weak or not."""
    fill: str | None
    """A colour for keys with data; None leaves the key to the stylesheet (neutral)."""
    text_fill: str | None
    weak: bool
    is_char: bool
    """False for modifier keys drawn only so the board looks like a board."""

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def label_y(self) -> float:
        return self.y + self.height * (0.5 if not self.figure else 0.44)

    @property
    def figure_y(self) -> float:
        return self.y + self.height - 7

    @property
    def corner_x(self) -> float:
        return self.x + 6

    @property
    def corner_y(self) -> float:
        return self.y + 13

    @property
    def css_class(self) -> str:
        classes = ["hm-key" if self.is_char else "hm-mod"]
        if self.is_char and self.fill is None:
            classes.append("no-data")
        if self.weak:
            classes.append("weak")
        return " ".join(classes)


@dataclass(frozen=True)
class KeyboardDrawing:
    width: int
    height: int
    keys: tuple[KeyCap, ...]
    metric: Metric
    layout_label: str

    @property
    def char_keys(self) -> tuple[KeyCap, ...]:
        return tuple(key for key in self.keys if key.is_char)

    @property
    def weak_count(self) -> int:
        return sum(1 for key in self.keys if key.weak)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def scale_colour(t: float) -> str:
    """Position 0..1 on the green → amber → red scale, as #rrggbb (clamped)."""
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in pairwise(_STOPS):
        if t <= t1:
            r, g, b = _mix(c0, c1, (t - t0) / (t1 - t0))
            return f"#{r:02x}{g:02x}{b:02x}"
    r, g, b = _STOPS[-1][1]
    return f"#{r:02x}{g:02x}{b:02x}"


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def text_colour(fill: str) -> str:
    """Dark or light text, whichever contrasts more with `fill`."""
    lum = _luminance(fill)
    on_dark = (lum + 0.05) / (_luminance(DARK_TEXT) + 0.05)
    on_light = (_luminance(LIGHT_TEXT) + 0.05) / (lum + 0.05)
    return DARK_TEXT if on_dark >= on_light else LIGHT_TEXT


def scale_position(figures: KeyFigures, metric: Metric) -> float | None:
    """Where a key sits on the colour scale, None when it has no data for the metric."""
    if metric == "errors":
        if not figures.hits:
            return None
        # Square-root below the threshold: typical rates (1–10 %) spread over green to amber
        # instead of all looking the same green; above it, linear up to red at 30 %.
        share = figures.error_rate / (ERROR_RATE_MAX / 2)
        return 0.5 * share**0.5 if share <= 1 else 0.5 + (share - 1) / 2
    mean = figures.mean_ms
    if mean is None:
        return None
    return (mean - TIME_MIN_MS) / (TIME_MAX_MS - TIME_MIN_MS)


def figure_text(figures: KeyFigures, metric: Metric) -> str:
    if metric == "errors":
        return f"{figures.error_rate * 100:.0f} %" if figures.hits else ""
    mean = figures.mean_ms
    return "" if mean is None else _("%(ms).0f ms") % {"ms": mean}


def describe(name: str, figures: KeyFigures | None, finger: str) -> str:
    """The text of a key's tooltip and accessible name."""
    head = f"{name} ({FINGER_NAMES.get(finger, finger)})"
    if figures is None or not figures.hits:
        return _("%(key)s: not typed yet") % {"key": head}
    errors = ngettext(
        "%(errors)d of %(hits)d keystroke wrong (%(rate).1f %%)",
        "%(errors)d of %(hits)d keystrokes wrong (%(rate).1f %%)",
        figures.hits,
    ) % {"errors": figures.errors, "hits": figures.hits, "rate": figures.error_rate * 100}
    mean = figures.mean_ms
    speed = _("no timing yet") if mean is None else _("%(ms).0f ms on average") % {"ms": mean}
    weak = _(" — weak key") if figures.weak else ""
    return f"{head}: {errors}, {speed}{weak}"


def _cap_labels(key: Key) -> tuple[str, str]:
    if key.base.isalpha() and key.shifted == key.base.upper():
        return key.shifted, ""
    return key.base, key.shifted


def _figures_for(chars: tuple[str, ...], figures: Mapping[str, KeyFigures]) -> KeyFigures | None:
    found = [figures[ch] for ch in chars if ch in figures]
    if not found:
        return None
    total = found[0]
    for more in found[1:]:
        total = total.combined(more)
    return total


def _cap(
    x_units: float,
    row: int,
    width_units: float,
    *,
    label: str,
    corner: str = "",
    chars: tuple[str, ...] = (),
    finger: str = "",
    figures: Mapping[str, KeyFigures],
    metric: Metric,
) -> KeyCap:
    x = x_units * UNIT + GAP / 2
    y = row * UNIT + GAP / 2
    width = width_units * UNIT - GAP
    height = UNIT - GAP
    if not chars:
        return KeyCap(x, y, width, height, label, "", "", "", None, None, False, False)
    combined = _figures_for(chars, figures)
    position = None if combined is None else scale_position(combined, metric)
    fill = None if position is None else scale_colour(position)
    return KeyCap(
        x=x,
        y=y,
        width=width,
        height=height,
        label=label,
        corner=corner,
        figure="" if combined is None else figure_text(combined, metric),
        title=describe(label, combined, finger),
        fill=fill,
        text_fill=None if fill is None else text_colour(fill),
        weak=combined is not None and combined.weak,
        is_char=True,
    )


# Modifier widths (in units) before and after each row's character keys, as on an ANSI board.
_ROW_EDGES: tuple[tuple[tuple[str, float], tuple[str, float]], ...] = (
    (("", 0.0), ("⌫", 2.0)),
    (("Tab", 1.5), ("", 0.0)),
    (("Caps", 1.75), ("", 0.0)),
    (("Shift", 2.25), ("Shift", 2.75)),
)


def draw(layout: Layout, figures: Mapping[str, KeyFigures], *, metric: Metric) -> KeyboardDrawing:
    """The whole board for `layout`, each character key coloured by `metric`."""
    caps: list[KeyCap] = []

    def add(x: float, row: int, width: float, label: str, *, key: Key | None = None) -> float:
        if key is None:
            caps.append(_cap(x, row, width, label=label, figures=figures, metric=metric))
        else:
            label, corner = _cap_labels(key)
            caps.append(
                _cap(
                    x,
                    row,
                    width,
                    label=label,
                    corner=corner,
                    chars=(key.base, key.shifted),
                    finger=key.finger,
                    figures=figures,
                    metric=metric,
                )
            )
        return x + width

    for row_index, keys in enumerate(layout.rows):
        (left_label, left_width), (right_label, right_width) = _ROW_EDGES[row_index]
        x = add(0.0, row_index, left_width, left_label) if left_width else 0.0
        for key in keys:
            # The last key of the top letter row (backslash) is 1.5 units wide.
            x = add(x, row_index, 1.5 if row_index == 1 and key is keys[-1] else 1.0, "", key=key)
        if row_index == 2:
            caps.append(
                _cap(
                    x,
                    2,
                    WIDTH_UNITS - x,
                    label="Enter",
                    chars=("\n",),
                    finger="r5",
                    figures=figures,
                    metric=metric,
                )
            )
        elif right_width:
            add(x, row_index, right_width, right_label)
    x = 0.0
    for label in ("Ctrl", "", "Alt"):
        x = add(x, 4, 1.25, label)
    caps.append(
        _cap(
            x,
            4,
            6.25,
            label="Space",
            chars=(" ",),
            finger="thumb",
            figures=figures,
            metric=metric,
        )
    )
    x += 6.25
    for label in ("Alt", "", "", "Ctrl"):
        x = add(x, 4, 1.25, label)
    return KeyboardDrawing(
        width=WIDTH_UNITS * UNIT,
        height=ROWS * UNIT,
        keys=tuple(caps),
        metric=metric,
        layout_label=layout.label,
    )
