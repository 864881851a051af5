from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Mapping

import pytest

from lessons import tokens


def typed_keys(
    text: str, *, interval: int = 200, mistakes: Mapping[int, str] | None = None
) -> list[list]:
    """Keystrokes for typing `text` in must-correct mode, one key every `interval` ms, with a
    wrong key before the right one at each position in `mistakes`."""
    keys: list[list] = []
    t = 0
    for pos, ch in enumerate(text):
        if mistakes and pos in mistakes:
            keys.append([pos, mistakes[pos], t])
            t += interval
        keys.append([pos, ch, t])
        t += interval
    return keys


# The practice token each session started through post_json was given, by session id: the
# widget keeps it with the session and sends it on batches and completion, so do the tests.
TOKENS: dict[str, str] = {}
SESSION_URL = re.compile(r"^/sessions/([0-9a-f-]{36})/")
AUTO = object()


def post_json(client, url: str, payload: object, *, token: object = AUTO, **headers):
    """POST JSON. For /sessions/<id>/… the session's token goes in X-Practice-Token unless
    `token` says otherwise (None: no token)."""
    if token is AUTO and (match := SESSION_URL.match(url)):
        token = TOKENS.get(match.group(1))
    if isinstance(token, str):
        headers["X-Practice-Token"] = token
    response = client.post(
        url,
        json.dumps(payload),
        content_type="application/json",
        headers={"Accept": "application/json", **headers},
    )
    remember_token(response)
    return response


def remember_token(response) -> None:
    if response.status_code == 201 and response.get("Content-Type") == "application/json":
        answer = response.json()
        if "session" in answer and "token" in answer:
            TOKENS[answer["session"]] = answer["token"]


def start(client, lesson) -> str:
    response = post_json(client, f"/lessons/{lesson.pk}/start", {})
    assert response.status_code == 201, response.content
    return response.json()["session"]


def typed_for(session: str, keys: list[list]) -> str:
    """The session's token as if the session had started as long ago as typing `keys` took:
    the pace bound counts from the start, and a test sends in a moment what took minutes."""
    token = tokens.verify(TOKENS[session], session)
    started = min(token.started, time.time() - keys[-1][2] / 1000 - 1) if keys else token.started
    return tokens.sign(dataclasses.replace(token, started=started))


def send_batches(client, session: str, keys: list[list], size: int = 20) -> int:
    batches = [keys[i : i + size] for i in range(0, len(keys), size)]
    token = typed_for(session, keys)
    for seq, batch in enumerate(batches):
        response = post_json(
            client, f"/sessions/{session}/keystrokes", {"seq": seq, "keys": batch}, token=token
        )
        assert response.status_code == 201, response.content
    return len(batches)


def play(client, lesson, keys: list[list], **headers):
    """Type a whole lesson through the HTTP protocol and complete it."""
    session = start(client, lesson)
    count = send_batches(client, session, keys)
    return post_json(client, f"/sessions/{session}/complete", {"batches": count}, **headers)


@pytest.fixture
def lesson1(course):
    return course.lessons.get(position=1)


@pytest.fixture
def lesson2(course):
    return course.lessons.get(position=2)
