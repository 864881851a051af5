from __future__ import annotations

import json
from collections.abc import Mapping

import pytest


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


def post_json(client, url: str, payload: object, **headers):
    return client.post(
        url,
        json.dumps(payload),
        content_type="application/json",
        headers={"Accept": "application/json", **headers},
    )


def start(client, lesson) -> str:
    response = post_json(client, f"/lessons/{lesson.pk}/start", {})
    assert response.status_code == 201, response.content
    return response.json()["session"]


def send_batches(client, session: str, keys: list[list], size: int = 20) -> int:
    batches = [keys[i : i + size] for i in range(0, len(keys), size)]
    for seq, batch in enumerate(batches):
        response = post_json(client, f"/sessions/{session}/keystrokes", {"seq": seq, "keys": batch})
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
