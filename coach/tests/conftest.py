"""A fake OpenAI-compatible server on 127.0.0.1, driven through the real SDK.

    fake_openai.will(reply("Slow down."))             # every request gets this answer
    fake_openai.will(fail(500), reply("Fine."))       # first a 500, then (and from then on) a reply

Each request takes the next behaviour; the last one repeats. `fake_openai.requests` holds the
parsed bodies, oldest first.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from coach.llm import LLMSettings

Behaviour = Callable[["_Handler", threading.Event], None]


def _completion(content: object) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
    }


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def reply(content: object) -> Behaviour:
    """Answer with a chat completion whose message content is `content`."""

    def behave(handler: _Handler, stopping: threading.Event) -> None:
        handler.send_json(200, _completion(content))

    return behave


def stream(pieces: Sequence[str], *, break_off: bool = False) -> Behaviour:
    """Answer with the pieces as server-sent events, then `data: [DONE]` (or, with `break_off`,
    hang up half-way)."""

    def behave(handler: _Handler, stopping: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        events = [_chunk({"role": "assistant", "content": ""})]
        events += [_chunk({"content": piece}) for piece in pieces]
        if break_off:
            events = events[: len(events) // 2 + 1]
        else:
            events.append(_chunk({}, finish_reason="stop"))
        for event in events:
            handler.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            handler.wfile.flush()
        if break_off:
            handler.wfile.write(b'data: {"id": ')  # a torn event, then the connection closes
        else:
            handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()

    return behave


def fail(status: int) -> Behaviour:
    """Answer with an OpenAI-style error body and this status."""

    def behave(handler: _Handler, stopping: threading.Event) -> None:
        handler.send_json(
            status, {"error": {"message": "fake failure", "type": "server_error", "code": None}}
        )

    return behave


def hang(seconds: float) -> Behaviour:
    """Say nothing for `seconds` (longer than the client's timeout), then answer."""

    def behave(handler: _Handler, stopping: threading.Event) -> None:
        stopping.wait(seconds)  # returns at once when the server shuts down
        handler.send_json(200, _completion("Too late."))

    return behave


def malformed(body: bytes) -> Behaviour:
    """Answer 200 with this body, as JSON."""

    def behave(handler: _Handler, stopping: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return behave


@dataclass
class FakeOpenAI:
    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    behaviours: list[Behaviour] = field(default_factory=lambda: [reply("OK.")])
    lock: threading.Lock = field(default_factory=threading.Lock)

    def will(self, *behaviours: Behaviour) -> None:
        with self.lock:
            self.behaviours = list(behaviours)

    def settings(self, *, timeout: float = 2.0, max_retries: int = 1) -> LLMSettings:
        return LLMSettings(
            api_key="sk-fake",
            base_url=self.base_url,
            model="fake-model",
            timeout=timeout,
            max_retries=max_retries,
        )

    def next_behaviour(self, body: dict[str, Any]) -> Behaviour:
        with self.lock:
            self.requests.append(body)
            return self.behaviours.pop(0) if len(self.behaviours) > 1 else self.behaviours[0]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        if self.path not in ("/v1/chat/completions", "/chat/completions"):
            self.send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        behaviour = self.server.fake.next_behaviour(body)
        # The client may have given up first (a timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            behaviour(self, self.server.stopping)

    def send_json(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenAI
    stopping: threading.Event


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.stopping = threading.Event()
    server.fake = FakeOpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server.fake
    server.stopping.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
