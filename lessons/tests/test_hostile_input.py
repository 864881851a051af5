"""The widget's endpoints against bodies built to hurt: nesting far deeper than the protocol's
(object → keys → key), refused with a 400 before anything is parsed or stored."""

from __future__ import annotations

import json

import pytest

from courses.models import Course, Lesson
from lessons.models import KeystrokeBatch, PracticeSession

from .conftest import SESSION_URL, TOKENS, post_json, send_batches, start, typed_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(client, learner, lesson1) -> str:
    client.force_login(learner)
    return start(client, lesson1)


def post_raw(client, url: str, body: bytes):
    headers = {"Accept": "application/json"}
    if match := SESSION_URL.match(url):
        headers["X-Practice-Token"] = TOKENS[match.group(1)]
    return client.post(url, body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("depth", [4, 1000, 30_000])  # 30,000 levels: just under 64 KB
def test_a_batch_nested_deeper_than_a_list_of_keys_is_a_400(client, session, depth):
    body = b'{"seq":1,"keys":' + b"[" * depth + b"]" * depth + b"}"
    response = post_raw(client, f"/sessions/{session}/keystrokes", body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "The body must not nest arrays or objects more than 3 deep."
    }
    assert not KeystrokeBatch.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"batches":' + b"[" * 1000 + b"]" * 1000 + b"}",
        b'{"batches":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"batches":' + b'{"a":' * 20_000 + b"1" + b"}" * 20_000 + b"}",
        b'{"batches": [1]}',
    ],
    ids=["1000-arrays", "50000-arrays", "20000-objects", "one-level-too-deep"],
)
def test_a_completion_nested_at_all_is_a_400_and_completes_nothing(client, session, lesson1, body):
    send_batches(client, session, typed_keys(lesson1.text))
    response = post_raw(client, f"/sessions/{session}/complete", body)
    assert response.status_code == 400
    assert "must not nest arrays or objects more than 1 deep" in response.json()["error"]
    assert PracticeSession.objects.get(pk=session).status == "started"


def test_unclosed_brackets_are_not_json(client, session):
    response = post_raw(
        client, f"/sessions/{session}/keystrokes", b'{"seq":1,"keys":' + b"[" * 5000
    )
    assert response.status_code == 400
    assert response.json() == {"error": "The body must be JSON."}


def test_brackets_quotes_and_backslashes_typed_in_strings_are_not_nesting(client, learner):
    symbols = Course.objects.create(slug="symbols", title="Symbols", is_published=True)
    lesson = Lesson.objects.create(
        course=symbols, position=1, title="Brackets", text='a[[["\\]]{b} x'
    )
    client.force_login(learner)
    session = start(client, lesson)
    keys = typed_keys(lesson.text, mistakes={1: "\\", 3: '"', 5: "["})
    # [3, "[", 1000]: a scan that counted the bracket in the string would see 4 levels.
    body = json.dumps({"seq": 0, "keys": keys})
    response = post_raw(client, f"/sessions/{session}/keystrokes", body.encode())
    assert response.status_code == 201, response.content
    complete = post_json(client, f"/sessions/{session}/complete", {"batches": 1})
    assert complete.status_code == 200, complete.content
    assert complete.json()["errors"] == 3


def test_a_body_that_is_not_utf8_is_a_400(client, session):
    body = '{"seq": 0, "keys": [[0, "é", 0]]}'.encode("latin-1")
    response = post_raw(client, f"/sessions/{session}/keystrokes", body)
    assert response.status_code == 400
    assert response.json() == {"error": "The body must be JSON in UTF-8."}
    assert not KeystrokeBatch.objects.exists()
