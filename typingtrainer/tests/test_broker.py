"""Which broker the settings choose, and how quickly queueing gives up on one that is down.

Each case runs in a process of its own: the settings read the environment once, at start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from .test_deploy_check import ROOT, run_manage

SHOW_BROKER = (
    "from django.conf import settings as s; print(s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)"
)


def test_an_empty_broker_url_means_no_broker_and_tasks_run_in_the_web_process():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        SHOW_BROKER,
        DJANGO_SETTINGS_MODULE="typingtrainer.settings",
        CELERY_BROKER_URL="",
        CELERY_TASK_ALWAYS_EAGER="",
        REDIS_URL="redis://127.0.0.1:6379/0",  # the cache, never the broker by default
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["memory://", "True"]


def test_production_refuses_to_start_without_a_broker():
    result = run_manage("check", CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER="")
    assert result.returncode != 0
    assert "CELERY_BROKER_URL must be set in production" in result.stderr


def test_production_runs_tasks_in_the_web_process_only_when_told_to():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        SHOW_BROKER,
        CELERY_BROKER_URL="",
        CELERY_TASK_ALWAYS_EAGER="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["memory://", "True"]


def test_production_starts_while_its_broker_is_down():
    # Port 1 refuses: a broker that is down is a runtime fault, not a configuration error.
    url = "amqp://guest:guest@127.0.0.1:1//"
    result = run_manage("check", "--deploy", CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER="")
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel accepts and nobody ever answers: a hung broker."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


QUEUE_TWICE_EACH = """
import sys, time, django
django.setup()
from typingtrainer.celery import app
from lessons.attempts import queue_analysis
app.connection_for_write().get_transport_cls()  # imported before timing
for url in sys.argv[1:]:
    app.conf.broker_url = url
    app._pool = app.amqp._producer_pool = None  # publish to this URL from now on
    for _ in range(2):
        began = time.monotonic()
        queue_analysis("00000000-0000-0000-0000-000000000000")
        print(f"{time.monotonic() - began:.3f}")
"""


@pytest.mark.parametrize("scheme", ["amqp", "redis"])
def test_queueing_an_analysis_gives_up_quickly_on_a_broker_that_is_down(scheme, silent_port):
    def url(port: int) -> str:
        return (
            f"amqp://guest:guest@127.0.0.1:{port}//"
            if scheme == "amqp"
            else f"redis://127.0.0.1:{port}/0"
        )

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "typingtrainer.settings",
        "CELERY_BROKER_URL": url(1),  # the settings pick the transport's options by scheme
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # start from cached bytecode, as installed
    result = subprocess.run(
        [sys.executable, "-c", QUEUE_TWICE_EACH, url(1), url(silent_port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Could not queue analysis") == 4
    refusing = [float(line) for line in result.stdout.split()[:2]]
    silent = [float(line) for line in result.stdout.split()[2:]]
    # Port 1 refuses at once: Celery's default three retries 0.2 s apart would take 0.6 s.
    assert max(refusing) < 0.5, f"{refusing} s to give up on a broker that refuses"
    # A broker that accepts and never answers: 1 s for amqp (the connect timeout covers the
    # handshake), 2 s for redis (its socket timeout; redis-py would otherwise wait forever).
    assert max(silent) < 2.5, f"{silent} s to give up on a broker that never answers"
