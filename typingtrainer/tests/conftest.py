from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from typingtrainer.tests.production import dockerfile_collectstatic


class OwnRedis:
    """A redis-server of the test's own on a free port, which the test may stop and start
    again: persistent (append-only file), as docker-compose runs Redis, so a restart brings
    back what it held."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "yes", "--appendfsync", "always"),
                *("--dir", str(self.directory), "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert self.process.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not answer"
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cache_on_own_redis(own_redis, settings):
    """The site's cache (sessions, rate limits, allauth's limits) on `own_redis`. Changing
    CACHES resets Django's cache handler (django.test.signals), so `cache` and every session
    store use the new backend; the settings fixture restores the old one afterwards."""
    configured = settings.CACHES["default"]
    settings.CACHES = {
        "default": {
            "BACKEND": "typingtrainer.cache.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "outage-test",
            # The project's timeouts when it runs on Redis (CI), the same values otherwise.
            "OPTIONS": configured.get("OPTIONS")
            or {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    return own_redis


@pytest.fixture(scope="session")
def image_var_dir(tmp_path_factory) -> Path:
    """A VAR_DIR as the image's build leaves it: static files collected, with the manifest that
    production's pages (error pages too) need."""
    var_dir = tmp_path_factory.mktemp("image-var")
    result = dockerfile_collectstatic(var_dir)
    assert result.returncode == 0, result.stderr
    return var_dir
