"""Fault benchmark: the site as production runs it, typists at work, and the faults an operator
sees — a dropped database connection, Redis down, a killed Celery worker, a web worker stopped.

    uv run python bench/faults.py [--typists 30] [--duration 60] [--fresh] [--keep]

A check with targets: it exits 1 when one is missed (any 5xx, any acknowledged keystroke not
stored exactly once, any analysis not done, a killed worker's analyses done more than 60 s
after it is back, or a request unanswered or refused), 2 when the stack could not be set up.
In one run (every wait capped):

1. Starts a Redis of its own on a free loopback port; (re)creates the PostgreSQL database
   `typingtrainer_faults` as a copy of `typingtrainer_faults_template`, which it migrates once
   and keeps (rebuilt when a migration changes, or with --fresh: dj-stripe's migrations take
   most of a minute); creates a RabbitMQ vhost of its own; a course of a few lessons, the
   learners and a logged-in Django session for each; runs collectstatic into a temporary
   directory, as the production image does.
2. Starts gunicorn (`--config gunicorn.conf.py`, `typingtrainer.settings_production`), a
   Celery worker and beat, each in a process group of its own, with the broker on the vhost
   (`CELERY_BROKER_URL=amqp://…/typingtrainer_faults`, tasks not eager).
3. Runs the typists: each loads a lesson page, starts it (`POST /lessons/<id>/start`), sends
   20-key batches (`POST /sessions/<uuid>/keystrokes`) at a human pace in the text's order,
   completes (`POST /sessions/<uuid>/complete`) and moves on to the next lesson. Like the
   widget (static/js/typing/widget.js) they send the session and csrftoken cookies and
   X-CSRFToken, except that batches go with only the session's X-Practice-Token (from the
   start answer) and completions with the token as well; one request at a time, and retry a
   network error, a 5xx or a 429 with its backoff (0.5 s doubling to 30 s, jittered to
   50–100 %). A visitor loads /courses/.
4. Meanwhile, one after another: (1) terminates every connection to the database; (2) kills
   Redis and starts it again on the same port 10 s later; (3) SIGKILLs the Celery worker while
   it holds analyses (completions are held back for a few seconds and released at once while
   the worker is stopped with SIGSTOP, so the kill lands on deliveries it has not acknowledged;
   the broker's counts are printed), restarts it and times how long until the analyses of
   every session completed since then are done; (4) SIGTERMs one gunicorn worker, which the
   master replaces.
5. Prints requests by endpoint and status, by phase, keystrokes acknowledged vs stored (each
   acknowledged batch must be in the database exactly once, with the keys that were sent),
   analyses done vs due (waiting a bounded time for the queue to drain) and the recovery time.
   Its last line is `faults: 5xx=<n> lost=<n> analyses_missing=<n> worker_kill_recovery_s=<s>`.
6. Stops everything it started (also on Ctrl-C or an error), deletes the vhost and drops
   `typingtrainer_faults` (unless --keep).

Every 5xx is counted, also one that a retry later got past: a learner saw it. All traffic is on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (
    ADMIN_DSN,
    ROOT,
    admin_execute,
    database_url,
    drop_database,
    free_port,
    lesson_text,
    login_cookie,
    recreate_database,
    start_gunicorn,
    wait_healthy,
)

DB_NAME = "typingtrainer_faults"
TEMPLATE_DB = "typingtrainer_faults_template"
VHOST = "typingtrainer_faults"
BROKER_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
KEYS_PER_BATCH = 20
LESSON_LENGTHS = (180, 200, 220, 240)  # characters: 9–12 batches, 15–25 s of typing each
MISTAKE_RATE = 0.02
BACKOFF_BASE_S = 0.5  # core.js BACKOFF_BASE_MS
BACKOFF_MAX_S = 30.0  # core.js BACKOFF_MAX_MS
REQUEST_TIMEOUT_S = 20.0
REDIS_DOWN_S = 10.0
WORKER_DOWN_S = 5.0
TARGET_RECOVERY_S = 60.0
RECOVERY_WAIT_S = 65.0  # past the target: a miss is told apart from a pass
TIME_LIMIT_S = 180.0  # what a run takes at most on an idle machine; every wait has its cap

PHASES = (
    ("baseline", "before any fault"),
    ("db-dropped", "after (1) all database connections were terminated"),
    ("redis-down", "(2) Redis stopped"),
    ("redis-back", "(2) Redis started again"),
    ("worker-kill", "(3) worker held, killed and restarted"),
    ("web-sigterm", "(4) after SIGTERM to one web worker"),
)


# --- the ledger: everything the typists saw ---------------------------------------------------


@dataclass
class Answer:
    endpoint: str
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    phase: str


@dataclass
class Ledger:
    """What the clients sent and were told, shared by all threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    phase: str = "baseline"
    answers: list[Answer] = field(default_factory=list)
    # (session, seq) -> the keys of every batch acknowledged with 200 or 201.
    acked: dict[tuple[str, int], list[list[Any]]] = field(default_factory=dict)
    # Acknowledged batches that completion later said were missing (lost, even if resent).
    missing_after_ack: set[tuple[str, int]] = field(default_factory=set)
    # session -> monotonic time its completion was answered 200, and whether it was flagged.
    completed: dict[str, tuple[float, bool]] = field(default_factory=dict)
    refusals: list[tuple[str, int | None, str]] = field(default_factory=list)

    def answer(self, endpoint: str, status: int | None) -> None:
        with self.lock:
            self.answers.append(Answer(endpoint, status, self.phase))

    def set_phase(self, phase: str) -> None:
        with self.lock:
            self.phase = phase

    def ack(self, session: str, seq: int, keys: list[list[Any]]) -> None:
        with self.lock:
            self.acked.setdefault((session, seq), keys)

    def complete(self, session: str, flagged: bool) -> None:
        with self.lock:
            self.completed[session] = (time.monotonic(), flagged)

    def refuse(self, endpoint: str, status: int | None, body: bytes) -> None:
        with self.lock:
            self.refusals.append((endpoint, status, body[:300].decode("utf-8", "replace")))


# --- the typists ------------------------------------------------------------------------------


class Control:
    """How the fault schedule steers the typists: stop, and hold completions back."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.hold = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.held = 0

    def wait_for_release(self) -> None:
        with self._lock:
            self.held += 1
        while not (self.release.is_set() or self.stop.is_set()):
            self.release.wait(0.1)


def backoff_s(attempt: int, rng: random.Random) -> float:
    """core.js backoffDelay with jitter: 0.5 s, 1 s, 2 s … at most 30 s, times 0.5–1."""
    delay = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** min(max(attempt, 1) - 1, 30))
    return delay * (0.5 + rng.random() / 2)


def typed_keys(
    text: str, *, rng: random.Random, interval_ms: int, mistakes: float
) -> list[list[Any]]:
    """Keystrokes typing `text` in must-correct mode (as lessons/tests/conftest.py builds
    them): [pos, typed, t] with t in ms from the first key, about `interval_ms` apart, and at
    a share `mistakes` of the positions a wrong key before the right one."""
    keys: list[list[Any]] = []
    t = 0
    for pos, ch in enumerate(text):
        if pos and rng.random() < mistakes:
            wrong = rng.choice([c for c in "asdfjkl" if c != ch])
            keys.append([pos, wrong, t])
            t += max(45, interval_ms + rng.randint(-20, 40))
        keys.append([pos, ch, t])
        t += max(45, interval_ms + rng.randint(-20, 20))
    return keys


class Client:
    """One learner's browser: its cookies, one request at a time on a new connection (the
    sync workers close each one anyway)."""

    def __init__(self, port: int, ledger: Ledger, cookie: str = "", csrf: str = "") -> None:
        self.port = port
        self.ledger = ledger
        self.cookies = dict(part.split("=", 1) for part in cookie.split("; ") if part)
        self.csrf = csrf
        self.token = ""  # the practice token of the session being typed

    def call(
        self,
        method: str,
        path: str,
        endpoint: str,
        body: object = None,
        accept: str = "application/json",
    ) -> tuple[int | None, bytes]:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept": accept}
        batch = path.endswith("/keystrokes")  # the widget sends these without cookies
        if self.cookies and not batch:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if method == "POST":
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
            if not batch:
                headers["X-CSRFToken"] = self.csrf
            headers["Origin"] = f"http://127.0.0.1:{self.port}"  # what fetch() sends
            if path.startswith("/sessions/") and self.token:
                headers["X-Practice-Token"] = self.token
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        status: int | None = None
        payload = b""
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            status = response.status
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        except (OSError, http.client.HTTPException):
            status = None
        finally:
            conn.close()
        self.ledger.answer(endpoint, status)
        return status, payload


def transient(status: int | None) -> bool:
    """widget.js: a network error, a 5xx and a 429 are retried; anything else is an answer."""
    return status is None or status >= 500 or status == 429


class Typist(threading.Thread):
    def __init__(
        self,
        number: int,
        client: Client,
        lessons: list[tuple[int, str]],
        control: Control,
    ) -> None:
        super().__init__(name=f"typist-{number}", daemon=True)
        self.client = client
        self.ledger = client.ledger
        self.lessons = lessons
        self.control = control
        self.rng = random.Random(number)
        self.interval_ms = self.rng.randint(60, 95)  # a batch every 1.2–1.9 s

    def run(self) -> None:
        try:
            self.type_lessons()
        except Exception as exc:  # an answer it could not read: listed, never silent
            self.ledger.refuse("typist stopped", None, repr(exc).encode())

    def type_lessons(self) -> None:
        index = 0
        while not self.control.stop.is_set():
            lesson_id, text = self.lessons[index]
            result = self.practise(lesson_id, text)
            if result is None:  # refused (already recorded) or stopping: start over, as a
                index = 0  # learner would after the widget's "Start over"
                self.control.stop.wait(1.0)
                continue
            following = result.get("next_lesson")
            if following and following.get("unlocked"):
                ids = [lesson for lesson, _ in self.lessons]
                index = ids.index(following["id"]) if following["id"] in ids else 0
            elif following is None:
                index = 0  # the course is done: from the top

    def until_answered(
        self, method: str, path: str, endpoint: str, body: object = None, accept: str = ""
    ) -> tuple[int, bytes] | None:
        """Send until the answer is not transient; None when told to stop first."""
        attempt = 0
        while True:
            status, payload = self.client.call(
                method, path, endpoint, body, accept or "application/json"
            )
            if not transient(status):
                assert status is not None
                return status, payload
            attempt += 1
            if self.control.stop.wait(backoff_s(attempt, self.rng)):
                return None

    def practise(self, lesson_id: int, text: str) -> dict[str, Any] | None:
        page = self.until_answered(
            "GET", f"/lessons/{lesson_id}/", "GET /lessons/<id>/", accept="text/html"
        )
        if page is None:
            return None
        if page[0] != 200:
            self.ledger.refuse("GET /lessons/<id>/", *page)
            return None
        started = self.until_answered(
            "POST", f"/lessons/{lesson_id}/start", "POST /lessons/<id>/start", {}
        )
        if started is None:
            return None
        if started[0] != 201:
            self.ledger.refuse("POST /lessons/<id>/start", *started)
            return None
        answer = json.loads(started[1])
        session, self.client.token = answer["session"], answer["token"]
        keys = typed_keys(text, rng=self.rng, interval_ms=self.interval_ms, mistakes=MISTAKE_RATE)
        batches = [keys[i : i + KEYS_PER_BATCH] for i in range(0, len(keys), KEYS_PER_BATCH)]
        began = time.monotonic()
        for seq, batch in enumerate(batches):
            # A batch goes when its last key is typed (the widget also cuts one after 2 s,
            # which at this pace never comes first); late ones go at once, in order.
            due = began + batch[-1][2] / 1000
            if self.control.stop.wait(max(0.0, due - time.monotonic())):
                return None
            if not self.send_batch(session, seq, batch):
                return None
        if self.control.hold.is_set():
            self.control.wait_for_release()
        return self.complete(session, batches)

    def send_batch(self, session: str, seq: int, batch: list[list[Any]]) -> bool:
        endpoint = "POST /sessions/<id>/keystrokes"
        answer = self.until_answered(
            "POST", f"/sessions/{session}/keystrokes", endpoint, {"seq": seq, "keys": batch}
        )
        if answer is None:
            return False
        if answer[0] in (200, 201):
            self.ledger.ack(session, seq, batch)
            return True
        self.ledger.refuse(endpoint, *answer)  # 409 and other 4xx: the widget gives up
        return False

    def complete(self, session: str, batches: list[list[list[Any]]]) -> dict[str, Any] | None:
        endpoint = "POST /sessions/<id>/complete"
        conflicts = 0
        while True:
            answer = self.until_answered(
                "POST", f"/sessions/{session}/complete", endpoint, {"batches": len(batches)}
            )
            if answer is None:
                return None
            status, payload = answer
            if status == 200:
                result = json.loads(payload)
                self.ledger.complete(session, bool(result.get("flagged")))
                return result
            missing = json.loads(payload).get("missing") if status == 409 else None
            conflicts += 1
            if not missing or conflicts > 5:
                self.ledger.refuse(endpoint, status, payload)
                return None
            # The widget marks the batches the server lacks as unsent and sends them again.
            for seq in missing:
                if not 0 <= seq < len(batches):
                    self.ledger.refuse(endpoint, status, payload)
                    return None
                with self.ledger.lock:
                    if (session, seq) in self.ledger.acked:
                        self.ledger.missing_after_ack.add((session, seq))
                if not self.send_batch(session, seq, batches[seq]):
                    return None


class Visitor(threading.Thread):
    """Someone without an account looking at the catalogue every two seconds."""

    def __init__(self, client: Client, control: Control) -> None:
        super().__init__(name="visitor", daemon=True)
        self.client = client
        self.control = control

    def run(self) -> None:
        while not self.control.stop.wait(2.0):
            self.client.call("GET", "/courses/", "GET /courses/ (anonymous)", accept="text/html")


# --- the stack --------------------------------------------------------------------------------


class Stack:
    """The processes this run started, each in a process group of its own."""

    def __init__(self, workdir: Path, env: dict[str, str], redis_port: int) -> None:
        self.workdir = workdir
        self.env = env
        self.redis_port = redis_port
        self.redis: subprocess.Popen[bytes] | None = None
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.beat: subprocess.Popen[bytes] | None = None
        self.worker_starts = 0

    def spawn(self, command: list[str], log: str) -> subprocess.Popen[bytes]:
        out = (self.workdir / log).open("ab")
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_redis(self) -> None:
        self.redis = self.spawn(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            "redis.log",
        )
        if wait_until(lambda: redis_answers(self.redis_port), 10) is None:
            raise RuntimeError("Redis did not answer PING")

    def kill_redis(self) -> None:
        assert self.redis is not None
        self.redis.kill()
        self.redis.wait()

    def celery(self) -> list[str]:
        exe = Path(sys.executable).parent / "celery"
        return [str(exe)] if exe.exists() else [sys.executable, "-m", "celery"]

    def start_worker(self) -> None:
        self.worker_starts += 1
        log = f"worker-{self.worker_starts}.log"
        # As docker-compose.yml runs it.
        self.worker = self.spawn(
            [*self.celery(), "-A", "typingtrainer", "worker", "--loglevel=INFO", "--concurrency=2"],
            log,
        )

    def worker_ready(self) -> bool:
        log = self.workdir / f"worker-{self.worker_starts}.log"
        return " ready." in log.read_text(errors="replace")

    def start_beat(self) -> None:
        self.beat = self.spawn(
            [
                *self.celery(),
                "-A",
                "typingtrainer",
                "beat",
                "--loglevel=INFO",
                f"--schedule={self.workdir / 'celerybeat-schedule'}",
            ],
            "beat.log",
        )

    def start_web(self, port: int) -> None:
        self.web = start_gunicorn(self.env, self.workdir, own_session=True)
        # Five workers importing the app at once: minutes on a machine that is busy.
        wait_healthy(port, self.web, timeout=240)

    def web_workers(self) -> list[int]:
        assert self.web is not None
        out = subprocess.run(
            ["ps", "--ppid", str(self.web.pid), "-o", "pid="],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(pid) for pid in out.split()]

    def stop(self, grace: float = 30) -> None:
        """All at once: SIGTERM to gunicorn's master (a graceful stop; its timeout is 25 s)
        and to the other process groups (after SIGCONT, in case one was stopped), then
        SIGKILL to whatever is left of any group after `grace` seconds."""
        procs = [p for p in (self.web, self.worker, self.beat, self.redis) if p is not None]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGCONT)
                if proc is self.web:
                    proc.send_signal(signal.SIGTERM)
                else:
                    os.killpg(proc.pid, signal.SIGTERM)
        until = time.monotonic() + grace
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, until - time.monotonic()))
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_until(check: Callable[[], bool], timeout: float) -> float | None:
    """Poll `check` until true: the seconds it took, or None after `timeout`."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if check():
            return time.monotonic() - began
        time.sleep(0.1)
    return None


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def rabbitmqctl(*args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, check=False, timeout=60
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr.strip() or done.stdout}")
    return done.stdout


def broker_counts() -> tuple[int, int] | None:
    """(ready, unacknowledged) messages of the default queue `celery` on the vhost."""
    out = rabbitmqctl(
        "list_queues", "-p", VHOST, "name", "messages_ready", "messages_unacknowledged", check=False
    )
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "celery":
            return int(parts[1]), int(parts[2])
    return None


def child_env(port: int, redis_port: int, workdir: Path, web_workers: int | None) -> dict[str, str]:
    """The environment of production, on loopback. Every variable .env.example names is dropped
    from the inherited environment first (CI exports DATABASE_URL, eager tasks …), then set."""
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "typingtrainer.settings_production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            # Plain HTTP on loopback: no redirect to https. The cookies' Secure flag only marks
            # what the server sets; the clients send theirs verbatim.
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url(DB_NAME),
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "STATIC_ROOT": str(workdir / "static"),
            "VAR_DIR": str(workdir / "var"),
            # Nothing leaves the machine: the weekly email, should its hour come, goes nowhere.
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if web_workers:
        env["WEB_CONCURRENCY"] = str(web_workers)
    return env


# --- the database -----------------------------------------------------------------------------


def migrations_fingerprint() -> str:
    """A digest of every migration file on disk: the template is rebuilt when one changes."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    for key in sorted(loader.disk_migrations):
        module = sys.modules[loader.disk_migrations[key].__module__]
        digest.update(repr(key).encode())
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def template_comment() -> str | None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [TEMPLATE_DB],
        ).fetchone()
    return None if row is None else (row[0] or "")


def prepare_database(fresh: bool) -> str:
    """`typingtrainer_faults`, migrated: a copy of the template when it is current."""
    from django.core.management import call_command
    from django.db import connection

    stamp = f"bench/faults.py migrations {migrations_fingerprint()}"
    if not fresh and template_comment() == stamp:
        recreate_database(DB_NAME, template=TEMPLATE_DB)
        return "copied from the migrated template"
    admin_execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
    recreate_database(DB_NAME)
    call_command("migrate", interactive=False, verbosity=0)
    connection.close()
    connection.close_pool()  # type: ignore[attr-defined]
    admin_execute(
        f"CREATE DATABASE {TEMPLATE_DB} TEMPLATE {DB_NAME}",
        f"COMMENT ON DATABASE {TEMPLATE_DB} IS '{stamp}'",
    )
    return f"migrated (and kept as {TEMPLATE_DB} for the next run)"


def prepare_data(typists: int) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """A published course of a few lessons and the learners; their login sessions (written to
    the cache and the database, as `cached_db` sessions are)."""
    from courses.models import Course, Lesson
    from typingtrainer.models import User

    course = Course.objects.create(
        slug="faults",
        title="Faults",
        description="Created by bench/faults.py.",
        is_published=True,
    )
    lessons = []
    for position, length in enumerate(LESSON_LENGTHS, start=1):
        lesson = Lesson.objects.create(
            course=course,
            position=position,
            title=f"Lesson {position}",
            text=lesson_text(length),
            is_published=True,
        )
        lessons.append((lesson.pk, lesson.text))
    logins = []
    for number in range(typists):
        user = User.objects.create_user(email=f"typist{number}@faults.invalid", password=None)
        logins.append(login_cookie(user))
    return lessons, logins


class RunLock:
    """One run at a time on a machine: they share the database, the template and the vhost.
    A PostgreSQL advisory lock, held by a connection to the `postgres` database for the whole
    run (and let go by the server should the run die)."""

    KEY = "select hashtext('bench/faults.py')"

    def __init__(self) -> None:
        import psycopg

        self.conn = psycopg.connect(ADMIN_DSN, autocommit=True)

    def acquire(self, timeout: float) -> bool:
        until = time.monotonic() + timeout
        while True:
            row = self.conn.execute(f"SELECT pg_try_advisory_lock(({self.KEY}))").fetchone()
            if row and row[0]:
                return True
            if time.monotonic() >= until:
                return False
            time.sleep(1)

    def release(self) -> None:
        self.conn.close()


def terminate_connections() -> int:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        ).fetchone()
    return int(row[0]) if row else 0


class ReportCounter:
    """Counts coach reports for given sessions over a fresh connection each time: the app's
    connections are being terminated, and this must not be one of them."""

    def __init__(self) -> None:
        from coach.models import Report

        self.sql = (
            f'SELECT count(*) FROM "{Report._meta.db_table}" '
            f'WHERE "{Report._meta.get_field("session").column}"::text = ANY(%s)'
        )

    def count(self, sessions: list[str]) -> int | None:
        import psycopg

        try:
            with psycopg.connect(
                f"host=127.0.0.1 port=5432 user=postgres dbname={DB_NAME}", connect_timeout=2
            ) as conn:
                row = conn.execute(self.sql, [sessions]).fetchone()
        except psycopg.Error:
            return None
        return int(row[0]) if row else 0


# --- the faults -------------------------------------------------------------------------------


@dataclass
class Findings:
    lines: list[str] = field(default_factory=list)
    recovery_s: float | None = None
    recovered: bool = False
    recovery_sessions: int = 0

    def note(self, line: str) -> None:
        self.lines.append(line)
        print(f"  {line}", flush=True)


class RecoveryWatch(threading.Thread):
    """From the worker's restart, until every session completed since the kill phase began
    has its report (or the wait gives up)."""

    def __init__(
        self, counter: ReportCounter, sessions: list[str], restarted: float, until: float
    ) -> None:
        super().__init__(name="recovery", daemon=True)
        self.counter = counter
        self.sessions = sessions
        self.restarted = restarted
        self.until = until
        self.seconds: float | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while time.monotonic() < self.until:
                if self.counter.count(self.sessions) == len(self.sessions):
                    self.seconds = time.monotonic() - self.restarted
                    return
                time.sleep(0.25)
            self.seconds = None
        finally:
            self.done.set()


def run_faults(
    stack: Stack,
    ledger: Ledger,
    control: Control,
    findings: Findings,
    counter: ReportCounter,
    args: argparse.Namespace,
    began: float,
) -> RecoveryWatch | None:
    gap = args.gap
    time.sleep(gap)

    ledger.set_phase("db-dropped")
    findings.note(
        f"(1) {time.monotonic() - began:5.1f} s: terminated {terminate_connections()} "
        f"connections to {DB_NAME}"
    )
    time.sleep(gap)

    ledger.set_phase("redis-down")
    stack.kill_redis()
    findings.note(f"(2) {time.monotonic() - began:5.1f} s: Redis killed (SIGKILL)")
    time.sleep(REDIS_DOWN_S)
    stack.start_redis()
    ledger.set_phase("redis-back")
    findings.note(
        f"    {time.monotonic() - began:5.1f} s: Redis started again on port {stack.redis_port}"
    )
    time.sleep(gap)

    ledger.set_phase("worker-kill")
    kill_phase = time.monotonic()
    assert stack.worker is not None
    # Hold finished typists back, so that several completions come at once.
    control.release.clear()
    control.hold.set()
    want = max(3, args.typists // 5)
    wait_until(lambda: control.held >= want, 12)
    os.killpg(stack.worker.pid, signal.SIGSTOP)
    held = control.held
    completions_before = len(ledger.completed)
    control.hold.clear()
    control.release.set()
    wait_until(lambda: len(ledger.completed) - completions_before >= held, 5)
    counts = broker_counts()
    os.killpg(stack.worker.pid, signal.SIGKILL)
    stack.worker.wait()
    broker = (
        f"the broker held {counts[0]} ready and {counts[1]} unacknowledged"
        if counts
        else "the broker's counts could not be read"
    )
    findings.note(
        f"(3) {time.monotonic() - began:5.1f} s: {held} completions held back and released "
        f"while the worker was stopped; worker killed (SIGKILL) — {broker}"
    )
    time.sleep(WORKER_DOWN_S)
    stack.start_worker()
    restarted = time.monotonic()
    with ledger.lock:
        sessions = [
            s for s, (at, flagged) in ledger.completed.items() if at >= kill_phase and not flagged
        ]
    findings.recovery_sessions = len(sessions)
    findings.note(
        f"    {restarted - began:5.1f} s: worker started again; {len(sessions)} sessions "
        "completed since the kill phase began wait for their analyses"
    )
    watch = None
    if sessions:
        watch = RecoveryWatch(counter, sessions, restarted, restarted + RECOVERY_WAIT_S)
        watch.start()
    time.sleep(gap)

    ledger.set_phase("web-sigterm")
    workers = stack.web_workers()
    if workers:
        victim = workers[0]
        os.kill(victim, signal.SIGTERM)

        def replaced() -> bool:
            now = stack.web_workers()
            return victim not in now and len(now) >= len(workers)

        seconds = wait_until(replaced, 15)
        if seconds is None:
            findings.note(f"(4) SIGTERM to web worker {victim}: NOT replaced within 15 s")
        else:
            findings.note(
                f"(4) {time.monotonic() - began:5.1f} s: SIGTERM to web worker {victim}; "
                f"the master had replaced it {seconds:.1f} s later"
            )
    else:
        findings.note("(4) no gunicorn worker found to SIGTERM")
    time.sleep(gap)
    return watch


# --- the report -------------------------------------------------------------------------------


def status_table(answers: list[Answer]) -> None:
    by_endpoint: dict[str, Counter[int | None]] = defaultdict(Counter)
    for answer in answers:
        by_endpoint[answer.endpoint][answer.status] += 1
    statuses = sorted({a.status for a in answers if a.status is not None})
    columns = [str(s) for s in statuses] + ["no answer", "total"]
    width = max([len(e) for e in by_endpoint] + [8]) + 2
    print("requests by endpoint and status (every attempt, retries included):")
    print(f"  {'endpoint':{width}}" + "".join(f"{c:>10}" for c in columns))
    order = sorted(by_endpoint, key=lambda e: (e.startswith("GET /courses"), e))
    total: Counter[int | None] = Counter()
    for endpoint in order:
        counts = by_endpoint[endpoint]
        total.update(counts)
        cells = [counts.get(s, 0) for s in statuses] + [counts.get(None, 0), counts.total()]
        print(f"  {endpoint:{width}}" + "".join(f"{c:>10}" for c in cells))
    cells = [total.get(s, 0) for s in statuses] + [total.get(None, 0), total.total()]
    print(f"  {'all':{width}}" + "".join(f"{c:>10}" for c in cells))


def phase_table(answers: list[Answer]) -> None:
    print("by phase:")
    print(f"  {'phase':14}{'requests':>10}{'5xx':>8}{'429':>8}{'no answer':>10}  when")
    for phase, label in PHASES:
        mine = [a for a in answers if a.phase == phase]
        fives = sum(1 for a in mine if a.status is not None and a.status >= 500)
        limited = sum(1 for a in mine if a.status == 429)
        lost = sum(1 for a in mine if a.status is None)
        print(f"  {phase:14}{len(mine):>10}{fives:>8}{limited:>8}{lost:>10}  {label}")


def log_causes(text: str, pattern: re.Pattern[str] | None = None) -> Counter[str]:
    """The exception that ended each logged traceback (Django's "Internal Server Error" and
    Celery's task failures), counted."""
    causes: Counter[str] = Counter()
    record: list[str] = []

    def close() -> None:
        if any(line.startswith("Traceback") for line in record):
            tail = [
                line
                for line in record
                if line and not line[0].isspace() and not line.startswith(("Traceback", "During"))
            ]
            tail = [line for line in tail if not line.startswith("The above exception")]
            if tail:
                causes[tail[-1][:140]] += 1
        record.clear()

    start = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d|\[\d{4}-\d\d-\d\d)")
    for line in text.splitlines():
        if start.match(line):
            close()
        record.append(line)
    close()
    if pattern is not None:
        for match in pattern.finditer(text):
            causes[match.group(1)[:140]] += 1
    return causes


def keystroke_check(ledger: Ledger) -> tuple[int, int, int, int, int]:
    """(acknowledged batches, acknowledged keys, keys stored exactly once as acknowledged, keys
    lost, batches stored more than once), from the stored rows decoded through the model. A key
    counts as lost unless its batch is stored exactly once with the keys that were sent and
    was never reported missing at completion."""
    from lessons.models import KeystrokeBatch

    sessions = sorted({session for session, _ in ledger.acked})
    stored: dict[tuple[str, int], list[Any]] = {}
    duplicated: set[tuple[str, int]] = set()
    for start in range(0, len(sessions), 500):
        rows = KeystrokeBatch.objects.filter(session_id__in=sessions[start : start + 500])
        for session_id, seq, keys in rows.values_list("session_id", "seq", "keys"):
            key = (str(session_id), seq)
            if key in stored:
                duplicated.add(key)
            stored[key] = keys
    acked_keys = sum(len(keys) for keys in ledger.acked.values())
    lost = 0
    for key, keys in ledger.acked.items():
        once = key not in ledger.missing_after_ack and key not in duplicated
        if not (once and stored.get(key) == keys):
            lost += len(keys)
    return len(ledger.acked), acked_keys, acked_keys - lost, lost, len(duplicated)


def analyses() -> tuple[int, int, int]:
    """(due, done, due but never queued): completed, unflagged sessions vs coach reports."""
    from coach.models import Report
    from lessons.models import PracticeSession

    due = PracticeSession.objects.counted().filter(user__isnull=False)
    done = Report.objects.filter(session__in=due).count()
    never_queued = due.filter(analysis_queued_at=None).exclude(report__isnull=False).count()
    return due.count(), done, never_queued


# --- main -------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--typists", type=int, default=30, help="concurrent learners (>= 1)")
    parser.add_argument(
        "--duration",
        type=float,
        default=60,
        help="least seconds of typing (it goes on until the faults, about a minute, are done)",
    )
    parser.add_argument("--gap", type=float, default=6, help="seconds between faults")
    parser.add_argument(
        "--drain", type=float, default=20, help="most seconds to wait for analyses at the end"
    )
    parser.add_argument("--web-workers", type=int, help="WEB_CONCURRENCY (default: the config's)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the migrated template")
    parser.add_argument(
        "--keep", action="store_true", help=f"keep {DB_NAME} and the processes' logs"
    )
    args = parser.parse_args()
    if args.typists < 1:
        parser.error("--typists must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    for tool in ("redis-server", "rabbitmqctl", "ps"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed.", file=sys.stderr)
            return 2

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Also SIGINT: a shell that starts a job in the background sets it to "ignored".
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    print(
        f"load average {load:.1f} on {cores} cores"
        + (": the machine is busy, the times below will be longer" if load > cores else ""),
        flush=True,
    )
    port, redis_port = free_port(), free_port()
    workdir = Path(tempfile.mkdtemp(prefix="tt-faults-"))
    env = child_env(port, redis_port, workdir, args.web_workers)
    os.environ.clear()
    os.environ.update(env)
    stack = Stack(workdir, env, redis_port)
    ledger = Ledger()
    control = Control()
    findings = Findings()
    threads: list[threading.Thread] = []
    vhost = False
    database = False
    summary = ""
    code = 2
    vhost_setup: subprocess.Popen[bytes] | None = None
    lock: RunLock | None = None
    try:
        lock = RunLock()
        if not lock.acquire(0):
            print("another run of bench/faults.py holds the machine: waiting (at most 5 min)")
            if not lock.acquire(300):
                raise RuntimeError("another run of bench/faults.py did not finish in 5 minutes")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        stack.start_redis()
        # rabbitmqctl takes a few seconds a call: make the vhost while the database is made.
        vhost_setup = subprocess.Popen(
            [
                "sh",
                "-c",
                f"rabbitmqctl -q delete_vhost {VHOST} >/dev/null 2>&1; "
                f"rabbitmqctl -q add_vhost {VHOST} && "
                f"rabbitmqctl -q set_permissions -p {VHOST} guest '.*' '.*' '.*'",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        vhost = True
        steps: list[str] = []
        step = time.monotonic()

        def timed(what: str) -> None:
            nonlocal step
            steps.append(f"{what} {time.monotonic() - step:.0f} s")
            step = time.monotonic()

        how = prepare_database(args.fresh)
        database = True
        timed("database")
        _, vhost_error = vhost_setup.communicate(timeout=60)
        if vhost_setup.returncode != 0:
            raise RuntimeError(f"could not create the RabbitMQ vhost {VHOST}: {vhost_error!r}")
        # The worker and beat boot while the data and the static files are made; gunicorn
        # needs the static files' manifest, so it comes last.
        stack.start_worker()
        stack.start_beat()
        lessons, logins = prepare_data(args.typists)
        timed("learners")
        call_command("collectstatic", interactive=False, verbosity=0)
        timed("collectstatic")
        connection.close()
        connection.close_pool()  # type: ignore[attr-defined]
        print(f"{DB_NAME}: {how}; {args.typists} learners logged in", flush=True)
        stack.start_web(port)
        timed("gunicorn")
        if wait_until(stack.worker_ready, 120) is None:
            raise RuntimeError("the Celery worker did not become ready")
        timed("worker")
        counter = ReportCounter()
        workers = len(stack.web_workers())
        print(
            f"gunicorn --config gunicorn.conf.py on 127.0.0.1:{port} ({workers} workers), "
            f"Redis on :{redis_port}, Celery worker and beat on amqp vhost {VHOST}; "
            f"set up in {time.monotonic() - began:.0f} s ({', '.join(steps)})",
            flush=True,
        )

        traffic = time.monotonic()
        for number, (cookie, csrf) in enumerate(logins):
            threads.append(Typist(number, Client(port, ledger, cookie, csrf), lessons, control))
        threads.append(Visitor(Client(port, ledger), control))
        for thread in threads:
            thread.start()
            time.sleep(0.05)  # learners arrive over a second or two, not in one instant
        # Warm-up: every typist has a batch stored, so every web worker has served requests
        # and holds its pooled connections before the first fault.
        warm = wait_until(lambda: len(ledger.acked) >= args.typists, 30)
        print(
            f"{args.typists} typists at work"
            + (f", warmed up in {warm:.0f} s" if warm is not None else " (warm-up cut at 30 s)")
            + "; faults:",
            flush=True,
        )
        watch = run_faults(stack, ledger, control, findings, counter, args, traffic)
        remaining = traffic + args.duration - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        control.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S + 2)
        typed_s = time.monotonic() - traffic

        # Drain: the killed worker's analyses first (the watch has its cap), then up to
        # --drain seconds for the rest of the queue, which the restarted worker reaches last.
        if watch is not None:
            watch.done.wait(max(0.0, watch.until - time.monotonic()))
        drain_until = time.monotonic() + args.drain
        due = done = never_queued = 0
        while True:
            due, done, never_queued = analyses()
            if done >= due or time.monotonic() >= drain_until:
                break
            time.sleep(0.5)
            connection.close()
        if watch is not None:
            findings.recovered = watch.seconds is not None
            findings.recovery_s = (
                watch.seconds if watch.seconds is not None else watch.until - watch.restarted
            )
        acked_batches, acked_keys, stored_keys, lost, twice = keystroke_check(ledger)
        connection.close()
        connection.close_pool()  # type: ignore[attr-defined]

        # --- report ---
        answers = ledger.answers
        fives = sum(1 for a in answers if a.status is not None and a.status >= 500)
        no_answer = sum(1 for a in answers if a.status is None)
        print(f"\ntraffic: {typed_s:.0f} s, {len(answers)} requests\n")
        status_table(answers)
        print()
        phase_table(answers)
        web_causes = log_causes((workdir / "gunicorn.err").read_text(errors="replace"))
        if web_causes:
            print("\nwhat the 5xx were (gunicorn's error log, last exception of each traceback):")
            for cause, count in web_causes.most_common(6):
                print(f"  {count:5d} × {cause}")
        if ledger.refusals:
            print(
                f"\nrefused (answers the widget does not retry, or could not read): "
                f"{len(ledger.refusals)}, first:"
            )
            for endpoint, status, body in ledger.refusals[:3]:
                print(f"  {endpoint} → {status}: {body}")
        print(
            f"\nkeystrokes: {acked_keys} acknowledged in {acked_batches} batches (200/201), "
            f"{stored_keys} stored as acknowledged, {lost} lost"
            + (f" ({len(ledger.missing_after_ack)} batches missing at completion)" if lost else "")
            + f"; {twice} batches stored more than once"
        )
        missing = due - done
        print(
            f"analyses: {done} done of {due} due (completed, unflagged sessions); {missing} "
            f"missing" + (f", {never_queued} of them never queued" if missing else "")
        )
        worker_log = "\n".join(
            (workdir / f"worker-{n}.log").read_text(errors="replace")
            for n in range(1, stack.worker_starts + 1)
        )
        task_causes = log_causes(worker_log, re.compile(r"raised unexpected: (.*)"))
        failed_tasks = len(re.findall(r"raised unexpected:", worker_log))
        if failed_tasks:
            print(f"  {failed_tasks} analysis tasks failed in the worker:")
            for cause, count in task_causes.most_common(4):
                print(f"  {count:5d} × {cause}")
        if findings.recovery_s is None:
            recovery = "no session completed in the kill phase: not measured"
        elif findings.recovered:
            recovery = (
                f"{findings.recovery_s:.1f} s after the restart, all "
                f"{findings.recovery_sessions} analyses were done"
            )
        else:
            recovery = (
                f"NOT all {findings.recovery_sessions} analyses were done "
                f"{findings.recovery_s:.1f} s after the restart (gave up)"
            )
        print(f"killed worker: {recovery}")
        print("faults injected:")
        for line in findings.lines:
            print(f"  {line}")

        # Not done within the wait: inf; nothing to measure (no completion in the phase): nan.
        # Either misses the target.
        if findings.recovery_s is None:
            recovery_s = float("nan")
        else:
            recovery_s = findings.recovery_s if findings.recovered else float("inf")
        targets = [
            ("0 × 5xx", fives == 0, str(fives)),
            ("every request answered", no_answer == 0, f"{no_answer} without an answer"),
            ("no request refused", not ledger.refusals, f"{len(ledger.refusals)} refused"),
            ("0 keystrokes lost", lost == 0, f"{lost} lost"),
            ("every analysis done", missing == 0, f"{missing} missing"),
            (
                f"≤ {TARGET_RECOVERY_S:.0f} s after a worker kill",
                recovery_s <= TARGET_RECOVERY_S,
                recovery,
            ),
        ]
        print("targets:")
        for name, met, value in targets:
            print(f"  {name:32} {'met' if met else 'MISSED'} ({value})")
        summary = (
            f"faults: 5xx={fives} lost={lost} "
            f"analyses_missing={missing} worker_kill_recovery_s={recovery_s:.1f}"
        )
        code = 0 if all(met for _, met, _ in targets) else 1
    except Exception as exc:
        if not isinstance(exc, RuntimeError):
            traceback.print_exc()
        print(f"faults: could not run: {exc}", file=sys.stderr)
        for log in sorted(workdir.glob("*.log")) + sorted(workdir.glob("gunicorn.*")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- {log.name} ---\n" + "\n".join(tail), file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("faults: interrupted; stopping everything it started", file=sys.stderr)
        code = 130
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        control.stop.set()
        stopping = time.monotonic()
        stack.stop()
        if vhost_setup is not None and vhost_setup.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                vhost_setup.wait(timeout=60)  # or it could create the vhost after the delete
        if vhost:
            rabbitmqctl("delete_vhost", VHOST, check=False)
        if args.keep:
            print(f"kept {DB_NAME} and the logs in {workdir}")
        else:
            if database:
                drop_database(DB_NAME)
            shutil.rmtree(workdir, ignore_errors=True)
        if lock is not None:
            lock.release()
        total = time.monotonic() - began
        print(
            f"stopped everything in {time.monotonic() - stopping:.0f} s; {total:.0f} s in all"
            + (
                f" (over {TIME_LIMIT_S:.0f} s: load average {os.getloadavg()[0]:.1f})"
                if total > TIME_LIMIT_S
                else ""
            ),
            flush=True,
        )
    if summary:
        print(summary)
    return code


if __name__ == "__main__":
    sys.exit(main())
