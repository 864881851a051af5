"""No password, token, cookie or keystroke in any log: a learner's whole visit, logged as
production logs it (JSON), with every line searched for the secrets it handled."""

from __future__ import annotations

import pytest
from django.test import Client

from api.tests.conftest import log_in
from conftest import PASSWORD
from lessons.tests.conftest import TOKENS, post_json, send_batches, typed_keys
from typingtrainer.tests.test_request_log import json_logs, lesson1  # noqa: F401  (fixtures)

EMAIL = "secret.keeper@example.com"


@pytest.mark.urls("typingtrainer.tests.test_request_log")  # the site, plus a view that fails
def test_a_learners_visit_leaves_no_secret_in_the_logs(json_logs, lesson1, capsys):  # noqa: F811
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/accounts/signup/")
    csrf = client.cookies["csrftoken"].value
    signed_up = client.post(
        "/accounts/signup/",
        {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD, "csrfmiddlewaretoken": csrf},
    )
    assert signed_up.status_code == 302, signed_up.content
    client.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf})
    client.get("/accounts/login/")
    csrf = client.cookies["csrftoken"].value
    logged_in = client.post(
        "/accounts/login/", {"login": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    )
    assert logged_in.status_code == 302, logged_in.content
    csrf = client.cookies["csrftoken"].value
    cookie = client.cookies["sessionid"].value

    session = start_with_csrf(client, lesson1, csrf)
    keys = typed_keys(lesson1.text)
    batches = send_batches(client, session, keys)
    completed = post_json(client, f"/sessions/{session}/complete", {"batches": batches})
    assert completed.status_code == 200, completed.content

    tokens = log_in(EMAIL)
    me = Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens.access}"})
    assert me.status_code == 200

    failed = client.post(
        "/fail/",
        {"password": PASSWORD, "token": TOKENS[session]},
        headers={
            "Authorization": f"Bearer {tokens.access}",
            "X-Practice-Token": TOKENS[session],
            "X-CSRFToken": csrf,
        },
    )
    assert failed.status_code == 500

    captured = capsys.readouterr()
    logs = json_logs.text() + captured.out + captured.err
    lines = json_logs.lines()  # every line is one JSON object
    routes = [line["route"] for line in json_logs.requests()]
    assert {"account_signup", "account_login", "lesson_start", "session_keystrokes"} <= set(routes)
    assert "test_fail" in routes
    assert any(line["logger"] == "django.request" and line["level"] == "ERROR" for line in lines)
    secrets = {
        "password": PASSWORD,
        "practice token": TOKENS[session],
        "access token": tokens.access,
        "refresh token": tokens.refresh,
        "session cookie": cookie,
        "CSRF token": csrf,
        "email": EMAIL,
        # What was typed: the lesson's text, as the keystrokes carried it.
        "keystrokes": lesson1.text[:12],
    }
    found = [what for what, value in secrets.items() if value in logs]
    assert not found, f"in the logs: {found}"


def start_with_csrf(client: Client, lesson, csrf: str) -> str:
    """lessons.tests.conftest.start, for a client that checks CSRF as a browser's session does."""
    response = post_json(client, f"/lessons/{lesson.pk}/start", {}, **{"X-CSRFToken": csrf})
    assert response.status_code == 201, response.content
    return response.json()["session"]
