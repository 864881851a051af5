"""Pool check benchmark: what checking pooled connections costs on the keystroke endpoint, and
what the first requests after a database drop see with each check.

    uv run python bench/pool_check.py [--rounds 5] [--requests 200] [--keep]

A measurement, not a test: it exits 0 whatever the figures. Three ways to run the pool:

- "none": Django's PostgreSQL backend as it comes (no check);
- "round trip": Django's backend with CONN_HEALTH_CHECKS, which gives the pool psycopg's
  `ConnectionPool.check_connection` (an empty query on every checkout);
- "poll": ours (`typingtrainer.postgresql`), which polls the idle socket and confirms with a
  round trip only when the server has sent something.

What it does:

1. Creates the PostgreSQL database `typingtrainer_bench_pool` (postgres@127.0.0.1:5432, trust
   auth) if missing and migrates it (minutes the first time; `--keep` keeps it for the next run).
2. Checkout alone: takes a connection from the pool and returns it, as each request does
   (`ensure_connection` + `close`), `--checkouts` times per variant and round.
3. The keystroke endpoint: a logged-in learner posts 20-key batches through the test Client
   (the whole middleware stack, DEBUG off, local-memory cache), connections returned to the pool
   after every request as the WSGI handler does. Variants interleaved, `--rounds` rounds of
   `--requests` requests each; the median per request and its difference to "none".
4. A drop: fills the pool with 2, 5 and 10 idle connections, terminates them all from a second
   connection (`pg_terminate_backend`, waiting until they are gone), then sends 10 keystroke
   batches and prints how many failed (5xx) and how long the first one took.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "typingtrainer_bench_pool"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
BATCH = 20
VARIANTS = {
    "none": ("django.db.backends.postgresql", False),
    "round trip": ("django.db.backends.postgresql", True),
    "poll": ("typingtrainer.postgresql", False),
}


def configure() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "typingtrainer.settings"
    os.environ["DATABASE_URL"] = f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DB_NAME}"
    os.environ["DATABASE_POOL_MAX_SIZE"] = "10"
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-pool-")
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def use(variant: str) -> None:
    """Point the `default` alias at `variant`: close its pool, rebuild its wrapper."""
    from django.db import connections

    conn = connections["default"]
    conn.close()
    conn.close_pool()
    del connections["default"]
    engine, checks = VARIANTS[variant]
    connections.settings["default"]["ENGINE"] = engine
    connections.settings["default"]["CONN_HEALTH_CHECKS"] = checks


def terminate_all() -> int:
    """Terminate every other backend of the benchmark database and wait until they are gone."""
    import psycopg

    with psycopg.connect(dbname=DB_NAME, autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


class Typist:
    """A logged-in learner posting 20-key batches, the next seq each time, new sessions as
    texts run out; connections go back to the pool after each request, as under gunicorn."""

    def __init__(self, user, lesson) -> None:
        from django.test import Client

        self.client = Client(raise_request_exception=False)
        self.client.force_login(user)
        self.user, self.lesson = user, lesson
        self.batches: list[list[list]] = []
        self.session, self.seq = "", 0

    def new_session(self) -> None:
        from django.db import connection

        from lessons import tokens
        from lessons.attempts import start_session

        session = start_session(lesson=self.lesson, user=self.user, guest_key="")
        # Started long ago as far as the pace bound goes: this measures the pool, not a typist.
        self.token = tokens.sign(dataclasses.replace(tokens.for_session(session), started=0))
        text = self.lesson.text
        keys = [[pos, ch, 150 * pos] for pos, ch in enumerate(text)]
        self.batches = [keys[i : i + BATCH] for i in range(0, len(keys), BATCH)]
        self.session, self.seq = str(session.pk), 0
        connection.close()  # back to the pool, as at the end of a request

    def post(self) -> tuple[int, float]:
        from django.db import close_old_connections

        if self.seq >= len(self.batches):
            self.new_session()
        body = {"seq": self.seq, "keys": self.batches[self.seq]}
        started = time.perf_counter()
        close_old_connections()
        response = self.client.post(
            f"/sessions/{self.session}/keystrokes",
            body,
            content_type="application/json",
            headers={"X-Practice-Token": self.token},
        )
        close_old_connections()
        elapsed = time.perf_counter() - started
        if response.status_code < 500:
            self.seq += 1
        return response.status_code, elapsed


def checkout_us(count: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    for _ in range(count):
        connection.ensure_connection()
        connection.close()
    return (time.perf_counter() - started) / count * 1e6


def fill_pool(size: int) -> None:
    from django.db import connection

    pool = connection.pool
    taken = [pool.getconn() for _ in range(size)]
    for conn in taken:
        pool.putconn(conn)
    deadline = time.monotonic() + 5
    while pool.get_stats()["pool_available"] < size and time.monotonic() < deadline:
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per variant")
    parser.add_argument("--requests", type=int, default=200, help="keystroke batches per round")
    parser.add_argument("--checkouts", type=int, default=3000, help="checkouts per round")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    configure()
    print(f"== database {DB_NAME}: creating if missing and migrating")
    ensure_database()
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from courses.models import Course, Lesson
        from typingtrainer.models import User

        for quiet in ("django.request", "psycopg.pool", "typingtrainer.postgresql.base"):
            logging.getLogger(quiet).setLevel(logging.CRITICAL)
        call_command("migrate", verbosity=0)
        User.objects.filter(email="pool@example.com").delete()
        Course.objects.filter(slug="bench-pool").delete()
        course = Course.objects.create(
            slug="bench-pool", title="Bench", description="Benchmark.", is_published=True
        )
        text = " ".join(["asdf jkl; fads lads; a sad lad asks dad"] * 8)
        lesson = Lesson.objects.create(course=course, position=1, title="Text", text=text)
        typist = Typist(User.objects.create_user(email="pool@example.com"), lesson)

        print(f"\n== checkout + return, {args.checkouts} per round, {args.rounds} rounds")
        checkouts: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(args.rounds):
            for name in VARIANTS:
                use(name)
                checkout_us(100)  # open the pool, warm up
                checkouts[name].append(checkout_us(args.checkouts))
        for name, values in checkouts.items():
            print(f"   {name:<11} median {statistics.median(values):7.1f} µs")

        print(
            f"\n== POST /sessions/<id>/keystrokes ({BATCH} keys), {args.requests} per round, "
            f"{args.rounds} rounds interleaved"
        )
        per_request: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(args.rounds):
            for name in VARIANTS:
                use(name)
                for _ in range(20):
                    typist.post()
                times = []
                for _ in range(args.requests):
                    status, elapsed = typist.post()
                    assert status in (200, 201), status
                    times.append(elapsed)
                per_request[name].append(statistics.median(times) * 1e3)
        base = statistics.median(per_request["none"])
        for name, values in per_request.items():
            ms = statistics.median(values)
            print(f"   {name:<11} median {ms:6.3f} ms   vs none {1e3 * (ms - base):+6.0f} µs")

        print("\n== after terminating every idle connection: 10 batches each")
        for size in (2, 5, 10):
            for name in VARIANTS:
                use(name)
                typist.new_session()  # enough batches left for the 10 posts
                fill_pool(size)
                terminated = terminate_all()
                results = [typist.post() for _ in range(10)]
                failed = sum(status >= 500 for status, _ in results)
                first_status, first_s = results[0]
                print(
                    f"   {terminated:>2} dead  {name:<11} 5xx {failed:>2}/10   first answered "
                    f"{first_status} in {first_s * 1e3:7.1f} ms"
                )
    finally:
        try:
            from django.db import connections

            for conn in connections.all():
                conn.close()
                conn.close_pool()
        except Exception:  # django may not be set up if migrating failed
            pass
        if not args.keep:
            drop_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
