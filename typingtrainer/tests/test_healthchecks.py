"""Each service's health check, run as Docker runs it (the command from docker-compose.yml, in the
service's environment) against the real process the service runs: healthy while it serves,
unhealthy once it is gone."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from typingtrainer.tests.production import (
    PRODUCTION,
    ROOT,
    SITE_DOMAIN,
    compose_service,
    dockerfile_exec_form,
    dockerfile_healthcheck,
    environment,
    free_port,
    get,
    gunicorn,
    healthcheck_argv,
    redis_server,
    stop,
)

IMAGE_VAR_DIR = "/app/var"  # the Dockerfile's VAR_DIR; the tests use a temporary one


def run_check(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = healthcheck_argv(compose_service(service)["healthcheck"]["test"])
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


# --- web ---


def web_environment(port: int, var_dir: Path) -> dict[str, str]:
    return environment(
        **PRODUCTION, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", VAR_DIR=str(var_dir)
    )


def test_the_web_check_passes_for_a_server_that_only_answers_the_real_domain(
    image_var_dir, tmp_path
):
    port = free_port()
    env = web_environment(port, image_var_dir)
    assert env["ALLOWED_HOSTS"] == SITE_DOMAIN
    assert dockerfile_healthcheck() == healthcheck_argv(
        compose_service("web")["healthcheck"]["test"]
    )

    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        # What the image's old check asked for: refused, though the site is up.
        assert get(port, "/healthz", "127.0.0.1")[0] == 400

        healthy = run_check("web", env)

        stop(server)
        gone = run_check("web", env)

    assert healthy.returncode == 0, healthy.stderr
    assert gone.returncode == 1
    assert f"unhealthy: GET http://127.0.0.1:{port}/healthz failed" in gone.stderr


def test_the_web_check_is_unhealthy_when_the_site_refuses_its_host(image_var_dir, tmp_path):
    port = free_port()
    server_env = web_environment(port, image_var_dir)

    with gunicorn(server_env, tmp_path / "gunicorn.log"):
        result = run_check("web", {**server_env, "ALLOWED_HOSTS": "elsewhere.example.org"})

    assert result.returncode == 1
    assert "with Host elsewhere.example.org answered 400" in result.stderr


# --- worker and beat: celery inspect ping to the node each service runs as ---


@pytest.fixture(scope="module")
def broker_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def service_environment(broker_url: str, var_dir: Path) -> dict[str, str]:
    return environment(**{**PRODUCTION, "CELERY_BROKER_URL": broker_url, "VAR_DIR": str(var_dir)})


def start_service(
    name: str, env: dict[str, str], var_dir: Path, ready: str
) -> subprocess.Popen[Any]:
    """The service's compose command through the image's entrypoint, once its log says `ready`."""
    command = [arg.replace(IMAGE_VAR_DIR, str(var_dir)) for arg in compose_service(name)["command"]]
    log = var_dir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*dockerfile_exec_form("ENTRYPOINT"), *command],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while ready not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise AssertionError(f"{name} did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process


def test_the_worker_check_pings_this_containers_worker(broker_url, tmp_path):
    env = service_environment(broker_url, tmp_path)
    worker = start_service("worker", env, tmp_path, " ready.")
    try:
        healthy = run_check("worker", env)
        beat_check_without_beat = run_check("beat", env)
    finally:
        stop(worker, timeout=60)
    gone = run_check("worker", env)

    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "worker@" in healthy.stdout
    assert "pong" in healthy.stdout
    assert beat_check_without_beat.returncode == 1  # addressed: the worker's answer is not beat's
    assert gone.returncode == 1
    assert "No nodes replied" in gone.stdout + gone.stderr


def test_the_beat_check_pings_this_containers_beat(broker_url, tmp_path):
    env = service_environment(broker_url, tmp_path)
    beat = start_service("beat", env, tmp_path, "beat pidbox: Connected")
    try:
        healthy = run_check("beat", env)
    finally:
        stop(beat, timeout=60)
    gone = run_check("beat", env)

    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "celerybeat@" in healthy.stdout
    assert gone.returncode == 1
    # The schedule went where the compose command says, inside VAR_DIR.
    assert list(tmp_path.glob("celerybeat-schedule*"))
