"""Real Celery workers analyse sessions completed through the web endpoints: on RabbitMQ (the
production broker), on Redis (still supported), and after a worker is killed mid-analysis."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from coach.models import Report
from lessons.models import PracticeSession
from lessons.tests.conftest import play, typed_keys
from typingtrainer.celery import app

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
RECOVERY_LIMIT_S = 60  # a dead worker's analysis is done within this of a worker being back
NOT_PERSISTED = ["--save", "", "--appendonly", "no"]
# Production's pool (prefork), one process so the killed one is the one running the task.
WORKER_OPTIONS = [
    "--pool=prefork",
    "--concurrency=1",
    "--without-mingle",
    "--without-gossip",
    "--loglevel=INFO",
]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def missing_service(what: str) -> None:
    if os.environ.get("REQUIRE_BROKER_TESTS") or os.environ.get("CI"):
        pytest.fail(f"{what} must be available in CI")
    pytest.skip(f"{what} is not available here")


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def rabbitmq() -> Iterator[str]:
    """A vhost of its own on the machine's RabbitMQ, so no other user's queues are touched."""
    if not answers(5672) or shutil.which("rabbitmqctl") is None:
        missing_service("RabbitMQ on 127.0.0.1:5672 with rabbitmqctl")
    vhost = f"typingtrainer-test-{secrets.token_hex(4)}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="module")
def redis_broker() -> Iterator[str]:
    """A Redis of its own on a free port, so no other user's queues are touched."""
    if shutil.which("redis-server") is None:
        missing_service("redis-server")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", *NOT_PERSISTED],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not answers(port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db["USER"] or "postgres"
        return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    name = str(db["NAME"])
    if "memory" in name or not Path(name).is_absolute():
        pytest.skip("the worker needs a test database it can open too")
    return f"sqlite:///{name}"


class Worker:
    """`celery worker` as production runs it (prefork), in a process group of its own so that
    SIGKILL to the group kills the pool too, as a container kill or the OOM killer would."""

    def __init__(self, broker: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        # Start from cached bytecode, as an installed app does, not by compiling Django again.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "typingtrainer", "worker", *WORKER_OPTIONS],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.ready_at: float | None = None
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                if self.ready_at is None and re.search(r"celery@\S+ ready", line):
                    self.ready_at = time.monotonic()
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for_line(self, pattern: str, timeout: float = 60) -> str:
        """The first line of the worker's log matching `pattern`, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                log = "".join(self.lines[-40:])
                assert self.process.poll() is None, f"the worker exited:\n{log}"
                assert left > 0, f"no {pattern!r} in the worker's log:\n{log}"
                self._changed.wait(min(left, 0.5))

    def seconds_until_ready(self) -> float:
        """From start until the worker's log said it was ready."""
        self.wait_for_line(r"celery@\S+ ready")
        assert self.ready_at is not None
        return self.ready_at - self.started_at

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """A warm shutdown, as `docker stop` asks for; SIGKILL if it takes more than 30 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reader.join(timeout=5)
        print("".join(self.lines[-60:]))


@pytest.fixture
def workers(request) -> Iterator[tuple[str, list[Worker]]]:
    """This process publishes to the given broker (eager off); start_worker() starts workers on
    it, and every one still running is stopped afterwards."""
    broker = request.getfixturevalue(request.param)
    configured = app.conf.broker_url
    eager = app.conf.task_always_eager
    app.conf.update(task_always_eager=False, broker_url=broker)
    _forget_connections()
    with app.connection_for_write() as conn:
        app.control.purge(connection=conn)  # nothing left from an earlier test on this vhost
    started: list[Worker] = []
    try:
        yield broker, started
    finally:
        for worker in started:
            worker.stop()
        app.conf.update(task_always_eager=eager, broker_url=configured)
        _forget_connections()


def _forget_connections() -> None:
    """Celery caches its producer pool; drop it so publishing follows the broker URL."""
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


def start_worker(workers: tuple[str, list[Worker]]) -> Worker:
    broker, started = workers
    worker = Worker(broker)
    started.append(worker)
    return worker


def wait_for_report(session: PracticeSession, worker: Worker, limit: float) -> float:
    """Seconds from the worker's start until the session's report exists."""
    deadline = worker.started_at + limit
    while not Report.objects.filter(session=session).exists():
        assert worker.process.poll() is None, "the worker died"
        assert time.monotonic() < deadline, f"no report within {limit} s of the worker starting"
        time.sleep(0.2)
    return time.monotonic() - worker.started_at


def complete_with_mistakes(client, learner, course) -> PracticeSession:
    lesson = course.lessons.get(position=1)
    client.force_login(learner)
    response = play(client, lesson, typed_keys(lesson.text, mistakes={3: "g", 5: "g", 7: "g"}))
    assert response.status_code == 200
    session = PracticeSession.objects.get()
    assert session.analysis_queued_at is not None  # published to the broker after commit
    return session


@pytest.mark.parametrize("workers", ["rabbitmq", "redis_broker"], indirect=True)
def test_completing_a_session_makes_the_worker_write_a_report(client, learner, course, workers):
    worker = start_worker(workers)
    session = complete_with_mistakes(client, learner, course)
    wait_for_report(session, worker, RECOVERY_LIMIT_S)
    report = Report.objects.get(session=session)
    assert report.user == learner
    assert report.findings[0]["kind"] == "slow_down"  # accuracy 90.6 %


class ReportTableLock:
    """Holds a SHARE lock on the report table from a connection of its own: an analysis then
    runs up to its INSERT and waits there, genuinely in progress, for as long as the test needs."""

    def __init__(self) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("holding an analysis mid-way uses a PostgreSQL table lock")
        db = connection.settings_dict
        self.conn = psycopg.connect(
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            user=db["USER"] or "postgres",
            dbname=db["NAME"],
        )
        self.conn.execute(f"LOCK TABLE {Report._meta.db_table} IN SHARE MODE")

    def blocked_inserts(self) -> int:
        """Backends of this database waiting on the lock to insert a report. Asked from the
        test's own connection: inside the lock's transaction pg_stat_activity would not change."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE %s",
                [f'INSERT INTO "{Report._meta.db_table}"%'],
            )
            return cursor.fetchone()[0]

    def wait_for_blocked_insert(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.blocked_inserts() == 0:
            assert time.monotonic() < deadline, "the analysis never reached its INSERT"
            time.sleep(0.1)

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.commit()
            self.conn.close()


@pytest.fixture
def report_table_lock() -> Iterator[ReportTableLock]:
    lock = ReportTableLock()
    try:
        yield lock
    finally:
        lock.release()  # before the test's flush, which would wait for it


def wait_until_no_backend_inserts_a_report(timeout: float = 30) -> None:
    """The killed worker's backend still runs its INSERT once the lock is gone; it rolls back
    when it finds its client gone. Wait for that, so a report can only come from a live worker."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state <> 'idle' AND query LIKE %s AND pid <> pg_backend_pid()",
                [f'INSERT INTO "{Report._meta.db_table}"%'],
            )
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, "the killed worker's INSERT is still running"
            time.sleep(0.1)


@pytest.mark.parametrize("workers", ["rabbitmq"], indirect=True)
def test_a_worker_killed_mid_analysis_has_it_redone_within_60_s_of_a_new_worker_starting(
    client, learner, course, workers, report_table_lock
):
    first = start_worker(workers)
    session = complete_with_mistakes(client, learner, course)
    first.wait_for_line(r"Task coach\.tasks\.analyze_session\[.+\] received")
    report_table_lock.wait_for_blocked_insert()  # the analysis is running, about to write

    first.kill()  # SIGKILL to the worker and its pool: nothing is acknowledged or cleaned up
    report_table_lock.release()
    wait_until_no_backend_inserts_a_report()
    assert not Report.objects.filter(session=session).exists()

    second = start_worker(workers)
    seconds = wait_for_report(session, second, RECOVERY_LIMIT_S)
    ready = second.seconds_until_ready()
    print(f"report {seconds:.1f} s after the second worker started ({ready:.1f} s to be ready)")
    # RabbitMQ gave the message back when the first worker's connection dropped.
    second.wait_for_line(r"Task coach\.tasks\.analyze_session\[.+\] succeeded")
    report = Report.objects.get(session=session)
    assert report.user == learner
    assert report.findings[0]["kind"] == "slow_down"


@pytest.mark.parametrize("workers", ["rabbitmq"], indirect=True)
def test_a_pool_process_killed_mid_analysis_has_it_redone_by_the_same_worker(
    client, learner, course, workers, report_table_lock
):
    worker = start_worker(workers)
    session = complete_with_mistakes(client, learner, course)
    worker.wait_for_line(r"Task coach\.tasks\.analyze_session\[.+\] received")
    report_table_lock.wait_for_blocked_insert()
    pool_process = int(
        subprocess.run(
            ["pgrep", "-P", str(worker.process.pid)], capture_output=True, text=True, check=True
        ).stdout.split()[0]
    )

    os.kill(pool_process, signal.SIGKILL)  # as the OOM killer picks the busy pool process
    worker.wait_for_line(r"WorkerLostError")
    report_table_lock.release()
    killed_at = time.monotonic()
    while not Report.objects.filter(session=session).exists():
        assert time.monotonic() - killed_at < RECOVERY_LIMIT_S, "no report within 60 s"
        time.sleep(0.2)
    assert worker.process.poll() is None  # the worker itself carried on
    assert Report.objects.get(session=session).user == learner


@pytest.mark.parametrize("workers", ["rabbitmq"], indirect=True)
def test_sigterm_mid_analysis_lets_the_worker_finish_it_then_exit_0(
    client, learner, course, workers, report_table_lock
):
    """`docker stop` sends SIGTERM to the container's first process, which the entrypoint has
    replaced with celery: a warm shutdown takes no new task, finishes the one running, and
    exits 0, well within compose's stop_grace_period for the worker (60 s)."""
    worker = start_worker(workers)
    session = complete_with_mistakes(client, learner, course)
    worker.wait_for_line(r"Task coach\.tasks\.analyze_session\[.+\] received")
    report_table_lock.wait_for_blocked_insert()  # the analysis is running, about to write

    worker.process.send_signal(signal.SIGTERM)  # to the main process only, as Docker does
    worker.wait_for_line(r"worker: Warm shutdown")
    time.sleep(1)
    assert worker.process.poll() is None, "the worker exited with its task still running"
    stopping = time.monotonic()
    report_table_lock.release()

    assert worker.process.wait(timeout=20) == 0
    seconds = time.monotonic() - stopping
    print(f"exited {seconds:.1f} s after its task could finish")
    assert any(re.search(r"analyze_session\[.+\] succeeded", line) for line in worker.lines)
    report = Report.objects.get(session=session)
    assert report.user == learner
