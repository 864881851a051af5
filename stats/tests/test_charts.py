"""Daily points in, SVG geometry out."""

from __future__ import annotations

from datetime import date, timedelta

from stats.charts import (
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    WIDTH,
    line_chart,
    nice_step,
    value_range,
)

FIRST = date(2025, 3, 1)
LAST = date(2025, 3, 30)


def test_no_points_is_an_empty_chart_that_still_has_a_time_axis():
    chart = line_chart([], first=FIRST, last=LAST, unit=" WPM", min_span=10)
    assert chart.empty
    assert chart.line == ""
    assert chart.x_ticks  # Mondays of March 2025


def test_the_first_and_last_day_are_the_edges_of_the_plot():
    chart = line_chart(
        [(FIRST, 30.0), (LAST, 50.0)], first=FIRST, last=LAST, unit=" WPM", min_span=10
    )
    first, last = chart.dots
    assert first.x == MARGIN_LEFT
    assert last.x == chart.right
    assert first.y > last.y  # faster is higher
    assert chart.line == f"M{first.x},{first.y} L{last.x},{last.y}"
    assert chart.area.endswith(
        f"L{last.x},{HEIGHT - MARGIN_BOTTOM} L{first.x},{HEIGHT - MARGIN_BOTTOM} Z"
    )


def test_each_dot_has_a_title_with_the_day_and_value():
    chart = line_chart(
        [(date(2025, 3, 4), 42.25)], first=FIRST, last=LAST, unit=" WPM", min_span=10
    )
    assert chart.dots[0].title == "4 Mar 2025: 42.2 WPM"


def test_days_outside_the_window_are_left_out():
    chart = line_chart(
        [(FIRST - timedelta(days=1), 10.0), (FIRST, 20.0)],
        first=FIRST,
        last=LAST,
        unit="",
        min_span=10,
    )
    assert len(chart.dots) == 1


def test_the_value_axis_has_round_ticks_that_cover_the_values():
    chart = line_chart(
        [(FIRST, 31.4), (LAST, 58.9)], first=FIRST, last=LAST, unit=" WPM", min_span=10
    )
    labels = [tick.label for tick in chart.y_ticks]
    assert labels == ["30", "40", "50", "60"]
    assert all(0 <= dot.y <= HEIGHT for dot in chart.dots)


def test_accuracy_never_goes_above_100():
    low, high, _ = value_range([99.0, 100.0], min_span=5, ceiling=100)
    assert high == 100
    assert low <= 95


def test_nice_steps_are_one_two_or_five():
    assert nice_step(27) == 10
    assert nice_step(9) == 5
    assert nice_step(0.9) == 0.5


def test_a_year_is_labelled_by_month_and_a_month_by_day():
    year = line_chart([], first=date(2024, 4, 1), last=date(2025, 3, 31), unit="", min_span=1)
    assert [tick.label for tick in year.x_ticks][:3] == ["Apr", "May", "Jun"]
    month = line_chart([], first=FIRST, last=LAST, unit="", min_span=1)
    assert month.x_ticks[0].label == "3 Mar"
    assert all(0 <= tick.position <= WIDTH for tick in month.x_ticks)


def test_dots_get_smaller_as_more_days_share_the_width():
    month = [(FIRST + timedelta(days=n), 40.0) for n in range(30)]
    year = [(date(2024, 4, 1) + timedelta(days=n), 40.0) for n in range(365)]
    assert line_chart(month[:10], first=FIRST, last=LAST, unit="", min_span=1).dot_radius == 3.5
    assert (
        line_chart(
            year, first=date(2024, 4, 1), last=date(2025, 3, 31), unit="", min_span=1
        ).dot_radius
        < 2
    )
