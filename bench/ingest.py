"""Keystroke-ingest benchmark: the real `POST /sessions/<id>/keystrokes` against a bare ceiling,
closed and open loop, plus bytes per keystroke on disk and an integrity check.

    uv run python bench/ingest.py [--rounds 3] [--duration 6] [--connections 16]
    uv run python bench/ingest.py --gunicorn [--variants sync:2x1,sync:5x1,gthread:2x4,gthread:3x4]
    uv run python bench/ingest.py --recycle
    uv run python bench/ingest.py --metrics

A measurement, not a test: a missed target still exits 0. It exits non-zero when the real
endpoint answers errors, an acknowledged batch is not stored, or the run cannot be set up.

Default run, in one process and against one gunicorn:

1. (Re)creates the PostgreSQL database `typingtrainer_bench` (from the migrated template
   `typingtrainer_bench_tpl_<digest of the migrations and uv.lock>`, which the first run makes
   and keeps: migrating takes minutes here), flushes Redis db 14,
   and creates a 5,000-character lesson, learners and three started practice sessions each (one
   per load, so seqs never collide). With the practice write token (lessons/tokens.py) the
   sessions are dated a day back, so the per-session pace bound never refuses a benchmark batch
   however fast it comes, and each gets its token; without it, each learner gets a logged-in
   Django session and a CSRF token, as the widget had them.
2. Starts gunicorn exactly as production does, `gunicorn --config gunicorn.conf.py`, with the
   application overridden to `bench.wsgi:application` (the project's application plus the bare
   ceiling, a Django handler with no middleware at all) and DJANGO_SETTINGS_MODULE=bench.settings.
3. Closed loop, with wrk: (a) the real endpoint and (b) `POST /bench/bare/<id>` (parse the JSON,
   insert one KeystrokeBatch row, nothing else), alternated A B, B A, A B ... for `--rounds`
   rounds. Every request is a fresh 20-key batch: the next seq of its session and 20 correct keys
   continuing the lesson text. Prints requests/s and latency per round and the medians; the
   ratio (a)/(b) is the median of the rounds' ratios.
4. Open loop (bench/openloop.py) on the real endpoint at 100, 200, 400 and 800 requests/s
   offered: a fixed schedule, latency from each request's scheduled send time, p50/p99/max
   and the achieved rate per offered rate.
5. Bytes per keystroke of the batch table (rows, TOAST and indexes), and integrity: every batch
   the open loop saw acknowledged (201/200) is stored exactly once (`lost` counts those that are
   not), and for the closed loops, where wrk counts answers but not which, the table holds at
   least as many rows as wrk read 201s.

`--gunicorn`: the same real-endpoint loads against several gunicorn configurations at once
(worker class, workers x threads), interleaved round by round; prints a table.
`--recycle`: workers recycled every few requests (GUNICORN_MAX_REQUESTS), the first request of
each new worker against the rest, with the warm-up off (GUNICORN_PRELOAD=false,
GUNICORN_WARMUP=false) and on, interleaved.
`--metrics`: the real endpoint with metrics on (PROMETHEUS_MULTIPROC_DIR, as in the image)
against METRICS_ENABLED=false, interleaved; the last line is
`metrics: on=<req/s> off=<req/s> ratio=<on/off> ...`.

The last line of the default run is `ingest: ratio=<a/b> p99_400=<ms> bytes_per_key=<B> lost=<n>`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import openloop  # noqa: E402  (the project root first)

DB_NAME = "typingtrainer_bench"
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/14"
KEYS_PER_BATCH = 20
TEXT_LENGTH = 5000
SLOTS = TEXT_LENGTH // KEYS_PER_BATCH
RATES = (100, 200, 400, 800)
TARGET_RATIO = 1.0
TARGET_P99_MS = 25.0
TARGET_BYTES_PER_KEY = 16.0

SECRET_KEY = secrets.token_urlsafe(50)
REAL_PATH = "/sessions/%s/keystrokes"
BARE_PATH = "/bench/bare/%s"

# wrk script. Each wrk thread has its own Lua state, so sessions are split between threads
# (session i belongs to thread i mod threads) and no two threads ever use the same seq counter.
# Per request: the thread's next session, its next seq, 20 correct keys at positions
# (seq mod slots)*20 .. +19 with t increasing. Batches are validated within themselves (the
# seams between batches are checked at completion, which this benchmark never calls), so
# wrapping around the 5,000-character text after 250 batches keeps every batch valid.
LUA = r"""
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  dofile(args[1])
  local nthreads = tonumber(args[2])
  mine = {}
  for i, typist in ipairs(TYPISTS) do
    if (i - 1) % nthreads == tid then
      table.insert(mine, typist)
    end
  end
  turn = 0
  max_seq = -1
  slots = math.floor(#TEXT / KEYS)
  created, non2xx, err_status, err_body = 0, 0, 0, ""
end

function request()
  turn = turn % #mine + 1
  local typist = mine[turn]
  local headers = {["Host"] = wrk.headers["Host"], ["Content-Type"] = "application/json"}
  for name, value in pairs(typist.headers) do headers[name] = value end
  local seq = typist.seq
  typist.seq = seq + 1
  if seq > max_seq then max_seq = seq end
  local base = (seq % slots) * KEYS
  local keys = {}
  for i = 0, KEYS - 1 do
    local pos = base + i
    keys[i + 1] = string.format('[%d,"%s",%d]', pos, TEXT:sub(pos + 1, pos + 1),
                                (seq * KEYS + i) * 60)
  end
  local body = string.format('{"seq":%d,"keys":[%s]}', seq, table.concat(keys, ","))
  return wrk.format("POST", string.format(PATH, typist.session), headers, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status ~= 200 then
    non2xx = non2xx + 1
    if err_status == 0 then
      err_status = status
      err_body = body or ""
    end
  end
end

function done(summary, latency, requests)
  local created_, non2xx_, err_status_, err_body_ = 0, 0, 0, ""
  local max_seq_ = -1
  for _, thread in ipairs(threads) do
    max_seq_ = math.max(max_seq_, thread:get("max_seq"))
    created_ = created_ + thread:get("created")
    non2xx_ = non2xx_ + thread:get("non2xx")
    if err_status_ == 0 and thread:get("err_status") ~= 0 then
      err_status_ = thread:get("err_status")
      err_body_ = thread:get("err_body")
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d created=%d non2xx=%d " ..
    "socket=%d err_status=%d max_seq=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, created_, non2xx_, e.connect + e.read + e.write + e.timeout, err_status_,
    max_seq_))
  io.write("BENCH_ERR_BODY " .. string.gsub(string.sub(err_body_, 1, 2000), "\n", "\\n") .. "\n")
end
"""


# --- Data ----------------------------------------------------------------------------------------


@dataclass
class Session:
    id: str
    headers: dict[str, str]  # what authenticates a batch: the token, or cookies and CSRF
    next_seq: int = 0


@dataclass
class Load:
    """One set of sessions driven through one path; `acked` collects (session, seq) answered
    201/200 by the open loop, `created` the 201s wrk read."""

    label: str
    path: str
    sessions: list[Session]
    created: int = 0
    acked: set[tuple[str, int]] = field(default_factory=set)


def token_protocol() -> bool:
    """Whether batches authenticate with the practice write token (lessons/tokens.py)."""
    return importlib.util.find_spec("lessons.tokens") is not None


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


def batch_keys(text: str, seq: int) -> list[list[Any]]:
    base = (seq % SLOTS) * KEYS_PER_BATCH
    return [
        [base + i, text[base + i], (seq * KEYS_PER_BATCH + i) * 60] for i in range(KEYS_PER_BATCH)
    ]


def migrations_digest() -> str:
    """What the migrated schema depends on: the project's migrations and the locked packages."""
    digest = hashlib.sha256((ROOT / "uv.lock").read_bytes())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def recreate_database(*, drop_only: bool = False) -> bool:
    """Drop and create `typingtrainer_bench`: from a migrated template when one exists for the
    current migrations (`migrate` takes minutes here, dj-stripe's above all), else empty.
    Returns whether it came from the template."""
    import psycopg

    template = f"{DB_NAME}_tpl_{migrations_digest()}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if drop_only:
            return False
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database").fetchall()]
        for name in names:  # templates of earlier migrations
            if name.startswith(f"{DB_NAME}_tpl_") and name != template:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if template in names:
            conn.execute(f"CREATE DATABASE {DB_NAME} TEMPLATE {template}")
            return True
        conn.execute(f"CREATE DATABASE {DB_NAME}")
        return False


def save_template() -> None:
    """Keep the freshly migrated, still empty database as the template of the next runs."""
    import psycopg
    from django.db import connections

    for wrapper in connections.all():
        wrapper.close()
        if hasattr(wrapper, "close_pool"):
            wrapper.close_pool()
    template = f"{DB_NAME}_tpl_{migrations_digest()}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {template} TEMPLATE {DB_NAME}")


def prepare(typists: int, sets: int) -> tuple[list[list[Session]], str]:
    """Migrate; a course with one long lesson; `typists` learners with `sets` started sessions
    each. Returns the sessions grouped by set (one set per load) and the lesson text."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from courses.models import Course, Lesson
    from lessons.attempts import start_session
    from lessons.models import PracticeSession
    from typingtrainer.models import User

    course = Course.objects.create(
        slug="bench", title="Benchmark", description="bench/ingest.py", is_published=True
    )
    lesson = Lesson.objects.create(
        course=course, position=1, title="Long text", text=lesson_text(TEXT_LENGTH)
    )
    assert len(lesson.text) == TEXT_LENGTH
    with_token = token_protocol()
    groups: list[list[Session]] = [[] for _ in range(sets)]
    for number in range(typists):
        user = User.objects.create_user(email=f"typist{number}@bench.invalid", password=None)
        started = [start_session(lesson=lesson, user=user) for _ in range(sets)]
        if with_token:
            from lessons import tokens  # type: ignore[attr-defined,unused-ignore]

            # A day old: the pace bound lets batch `seq` in once the session is
            # (seq - burst) / rate seconds old, so no benchmark batch is ever held back.
            PracticeSession.objects.filter(pk__in=[s.pk for s in started]).update(
                started_at=timezone.now() - timedelta(days=1)
            )
            for group, session in zip(groups, started, strict=True):
                session.refresh_from_db()
                token = tokens.sign(tokens.for_session(session))
                group.append(Session(str(session.pk), {tokens.HEADER: token}))
        else:
            client = Client()
            client.force_login(user)
            sessionid = client.cookies[settings.SESSION_COOKIE_NAME].value
            csrf = get_random_string(32)
            cookie = (
                f"{settings.SESSION_COOKIE_NAME}={sessionid}; {settings.CSRF_COOKIE_NAME}={csrf}"
            )
            for group, session in zip(groups, started, strict=True):
                group.append(Session(str(session.pk), {"Cookie": cookie, "X-CSRFToken": csrf}))
    return groups, lesson.text


def lua_data(load: Load, text: str) -> str:
    def q(value: str) -> str:
        return json.dumps(value)  # a JSON string is a valid Lua string for this text

    rows = []
    for session in load.sessions:
        headers = ", ".join(f"[{q(k)}] = {q(v)}" for k, v in session.headers.items())
        rows.append(
            f"  {{session={q(session.id)}, seq={session.next_seq}, headers={{{headers}}}}},"
        )
    return (
        f"KEYS = {KEYS_PER_BATCH}\nPATH = {q(load.path)}\nTEXT = {q(text)}\n"
        "TYPISTS = {\n" + "\n".join(rows) + "\n}\n"
    )


# --- gunicorn ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def start_gunicorn(
    name: str,
    env: dict[str, str],
    workdir: Path,
    extra: dict[str, str],
    args: tuple[str, ...] = (),
) -> Server:
    """`gunicorn --config gunicorn.conf.py bench.wsgi:application`, as production starts it
    (Dockerfile) but for the application, on a free loopback port."""
    port = free_port()
    exe = Path(sys.executable).parent / "gunicorn"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "gunicorn"]
    command += ["--config", "gunicorn.conf.py", *args, "bench.wsgi:application"]
    log = workdir / f"{name}.access.log"
    server_env = {
        **env,
        **extra,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": str(log),
    }
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=server_env,
        stdin=subprocess.DEVNULL,
        stdout=(workdir / f"{name}.out").open("wb"),
        stderr=(workdir / f"{name}.err").open("wb"),
    )
    return Server(name, port, process, log)


def wait_healthy(server: Server, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn {server.name} exited with {server.process.returncode}")
        try:
            url = f"http://127.0.0.1:{server.port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn {server.name} did not answer /healthz in time")


def stop_gunicorn(server: Server) -> None:
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def error_log_tail(workdir: Path, name: str) -> str:
    text = (workdir / f"{name}.err").read_text(errors="replace")
    lines = [line for line in text.splitlines() if "Booting worker" not in line]
    return "\n".join(lines[-30:])


# --- Loads ---------------------------------------------------------------------------------------


@dataclass
class Closed:
    label: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    created: int
    non2xx: int
    socket_errors: int
    err_status: int
    err_body: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    wrk: str, server: Server, load: Load, text: str, workdir: Path, seconds: float, opts: Any
) -> Closed:
    """A closed-loop wrk run of `load`; the sessions' seqs move past every seq it sent."""
    script = workdir / "ingest.lua"
    if not script.exists():
        script.write_text(LUA, encoding="utf-8")
    data = workdir / f"{load.label}.data.lua"
    data.write_text(lua_data(load, text), encoding="utf-8")
    command = [
        wrk,
        f"--threads={opts.threads}",
        f"--connections={opts.connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=5s",
        "--latency",
        f"--script={script}",
        f"http://127.0.0.1:{server.port}/",
        "--",
        str(data),
        str(opts.threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"^BENCH (.*)$", done.stdout, re.M)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    n = {k: int(v) for k, v in (item.split("=", 1) for item in match.group(1).split())}
    body = re.search(r"^BENCH_ERR_BODY ?(.*)$", done.stdout, re.M)
    # Every session's counter moves past the highest seq any thread sent (answered or not),
    # so no batch is ever sent twice.
    for session in load.sessions:
        session.next_seq = max(session.next_seq, n["max_seq"] + 1)
    load.created += n["created"]
    return Closed(
        label=load.label,
        requests=n["requests"],
        seconds=n["duration_us"] / 1e6,
        p50_ms=n["p50_us"] / 1000,
        p99_ms=n["p99_us"] / 1000,
        max_ms=n["max_us"] / 1000,
        created=n["created"],
        non2xx=n["non2xx"],
        socket_errors=n["socket"],
        err_status=n["err_status"],
        err_body=body.group(1).replace("\\n", "\n") if body else "",
    )


def run_open(server: Server, load: Load, text: str, rate: float, seconds: float) -> Any:
    """Open loop at `rate` on `load`'s sessions in turn, fresh batches; records the
    acknowledged (session, seq) pairs."""
    count = int(rate * seconds)
    requests = []
    for index in range(count):
        session = load.sessions[index % len(load.sessions)]
        seq = session.next_seq
        session.next_seq += 1
        body = json.dumps({"seq": seq, "keys": batch_keys(text, seq)}).encode()
        headers = [("Content-Type", "application/json"), *session.headers.items()]
        requests.append(
            openloop.Request("POST", load.path % session.id, headers, body, (session.id, seq))
        )
    # Enough connections for a second of backlog at the offered rate: the client never limits.
    result = openloop.run_sync(
        "127.0.0.1",
        server.port,
        requests,
        rate,
        connections=max(16, min(128, int(rate // 4))),
        host_header="127.0.0.1",
    )
    for answer in result.answers:
        if answer.status in (200, 201):
            load.acked.add(answer.tag)
    return result


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Share of all CPUs busy over `seconds` while the benchmark is idle (Linux)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + (fields[4] if len(fields) > 4 else 0)

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total else None


def settle(servers: list[Server], quiet: float = 1.0, limit: float = 30.0) -> None:
    """Wait until the access logs stop growing: requests in flight when a client stopped are
    still served (and stored) after it."""
    deadline = time.monotonic() + limit
    sizes: list[int] = []
    since = time.monotonic()
    while time.monotonic() < deadline:
        now = [s.log.stat().st_size if s.log.exists() else 0 for s in servers]
        if now != sizes:
            sizes, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)


# --- Storage and integrity -----------------------------------------------------------------------


def bytes_per_key() -> tuple[float, str]:
    """Bytes per stored keystroke of the batch table: heap, TOAST and indexes, after VACUUM
    ANALYZE. Measured by `bench.storage.bytes_per_keystroke` where it exists."""
    from django.db import connection

    from lessons.models import KeystrokeBatch

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {KeystrokeBatch._meta.db_table}")
    keys = KeystrokeBatch.objects.count() * KEYS_PER_BATCH  # every batch here has 20 keys
    if importlib.util.find_spec("bench.storage") is not None:
        from bench import storage  # type: ignore[attr-defined,unused-ignore]

        found = storage.bytes_per_keystroke(connection, keys)
        return float(found.bytes_per_key), found.describe()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size(%s::regclass)", [KeystrokeBatch._meta.db_table]
        )
        size = cursor.fetchone()[0]
    return size / max(keys, 1), "pg_total_relation_size over the keystrokes stored"


def integrity(loads: list[Load]) -> tuple[int, list[str]]:
    """(lost, report lines): acknowledged batches not stored, counted exactly for the open loop
    and as wrk's 201s beyond the rows for the closed loops."""
    from django.db.models import Count

    from lessons.models import KeystrokeBatch

    lines = []
    lost = 0
    for load in loads:
        ids = [s.id for s in load.sessions]
        rows = KeystrokeBatch.objects.filter(session_id__in=ids)
        stored = {(str(session), seq) for session, seq in rows.values_list("session_id", "seq")}
        twice = rows.values("session_id", "seq").annotate(n=Count("id")).filter(n__gt=1).count()
        missing = len(load.acked - stored)
        short = max(0, load.created - (len(stored) - len(load.acked & stored)))
        lost += missing + short + twice
        lines.append(
            f"  {load.label:<12} rows {len(stored):6d}; open loop acknowledged {len(load.acked):5d}"
            f", not stored {missing}; wrk read {load.created} 201s, rows beyond the open loop's "
            f"{len(stored) - len(load.acked & stored)}; stored twice {twice}"
        )
    return lost, lines


# --- Runs ----------------------------------------------------------------------------------------


def base_env(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": SECRET_KEY,  # the same in this process (tokens, sessions) and gunicorn
        "DEBUG": "false",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "true",  # batches queue nothing; the settings want a broker
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "ALLOWED_HOSTS": "127.0.0.1",
        # The cookie endpoint's per-learner limit (240 a minute) would measure the limiter.
        "RATE_LIMIT_BATCHES_PER_MINUTE": "100000000",
        "STATIC_ROOT": str(workdir / "static"),  # collectstatic's output, as in the image
        "LOG_LEVEL": "WARNING",
    }


def setup(workdir: Path, typists: int, sets: int) -> tuple[list[list[Session]], str]:
    env = base_env(workdir)
    os.environ.update(env)
    from_template = recreate_database()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    import django

    django.setup()
    from django.core.management import call_command

    print(
        f"{DB_NAME}: " + ("from the migrated template" if from_template else "migrating"),
        flush=True,
    )
    call_command("migrate", interactive=False, verbosity=0)
    if not from_template:
        save_template()
    groups, text = prepare(typists, sets)
    call_command("collectstatic", interactive=False, verbosity=0)
    return groups, text


def print_closed(title: str, series: list[Closed]) -> None:
    for number, run in enumerate(series, start=1):
        print(
            f"  {title} #{number}: {run.rps:8.1f} req/s  p50 {run.p50_ms:6.2f} ms  "
            f"p99 {run.p99_ms:6.2f} ms  max {run.max_ms:6.1f} ms  non-2xx {run.non2xx}  "
            f"socket errors {run.socket_errors}"
        )


def closed_failed(run: Closed, workdir: Path, server: Server) -> bool:
    if run.non2xx or run.socket_errors:
        print(f"\n{run.label}: {run.non2xx} non-2xx, {run.socket_errors} socket errors")
        if run.err_status:
            print(f"first error: HTTP {run.err_status}: {run.err_body[:1000]}")
        print(error_log_tail(workdir, server.name))
        return True
    return False


def main_run(opts: Any, wrk: str, workdir: Path) -> int:
    groups, text = setup(workdir, opts.typists, 3)
    real = Load("(a) real", REAL_PATH, groups[0])
    bare = Load("(b) bare", BARE_PATH, groups[1])
    opened = Load("open loop", REAL_PATH, groups[2])
    env = base_env(workdir)
    os.environ.update(env)
    server = start_gunicorn("main", env, workdir, {})
    failed = False
    try:
        wait_healthy(server)
        busy = cpu_busy()
        protocol = "practice token" if token_protocol() else "session cookie + CSRF"
        shown = f"{busy:.0%}" if busy is not None else "unknown"
        print(
            f"gunicorn --config gunicorn.conf.py bench.wsgi:application on 127.0.0.1:{server.port}"
            f" ({config_summary(env)}); real endpoint authenticated by {protocol}; "
            f"CPU busy before: {shown}",
            flush=True,
        )
        print(
            f"\n== closed loop, wrk {opts.threads} threads x {opts.connections} connections, "
            f"{opts.duration} s per load after {opts.warmup} s warm-up, {opts.rounds} rounds "
            "A B, B A, A B ..."
        )
        runs: dict[str, list[Closed]] = {"a": [], "b": []}
        for number in range(opts.rounds):
            # A, B, then B, A: a machine that gets busier or quieter during the run favours
            # neither load.
            order = [("a", real), ("b", bare)]
            for key, load in order if number % 2 == 0 else order[::-1]:
                if opts.warmup:
                    warm = run_wrk(wrk, server, load, text, workdir, opts.warmup, opts)
                    if closed_failed(warm, workdir, server):
                        return 1
                run = run_wrk(wrk, server, load, text, workdir, opts.duration, opts)
                runs[key].append(run)
                if closed_failed(run, workdir, server):
                    failed = True
        print_closed("(a) real POST /sessions/<id>/keystrokes", runs["a"])
        print_closed("(b) bare POST /bench/bare/<id>        ", runs["b"])
        ratios = [a.rps / b.rps for a, b in zip(runs["a"], runs["b"], strict=True) if b.rps]
        files = metrics_cost_us(env, workdir / "micro-metrics")
        memory = metrics_cost_us(env, None)
        print(
            f"cost per stored batch, timed alone: {files:.1f} us with the value files "
            f"(PROMETHEUS_MULTIPROC_DIR), {memory:.1f} us in one process"
        )
        ratio = statistics.median(ratios)
        print(
            f"  medians: (a) {statistics.median(r.rps for r in runs['a']):.1f} req/s "
            f"(= {statistics.median(r.rps for r in runs['a']) * KEYS_PER_BATCH:.0f} keys/s), "
            f"(b) {statistics.median(r.rps for r in runs['b']):.1f} req/s; "
            f"ratio a/b per round {', '.join(f'{r:.2f}' for r in ratios)} -> median {ratio:.2f} "
            f"(target >= {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'MISSED'})"
        )
        print(
            f"\n== open loop on the real endpoint, {opts.open_seconds} s per rate, latency from "
            "each request's scheduled send time"
        )
        p99_400 = float("nan")
        for rate in RATES:
            result = run_open(server, opened, text, rate, opts.open_seconds)
            print("  " + openloop.describe(result), flush=True)
            if rate == 400:
                p99_400 = result.p99
            if result.unanswered:
                print(f"  {result.unanswered} not answered within 5 s of their scheduled time")
            bad = {
                status: n for status, n in result.statuses().items() if status not in (0, 200, 201)
            }
            if bad:
                print(f"  errors at {rate}/s: {bad}")
                body = next(
                    (a.body for a in result.answers if a.status not in (200, 201) and a.status), b""
                )
                if body:
                    print(f"  first error body: {body[:500]!r}")
                failed = True
            time.sleep(0.5)
        verdict = "met" if p99_400 <= TARGET_P99_MS else "MISSED"
        print(
            f"  p99 at 400/s offered: {p99_400:.1f} ms (target <= {TARGET_P99_MS:.0f}: {verdict})"
        )
        settle([server])
    finally:
        stop_gunicorn(server)

    per_key, how = bytes_per_key()
    verdict = "met" if per_key <= TARGET_BYTES_PER_KEY else "MISSED"
    print(
        f"\n== storage: {per_key:.1f} bytes per keystroke ({how}; "
        f"target <= {TARGET_BYTES_PER_KEY:.0f}: {verdict})"
    )
    lost, lines = integrity([real, bare, opened])
    print("== integrity: every acknowledged batch stored exactly once")
    print("\n".join(lines))
    print(f"  lost: {lost}")
    if lost:
        failed = True
    close_django()
    print(f"({time.monotonic() - opts.started:.0f} s in all)")
    print(
        f"ingest: ratio={ratio:.2f} p99_400={p99_400:.1f} bytes_per_key={per_key:.1f} lost={lost}"
    )
    return 1 if failed else 0


def config_summary(env: dict[str, str]) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
            "print(c['workers'], c['threads'], c['worker_class'], c.get('preload_app', False))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return "config unreadable"
    workers, threads, worker_class, preload = done.stdout.split()
    return f"{workers} workers x {threads} threads, {worker_class}, preload_app={preload}"


def close_django() -> None:
    from django.db import connections

    for conn in connections.all():
        conn.close()
        if hasattr(conn, "close_pool"):
            conn.close_pool()


# --- gunicorn comparison -------------------------------------------------------------------------


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    kind, _, shape = text.partition(":")
    workers, _, threads = shape.partition("x")
    if kind not in ("sync", "gthread") or not workers.isdigit() or not threads.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: want sync:<workers>x1 or gthread:<w>x<t>")
    if (kind == "sync") != (threads == "1"):
        raise argparse.ArgumentTypeError(f"{text!r}: sync has 1 thread, gthread more")
    return text, {
        "GUNICORN_WORKERS": workers,
        "GUNICORN_THREADS": threads,
        # The pool holds as many connections as the worker has threads (at least the default).
        "DATABASE_POOL_MAX_SIZE": str(max(int(threads), 4)),
    }


def gunicorn_run(opts: Any, wrk: str, workdir: Path) -> int:
    variants = [parse_variant(v) for v in opts.variants.split(",")]
    groups, text = setup(workdir, opts.typists, 2 * len(variants))
    env = base_env(workdir)
    os.environ.update(env)
    servers = []
    closed_loads = []
    open_loads = []
    try:
        for index, (name, extra) in enumerate(variants):
            servers.append(start_gunicorn(f"v{index}", env, workdir, extra))
            closed_loads.append(Load(name, REAL_PATH, groups[2 * index]))
            open_loads.append(Load(name + " open", REAL_PATH, groups[2 * index + 1]))
        for server in servers:
            wait_healthy(server)
        print(
            f"== gunicorn variants on the real endpoint, interleaved, {opts.rounds} rounds: wrk "
            f"{opts.connections} connections {opts.duration} s (after {opts.warmup} s warm-up), "
            f"then open loop at 400/s for {opts.open_seconds} s",
            flush=True,
        )
        closed: list[list[Closed]] = [[] for _ in variants]
        opened: list[list[Any]] = [[] for _ in variants]
        failed = False
        for _ in range(opts.rounds):
            for index, server in enumerate(servers):
                if opts.warmup:
                    run_wrk(wrk, server, closed_loads[index], text, workdir, opts.warmup, opts)
                run = run_wrk(wrk, server, closed_loads[index], text, workdir, opts.duration, opts)
                failed |= closed_failed(run, workdir, server)
                closed[index].append(run)
                opened[index].append(
                    run_open(server, open_loads[index], text, 400, opts.open_seconds)
                )
        print(
            f"\n{'variant':<16} {'req/s':>8} {'x first':>8} {'p50 ms':>7} {'p99 ms':>7}   "
            f"{'open 400/s p50':>14} {'p99':>7} {'max':>7}"
        )
        first = statistics.median(r.rps for r in closed[0])
        for index, (name, _) in enumerate(variants):
            rps = statistics.median(r.rps for r in closed[index])
            print(
                f"{name:<16} {rps:8.1f} {rps / first:8.2f} "
                f"{statistics.median(r.p50_ms for r in closed[index]):7.2f} "
                f"{statistics.median(r.p99_ms for r in closed[index]):7.2f}   "
                f"{statistics.median(r.p50 for r in opened[index]):14.1f} "
                f"{statistics.median(r.p99 for r in opened[index]):7.1f} "
                f"{max(r.max for r in opened[index]):7.1f}"
            )
        print(
            "(medians over the rounds; per round req/s: "
            + "; ".join(
                f"{name} " + ", ".join(f"{r.rps:.0f}" for r in closed[i])
                for i, (name, _) in enumerate(variants)
            )
            + ")"
        )
    finally:
        for server in servers:
            stop_gunicorn(server)
    lost, lines = integrity(closed_loads + open_loads)
    print(f"integrity: lost {lost}")
    if lost:
        print("\n".join(lines))
    close_django()
    return 1 if failed or lost else 0


# --- Metrics on against off ----------------------------------------------------------------------

METRICS_TOKEN = secrets.token_urlsafe(24)


def scrape_metrics(server: Server) -> dict[str, float]:
    """The server's /metrics, as {'name{labels}': value} for the unlabelled and the keystroke
    route's series (enough to check what the server counted)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}", "Host": "127.0.0.1"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, number = line.rpartition(" ")
            values[name] = float(number)
    return values


MICRO = """
import time, django
django.setup()
from typingtrainer import metrics
n = 100_000
began = time.perf_counter()
for _ in range(n):
    metrics.record_request("session_keystrokes", "POST", 201, 0.003)
    metrics.batch_stored(20)
print((time.perf_counter() - began) / n * 1e6)
"""


def metrics_cost_us(env: dict[str, str], directory: Path | None) -> float:
    """What one stored batch adds in the worker: the request counter and histogram and the two
    batch counters, timed in a process of its own (with the value files in `directory`, or the
    in-process registry)."""
    run_env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    if directory is not None:
        run_env["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    done = subprocess.run(
        [sys.executable, "-c", MICRO], cwd=ROOT, env=run_env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return float(done.stdout.split()[-1])


def metrics_run(opts: Any, wrk: str, workdir: Path) -> int:
    """The real endpoint on two gunicorns of the production configuration, one counting
    (PROMETHEUS_MULTIPROC_DIR set, as in the image) and one with METRICS_ENABLED=false (no
    middleware, the dispatcher unwrapped, every helper returning at once), interleaved round by
    round: closed-loop requests/s and the ratio on/off, and the open loop at 400/s on each."""
    groups, text = setup(workdir, opts.typists, 4)
    env = base_env(workdir)
    os.environ.update(env)
    variants = {
        "metrics on": {
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
            "METRICS_TOKEN": METRICS_TOKEN,
        },
        "metrics off": {"METRICS_ENABLED": "false", "METRICS_TOKEN": METRICS_TOKEN},
    }
    servers = [
        start_gunicorn(name.replace(" ", "-"), env, workdir, extra)
        for name, extra in variants.items()
    ]
    closed_loads = [Load(name, REAL_PATH, groups[i]) for i, name in enumerate(variants)]
    open_loads = [Load(f"{name} open", REAL_PATH, groups[2 + i]) for i, name in enumerate(variants)]
    failed = False
    try:
        for server in servers:
            wait_healthy(server)
        print(
            f"== metrics on vs off, the real endpoint, interleaved, {opts.rounds} rounds: wrk "
            f"{opts.connections} connections {opts.duration} s (after {opts.warmup} s warm-up), "
            f"then open loop at 400/s for {opts.open_seconds} s; {config_summary(env)}",
            flush=True,
        )
        closed: list[list[Closed]] = [[], []]
        opened: list[list[Any]] = [[], []]
        for number in range(opts.rounds):
            order = [0, 1] if number % 2 == 0 else [1, 0]  # A B, B A, A B ...
            for index in order:
                server, load = servers[index], closed_loads[index]
                if opts.warmup:
                    run_wrk(wrk, server, load, text, workdir, opts.warmup, opts)
                run = run_wrk(wrk, server, load, text, workdir, opts.duration, opts)
                failed |= closed_failed(run, workdir, server)
                closed[index].append(run)
                opened[index].append(
                    run_open(server, open_loads[index], text, 400, opts.open_seconds)
                )
        for name, series in zip(variants, closed, strict=True):
            print_closed(name, series)
        ratios = [on.rps / off.rps for on, off in zip(closed[0], closed[1], strict=True)]
        rps = [statistics.median(r.rps for r in series) for series in closed]
        header = f"{'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}   {'open 400/s p50':>14} {'p99':>7}"
        print(f"\n{'':<12} {header}")
        for index, name in enumerate(variants):
            print(
                f"{name:<12} {rps[index]:8.1f} "
                f"{statistics.median(r.p50_ms for r in closed[index]):7.2f} "
                f"{statistics.median(r.p99_ms for r in closed[index]):7.2f}   "
                f"{statistics.median(r.p50 for r in opened[index]):14.1f} "
                f"{statistics.median(r.p99 for r in opened[index]):7.1f}"
            )
        settle(servers)
        counted = [scrape_metrics(server) for server in servers]
        stored_on = counted[0].get("tt_keystroke_batches_stored_total", 0)
        stored_off = counted[1].get("tt_keystroke_batches_stored_total", 0)
        print(
            f"counted: on {stored_on:.0f} batches stored (wrk read "
            f"{closed_loads[0].created} 201s, the open loop {len(open_loads[0].acked)} acks); "
            f"off {stored_off:.0f}"
        )
        files = metrics_cost_us(env, workdir / "micro-metrics")
        memory = metrics_cost_us(env, None)
        print(
            f"cost per stored batch, timed alone: {files:.1f} us with the value files "
            f"(PROMETHEUS_MULTIPROC_DIR), {memory:.1f} us in one process"
        )
        ratio = statistics.median(ratios)
        p99_on = statistics.median(r.p99 for r in opened[0])
        p99_off = statistics.median(r.p99 for r in opened[1])
        print(
            f"metrics: on={rps[0]:.0f} off={rps[1]:.0f} ratio={ratio:.3f} "
            f"(rounds {', '.join(f'{r:.3f}' for r in ratios)}) "
            f"p99_400_on={p99_on:.1f} p99_400_off={p99_off:.1f} cost_us={files:.1f}"
        )
    finally:
        for server in servers:
            stop_gunicorn(server)
    lost, lines = integrity(closed_loads + open_loads)
    print(f"integrity: lost {lost}")
    if lost:
        print("\n".join(lines))
    close_django()
    return 1 if failed or lost else 0


# --- First request after a recycle ---------------------------------------------------------------

ACCESS_FORMAT = '%(p)s %(D)s "%(r)s" %(s)s'


def recycle_run(opts: Any, wrk: str, workdir: Path) -> int:
    """Two gunicorns, warm-up off and on, workers recycled every `--max-requests` requests;
    an open loop at a modest rate on each in turn; then, from the access logs (pid and
    server-side time per request), each new worker's first requests against the rest."""
    variants = [
        ("without warm-up", {"GUNICORN_PRELOAD": "false", "GUNICORN_WARMUP": "false"}),
        ("with warm-up", {}),
    ]
    groups, text = setup(workdir, opts.typists, len(variants))
    env = base_env(workdir)
    os.environ.update(env)
    servers = []
    loads = []
    common = {
        "GUNICORN_MAX_REQUESTS": str(opts.max_requests),
        "GUNICORN_MAX_REQUESTS_JITTER": "0",
        "GUNICORN_WORKERS": "2",
    }
    try:
        for index, (name, extra) in enumerate(variants):
            servers.append(
                start_gunicorn(
                    f"r{index}",
                    env,
                    workdir,
                    {**common, **extra},
                    ("--access-logformat", ACCESS_FORMAT),
                )
            )
            loads.append(Load(name, REAL_PATH, groups[index]))
        for server in servers:
            wait_healthy(server)
        print(
            f"== recycled workers: 2 workers, max_requests {opts.max_requests} (no jitter), open "
            f"loop at {opts.recycle_rate}/s, {opts.rounds} rounds of {opts.recycle_seconds} s "
            "each, interleaved",
            flush=True,
        )
        for _ in range(opts.rounds):
            for server, load in zip(servers, loads, strict=True):
                run_open(server, load, text, opts.recycle_rate, opts.recycle_seconds)
        settle(servers)
    finally:
        for server in servers:
            stop_gunicorn(server)
    print(
        f"\n{'':<18} {'workers':>7} {'1st req p50':>11} {'1st max':>8} {'2nd-5th p50':>11} "
        f"{'rest p50':>8} {'rest p99':>8}   (server-side ms, access log)"
    )
    for (name, _), server in zip(variants, servers, strict=True):
        by_pid: dict[str, list[float]] = {}
        for line in server.log.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 3 and "/keystrokes" in line:
                by_pid.setdefault(parts[0], []).append(int(parts[1]) / 1000)
        # A worker's first request; leave out the workers that were there before the load (their
        # first request came in with the first round, after the health check warmed them).
        fresh = list(by_pid.values())[2:]
        firsts = [times[0] for times in fresh if times]
        next_few = [t for times in fresh for t in times[1:5]]
        rest = sorted(t for times in by_pid.values() for t in times[5:])
        if not firsts or not rest:
            print(f"{name:<18} no recycle seen")
            continue
        print(
            f"{name:<18} {len(fresh):7d} {statistics.median(firsts):11.1f} {max(firsts):8.1f} "
            f"{statistics.median(next_few):11.1f} {statistics.median(rest):8.1f} "
            f"{rest[int(0.99 * (len(rest) - 1))]:8.1f}"
        )
    close_django()
    return 0


# --- Entry point ---------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--gunicorn", action="store_true", help="compare gunicorn configurations")
    mode.add_argument("--recycle", action="store_true", help="first request after a recycle")
    mode.add_argument("--metrics", action="store_true", help="metrics on against off")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=6, help="closed-loop seconds per load")
    parser.add_argument("--warmup", type=float, default=1, help="closed-loop warm-up seconds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--typists", type=int, default=64)
    parser.add_argument("--open-seconds", type=float, default=4, help="open loop, per rate")
    parser.add_argument(
        "--variants",
        default="sync:2x1,sync:5x1,gthread:2x4,gthread:3x4",
        help="--gunicorn: kind:<workers>x<threads>, comma-separated",
    )
    parser.add_argument("--max-requests", type=int, default=60, help="--recycle")
    parser.add_argument("--recycle-rate", type=float, default=40, help="--recycle: requests/s")
    parser.add_argument("--recycle-seconds", type=float, default=8, help="--recycle")
    opts = parser.parse_args()
    if opts.connections < opts.threads or opts.typists < opts.threads:
        parser.error("--connections and --typists must be at least --threads")
    return opts


def main() -> int:
    opts = parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed (apt-get install -y wrk).", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="tt-bench-"))
    opts.started = time.monotonic()
    try:
        if opts.gunicorn:
            code = gunicorn_run(opts, wrk, workdir)
        elif opts.recycle:
            code = recycle_run(opts, wrk, workdir)
        elif opts.metrics:
            code = metrics_run(opts, wrk, workdir)
        else:
            code = main_run(opts, wrk, workdir)
    finally:
        with contextlib.suppress(Exception):  # django may not be set up if migrating failed
            close_django()
        recreate_database(drop_only=True)
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
