"""Metrics from several processes: a real gunicorn with two workers adds up what each counted,
and a real Celery worker (prefork: tasks run in a child) serves its task counts on its own port."""

from __future__ import annotations

import glob
import http.client
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from coach.tests.test_worker import (  # noqa: F401  (fixtures)
    rabbitmq,
    start_worker,
    workers,
)
from typingtrainer.celery import app as celery_app
from typingtrainer.tests.production import PRODUCTION, SITE_DOMAIN, environment, free_port
from typingtrainer.tests.production import gunicorn as running_gunicorn
from typingtrainer.tests.test_graceful_shutdown import database_url

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "metrics-token-for-tests-0123456789"


def fetch(port: int, path: str, *, token: str | None = TOKEN, host: str = SITE_DOMAIN):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": host}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


ABOUT = (
    "tt_http_requests_total",
    frozenset({"route": "about", "method": "GET", "status": "200"}.items()),
)


HEALTHZ = (
    "tt_http_requests_total",
    frozenset({"route": "healthz", "method": "GET", "status": "200"}.items()),
)


def by_process(directory: Path, series: tuple[str, frozenset[tuple[str, str]]]) -> dict[int, float]:
    """Each process's own count of `series`, read from its file."""
    counts = {}
    for path in glob.glob(str(directory / "counter_*.db")):
        pid = int(Path(path).stem.split("_")[-1])
        for metric in MultiProcessCollector.merge([path], accumulate=False):
            for sample in metric.samples:
                if (sample.name, frozenset(sample.labels.items())) == series:
                    counts[pid] = sample.value
    return counts


def test_gunicorn_workers_counts_add_up_in_metrics(image_var_dir, tmp_path):
    port = free_port()
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"left over from an earlier run")
    env = environment(
        **PRODUCTION,
        DATABASE_URL=database_url(),
        VAR_DIR=str(image_var_dir),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="1",  # sync workers: one connection each at a time, spread over both
        SECURE_SSL_REDIRECT="false",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        METRICS_TOKEN=TOKEN,
    )
    log = tmp_path / "gunicorn.log"
    with running_gunicorn(env, log) as master:
        assert fetch(port, "/metrics", token=None)[0] == 401
        assert fetch(port, "/metrics", token="wrong")[0] == 401
        status, before = fetch(port, "/metrics")
        assert status == 200, log.read_text()[-3000:]
        with ThreadPoolExecutor(max_workers=8) as clients:
            answers = list(clients.map(lambda _: fetch(port, "/about/", token=None)[0], range(40)))
        assert answers == [200] * 40
        status, after = fetch(port, "/metrics")
        abouts = by_process(directory, ABOUT)
        warm_ups = by_process(directory, HEALTHZ)

        assert samples(after)[ABOUT] - samples(before).get(ABOUT, 0) == 40
        assert samples(after)[ABOUT] == sum(abouts.values())  # /metrics is the files' sum
        # Each worker counted in a file of its own (each warmed up with one /healthz).
        assert len([pid for pid, count in warm_ups.items() if count]) >= 2, warm_ups
        assert 999999 not in abouts  # the master emptied the directory at start
        assert not (directory / "counter_999999.db").exists()
        pool = samples(after)
        in_use = pool.get(("tt_db_pool_connections", frozenset({"state": "in_use"}.items())))
        idle = pool.get(("tt_db_pool_connections", frozenset({"state": "idle"}.items())))
        assert in_use is not None
        assert idle is not None
        assert in_use + idle >= 1

        # One worker fewer (SIGTTOU): its gauges go with it, its counts stay.
        gauges_before = set(glob.glob(str(directory / "gauge_livesum_*.db")))
        master.send_signal(signal.SIGTTOU)
        deadline = time.monotonic() + 30
        while len(set(glob.glob(str(directory / "gauge_livesum_*.db")))) >= len(gauges_before):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        status, later = fetch(port, "/metrics")
        assert samples(later)[ABOUT] == samples(after)[ABOUT]
        live = {
            int(Path(p).stem.split("_")[-1])
            for p in glob.glob(str(directory / "gauge_livesum_*.db"))
        }
        assert all(Path(f"/proc/{pid}").exists() for pid in live)


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fetch(port, "/metrics", token=None)
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing answers on port {port}"
            time.sleep(0.2)


@pytest.mark.parametrize("workers", ["rabbitmq"], indirect=True)
def test_a_celery_worker_serves_its_task_counts_on_its_port(workers, tmp_path, monkeypatch):  # noqa: F811
    port = free_port()
    monkeypatch.setenv("METRICS_WORKER_PORT", str(port))
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "worker-metrics"))
    worker = start_worker(workers)  # its environment is this process's, as set above
    worker.wait_for_line(r"celery@\S+ ready")
    wait_for_port(port)
    assert fetch(port, "/metrics", token=None)[0] == 401
    assert fetch(port, "/metrics", token="wrong")[0] == 401

    celery_app.signature("coach.tasks.sweep_unqueued_sessions").apply_async()
    worker.wait_for_line(r"Task coach\.tasks\.sweep_unqueued_sessions\[.+\] succeeded")
    task = {"task": "coach.tasks.sweep_unqueued_sessions"}
    deadline = time.monotonic() + 10
    duration = ("tt_celery_task_duration_seconds_count", frozenset(task.items()))
    while True:  # the child writes its values as the task ends, about when the log line comes
        status, text = fetch(port, "/metrics")
        assert status == 200
        found = samples(text)
        succeeded = found.get(
            ("tt_celery_tasks_total", frozenset({**task, "outcome": "succeeded"}.items()))
        )
        # One scrape reads the counter's file and the histogram's one after the other: wait
        # until it finds both written.
        if (succeeded == 1 and found.get(duration) == 1) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert succeeded == 1, text
    assert found.get(duration) == 1, text
    assert os.listdir(tmp_path / "worker-metrics")  # the child's values, in the worker's own dir


def test_compose_gives_web_and_worker_a_metrics_directory_each_and_keeps_the_worker_port_inside():
    from typingtrainer.tests.production import compose_service, dockerfile_env

    directory = dockerfile_env()["PROMETHEUS_MULTIPROC_DIR"]
    assert directory.startswith("/tmp/")
    for name in ("web", "worker"):
        service = compose_service(name)
        assert service["environment"]["PROMETHEUS_MULTIPROC_DIR"] == directory
        assert service["tmpfs"] == [directory]  # the container's own, gone with it
    worker = compose_service("worker")
    port = worker["environment"]["METRICS_WORKER_PORT"]
    assert worker["expose"] == [port]
    assert "ports" not in worker
