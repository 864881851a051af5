"""SIGTERM to gunicorn (what `docker compose stop` and a deploy send) lets every request already
in a worker's hands finish with a complete answer, then gunicorn exits 0 within its graceful
timeout.

The requests in flight are real login attempts whose form body arrives slowly, as from a slow
phone connection: CSRF reads the whole body before the view runs, so each request is inside
Django, waiting on its body, when the signal arrives, and can only be answered after it. (The
address typed is not one, so the form answers at once with its error: no password hashing,
whose cost on a busy machine would only blur what is measured.)"""

from __future__ import annotations

import re
import signal
import socket
import time
from urllib.parse import urlencode

import pytest
from django.db import connections

from typingtrainer.tests.production import (
    PRODUCTION,
    SITE_DOMAIN,
    accepted_connections,
    environment,
    free_port,
    gunicorn,
)

GRACEFUL_TIMEOUT = 15
TRICKLE_SECONDS = 3.0
NOT_AN_ADDRESS = b"Enter a valid email address."


def database_url() -> str:
    """The test database (pytest-django has created and migrated it) for the server process."""
    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def login_form(port: int) -> tuple[str, str]:
    """The CSRF cookie and form token of GET /accounts/login/."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(
            f"GET /accounts/login/ HTTP/1.1\r\nHost: {SITE_DOMAIN}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = read_all(client)
    cookie = re.search(rb"Set-Cookie: csrftoken=([^;]+)", answer, re.IGNORECASE)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', answer)
    assert cookie, answer[:500]
    assert token, answer[:500]
    return cookie.group(1).decode(), token.group(1).decode()


def read_all(client: socket.socket) -> bytes:
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("workers", "threads"),
    [("3", "1"), ("1", "4")],
    ids=["sync-workers", "gthread-worker"],
)
def test_sigterm_lets_in_flight_requests_finish_then_gunicorn_exits_0(
    db, image_var_dir, tmp_path, workers, threads
):
    port = free_port()
    in_flight = 3
    env = environment(
        **PRODUCTION,
        DATABASE_URL=database_url(),
        VAR_DIR=str(image_var_dir),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=workers,
        GUNICORN_THREADS=threads,
        GUNICORN_GRACEFUL_TIMEOUT=str(GRACEFUL_TIMEOUT),
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback, no proxy in front
    )
    log = tmp_path / "gunicorn.log"

    with gunicorn(env, log) as server:
        cookie, token = login_form(port)
        clients, bodies = [], []
        for n in range(in_flight):
            body = urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "login": f"slow-phone-{n}",
                    "password": "typed on a slow phone",
                }
            ).encode()
            client = socket.create_connection(("127.0.0.1", port), timeout=GRACEFUL_TIMEOUT + 10)
            client.sendall(
                f"POST /accounts/login/ HTTP/1.1\r\nHost: {SITE_DOMAIN}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nCookie: csrftoken={cookie}\r\n"
                f"Connection: close\r\n\r\n".encode()
                + body[:10]
            )
            clients.append(client)
            bodies.append(body[10:])

        # Every connection is accept()ed by a worker (none waits in the listen backlog).
        ports = {client.getsockname()[1] for client in clients}
        deadline = time.monotonic() + 30
        while not ports <= accepted_connections(port):
            assert time.monotonic() < deadline, "gunicorn did not pick up the requests"
            time.sleep(0.05)
        time.sleep(0.5)

        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        pieces = 10
        for piece in range(pieces):
            time.sleep(TRICKLE_SECONDS / pieces)
            for client, rest in zip(clients, bodies, strict=True):
                size = -(-len(rest) // pieces)
                client.sendall(rest[piece * size : (piece + 1) * size])
        answers = [read_all(client) for client in clients]
        for client in clients:
            client.close()
        exit_status = server.wait(timeout=GRACEFUL_TIMEOUT + 10)
        stopped_after = time.monotonic() - signalled

    for n, answer in enumerate(answers):
        status, headers, body = parse(answer)
        assert status == 200, answer[:300]
        assert int(headers["content-length"]) == len(body)  # complete, not cut off
        assert body.rstrip().endswith(b"</html>")
        # The form was read from the whole body, sent after the signal.
        assert NOT_AN_ADDRESS in body
        assert f'value="slow-phone-{n}"'.encode() in body
    assert exit_status == 0, log.read_text()
    assert TRICKLE_SECONDS <= stopped_after < GRACEFUL_TIMEOUT
    assert "Handling signal: term" in log.read_text()
    assert "Shutting down: Master" in log.read_text()
