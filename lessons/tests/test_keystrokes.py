from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from lessons import tokens
from lessons.models import KeystrokeBatch, PracticeSession

from .conftest import post_json, start, typed_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(client, learner, lesson1) -> str:
    client.force_login(learner)
    return start(client, lesson1)


def send(client, session, payload):
    return post_json(client, f"/sessions/{session}/keystrokes", payload)


def send_without_token(client, session, payload):
    return post_json(client, f"/sessions/{session}/keystrokes", payload, token=None)


def test_starting_a_lesson_answers_201_with_a_session(client, learner, lesson1):
    client.force_login(learner)
    response = post_json(client, f"/lessons/{lesson1.pk}/start", {})
    assert response.status_code == 201
    session = PracticeSession.objects.get(pk=response.json()["session"])
    assert session.user == learner
    assert session.text == lesson1.text
    assert session.status == "started"


def test_a_batch_is_stored_packed_in_one_row(client, session, lesson1):
    keys = typed_keys(lesson1.text)[:20]
    response = send(client, session, {"seq": 0, "keys": keys})
    assert response.status_code == 201
    assert response.json() == {"seq": 0, "stored": True}
    batch = KeystrokeBatch.objects.get(session_id=session)
    assert batch.keys == keys


def test_resending_the_same_batch_answers_200_and_duplicates_nothing(client, session, lesson1):
    keys = typed_keys(lesson1.text)[:20]
    send(client, session, {"seq": 0, "keys": keys})
    response = send(client, session, {"seq": 0, "keys": keys})
    assert response.status_code == 200
    assert response.json() == {"seq": 0, "stored": False}
    assert KeystrokeBatch.objects.filter(session_id=session).count() == 1


def test_a_different_batch_under_a_used_seq_is_a_409(client, session, lesson1):
    keys = typed_keys(lesson1.text)
    send(client, session, {"seq": 0, "keys": keys[:20]})
    response = send(client, session, {"seq": 0, "keys": keys[20:]})
    assert response.status_code == 409
    assert "already received" in response.json()["error"]
    assert KeystrokeBatch.objects.get(session_id=session).keys == keys[:20]


def _bad_batches(text_length: int) -> list[tuple[object, str]]:
    good = [[0, "a", 0], [1, "s", 100]]
    return [
        ({"seq": "0", "keys": good}, '"seq" must be an integer'),
        ({"seq": -1, "keys": good}, '"seq" must be an integer'),
        ({"seq": True, "keys": good}, '"seq" must be an integer'),
        ({"seq": 0, "keys": "asdf"}, '"keys" must be a list'),
        ({"seq": 0, "keys": []}, "must not be empty"),
        ({"seq": 0}, '"keys" must be a list'),
        ({"seq": 0, "keys": [[0, "a"]]}, "keys[0]: must be a list of exactly three"),
        ({"seq": 0, "keys": [["0", "a", 0]]}, 'keys[0]: "pos" must be an integer'),
        ({"seq": 0, "keys": [[text_length, "a", 0]]}, 'keys[0]: "pos" is'),
        ({"seq": 0, "keys": [[-1, "a", 0]]}, 'keys[0]: "pos" is -1'),
        ({"seq": 0, "keys": [[0, "as", 0]]}, 'keys[0]: "typed" must be exactly one character'),
        ({"seq": 0, "keys": [[0, "", 0]]}, 'keys[0]: "typed" must be exactly one character'),
        ({"seq": 0, "keys": [[0, 7, 0]]}, 'keys[0]: "typed" must be a string'),
        ({"seq": 0, "keys": [[0, "a", 1.5]]}, 'keys[0]: "t" must be an integer'),
        ({"seq": 0, "keys": [[0, "a", 500], [1, "s", 400]]}, 'keys[1]: "t" is 400 ms, earlier'),
        ({"seq": 0, "keys": [[0, "a", 0], [5, "s", 100]]}, 'keys[1]: "pos" is 5 but the cursor'),
        ({"seq": 0, "keys": [[0, "x", 0], [1, "s", 100]]}, 'keys[1]: "pos" is 1 but the cursor'),
        ({"seq": 0, "keys": [[0, "a", 0]] * 1001}, "at most 1000"),
        ([1, 2, 3], "must be a JSON object"),
    ]


@pytest.mark.parametrize("index", range(19))
def test_bad_batches_get_a_400_that_says_what_is_wrong_and_store_nothing(
    client, session, lesson1, index
):
    payload, message = _bad_batches(len(lesson1.text))[index]
    response = send(client, session, payload)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not KeystrokeBatch.objects.exists()


def test_malformed_json_gets_a_400(client, session):
    response = client.post(
        f"/sessions/{session}/keystrokes", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"error": "The body must be JSON."}
    assert not KeystrokeBatch.objects.exists()


def test_a_batch_over_64_kb_gets_a_413(client, session):
    body = json.dumps({"seq": 0, "keys": [[0, "a", 0]], "pad": "x" * 70_000})
    response = client.post(f"/sessions/{session}/keystrokes", body, content_type="application/json")
    assert response.status_code == 413
    assert "64 KB" in response.json()["error"]
    assert not KeystrokeBatch.objects.exists()


def test_someone_elses_cookies_without_the_token_are_refused(
    client, session, other_learner, lesson1
):
    client.force_login(other_learner)
    response = send_without_token(client, session, {"seq": 0, "keys": typed_keys(lesson1.text)[:5]})
    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"
    complete = post_json(client, f"/sessions/{session}/complete", {"batches": 1}, token=None)
    assert complete.status_code == 401
    assert not KeystrokeBatch.objects.exists()


def test_an_unknown_session_is_a_404(client):
    unknown = "5b0f5c1e-0000-4000-8000-000000000000"
    token = tokens.sign(tokens.issue(session=unknown, user_id=1, guest_key="", started=0))
    keys = [[0, "a", 0]]
    response = post_json(
        client, f"/sessions/{unknown}/keystrokes", {"seq": 0, "keys": keys}, token=token
    )
    assert response.status_code == 404
    assert response.json() == {"error": "No such session."}


def test_a_batch_for_a_completed_session_is_a_409(client, session, lesson1):
    keys = typed_keys(lesson1.text)
    send(client, session, {"seq": 0, "keys": keys[:20]})
    send(client, session, {"seq": 1, "keys": keys[20:]})
    assert post_json(client, f"/sessions/{session}/complete", {"batches": 2}).status_code == 200
    response = send(client, session, {"seq": 2, "keys": keys[-1:]})
    assert response.status_code == 409
    assert "already complete" in response.json()["error"]
    assert KeystrokeBatch.objects.filter(session_id=session).count() == 2


def test_get_is_not_allowed_on_the_endpoints(client, session):
    assert client.get(f"/sessions/{session}/keystrokes").status_code == 405
    assert client.get(f"/sessions/{session}/complete").status_code == 405


def test_csrf_applies_to_the_widget_endpoints(learner, lesson1):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    response = client.post(f"/lessons/{lesson1.pk}/start", "{}", content_type="application/json")
    assert response.status_code == 403
    assert not PracticeSession.objects.exists()
    client.get(f"/lessons/{lesson1.pk}/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/lessons/{lesson1.pk}/start",
        "{}",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201
    session = response.json()["session"]
    # The cookies and the CSRF token of the session's owner do not write keystrokes.
    keys = typed_keys(lesson1.text)[:5]
    response = client.post(
        f"/sessions/{session}/keystrokes",
        json.dumps({"seq": 0, "keys": keys}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"
    assert not KeystrokeBatch.objects.exists()


def test_batches_faster_than_the_pace_bound_are_a_429_and_stored_only_when_allowed(
    client, session, lesson1, settings
):
    settings.PRACTICE_BATCH_BURST = 2
    settings.PRACTICE_BATCHES_PER_SECOND = 1
    keys = typed_keys(lesson1.text)
    statuses = [
        send(client, session, {"seq": seq, "keys": keys[seq : seq + 1]}).status_code
        for seq in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    response = send(client, session, {"seq": 4, "keys": keys[4:5]})
    assert response.status_code == 429
    assert "faster than anyone types; send it again in" in response.json()["error"]
    assert 1 <= int(response["Retry-After"]) <= 3
    assert KeystrokeBatch.objects.filter(session_id=session).count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_postgresql_prepares_the_batch_insert_once_per_connection(client, session, lesson1):
    """The server plans the keystroke INSERT once per connection, not once per batch: later
    batches reuse the statement the first one prepared."""
    keys = typed_keys(lesson1.text[:6])
    for seq in range(3):
        batch = keys[seq * 2 : seq * 2 + 2]
        assert send(client, session, {"seq": seq, "keys": batch}).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE 'INSERT INTO %%lessons_keystrokebatch%%'"
        )
        prepared = cursor.fetchall()
    assert len(prepared) == 1
    assert prepared[0][1] >= 2  # executed again without being prepared again
    assert KeystrokeBatch.objects.filter(session_id=session).count() == 3
