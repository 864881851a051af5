"""What the benchmarks share to stand the site up as production runs it: a database of their
own on the local PostgreSQL, gunicorn started with `gunicorn.conf.py`, and logged-in learners.

The steps are bench/ingest.py's (which still has its own copies), taken out so that
bench/faults.py does not copy them again; nothing in the project imports this module.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_execute(*statements: str) -> None:
    """Run statements on the server's `postgres` database (CREATE/DROP DATABASE cannot run in
    a transaction, hence autocommit)."""
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def recreate_database(name: str, template: str | None = None) -> None:
    """Drop `name` (even with connections open) and create it empty, or as a copy of
    `template`."""
    copy = f" TEMPLATE {template}" if template else ""
    admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}{copy}")


def drop_database(name: str) -> None:
    admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def lesson_text(length: int) -> str:
    """Lowercase words and single spaces: every character is typeable and JSON-safe."""
    words = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "lazy",
        "dogs",
        "while",
        "typing",
        "practice",
        "builds",
        "steady",
        "rhythm",
        "and",
        "accurate",
        "fingers",
        "learn",
        "each",
        "key",
        "by",
        "heart",
        "home",
        "row",
        "reach",
    ]
    out: list[str] = []
    i = 0
    while sum(len(word) + 1 for word in out) < length:
        out.append(words[(i * 7) % len(words)])
        i += 1
    return " ".join(out)[: length - 1] + "."


def login_cookie(user: Any) -> tuple[str, str]:
    """A logged-in Django session for `user`, as the browser holds it after signing in:
    the Cookie header (`sessionid` and `csrftoken`) and the X-CSRFToken value the widget
    sends (the csrftoken cookie's value). Needs Django set up."""
    from django.conf import settings
    from django.test import Client
    from django.utils.crypto import get_random_string

    client = Client()
    client.force_login(user)
    sessionid = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = get_random_string(32)
    cookie = f"{settings.SESSION_COOKIE_NAME}={sessionid}; {settings.CSRF_COOKIE_NAME}={csrf}"
    return cookie, csrf


def start_gunicorn(
    env: dict[str, str], logdir: Path, *, own_session: bool = False
) -> subprocess.Popen[bytes]:
    """`gunicorn --config gunicorn.conf.py` from the repository root. Access log (stdout) and
    error log go to files, as a container runtime would collect them. With `own_session` the
    server gets a process group of its own: Ctrl-C in the terminal then reaches only the
    benchmark, which stops the server in order."""
    exe = Path(sys.executable).parent / "gunicorn"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "gunicorn"]
    command += ["--config", "gunicorn.conf.py"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=(logdir / "gunicorn.out").open("wb"),
        stderr=(logdir / "gunicorn.err").open("wb"),
        start_new_session=own_session,
    )


def wait_healthy(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")
