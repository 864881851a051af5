"""The heatmap drawing: the learner's layout, coloured by error rate or time, weak keys
outlined, every figure in the key's title."""

from __future__ import annotations

import pytest

from courses.layouts import LAYOUTS
from stats.aggregates import KeyFigures
from stats.keyboard import UNIT, WIDTH_UNITS, draw, scale_colour, text_colour


def cap(drawing, label):
    return next(key for key in drawing.keys if key.is_char and key.label == label)


@pytest.mark.parametrize("slug", list(LAYOUTS))
def test_every_typeable_character_of_a_layout_is_on_a_key(slug):
    layout = LAYOUTS[slug]
    drawing = draw(layout, {}, metric="errors")
    chars = {ch for row in layout.rows for key in row for ch in (key.base, key.shifted)}
    drawn = {key.label for key in drawing.char_keys} | {key.corner for key in drawing.char_keys}
    assert len(drawing.char_keys) == 13 + 13 + 11 + 10 + 2  # and Enter and Space
    assert {"Enter", "Space"} <= drawn
    assert {ch for ch in chars if ch not in drawn and ch.upper() not in drawn} == set()


def test_rows_are_as_wide_as_an_ansi_board():
    drawing = draw(LAYOUTS["qwerty"], {}, metric="errors")
    for row in range(5):
        keys = [key for key in drawing.keys if key.y == row * UNIT + 2.5]
        right = max(key.x + key.width for key in keys)
        assert right == pytest.approx(WIDTH_UNITS * UNIT - 2.5)


def test_a_key_without_keystrokes_is_neutral_and_says_so():
    key = cap(draw(LAYOUTS["qwerty"], {}, metric="errors"), "Q")
    assert key.fill is None
    assert "no-data" in key.css_class
    assert key.title == "Q (left little finger): not typed yet"


def test_both_characters_of_a_key_count_together():
    figures = {"a": KeyFigures("a", hits=30, errors=3), "A": KeyFigures("A", hits=10, errors=5)}
    key = cap(draw(LAYOUTS["qwerty"], figures, metric="errors"), "A")
    assert key.figure == "20 %"
    assert "8 of 40 keystrokes wrong (20.0 %)" in key.title


def test_a_weak_key_is_outlined_and_says_so():
    figures = {"t": KeyFigures("t", hits=100, errors=16, time_sum_ms=25_000, time_count=84)}
    key = cap(draw(LAYOUTS["qwerty"], figures, metric="errors"), "T")
    assert key.weak
    assert "weak" in key.css_class
    assert key.title == (
        "T (left index finger): 16 of 100 keystrokes wrong (16.0 %), 298 ms on average — weak key"
    )


def test_19_keystrokes_are_coloured_but_not_outlined():
    figures = {"t": KeyFigures("t", hits=19, errors=19)}
    key = cap(draw(LAYOUTS["qwerty"], figures, metric="errors"), "T")
    assert key.fill == scale_colour(1.0)
    assert not key.weak


def test_the_time_metric_colours_by_mean_time():
    figures = {"j": KeyFigures("j", hits=30, errors=0, time_sum_ms=30 * 400, time_count=30)}
    key = cap(draw(LAYOUTS["qwerty"], figures, metric="time"), "J")
    assert key.figure == "400 ms"
    assert key.fill == scale_colour(0.5)  # the threshold is the middle of the scale
    assert not key.weak


def test_the_scale_runs_green_amber_red_and_text_stays_readable():
    assert scale_colour(0) == "#4cb982"
    assert scale_colour(0.5) == "#f2c14e"
    assert scale_colour(1) == "#ee5d5d"
    assert scale_colour(7) == scale_colour(1)
    assert all(text_colour(scale_colour(t / 10)) == "#15171c" for t in range(11))


def test_the_heatmap_follows_the_learners_layout():
    figures = {"е": KeyFigures("е", hits=25, errors=10)}
    drawing = draw(LAYOUTS["jcuken"], figures, metric="errors")
    assert cap(drawing, "Е").weak
    assert drawing.layout_label == "ЙЦУКЕН (Russian)"


def test_space_and_enter_are_keys_too():
    figures = {" ": KeyFigures(" ", hits=50, errors=1), "\n": KeyFigures("\n", hits=5)}
    drawing = draw(LAYOUTS["qwerty"], figures, metric="errors")
    assert cap(drawing, "Space").figure == "2 %"
    assert cap(drawing, "Space").width > 6 * UNIT
    assert cap(drawing, "Enter").figure == "0 %"
