"""typingtrainer.wsgi.application, called as gunicorn calls it: `POST /sessions/<uuid>/keystrokes`
goes around Django's handler and middleware but keeps what they did for it."""

from __future__ import annotations

import io
import json
import logging
from unittest import mock

import pytest
from django.core import signals
from django.test import Client

from lessons.models import KeystrokeBatch
from typingtrainer import wsgi

from .conftest import TOKENS, start, typed_keys

# It opens and closes connections itself. serialized_rollback: its flush leaves the content types
# as a later serialized test (coach/tests/test_worker.py in a run that puts it after) restores them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def session(learner, lesson1) -> str:
    client = Client()
    client.force_login(learner)
    return start(client, lesson1)


def call(path: str, body: bytes, *, host: str = "testserver", **extra: str):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **extra,
    }
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    result = wsgi.application(environ, start_response)
    try:
        answer["body"] = b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    return answer


def batch(session: str, lesson, seq: int = 0) -> bytes:
    return json.dumps({"seq": seq, "keys": typed_keys(lesson.text)[seq * 5 : seq * 5 + 5]}).encode()


def test_a_batch_is_stored_around_django_with_the_security_headers(session, lesson1):
    with mock.patch("django.core.handlers.base.BaseHandler.get_response") as django:
        answer = call(
            f"/sessions/{session}/keystrokes",
            batch(session, lesson1),
            HTTP_X_PRACTICE_TOKEN=TOKENS[session],
        )
    assert not django.called  # Django's handler never saw it
    assert answer["status"] == 201, answer
    assert json.loads(answer["body"]) == {"seq": 0, "stored": True}
    assert answer["headers"]["Content-Type"] == "application/json"
    assert answer["headers"]["X-Content-Type-Options"] == "nosniff"
    assert answer["headers"]["Referrer-Policy"] == "same-origin"
    assert answer["headers"]["Cross-Origin-Opener-Policy"] == "same-origin"
    assert KeystrokeBatch.objects.filter(session_id=session).count() == 1


def test_a_host_not_in_allowed_hosts_is_a_json_400_and_stores_nothing(session, lesson1, caplog):
    answer = call(
        f"/sessions/{session}/keystrokes",
        batch(session, lesson1),
        host="evil.example",
        HTTP_X_PRACTICE_TOKEN=TOKENS[session],
    )
    assert answer["status"] == 400
    assert "error" in json.loads(answer["body"])
    assert answer["headers"]["X-Content-Type-Options"] == "nosniff"
    assert "evil.example" in caplog.text
    assert not KeystrokeBatch.objects.exists()


def test_an_exception_is_logged_with_its_traceback_and_answered_as_json_500(
    session, lesson1, caplog
):
    with (
        mock.patch.object(wsgi, "ingest_keystrokes", side_effect=RuntimeError("disk on fire")),
        caplog.at_level(logging.ERROR, logger="django.request"),
    ):
        answer = call(
            f"/sessions/{session}/keystrokes",
            batch(session, lesson1),
            HTTP_X_PRACTICE_TOKEN=TOKENS[session],
        )
    assert answer["status"] == 500
    assert answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(answer["body"]) == {"error": "Something went wrong on our side."}
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert "Internal Server Error" in record.getMessage()
    assert record.exc_info is not None
    assert "disk on fire" in str(record.exc_info[1])


def test_https_is_required_when_secure_ssl_redirect_says_so(session, lesson1, settings):
    settings.SECURE_SSL_REDIRECT = True
    answer = call(
        f"/sessions/{session}/keystrokes",
        batch(session, lesson1),
        HTTP_X_PRACTICE_TOKEN=TOKENS[session],
    )
    assert answer["status"] == 301
    assert answer["headers"]["Location"] == f"https://testserver/sessions/{session}/keystrokes"
    assert not KeystrokeBatch.objects.exists()
    secure = call(
        f"/sessions/{session}/keystrokes",
        batch(session, lesson1),
        HTTP_X_PRACTICE_TOKEN=TOKENS[session],
        **{"wsgi.url_scheme": "https"},
    )
    assert secure["status"] == 201


def test_a_nul_in_the_body_is_a_400(session):
    body = b'{"seq": 0, "keys": [[0, "a", 0]], "x": "\x00"}'
    answer = call(f"/sessions/{session}/keystrokes", body, HTTP_X_PRACTICE_TOKEN=TOKENS[session])
    assert answer["status"] == 400
    assert "NUL" in json.loads(answer["body"])["error"]
    assert not KeystrokeBatch.objects.exists()


def test_a_batch_without_its_token_is_a_401(session, lesson1):
    answer = call(f"/sessions/{session}/keystrokes", batch(session, lesson1))
    assert answer["status"] == 401
    assert json.loads(answer["body"])["code"] == "token_missing"


def test_request_started_and_finished_are_sent_so_stale_connections_close(session, lesson1):
    sent: list[str] = []

    def started(**_):
        sent.append("started")

    def finished(**_):
        sent.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        answer = call(
            f"/sessions/{session}/keystrokes",
            batch(session, lesson1),
            HTTP_X_PRACTICE_TOKEN=TOKENS[session],
        )
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert answer["status"] == 201
    assert sent == ["started", "finished"]


def test_other_requests_go_to_django(session):
    answer = call(f"/sessions/{session}/complete", b"{}")
    assert answer["status"] == 401  # Django's view, with its middleware
    assert "X-Frame-Options" in answer["headers"]
