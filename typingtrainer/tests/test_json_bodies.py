"""typingtrainer.http.parse_json: the nesting check agrees with json itself on every document,
however its strings are spelled, and refuses deep ones before parsing them."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from typingtrainer.http import BadJson, parse_json

# Characters that could fool a scan of the raw bytes: brackets, quotes and backslashes in strings.
TRICKY = '[]{}"\\/\n\tab ж\u2028'


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


def document(rng: random.Random, levels: int) -> Any:
    kind = rng.choice(["list", "dict", "str", "int"] if levels else ["str", "int", "none"])
    if kind == "list":
        return [document(rng, levels - 1) for _ in range(rng.randint(0, 3))]
    if kind == "dict":
        return {
            "".join(rng.choices(TRICKY, k=rng.randint(0, 4))): document(rng, levels - 1)
            for _ in range(rng.randint(0, 3))
        }
    if kind == "str":
        return "".join(rng.choices(TRICKY, k=rng.randint(0, 6)))
    return rng.randint(-5, 5) if kind == "int" else None


@pytest.mark.parametrize("seed", range(40))
def test_it_accepts_exactly_the_documents_no_deeper_than_allowed(seed):
    rng = random.Random(seed)
    for _ in range(25):
        value = document(rng, rng.randint(0, 6))
        for ensure_ascii in (True, False):
            body = json.dumps(value, ensure_ascii=ensure_ascii).encode()
            for max_depth in range(5):
                if depth(value) <= max_depth:
                    assert parse_json(body, max_depth=max_depth) == value
                else:
                    with pytest.raises(BadJson, match=f"more than {max_depth} deep"):
                        parse_json(body, max_depth=max_depth)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000, "must be JSON"),  # never closed: refused unparsed
        (b"]" * 10, "must be JSON"),
        (b'{"a": "unterminated [[[[', "must be JSON"),
        (b'{"a": 1,}', "must be JSON"),
        (b"\xff\xfe", "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "more than 3 deep"),
    ],
)
def test_it_refuses_what_is_not_json_or_too_deep_with_a_message(body, message):
    with pytest.raises(BadJson, match=message):
        parse_json(body, max_depth=3)
