"""Errors reach Sentry through the real SDK, scrubbed: a fake Sentry on 127.0.0.1 records what
the SDK sends (envelopes over HTTP), and the learner's email, name, token and keys are not in it.
"""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from celery import shared_task
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from typingtrainer.sentry import init_from_settings
from typingtrainer.tests.production import ROOT
from typingtrainer.tests.test_env_settings import every_variable_empty


@csrf_exempt  # a JSON POST, as the practice endpoints take
def _explode(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    logging.getLogger("lessons").warning("practice failed for %s", user.email)  # a breadcrumb
    sentry_sdk.set_extra("contact", f"{user.display_name} <{user.email}>")
    raise RuntimeError(f"cannot practise for {user.email} ({user.display_name})")


# The test's own URLconf (pytest.mark.urls): a view that fails, which the product has none of.
urlpatterns = [path("explode/", _explode)]


@shared_task(name="typingtrainer.tests.test_sentry.failing_task")
def failing_task(email: str) -> None:
    raise ValueError(f"bad {email}")


class FakeSentry:
    """Records the body of every envelope POST, decompressed as the SDK sent it."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        self.paths: list[str] = []
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    import brotli  # only sent when the SDK has it

                    body = brotli.decompress(body)
                received.paths.append(self.path)
                received.envelopes.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://public@127.0.0.1:{self.server.server_port}/1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict]:
        """The error events among the envelopes' items (an envelope: header, then item pairs)."""
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_sentry(settings, request):
    """The SDK started as the site starts it, with a DSN pointing at the fake; closed after,
    so the other tests run with Sentry off."""
    server = FakeSentry()
    settings.SENTRY_DSN = server.dsn
    settings.SENTRY_ENVIRONMENT = "test-env"
    settings.SENTRY_RELEASE = "tt@1.2.3"
    # Parametrised with 1.0: every request traced too, whose transaction must be as clean.
    settings.SENTRY_TRACES_SAMPLE_RATE = getattr(request, "param", 0.0)
    init_from_settings()
    yield server
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
    server.stop()


def _flush_until_event(server: FakeSentry) -> dict:
    sentry_sdk.flush(timeout=5)
    deadline = time.monotonic() + 5
    while not server.events():
        assert time.monotonic() < deadline, "no event reached the fake Sentry"
        time.sleep(0.02)
    [event] = server.events()
    return event


def test_without_a_dsn_nothing_is_started(settings):
    settings.SENTRY_DSN = ""
    init_from_settings()
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.urls("typingtrainer.tests.test_sentry")
@pytest.mark.parametrize("fake_sentry", [0.0, 1.0], indirect=True, ids=["errors", "traced"])
def test_a_view_error_reaches_sentry_without_the_learners_data(fake_sentry, learner, settings):
    # Through Django's WSGI handler, as gunicorn calls it: the SDK hooks in there (the test
    # client's handler would skip its request headers and URL).
    client = Client()
    client.force_login(learner)
    session_cookie = client.cookies["sessionid"].value
    environ = (
        RequestFactory()
        .post(
            "/explode/?from=learner@example.com",
            data=json.dumps({"keys": [[0, "k", "s3cretkeys"]], "note": "ask learner@example.com"}),
            content_type="application/json",
            headers={
                "X-Practice-Token": "practice-token-value",
                "Authorization": "Bearer jwt-value",
                "Cookie": f"sessionid={session_cookie}",
            },
        )
        .environ
    )
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable:
        statuses.append(status)
        return lambda data: None

    # As the test client does: the test's database connection stays open after the request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        WSGIHandler()(environ, start_response)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    assert statuses == ["500 Internal Server Error"]

    event = _flush_until_event(fake_sentry)
    assert set(fake_sentry.paths) == {"/api/1/envelope/"}
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "cannot practise for [Filtered] ([Filtered])"
    assert event["environment"] == "test-env"
    assert event["release"] == "tt@1.2.3"
    assert event["user"] == {"id": str(learner.pk)}
    assert event["request"]["data"]["keys"] == "[Filtered]"
    assert event["request"]["headers"]["X-Practice-Token"] == "[Filtered]"
    assert event["extra"]["contact"] == "[Filtered] <[Filtered]>"
    [crumb] = [c for c in event["breadcrumbs"]["values"] if c.get("category") == "lessons"]
    assert crumb["message"] == "practice failed for [Filtered]"
    raw = b"".join(fake_sentry.envelopes)
    if settings.SENTRY_TRACES_SAMPLE_RATE:
        assert b'"type":"transaction"' in raw
    for secret in (
        b"learner@example.com",
        b"Lena",
        b"practice-token-value",
        b"jwt-value",
        b"s3cretkeys",
        session_cookie.encode(),
    ):
        assert secret not in raw, raw[raw.find(secret) - 900 : raw.find(secret) + 100]


def test_a_task_error_reaches_sentry_with_the_email_scrubbed(fake_sentry):
    # Eager tasks re-raise here (CELERY_TASK_EAGER_PROPAGATES), after Celery's tracer, which the
    # integration wraps as it does in a worker, has seen the error.
    with pytest.raises(ValueError, match=r"bad learner@example\.com"):
        failing_task.apply(args=("learner@example.com",))

    event = _flush_until_event(fake_sentry)
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ValueError"
    assert exception["value"] == "bad [Filtered]"
    assert exception["mechanism"]["type"] == "celery"
    assert b"learner@example.com" not in b"".join(fake_sentry.envelopes)


STARTED = """
import json, django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
options = client.options if client.is_active() else {}
print(json.dumps([client.is_active()] + [options.get(name) for name in (
    "environment", "release", "traces_sample_rate", "send_default_pii", "include_local_variables"
)] + [sorted(client.integrations) if client.is_active() else []]))
"""


@pytest.mark.parametrize(
    ("module", "environment"),
    [
        ("typingtrainer.settings", "development"),
        ("typingtrainer.settings_production", "production"),
    ],
)
def test_the_site_starts_sentry_only_with_a_dsn(module, environment):
    def started(**values: str) -> list:
        env = every_variable_empty(DJANGO_SETTINGS_MODULE=module, **values)
        result = subprocess.run(
            [sys.executable, "-c", STARTED], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    # Every SENTRY_* variable of .env.example left empty: off.
    assert started()[0] is False
    # Without SENTRY_RELEASE the SDK names the release itself (the git commit of a checkout).
    active, env_name, _release, rate, pii, local_vars, integrations = started(
        SENTRY_DSN="http://public@127.0.0.1:9/1"
    )
    assert (active, env_name, rate, pii, local_vars) == (True, environment, 0.0, False, False)
    assert {"django", "celery"} <= set(integrations)
    assert started(
        SENTRY_DSN="http://public@127.0.0.1:9/1",
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="abc123",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
    )[1:4] == ["staging", "abc123", 0.25]
