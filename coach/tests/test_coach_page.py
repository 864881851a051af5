from __future__ import annotations

import pytest

from billing.tests.conftest import (  # noqa: F401 — fixtures: a subscriber made through webhooks
    deliver,
    fake_stripe,
    fresh,
    premium_prices,
    subscribe,
    webhook_endpoint,
)
from coach.models import Exercise, Report
from lessons.models import PracticeSession
from lessons.tests.conftest import play, post_json, send_batches, typed_keys
from stats.models import KeyStat

pytestmark = pytest.mark.django_db


def test_the_coach_needs_a_login(client):
    assert client.get("/coach/").status_code == 302


def test_a_new_learner_is_told_the_coach_needs_a_few_lessons(client, learner):
    client.force_login(learner)
    response = client.get("/coach/")
    assert response.status_code == 200
    assert b"Type a few lessons so I can find your weak keys." in response.content
    assert b"3 of 3 free exercises left today" in response.content


def test_after_a_session_the_page_shows_the_report_and_a_practise_button(
    client, learner, course, django_capture_on_commit_callbacks
):
    lesson = course.lessons.get(position=1)
    client.force_login(learner)
    # Miss "d" every time it comes up, over enough sessions for the coach to judge it.
    text = lesson.text
    mistakes = {pos: "e" for pos, ch in enumerate(text) if ch == "d"}
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(7):
            play(client, lesson, typed_keys(text, mistakes=mistakes))
    assert KeyStat.objects.get(user=learner, char="d").hits >= 20
    report = Report.objects.filter(user=learner).latest("created_at")
    html = client.get("/coach/").content.decode()
    assert report.advice in html
    assert "d: 50 % errors over" in html
    assert "most often typed as e — left middle finger, home row." in html
    assert '<input type="hidden" name="keys" value="d">' in html


def test_practise_this_makes_an_exercise_dense_in_the_key_and_opens_it(client, learner):
    client.force_login(learner)
    response = client.post("/coach/exercises/", {"keys": "k"})
    exercise = Exercise.objects.get(user=learner)
    assert response.status_code == 302
    assert response["Location"] == f"/coach/exercises/{exercise.pk}/"
    assert exercise.focus_keys == "k"
    assert exercise.text.count("k") > len(exercise.text) * 0.05
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"data-typing-widget" in page.content
    assert f'data-start-url="/coach/exercises/{exercise.pk}/start"'.encode() in page.content


def test_an_exercise_is_practised_and_scored_like_a_lesson(client, learner):
    client.force_login(learner)
    client.post("/coach/exercises/", {"keys": "f"})
    exercise = Exercise.objects.get(user=learner)
    response = post_json(client, f"/coach/exercises/{exercise.pk}/start", {})
    assert response.status_code == 201
    session = response.json()["session"]
    count = send_batches(client, session, typed_keys(exercise.text, interval=150))
    result = post_json(client, f"/sessions/{session}/complete", {"batches": count})
    assert result.status_code == 200
    stored = PracticeSession.objects.get(pk=session)
    assert stored.lesson is None
    assert stored.text == exercise.text
    assert stored.status == "completed"
    assert KeyStat.objects.get(user=learner, char="f").hits >= exercise.text.count("f")
    html = post_json(
        client, f"/sessions/{session}/complete", {"batches": count}, Accept="text/html"
    ).content.decode()
    assert "Back to your coach" in html


def test_someone_elses_exercise_is_a_404(client, learner, other_learner):
    client.force_login(learner)
    client.post("/coach/exercises/", {})
    exercise = Exercise.objects.get()
    client.force_login(other_learner)
    assert client.get(f"/coach/exercises/{exercise.pk}/").status_code == 404
    assert post_json(client, f"/coach/exercises/{exercise.pk}/start", {}).status_code == 404


def test_free_learners_get_three_exercises_a_day(client, learner):
    client.force_login(learner)
    for _ in range(3):
        client.post("/coach/exercises/", {"keys": "j"})
    response = client.post("/coach/exercises/", {"keys": "j"}, follow=True)
    assert Exercise.objects.filter(user=learner).count() == 3
    assert b"used today&#x27;s 3 generated exercises" in response.content
    assert b"0 of 3 free exercises left today" in response.content


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"HTTP_ACCEPT": "application/json"}, "application/json"),
        ({"HTTP_HX_REQUEST": "true"}, "text/plain"),
    ],
)
def test_the_daily_allowance_answers_429_until_midnight_to_json_and_htmx(
    client, learner, headers, kind
):
    client.force_login(learner)
    for _ in range(3):
        client.post("/coach/exercises/", {"keys": "j"})
    response = client.post("/coach/exercises/", {"keys": "j"}, **headers)
    assert response.status_code == 429
    assert response["Content-Type"].startswith(kind)
    assert "used today's 3 generated exercises" in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 24 * 3600
    assert Exercise.objects.filter(user=learner).count() == 3


def test_premium_learners_make_as_many_exercises_as_they_like(
    client,
    learner,
    subscribe,  # noqa: F811 — the fixture imported above
):
    subscribe(learner)
    client.force_login(fresh(learner))
    for _ in range(4):
        client.post("/coach/exercises/", {"keys": "j"})
    assert Exercise.objects.filter(user=learner).count() == 4
    assert b"free exercises left" not in client.get("/coach/").content


def test_keys_that_are_not_on_the_layout_are_ignored(client, learner):
    client.force_login(learner)
    client.post("/coach/exercises/", {"keys": "жé", "pairs": "abc ж"})
    exercise = Exercise.objects.get()
    assert exercise.focus_keys == ""  # fell back to the learner's weakest keys (none yet)
    assert exercise.text
