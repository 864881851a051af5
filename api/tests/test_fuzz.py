"""What CI's fuzzing step (api/fuzz.py) relies on: an OpenAPI document schemathesis accepts, and
the throwaway learner's token sent to DELETE /users/me alone."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from api.fuzz import CHECKS, DELETE_ME, PAYMENTS_TAG, schemathesis_config

from .conftest import error_of, log_in


def test_the_document_declares_bearer_tokens_as_http_bearer():
    # allauth's class says "apiKey" with no header name: an invalid document, refused whole.
    document = Client().get("/api/v1/openapi.json").json()
    assert document["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert document["paths"]["/api/v1/auth/me"]["get"]["security"] == [{"BearerAuth": []}]


class _Recorder(BaseHTTPRequestHandler):
    """Records each request's Authorization; answers 503 under /unavailable/, else 204."""

    seen: set[tuple[str, str, str]] = set()

    def _answer(self) -> None:
        self.seen.add((self.command, self.path, self.headers.get("Authorization", "")))
        self.send_response(503 if "/unavailable/" in self.path else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


def _fuzz(tmp_path: Path, paths: dict[str, Any]) -> int:
    """schemathesis, configured as api/fuzz.py configures it, against the recorder."""
    spec = {"openapi": "3.1.0", "info": {"title": "stub", "version": "1"}, "paths": paths}
    (tmp_path / "openapi.json").write_text(json.dumps(spec))
    (tmp_path / "schemathesis.toml").write_text(schemathesis_config("learner", "throwaway"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(tmp_path / "schemathesis.toml"),
                "run",
                str(tmp_path / "openapi.json"),
                "--url",
                f"http://127.0.0.1:{server.server_port}",
                "--checks",
                CHECKS,
                "--phases",
                "fuzzing",
                "--max-examples",
                "2",
                "--generation-database",
                "none",
            ],
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            check=False,
        ).returncode
    finally:
        server.shutdown()
        server.server_close()


def test_only_delete_users_me_gets_the_throwaway_token(tmp_path: Path):
    method, path = DELETE_ME.split(" ")
    ok = {"responses": {"204": {"description": "done"}}}
    _fuzz(
        tmp_path, {path: {"get": ok, "put": ok, method.lower(): ok}, "/api/v1/auth/me": {"get": ok}}
    )

    tokens = {(m, p.split("?")[0]): auth for m, p, auth in _Recorder.seen}
    assert tokens[(method, path)] == "Bearer throwaway"
    assert tokens[("GET", path)] == "Bearer learner"
    assert tokens[("PUT", path)] == "Bearer learner"
    assert tokens[("GET", "/api/v1/auth/me")] == "Bearer learner"


@pytest.mark.parametrize(("tag", "fails"), [(PAYMENTS_TAG, False), ("stats", True)])
def test_a_declared_503_passes_only_on_the_payments_operations(tmp_path: Path, tag, fails):
    # The fuzzed site has no Stripe keys: payments answer 503 billing_not_configured.
    operation = {"tags": [tag], "responses": {"503": {"description": "unavailable"}}}
    returncode = _fuzz(tmp_path, {"/api/v1/unavailable/thing": {"post": operation}})
    assert (returncode != 0) is fails


def test_a_post_no_endpoint_matches_is_the_json_404_not_the_csrf_page():
    # No route takes a negative id; the fuzzer got Django's CSRF failure page here, in HTML.
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/lessons/-1/start", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400_every_operation_with_a_body_declares(learner):
    document = Client().get("/api/v1/openapi.json").json()
    undeclared = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation and "400" not in operation["responses"]
    ]
    assert undeclared == []

    # The fuzzer's body: a byte that is no UTF-8.
    response = Client().post(
        "/api/v1/lessons/1/keystrokes",
        b"\xff{",
        content_type="application/json",
        headers={"Authorization": f"Bearer {log_in(learner.email).access}"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_json"
