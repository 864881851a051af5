"""One JSON log line per request, and the request's id on every line it causes, in its response
header and on the tasks it queues; levels and format from the environment."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from celery import shared_task
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, resolve

from api.tests.conftest import log_in
from lessons.tests.conftest import TOKENS, start
from lessons.tests.test_wsgi_dispatcher import batch, call
from typingtrainer import wsgi
from typingtrainer.logconfig import logging_config
from typingtrainer.tests.production import PRODUCTION, ROOT, SITE_DOMAIN, environment

task_log = logging.getLogger("typingtrainer.tests.task")


@shared_task(name="typingtrainer.tests.test_request_log.noted")
def noted() -> None:
    task_log.info("the task ran")


def _queues_a_task(request: HttpRequest) -> HttpResponse:
    logging.getLogger("lessons").info("queueing a task")
    noted.delay()
    return HttpResponse("queued")


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the view failed")


# The test's own URLconf (pytest.mark.urls): the site's, plus a view that queues a task and one
# that fails, which the product has none of.
urlpatterns = [
    path("queue/", _queues_a_task, name="test_queue"),
    path("fail/", _fails, name="test_fail"),
    path("", include(settings.ROOT_URLCONF)),
]


class JsonLogs:
    """What the site's handler writes, as production formats it (JSON lines)."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines() if line.strip()]

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["logger"] == "typingtrainer.request"]


@pytest.fixture
def json_logs() -> Iterator[JsonLogs]:
    """settings.LOGGING as production builds it (LOG_FORMAT=json), writing into a buffer."""
    logging.config.dictConfig(logging_config(log_format="json", level="INFO"))
    stream = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield JsonLogs(stream)
    finally:
        logging.config.dictConfig(settings.LOGGING)


@pytest.fixture
def lesson1(course):
    return course.lessons.get(position=1)


def only(lines: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(lines) == 1, lines
    return lines[0]


# --- The request line ---


def test_a_page_writes_one_json_line_with_its_route_status_duration_and_user_id(
    client, learner, json_logs
):
    client.force_login(learner)
    response = client.get("/accounts/settings/")
    assert response.status_code == 200
    line = only(json_logs.requests())
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["route"] == "account_settings"  # the pattern's name, not the path
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] == learner.pk
    assert line["client"] == "127.0.0.1"
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert learner.email not in json_logs.text()
    assert learner.display_name not in json_logs.text()


def test_a_guest_has_no_user_id_and_each_request_its_own_id(client, json_logs):
    first = client.get("/about/")
    second = client.get("/about/")
    lines = json_logs.requests()
    assert [line["route"] for line in lines] == ["about", "about"]
    assert [line["user_id"] for line in lines] == [None, None]
    assert [line["request_id"] for line in lines] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_path_with_an_id_is_logged_by_its_route_only(client, learner, lesson1, json_logs):
    client.force_login(learner)
    session = start(client, lesson1)
    response = client.get(f"/sessions/{session}/complete")  # POST only
    line = json_logs.requests()[-1]
    assert (line["route"], line["status"]) == ("session_complete", 405)
    assert line["request_id"] == response["X-Request-ID"]
    assert session not in json.dumps(json_logs.requests())


def test_an_unknown_path_has_no_route_and_its_not_found_line_carries_the_id(client, json_logs):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    line = only(json_logs.requests())
    assert line["route"] is None
    assert line["status"] == 404
    not_found = only([line for line in json_logs.lines() if line["logger"] == "django.request"])
    assert not_found["level"] == "WARNING"
    assert not_found["request_id"] == response["X-Request-ID"]


def test_an_api_call_has_the_header_and_the_tokens_user(learner, json_logs):
    access = log_in(learner.email).access
    response = Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 200
    line = json_logs.requests()[-1]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["route"] == resolve("/api/v1/auth/me").view_name
    assert line["user_id"] == learner.pk


# --- The id: accepted, replaced, on every line ---


@pytest.mark.parametrize(
    "incoming", ["0f8e6b1c-2d3a-4b5c-9d7e-112233445566", "Root=1-67891233-abcdef012345678912345678"]
)
def test_a_sane_incoming_request_id_is_kept(client, json_logs, incoming):
    response = client.get("/about/", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] == incoming
    assert only(json_logs.requests())["request_id"] == incoming


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 129,  # too long
        'abc"}\n{"level": "ERROR", "message": "forged"',  # a second line, a forged field
        "abc def",
        "идентификатор",  # not ASCII
        "abc\x00def",
        "",
    ],
)
def test_a_hostile_incoming_request_id_is_replaced(client, json_logs, hostile):
    response = client.get("/about/", HTTP_X_REQUEST_ID=hostile)
    replaced = response["X-Request-ID"]
    assert replaced != hostile
    assert len(replaced) == 32
    assert replaced.isalnum()
    lines = json_logs.lines()  # every line still parses: nothing was injected
    assert only(json_logs.requests())["request_id"] == replaced
    assert "forged" not in json_logs.text()
    assert all(line["level"] != "ERROR" for line in lines)


@pytest.mark.urls(__name__)
def test_an_error_and_every_other_line_of_a_request_carry_its_id(json_logs):
    client = Client(raise_request_exception=False)
    response = client.get("/fail/", headers={"X-Request-ID": "req-fail-1"})
    assert response.status_code == 500
    error = only([line for line in json_logs.lines() if line["logger"] == "django.request"])
    assert error["level"] == "ERROR"
    assert error["request_id"] == "req-fail-1"
    assert "RuntimeError: the view failed" in error["exc_info"]
    assert "request" not in error  # Django's request object is not dumped into the line
    line = only(json_logs.requests())
    assert (line["route"], line["status"], line["request_id"]) == ("test_fail", 500, "req-fail-1")


@pytest.mark.urls(__name__)
def test_a_task_the_request_queues_logs_with_the_requests_id(client, json_logs):
    response = client.get("/queue/", headers={"X-Request-ID": "req-task-1"})
    assert response.status_code == 200
    by_logger = {line["logger"]: line for line in json_logs.lines()}
    assert by_logger["lessons"]["request_id"] == "req-task-1"
    assert by_logger["typingtrainer.tests.task"]["message"] == "the task ran"
    assert by_logger["typingtrainer.tests.task"]["request_id"] == "req-task-1"
    assert by_logger["typingtrainer.request"]["request_id"] == "req-task-1"


def test_a_task_queued_outside_a_request_gets_an_id_of_its_own(json_logs):
    noted.apply()  # as beat or a sweep would run it: no request around it
    ran = only([line for line in json_logs.lines() if line["logger"] == "typingtrainer.tests.task"])
    assert len(ran["request_id"]) == 32


def test_the_id_is_cleared_once_the_response_is_closed(client, json_logs):
    client.get("/about/")
    logging.getLogger("lessons").info("between requests")
    between = json_logs.lines()[-1]
    assert between["message"] == "between requests"
    assert "request_id" not in between


# --- The keystroke hot path, around Django's middleware ---


@pytest.mark.django_db(transaction=True)  # the dispatcher opens and closes connections itself
def test_the_keystroke_path_has_the_header_and_a_line_of_its_own(learner, lesson1, json_logs):
    client = Client()
    client.force_login(learner)
    session = start(client, lesson1)
    answer = call(
        f"/sessions/{session}/keystrokes",
        batch(session, lesson1),
        HTTP_X_PRACTICE_TOKEN=TOKENS[session],
        HTTP_X_REQUEST_ID="edge-1234",
    )
    assert answer["status"] == 201
    assert answer["headers"]["X-Request-ID"] == "edge-1234"
    line = json_logs.requests()[-1]
    assert line["route"] == wsgi.KEYSTROKES_ROUTE
    assert (line["method"], line["status"], line["request_id"]) == ("POST", 201, "edge-1234")
    assert line["duration_ms"] >= 0
    assert line["user_id"] == learner.pk  # the token's owner; no user was loaded

    # The name the URLconf gives the same endpoint, so both paths log one route.
    assert resolve(f"/sessions/{session}/keystrokes").view_name == wsgi.KEYSTROKES_ROUTE
    refused = call(f"/sessions/{session}/keystrokes", b"{}", HTTP_X_REQUEST_ID="bad\nid")
    assert 400 <= refused["status"] < 500
    assert refused["headers"]["X-Request-ID"] != "bad\nid"
    assert json_logs.requests()[-1]["request_id"] == refused["headers"]["X-Request-ID"]
    assert json_logs.requests()[-1]["user_id"] is None  # no valid token, no one named


# --- Format and levels from the environment ---


def run_django(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` after django.setup() in a fresh process: what a server started with `env` logs."""
    script = "import django; django.setup()\n" + code
    defaults = {"DJANGO_SETTINGS_MODULE": "typingtrainer.settings", "ALLOWED_HOSTS": SITE_DOMAIN}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment(**{**defaults, **env}),
        capture_output=True,
        text=True,
        timeout=120,
    )


# A 405 (a WARNING from django.request, an INFO request line) that needs no database.
REQUEST = (
    "from django.test import Client\n"
    "Client().get('/sessions/0f8e6b1c-2d3a-4b5c-9d7e-112233445566/complete',"
    f" HTTP_HOST='{SITE_DOMAIN}')\n"
)


def test_production_logs_json_lines_by_default():
    result = run_django(REQUEST, **PRODUCTION, SECURE_SSL_REDIRECT="false")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert {line["logger"] for line in lines} >= {"django.request", "typingtrainer.request"}


def test_the_level_comes_from_the_environment():
    quiet = run_django(REQUEST, LOG_LEVEL="WARNING")
    assert quiet.returncode == 0, quiet.stderr
    assert "Method Not Allowed (GET): /sessions/" in quiet.stderr  # a WARNING
    assert "typingtrainer.request" not in quiet.stderr  # an INFO
    one_logger = run_django(REQUEST, LOG_LEVEL="WARNING", LOG_LEVELS="typingtrainer.request=INFO")
    assert "typingtrainer.request" in one_logger.stderr
    assert " INFO typingtrainer.request [" in one_logger.stderr  # plain text outside production


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of plain, json, not 'xml'"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be a logging level"),
        ({"LOG_LEVELS": "celery"}, "LOG_LEVELS takes logger=LEVEL pairs"),
    ],
)
def test_a_misspelt_logging_variable_refuses_to_start(env, message):
    result = run_django("", **env)
    assert result.returncode != 0
    assert message in result.stderr
