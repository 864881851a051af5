"""/stats/keys/: the keyboard heatmap, the slowest key pairs and the keys a learner mixes up."""

from __future__ import annotations

import re

import pytest

from conftest import make_user
from stats.models import BigramStat, KeyConfusion, KeyStat

from .conftest import play, typed_keys

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def key_group(html: str, label: str) -> str:
    """The SVG group of the key whose cap shows `label`."""
    for group in re.findall(r'<g class="hm-key[^"]*".*?</g>', html):
        if re.search(rf'class="hm-label"[^>]*>{re.escape(label)}</text>', group):
            return group
    raise AssertionError(f"no key {label!r}")


def test_a_new_learner_sees_an_empty_keyboard_and_the_way_to_start(client, learner, course):
    client.force_login(learner)
    html = text(client.get("/stats/keys/"))
    assert "No keystrokes yet" in html
    assert f'href="/lessons/{course.lessons.get(position=1).pk}/"' in html
    assert "hm-key no-data" in key_group(html, "F")
    assert "Slowest key pairs" not in html


def test_the_heatmap_colours_each_key_and_explains_it_in_its_title(client, learner, lesson1):
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text, mistakes={3: "g"}))
    html = text(client.get("/stats/keys/"))
    f = key_group(html, "F")
    assert 'tabindex="0"' in f  # reachable with the keyboard, announced by its label
    assert (
        "<title>F (left index finger): 1 of 4 keystrokes wrong (25.0 %), 200 ms on average</title>"
        in f
    )
    assert re.search(r'<rect [^>]*fill="#[0-9a-f]{6}"', f)
    assert ">25 %</text>" in f
    assert "hm-key no-data" in key_group(html, "Q")
    assert "style=" not in html


def test_the_heatmap_is_drawn_for_the_learners_own_layout(client, lesson1):
    learner = make_user("dvorak@example.com", keyboard_layout="dvorak")
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text))
    html = text(client.get("/stats/keys/"))
    assert 'aria-label="Dvorak keyboard' in html
    # On Dvorak the home row is AOEUIDHTNS: "s" sits under the right little finger.
    assert "S (right little finger)" in key_group(html, "S")


def test_weak_keys_are_outlined_at_20_samples_but_not_at_19(client, learner):
    KeyStat.objects.create(user=learner, char="t", hits=20, errors=4)  # 20 %
    KeyStat.objects.create(user=learner, char="r", hits=19, errors=19)  # 100 %, too few
    KeyStat.objects.create(user=learner, char="e", hits=20, errors=3)  # exactly 15 %
    KeyStat.objects.create(user=learner, char="p", hits=40, time_sum_ms=20 * 401, time_count=20)
    KeyStat.objects.create(user=learner, char="o", hits=40, time_sum_ms=20 * 400, time_count=20)
    client.force_login(learner)
    html = text(client.get("/stats/keys/"))
    assert 'class="hm-key weak"' in key_group(html, "T")
    assert "— weak key" in key_group(html, "T")
    assert "weak" not in key_group(html, "R")
    assert "weak" not in key_group(html, "E")
    assert 'class="hm-key weak"' in key_group(html, "P")
    assert "weak" not in key_group(html, "O")


def test_the_time_view_is_an_htmx_fragment_of_the_heatmap(client, learner):
    KeyStat.objects.create(user=learner, char="j", hits=30, time_sum_ms=30 * 250, time_count=30)
    client.force_login(learner)
    response = client.get("/stats/keys/?metric=time", headers={"HX-Request": "true"})
    html = text(response)
    assert html.lstrip().startswith('<section id="heatmap"')
    assert "<html" not in html
    assert "Slowest key pairs" not in html
    assert 'aria-current="true">Mean time' in html
    assert ">250 ms</text>" in key_group(html, "J")


def test_the_time_view_is_also_a_plain_link(client, learner):
    KeyStat.objects.create(user=learner, char="j", hits=30, time_sum_ms=30 * 250, time_count=30)
    client.force_login(learner)
    html = text(client.get("/stats/keys/?metric=time"))
    assert "<html" in html
    assert 'href="?metric=errors"' in html
    assert ">250 ms</text>" in key_group(html, "J")


def test_the_ten_slowest_key_pairs_are_listed_slowest_first(client, learner):
    KeyStat.objects.create(user=learner, char="a", hits=1)
    BigramStat.objects.bulk_create(
        [
            BigramStat(
                user=learner,
                previous="a",
                char=chr(98 + n),
                count=10,
                time_sum_ms=10 * (200 + 10 * n),
                time_count=10,
            )
            for n in range(12)
        ]
        + [
            BigramStat(
                user=learner, previous="z", char="q", count=4, time_sum_ms=4 * 999, time_count=4
            )
        ]
    )
    client.force_login(learner)
    html = text(client.get("/stats/keys/"))
    pairs = re.findall(r"<kbd>(.)</kbd> → <kbd>(.)</kbd> </th> <td class=\"num\">(\d+) ms", html)
    assert pairs[0] == ("a", "m", "310")
    assert len(pairs) == 10
    assert ("z", "q", "999") not in pairs  # typed 4 times: too few to tell


def test_confusions_say_which_key_is_typed_instead_and_how_often(client, learner):
    KeyStat.objects.create(user=learner, char="t", hits=50, errors=12)
    KeyConfusion.objects.create(user=learner, expected="t", typed="r", count=9)
    KeyConfusion.objects.create(user=learner, expected="t", typed="y", count=3)
    client.force_login(learner)
    html = text(client.get("/stats/keys/"))
    assert (
        "You type <kbd>r</kbd> when you mean <kbd>t</kbd> <strong>18 %</strong> of the time" in html
    )
    assert html.index("<kbd>r</kbd> when") < html.index("<kbd>y</kbd> when")


def test_another_learners_keys_are_not_shown(client, learner, other_learner):
    KeyStat.objects.create(user=other_learner, char="t", hits=50, errors=50)
    client.force_login(learner)
    html = text(client.get("/stats/keys/"))
    assert "hm-key no-data" in key_group(html, "T")
