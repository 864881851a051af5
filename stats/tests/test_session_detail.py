"""/stats/sessions/<uuid>/: one session's per-key breakdown, from its own keystrokes."""

from __future__ import annotations

import re
import uuid

import pytest

from lessons.models import PracticeSession

from .conftest import play, typed_keys

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_session_shows_its_figures_and_each_keys_breakdown(client, learner, lesson1):
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text, mistakes={3: "g", 13: "g"}))
    session = PracticeSession.objects.get()
    html = text(client.get(f"/stats/sessions/{session.pk}/"))
    assert "<h1> Lesson 1 </h1>" in html
    assert "Home Row Basics" in html
    assert "93.5<small>%</small>" in html  # 29 of 31 keystrokes right
    # f: three times right, twice typed as g.
    assert (
        '<kbd>f</kbd> </th> <td class="num">5</td> <td class="num">2</td> <td class="num"> 200 ms'
        in html
    )
    assert '<kbd>g</kbd> instead of <kbd>f</kbd> <span class="muted small">2×</span>' in html
    assert "F (left index finger): 2 of 5 keystrokes wrong (40.0 %), 200 ms on average" in html
    assert f'href="/lessons/{lesson1.pk}/">Type it again</a>' in html


def test_another_learners_session_is_not_found(client, learner, other_learner, lesson1):
    client.force_login(other_learner)
    play(client, lesson1, typed_keys(lesson1.text))
    session = PracticeSession.objects.get()
    client.force_login(learner)
    assert client.get(f"/stats/sessions/{session.pk}/").status_code == 404


def test_an_unfinished_or_unknown_session_is_not_found(client, learner, lesson1):
    started = PracticeSession.objects.create(
        user=learner, lesson=lesson1, text=lesson1.text, target_wpm=20
    )
    client.force_login(learner)
    assert client.get(f"/stats/sessions/{started.pk}/").status_code == 404
    assert client.get(f"/stats/sessions/{uuid.uuid4()}/").status_code == 404


def test_a_flagged_session_says_it_does_not_count(client, learner, course):
    from courses.models import Lesson

    lesson = Lesson.objects.create(course=course, position=0, title="Fast", text="asdf jkl; " * 6)
    client.force_login(learner)
    play(client, lesson, typed_keys(lesson.text, interval=25))
    session = PracticeSession.objects.get()
    assert "does not count towards your statistics" in text(
        client.get(f"/stats/sessions/{session.pk}/")
    )


def test_an_exercise_without_a_lesson_has_its_breakdown_too(client, learner):
    from lessons.models import KeystrokeBatch

    text_typed = "fjfj jfjf"
    session = PracticeSession.objects.create(
        user=learner,
        lesson=None,
        text=text_typed,
        target_wpm=20,
        status="completed",
        wpm=30,
        accuracy=100,
        errors=0,
        keystrokes=9,
        duration_ms=1600,
        rating=3,
    )
    KeystrokeBatch.objects.create(session=session, seq=0, keys=typed_keys(text_typed))
    client.force_login(learner)
    html = text(client.get(f"/stats/sessions/{session.pk}/"))
    assert "<h1> Exercise </h1>" in html
    assert "Type it again" not in html
    assert '<kbd>j</kbd> </th> <td class="num">4</td>' in html
