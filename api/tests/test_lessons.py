"""A lesson, its text and the practice protocol through the API: the widget's workflow, token,
limits and pace bound, each refusal with its stable code, and the widget's figures."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from django.test import Client

from courses.models import Lesson
from lessons import tokens
from lessons.models import KeystrokeBatch, LessonProgress, PracticeSession
from lessons.tests.conftest import play, typed_keys

from .conftest import ApiClient, error_of, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson1(course):
    return course.lessons.get(position=1)


@pytest.fixture
def lesson2(course):
    return course.lessons.get(position=2)


def start(api: ApiClient, lesson: Lesson) -> dict[str, Any]:
    response = api.post(f"/api/v1/lessons/{lesson.pk}/start")
    assert response.status_code == 201, response.content
    return response.json()


def typed_for(started: dict[str, Any], keys: list[list]) -> str:
    """The session's token as if it had started as long ago as typing `keys` took: the pace
    bound counts from the start, and a test sends in a moment what took a person minutes."""
    token = tokens.verify(started["practice_token"], started["session_id"])
    return tokens.sign(dataclasses.replace(token, started=time.time() - keys[-1][2] / 1000 - 1))


def send(api: ApiClient, lesson: Lesson, session: str, seq: int, keys: list[list], token: Any):
    headers = {} if token is None else {"X-Practice-Token": token}
    return api.post(
        f"/api/v1/lessons/{lesson.pk}/keystrokes",
        {"session_id": session, "seq": seq, "keys": keys},
        **headers,
    )


def send_all(api: ApiClient, lesson: Lesson, started: dict[str, Any], keys: list[list]) -> int:
    token = typed_for(started, keys)
    batches = [keys[i : i + 20] for i in range(0, len(keys), 20)]
    for seq, batch in enumerate(batches):
        response = send(api, lesson, started["session_id"], seq, batch, token)
        assert response.status_code == 200, response.content
        assert response.json() == {"seq": seq, "stored": True}
    return len(batches)


def complete(api: ApiClient, lesson: Lesson, started: dict[str, Any], **body: Any):
    return api.post(
        f"/api/v1/lessons/{lesson.pk}/complete",
        {"session_id": started["session_id"], **body},
        **{"X-Practice-Token": started["practice_token"]},
    )


def api_play(api: ApiClient, lesson: Lesson, keys: list[list]):
    started = start(api, lesson)
    count = send_all(api, lesson, started, keys)
    return complete(api, lesson, started, batches=count)


# --- A lesson and its text -----------------------------------------------------------------------


def test_a_lesson_s_details_leave_out_the_text(api, lesson1):
    response = api.get(f"/api/v1/lessons/{lesson1.pk}")
    assert response.status_code == 200
    body = response.json()
    assert "text" not in body
    assert (body["title"], body["state"], body["stars"]) == ("Lesson 1", "open", None)
    assert body["length"] == len(lesson1.text)


def test_a_lesson_s_details_show_the_learner_s_stars(api, learner, lesson1, lesson2):
    LessonProgress.objects.create(user=learner, lesson=lesson1, best_rating=4)
    assert api.get(f"/api/v1/lessons/{lesson1.pk}").json()["stars"] == 4
    assert api.get(f"/api/v1/lessons/{lesson2.pk}").json()["state"] == "open"


def test_an_open_lesson_s_content_is_its_text(api, anonymous_api, lesson1):
    for client in (api, anonymous_api):
        response = client.get(f"/api/v1/lessons/{lesson1.pk}/content")
        assert response.status_code == 200
        assert response.json() == {"id": lesson1.pk, "text": lesson1.text, "skip_indent": False}


def test_a_locked_lesson_s_content_is_a_403_with_the_reason(api, lesson2):
    response = api.get(f"/api/v1/lessons/{lesson2.pk}/content")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "lesson_locked"
    assert error["message"] == "Earn at least 2 stars on “Lesson 1” to open this lesson."
    assert api.get(f"/api/v1/lessons/{lesson2.pk}").json()["state"] == "locked"


def test_a_visitor_is_asked_for_an_account_for_the_second_lesson(anonymous_api, lesson2):
    response = anonymous_api.get(f"/api/v1/lessons/{lesson2.pk}/content")
    assert response.status_code == 403
    assert error_of(response)["code"] == "account_required"


def test_a_premium_lesson_s_content_is_a_403_premium_required_for_a_free_learner(api, course):
    premium = Lesson.objects.create(
        course=course, position=3, title="Premium drill", text="asdf jkl;", is_premium=True
    )
    response = api.get(f"/api/v1/lessons/{premium.pk}/content")
    assert response.status_code == 403
    assert error_of(response) == {
        "code": "premium_required",
        "message": "“Premium drill” is part of Premium.",
        "fields": {},
    }
    assert api.post(f"/api/v1/lessons/{premium.pk}/start").status_code == 403
    assert api.get(f"/api/v1/lessons/{premium.pk}").json()["state"] == "premium"


def test_an_unpublished_lesson_is_404_except_to_staff(api, staff, lesson1):
    lesson1.is_published = False
    lesson1.save()
    for path in (f"/api/v1/lessons/{lesson1.pk}", f"/api/v1/lessons/{lesson1.pk}/content"):
        assert api.get(path).status_code == 404
        assert ApiClient(log_in(staff.email).access).get(path).status_code == 200
    assert api.get("/api/v1/lessons/999999").status_code == 404


# --- The practice protocol -----------------------------------------------------------------------


def test_the_whole_flow_gives_the_figures_the_widget_gives_for_the_same_keys(
    api, learner, other_learner, lesson1
):
    keys = typed_keys(lesson1.text, mistakes={3: "g", 10: "q"})
    widget = Client()
    widget.force_login(learner)
    widget_result = play(widget, lesson1, keys).json()

    started = start(ApiClient(log_in(other_learner.email).access), lesson1)
    assert started["text"] == lesson1.text
    assert started["target_wpm"] == lesson1.target_wpm
    assert started["token_expires"].endswith("Z") or "+00:00" in started["token_expires"]
    other = ApiClient(log_in(other_learner.email).access)
    count = send_all(other, lesson1, started, keys)
    response = complete(other, lesson1, started, batches=count)

    assert response.status_code == 200, response.content
    result = response.json()
    assert result["session_id"] == started["session_id"]
    for figure in ("wpm", "raw_wpm", "accuracy", "errors", "rating", "flagged", "improvement"):
        assert result[figure] == widget_result[figure], figure
    assert (result["wpm"], result["accuracy"], result["errors"], result["rating"]) == (
        58.0,
        93.5,
        2,
        3,
    )
    assert result["duration_ms"] == 6000
    assert [a["id"] for a in result["achievements"]] == [
        a["code"] for a in widget_result["achievements"]
    ]
    assert result["achievements"]
    assert set(result["achievements"][0]) == {
        "id",
        "name",
        "description",
    }
    following = widget_result["next_lesson"]
    assert result["next_lesson"] == {
        "id": following["id"],
        "title": "Lesson 2",
        "unlocked": True,
    }
    session = PracticeSession.objects.get(pk=started["session_id"])
    assert (session.user, session.status, session.wpm) == (other_learner, "completed", 58.0)
    assert LessonProgress.objects.get(user=other_learner, lesson=lesson1).best_rating == 3


def test_a_second_session_shows_the_improvement(api, lesson1):
    api_play(api, lesson1, typed_keys(lesson1.text, interval=300))
    second = api_play(api, lesson1, typed_keys(lesson1.text, interval=200)).json()
    assert second["improvement"] == 20.7  # 62.1 − 41.4, as in the widget's test_complete


def test_completing_twice_gives_the_same_result(api, lesson1):
    keys = typed_keys(lesson1.text)
    started = start(api, lesson1)
    count = send_all(api, lesson1, started, keys)
    first = complete(api, lesson1, started, batches=count).json()
    again = complete(api, lesson1, started, batches=count)
    assert again.status_code == 200
    assert again.json() == first
    assert first["achievements"]  # the session's own, again


def test_complete_without_a_batch_count_takes_every_batch_that_arrived(api, lesson1):
    started = start(api, lesson1)
    send_all(api, lesson1, started, typed_keys(lesson1.text))
    response = complete(api, lesson1, started)
    assert response.status_code == 200
    assert response.json()["rating"] == 5


def test_complete_before_any_keystroke_is_a_409(api, lesson1):
    response = complete(api, lesson1, start(api, lesson1))
    assert response.status_code == 409
    assert error_of(response)["code"] == "batches_missing"


def test_missing_batches_are_a_409_listing_them(api, lesson1):
    started = start(api, lesson1)
    keys = typed_keys(lesson1.text)
    send(api, lesson1, started["session_id"], 1, keys[20:], typed_for(started, keys))
    response = complete(api, lesson1, started, batches=3)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "batches_missing"
    assert error["fields"] == {"missing": ["0", "2"]}
    assert "Batches 0, 2 have not arrived" in error["message"]


def test_keystrokes_that_do_not_type_the_text_are_a_422(api, lesson1):
    started = start(api, lesson1)
    keys = typed_keys(lesson1.text)[:10]
    send(api, lesson1, started["session_id"], 0, keys, typed_for(started, keys))
    response = complete(api, lesson1, started, batches=1)
    assert response.status_code == 422
    assert error_of(response)["code"] == "unscorable"


def test_resending_a_batch_is_200_and_a_different_one_409(api, lesson1):
    started = start(api, lesson1)
    keys = typed_keys(lesson1.text)
    token = typed_for(started, keys)
    session = started["session_id"]
    assert send(api, lesson1, session, 0, keys[:20], token).json()["stored"] is True
    again = send(api, lesson1, session, 0, keys[:20], token)
    assert again.status_code == 200
    assert again.json() == {"seq": 0, "stored": False}
    different = send(api, lesson1, session, 0, keys[:19], token)
    assert different.status_code == 409
    assert error_of(different)["code"] == "batch_differs"
    assert KeystrokeBatch.objects.filter(session_id=session).count() == 1


def test_a_batch_after_completion_is_a_409(api, lesson1):
    keys = typed_keys(lesson1.text)
    started = start(api, lesson1)
    count = send_all(api, lesson1, started, keys)
    complete(api, lesson1, started, batches=count)
    late = send(api, lesson1, started["session_id"], count, keys[-1:], typed_for(started, keys))
    assert late.status_code == 409
    assert error_of(late)["code"] == "session_completed"


def test_the_practice_token_missing_wrong_or_expired_is_a_401_with_its_code(api, lesson1):
    started = start(api, lesson1)
    other = start(api, lesson1)
    keys = typed_keys(lesson1.text)[:20]
    token = tokens.verify(started["practice_token"], started["session_id"])
    expired = tokens.sign(dataclasses.replace(token, expires=int(time.time()) - 1))
    session = started["session_id"]
    for sent, code in [
        (None, "token_missing"),
        ("forged", "token_invalid"),
        (other["practice_token"], "token_invalid"),
        (expired, "token_expired"),
    ]:
        response = send(api, lesson1, session, 0, keys, sent)
        assert response.status_code == 401, code
        assert error_of(response)["code"] == code
        done = api.post(
            f"/api/v1/lessons/{lesson1.pk}/complete",
            {"session_id": session, "batches": 1},
            **({} if sent is None else {"X-Practice-Token": sent}),
        )
        assert done.status_code == 401
        assert error_of(done)["code"] == code
    assert not KeystrokeBatch.objects.exists()


def test_a_renewed_token_is_taken(api, lesson1):
    started = start(api, lesson1)
    renewed = api.post(f"/api/v1/lessons/{lesson1.pk}/token", {"session_id": started["session_id"]})
    assert renewed.status_code == 200
    token = renewed.json()["practice_token"]
    assert (
        tokens.verify(token, started["session_id"]).owner
        == tokens.verify(started["practice_token"], started["session_id"]).owner
    )
    keys = typed_keys(lesson1.text)[:5]
    assert send(api, lesson1, started["session_id"], 0, keys, token).status_code == 200


def test_a_completed_session_needs_no_new_token(api, lesson1):
    started = start(api, lesson1)
    send_all(api, lesson1, started, typed_keys(lesson1.text))
    complete(api, lesson1, started)
    response = api.post(
        f"/api/v1/lessons/{lesson1.pk}/token", {"session_id": started["session_id"]}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "session_completed"


def test_batches_faster_than_anyone_types_are_a_429_with_retry_after(api, lesson1, settings):
    settings.PRACTICE_BATCH_BURST = 0
    settings.PRACTICE_BATCHES_PER_SECOND = 1
    started = start(api, lesson1)
    keys = typed_keys(lesson1.text)[:5]
    response = send(api, lesson1, started["session_id"], 30, keys, started["practice_token"])
    assert response.status_code == 429
    assert error_of(response)["code"] == "too_fast"
    assert 25 <= int(response["Retry-After"]) <= 31


@pytest.mark.parametrize(
    "body",
    [
        {"seq": -1, "keys": [[0, "a", 0]]},
        {"seq": True, "keys": [[0, "a", 0]]},
        {"seq": 0, "keys": []},
        {"seq": 0, "keys": [[0, "a"]]},
        {"seq": 0, "keys": [[0, 5, 0]]},
        {"seq": 0, "keys": [["0", "a", 0]]},
        {"seq": 0, "keys": "asdf"},
    ],
)
def test_a_batch_of_the_wrong_shape_is_a_422(api, lesson1, body):
    started = start(api, lesson1)
    response = api.post(
        f"/api/v1/lessons/{lesson1.pk}/keystrokes",
        {"session_id": started["session_id"], **body},
        **{"X-Practice-Token": started["practice_token"]},
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid"


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ([[999, "a", 0]], '"pos" is 999'),
        ([[0, "as", 0]], "exactly one character"),
        ([[0, "a", 50], [1, "s", 10]], "earlier than keys[0]"),
    ],
)
def test_keys_the_widget_refuses_are_a_400_saying_why(api, lesson1, keys, says):
    started = start(api, lesson1)
    response = send(api, lesson1, started["session_id"], 0, keys, started["practice_token"])
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_keys"
    assert says in error["message"]


def test_another_learner_s_session_is_404_everywhere(api, other_api, lesson1):
    started = start(api, lesson1)
    keys = typed_keys(lesson1.text)[:5]
    body = {"session_id": started["session_id"]}
    token = {"X-Practice-Token": started["practice_token"]}
    for path, payload in [
        ("keystrokes", {**body, "seq": 0, "keys": keys}),
        ("complete", body),
        ("token", body),
    ]:
        response = other_api.post(f"/api/v1/lessons/{lesson1.pk}/{path}", payload, **token)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    assert not KeystrokeBatch.objects.exists()


def test_a_session_of_another_lesson_or_none_is_404(api, learner, lesson1, lesson2):
    LessonProgress.objects.create(user=learner, lesson=lesson1, best_rating=5)
    started = start(api, lesson1)
    keys = typed_keys(lesson1.text)[:5]
    token = {"X-Practice-Token": started["practice_token"]}
    for lesson, session in [
        (lesson2, started["session_id"]),
        (lesson1, "00000000-0000-4000-8000-000000000000"),
    ]:
        response = api.post(
            f"/api/v1/lessons/{lesson.pk}/keystrokes",
            {"session_id": session, "seq": 0, "keys": keys},
            **token,
        )
        assert response.status_code == 404
        done = api.post(f"/api/v1/lessons/{lesson.pk}/complete", {"session_id": session}, **token)
        assert done.status_code == 404
    bad = api.post(f"/api/v1/lessons/{lesson1.pk}/complete", {"session_id": "nope"}, **token)
    assert bad.status_code == 422


def test_starting_needs_a_login_and_an_open_lesson(anonymous_api, api, lesson1, lesson2):
    response = anonymous_api.post(f"/api/v1/lessons/{lesson1.pk}/start")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    locked = api.post(f"/api/v1/lessons/{lesson2.pk}/start")
    assert locked.status_code == 403
    assert error_of(locked)["code"] == "lesson_locked"
    assert api.post("/api/v1/lessons/999999/start").status_code == 404
    assert not PracticeSession.objects.exists()


def test_starts_are_limited_as_the_widget_s_with_retry_after(api, learner, lesson1, settings):
    settings.WIDGET_RATE_LIMITS = {**settings.WIDGET_RATE_LIMITS, "start": 2}
    widget = Client()
    widget.force_login(learner)
    assert widget.post(f"/lessons/{lesson1.pk}/start").status_code == 201
    assert api.post(f"/api/v1/lessons/{lesson1.pk}/start").status_code == 201
    response = api.post(f"/api/v1/lessons/{lesson1.pk}/start")
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_open_session_cap_is_a_429(api, lesson1, settings):
    settings.PRACTICE_MAX_OPEN_SESSIONS = 2
    start(api, lesson1)
    start(api, lesson1)
    response = api.post(f"/api/v1/lessons/{lesson1.pk}/start")
    assert response.status_code == 429
    assert error_of(response)["code"] == "too_many_open_sessions"
    assert int(response["Retry-After"]) > 0
    assert PracticeSession.objects.count() == 2


def test_completions_are_limited_as_the_widget_s(api, lesson1, settings):
    settings.WIDGET_RATE_LIMITS = {**settings.WIDGET_RATE_LIMITS, "complete": 1}
    started = start(api, lesson1)
    send_all(api, lesson1, started, typed_keys(lesson1.text))
    assert complete(api, lesson1, started).status_code == 200
    response = complete(api, lesson1, started)
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert "Retry-After" in response
