"""A real Celery worker on Redis analyses a session completed through the web endpoints."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from coach.models import Report
from lessons.models import PracticeSession
from lessons.tests.conftest import play, typed_keys
from typingtrainer.celery import app

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
LOCAL_BROKER = "redis://127.0.0.1:6379/12"


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db["USER"] or "postgres"
        return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    name = str(db["NAME"])
    if "memory" in name or not Path(name).is_absolute():
        pytest.skip("the worker needs a test database it can open too")
    return f"sqlite:///{name}"


def _forget_connections() -> None:
    """Celery caches its producer pool; drop it so publishing follows the broker URL."""
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def worker():
    if not redis_answers():
        if os.environ.get("CI"):
            pytest.fail("Redis must answer in CI")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    # The broker this process already publishes to when it is Redis (CI); else a local one.
    configured = str(app.conf.broker_url or "")
    broker = configured if configured.startswith("redis://") else LOCAL_BROKER
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "typingtrainer", "purge", "-f"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "typingtrainer",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager = app.conf.task_always_eager
    app.conf.update(task_always_eager=False, broker_url=broker)
    _forget_connections()
    try:
        yield process
    finally:
        app.conf.update(task_always_eager=eager, broker_url=configured)
        _forget_connections()
        process.terminate()
        output, _ = process.communicate(timeout=30)
        print(output[-4000:])


def test_completing_a_session_makes_the_worker_write_a_report(client, learner, course, worker):
    lesson = course.lessons.get(position=1)
    client.force_login(learner)
    response = play(client, lesson, typed_keys(lesson.text, mistakes={3: "g", 5: "g", 7: "g"}))
    assert response.status_code == 200
    session = PracticeSession.objects.get()
    assert session.analysis_queued_at is not None  # queued on Redis after commit
    deadline = time.monotonic() + 60
    while not Report.objects.filter(session=session).exists():
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "no report within 60 s"
        time.sleep(0.3)
    report = Report.objects.get(session=session)
    assert report.user == learner
    assert report.findings[0]["kind"] == "slow_down"  # accuracy 90.6 %
