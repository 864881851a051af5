"""The coach over the API: the same analysis, recommendations, exercises and chat as the coach
page, with its limits and its Premium rule, and the built-in coach when the LLM is down."""

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
from coach.models import ChatMessage, Exercise, Report
from coach.tests.conftest import fail, fake_openai, reply  # noqa: F401 — a fixture
from lessons.models import PracticeSession
from lessons.tests.conftest import play, typed_keys
from typingtrainer.celery import app as celery_app

from .conftest import ApiClient, error_of
from .test_lessons import typed_for

pytestmark = pytest.mark.django_db


def _play_missing_d(client, learner, lesson, times: int = 7) -> None:
    """Sessions typed on the site that miss "d" each time, enough for the coach to judge it."""
    client.force_login(learner)
    mistakes = {pos: "e" for pos, ch in enumerate(lesson.text) if ch == "d"}
    for _ in range(times):
        assert play(client, lesson, typed_keys(lesson.text, mistakes=mistakes)).status_code == 200


@pytest.fixture
def premium_api(api, learner, subscribe):  # noqa: F811 — the fixture imported above
    subscribe(learner)
    return api


# --- analyze and recommendations -----------------------------------------------------------------


def test_analyze_before_any_session_has_no_report_and_the_pages_findings(api, client, learner):
    response = api.post("/api/v1/ai/analyze")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "none"
    assert body["report"] is None
    client.force_login(learner)
    page = client.get("/coach/")
    assert [f["message"] for f in body["findings"]] == [f.message for f in page.context["findings"]]
    assert "Type a few lessons so I can find your weak keys" in body["findings"][0]["message"]


def test_analyze_returns_the_report_of_the_latest_session(
    api, client, learner, course, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _play_missing_d(client, learner, course.lessons.get(position=1))
    report = Report.objects.filter(user=learner).latest("created_at")
    response = api.post("/api/v1/ai/analyze")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["report"]["id"] == report.pk
    assert body["report"]["advice"] == report.advice
    assert body["report"]["session_id"] == str(report.session_id)
    messages = [f["message"] for f in body["report"]["findings"]]
    assert any("d: 50 % errors over" in m for m in messages)
    assert body["findings"] == body["report"]["findings"]


def test_analyze_queues_a_missing_analysis_and_answers_202(api, client, learner, course):
    # Completed without the after-commit queueing (the broker was down): no report yet.
    _play_missing_d(client, learner, course.lessons.get(position=1), times=1)
    session = PracticeSession.objects.get(user=learner)
    PracticeSession.objects.filter(pk=session.pk).update(analysis_queued_at=None)
    assert not Report.objects.exists()

    celery_app.conf.task_always_eager = False  # published to the in-memory broker, not run
    try:
        response = api.post("/api/v1/ai/analyze")
    finally:
        celery_app.conf.task_always_eager = True
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["session_id"] == str(session.pk)
    assert body["queued_at"] is not None
    session.refresh_from_db()
    assert session.analysis_queued_at is not None

    # A worker (here: eager) writes it; asking again returns it.
    PracticeSession.objects.filter(pk=session.pk).update(analysis_queued_at=None)
    again = api.post("/api/v1/ai/analyze")
    assert again.status_code == 200
    assert again.json()["report"]["id"] == Report.objects.get(session=session).pk


def test_recommendations_are_the_coach_pages(
    api, client, learner, course, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _play_missing_d(client, learner, course.lessons.get(position=1))
    page = client.get("/coach/").context
    response = api.get("/api/v1/ai/recommendations")
    assert response.status_code == 200
    body = response.json()
    assert body["report"]["id"] == page["report"].pk
    assert [(f["kind"], f["message"], f["focus_keys"]) for f in body["findings"]] == [
        (f.kind, f.message, list(f.focus_keys)) for f in page["findings"]
    ]
    assert body["premium"] is False
    assert body["exercises_left_today"] == page["exercises_left"] == 3
    assert body["free_exercises_per_day"] == 3


def test_another_learners_report_never_shows(
    api, other_api, client, learner, course, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _play_missing_d(client, learner, course.lessons.get(position=1))
    assert other_api.post("/api/v1/ai/analyze").json()["report"] is None
    assert other_api.get("/api/v1/ai/recommendations").json()["report"] is None


# --- exercises -----------------------------------------------------------------------------------


def test_generate_exercise_for_a_key_and_start_it(api, learner):
    response = api.post("/api/v1/ai/generate-exercise", {"keys": "k"})
    assert response.status_code == 201
    body = response.json()
    exercise = Exercise.objects.get(user=learner)
    assert body["exercise"]["id"] == exercise.pk
    assert body["exercise"]["text"] == exercise.text
    assert body["exercise"]["focus_keys"] == ["k"]
    assert body["exercise"]["source"] == "built-in"
    assert exercise.text.count("k") > len(exercise.text) * 0.05
    assert body["exercises_left_today"] == 2
    assert body["start"] == {"method": "POST", "path": f"/api/v1/ai/exercises/{exercise.pk}/start"}

    started = api.post(body["start"]["path"])
    assert started.status_code == 201
    session = PracticeSession.objects.get(pk=started.json()["session_id"])
    assert session.user == learner
    assert session.lesson is None
    assert started.json()["text"] == exercise.text == session.text
    assert started.json()["practice_token"]
    assert api.get(f"/api/v1/ai/exercises/{exercise.pk}").json()["title"] == exercise.title


def test_an_exercise_is_typed_and_scored_through_its_own_protocol_paths(api, learner, other_api):
    exercise = api.post("/api/v1/ai/generate-exercise", {"keys": "k"}).json()["exercise"]
    base = f"/api/v1/ai/exercises/{exercise['id']}"
    started = api.post(f"{base}/start").json()
    keys = typed_keys(started["text"])
    token = typed_for(started, keys)
    batches = [keys[i : i + 20] for i in range(0, len(keys), 20)]
    for seq, batch in enumerate(batches):
        sent = api.post(
            f"{base}/keystrokes",
            {"session_id": started["session_id"], "seq": seq, "keys": batch},
            **{"X-Practice-Token": token},
        )
        assert sent.status_code == 200, sent.content

    # Another learner, or another exercise of the same learner, does not find the session.
    body = {"session_id": started["session_id"], "batches": len(batches)}
    assert other_api.post(f"{base}/complete", body, **{"X-Practice-Token": token}).status_code == (
        404
    )
    second = api.post("/api/v1/ai/generate-exercise", {"keys": "j"}).json()["exercise"]
    assert (
        api.post(
            f"/api/v1/ai/exercises/{second['id']}/complete", body, **{"X-Practice-Token": token}
        ).status_code
        == 404
    )

    result = api.post(f"{base}/complete", body, **{"X-Practice-Token": token})
    assert result.status_code == 200, result.content
    assert result.json()["accuracy"] == 100.0
    assert result.json()["next_lesson"] is None
    assert PracticeSession.objects.get(pk=started["session_id"]).is_completed


def test_pairs_and_keys_off_the_layout_are_ignored(api, learner):
    response = api.post("/api/v1/ai/generate-exercise", {"keys": "ж€", "pairs": ["th", "x€"]})
    assert response.status_code == 201
    assert response.json()["exercise"]["focus_bigrams"] == ["th"]
    assert response.json()["exercise"]["focus_keys"] == []


def test_free_learners_get_three_exercises_a_day_then_a_429_that_says_so(api, client, learner):
    for _ in range(3):
        assert api.post("/api/v1/ai/generate-exercise", {"keys": "j"}).status_code == 201
    response = api.post("/api/v1/ai/generate-exercise", {"keys": "j"})
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "daily_limit_reached"
    assert "You have used today's 3 generated exercises" in error["message"]
    assert 1 <= int(response["Retry-After"]) <= 24 * 3600
    assert Exercise.objects.filter(user=learner).count() == 3
    # The site counts the same allowance.
    client.force_login(learner)
    assert client.get("/coach/").context["exercises_left"] == 0


def test_premium_learners_have_no_daily_allowance(premium_api, learner):
    for _ in range(4):
        response = premium_api.post("/api/v1/ai/generate-exercise", {})
        assert response.status_code == 201
    assert response.json()["exercises_left_today"] is None


def test_making_exercises_too_fast_is_a_429_with_retry_after(api, settings):
    settings.COACH_RATE_LIMITS = {**settings.COACH_RATE_LIMITS, "exercise": 1}
    assert api.post("/api/v1/ai/generate-exercise", {}).status_code == 201
    response = api.post("/api/v1/ai/generate-exercise", {})
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert "making exercises very fast: try again in" in error_of(response)["message"]
    assert 1 <= int(response["Retry-After"]) <= 60


def test_generate_exercise_rejects_a_bad_body(api):
    response = api.post("/api/v1/ai/generate-exercise", {"pairs": "th"})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["pairs"]


def test_another_learners_exercise_is_a_404(api, other_api):
    made = api.post("/api/v1/ai/generate-exercise", {}).json()["exercise"]["id"]
    assert error_of(other_api.get(f"/api/v1/ai/exercises/{made}"))["code"] == "not_found"
    response = other_api.post(f"/api/v1/ai/exercises/{made}/start")
    assert response.status_code == 404
    assert not PracticeSession.objects.exists()


def test_too_many_open_sessions_is_a_429(api, settings):
    settings.PRACTICE_MAX_OPEN_SESSIONS = 1
    made = api.post("/api/v1/ai/generate-exercise", {}).json()["start"]["path"]
    assert api.post(made).status_code == 201
    response = api.post(made)
    assert response.status_code == 429
    assert "practice sessions open at once" in error_of(response)["message"]
    assert int(response["Retry-After"]) >= 1


# --- chat ----------------------------------------------------------------------------------------


def test_chat_is_premium_only(api):
    response = api.post("/api/v1/ai/chat", {"question": "How do I get faster?"})
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "premium_required"
    assert error["message"] == "Chat with the coach is part of Premium."
    assert not ChatMessage.objects.exists()


def test_without_an_llm_the_built_in_coach_answers(premium_api, learner):
    response = premium_api.post("/api/v1/ai/chat", {"question": "  What are my weak keys?  "})
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "What are my weak keys?"
    assert "You have no weak keys yet" in body["reply"]
    assert "needs the LLM to be configured" in body["reply"]
    assert body["llm_configured"] is False
    assert list(ChatMessage.objects.filter(user=learner).values_list("role", "text")) == [
        ("user", "What are my weak keys?"),
        ("assistant", body["reply"]),
    ]


def test_with_an_llm_the_reply_is_the_llms(premium_api, settings, fake_openai):  # noqa: F811
    settings.OPENAI_BASE_URL = fake_openai.base_url
    fake_openai.will(reply("Practise F and J slowly."))
    response = premium_api.post("/api/v1/ai/chat", {"question": "What now?"})
    assert response.status_code == 200
    assert response.json()["reply"] == "Practise F and J slowly."
    assert response.json()["llm_configured"] is True
    assert fake_openai.requests[-1]["messages"][-1] == {"role": "user", "content": "What now?"}


def test_with_the_llm_down_the_built_in_coach_answers_not_a_500(
    premium_api,
    settings,
    fake_openai,  # noqa: F811
):
    settings.OPENAI_BASE_URL = fake_openai.base_url
    fake_openai.will(fail(500))
    response = premium_api.post("/api/v1/ai/chat", {"question": "How can I type faster?"})
    assert response.status_code == 200
    reply_text = response.json()["reply"]
    assert "Speed comes from accuracy and rhythm" in reply_text
    assert "The full coach is unavailable right now" in reply_text
    assert len(fake_openai.requests) == 2  # one retry, then the fallback


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_chat_questions_must_be_1_to_1000_characters(premium_api, question):
    response = premium_api.post("/api/v1/ai/chat", {"question": question})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["question"]
    assert not ChatMessage.objects.exists()


def test_a_1000_character_question_is_answered(premium_api):
    response = premium_api.post("/api/v1/ai/chat", {"question": "speed " * 166 + "fast"})
    assert response.status_code == 200


def test_asking_too_fast_is_a_429(premium_api, settings):
    settings.COACH_RATE_LIMITS = {**settings.COACH_RATE_LIMITS, "chat": 1}
    assert premium_api.post("/api/v1/ai/chat", {"question": "Hi"}).status_code == 200
    response = premium_api.post("/api/v1/ai/chat", {"question": "Hi again"})
    assert response.status_code == 429
    assert "That's a lot of questions: ask again in" in error_of(response)["message"]
    assert 1 <= int(response["Retry-After"]) <= 60


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/ai/analyze"),
        ("get", "/api/v1/ai/recommendations"),
        ("post", "/api/v1/ai/generate-exercise"),
        ("get", "/api/v1/ai/exercises/1"),
        ("post", "/api/v1/ai/exercises/1/start"),
        ("post", "/api/v1/ai/chat"),
    ],
)
def test_anonymous_is_401(anonymous_api: ApiClient, method, path):
    response = getattr(anonymous_api, method)(path)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_a_question_with_a_nul_character_is_a_400_not_a_server_error(premium_api):
    response = premium_api.post("/api/v1/ai/chat", {"question": "why\x00"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_json"


@pytest.mark.parametrize("exercise_id", ["0", "x", str(2**63)])
def test_an_exercise_id_that_cannot_be_one_is_422(api, exercise_id):
    assert api.get(f"/api/v1/ai/exercises/{exercise_id}").status_code == 422
    assert api.post(f"/api/v1/ai/exercises/{exercise_id}/start").status_code == 422
