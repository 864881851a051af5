"""An empty environment variable means "unset": a copy of .env.example with its empty values
starts every process, and a value that cannot be read stops it with the variable named."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from typingtrainer.tests.production import (
    PRODUCTION,
    ROOT,
    env_example_names,
    environment,
    image_command,
)

SETTINGS_MODULES = ["typingtrainer.settings", "typingtrainer.settings_production"]
READ_SETTINGS = """
import json
from django.conf import settings as s
print(json.dumps({
    "STATIC_ROOT": str(s.STATIC_ROOT), "VAR_DIR": str(s.VAR_DIR), "DEBUG": s.DEBUG,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS, "SITE_URL": s.SITE_URL, "EMAIL_PORT": s.EMAIL_PORT,
    "EMAIL_HOST": s.EMAIL_HOST, "WIDGET_RATE_LIMITS": s.WIDGET_RATE_LIMITS,
    "COACH_RATE_LIMITS": s.COACH_RATE_LIMITS, "OPENAI_MODEL": s.OPENAI_MODEL,
    "SECURE_HSTS_SECONDS": getattr(s, "SECURE_HSTS_SECONDS", 0),
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT, "LOG_LEVEL": s.LOGGING["root"]["level"],
    "PRACTICE": [s.PRACTICE_TOKEN_SECONDS, s.PRACTICE_TOKEN_GRACE_SECONDS,
                 s.PRACTICE_MAX_OPEN_SESSIONS, s.PRACTICE_BATCH_BURST,
                 s.PRACTICE_BATCHES_PER_SECOND],
}))
"""


def every_variable_empty(**values: str) -> dict[str, str]:
    """A copy of .env.example with every value left empty but the two production cannot do
    without (SECRET_KEY, and a broker: production refuses to run tasks inside the web process
    unless told to), plus `values`."""
    needed = {
        "SECRET_KEY": PRODUCTION["SECRET_KEY"],
        "CELERY_BROKER_URL": PRODUCTION["CELERY_BROKER_URL"],
    }
    return environment(**{**dict.fromkeys(env_example_names(), ""), **needed, **values})


def read_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", READ_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_every_variable_of_env_example_left_empty_means_its_default(module):
    env = every_variable_empty(DJANGO_SETTINGS_MODULE=module)
    assert env["STATIC_ROOT"] == ""  # .env.example was really read

    result = read_settings(env)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    static_root = Path(values["STATIC_ROOT"])
    assert static_root != ROOT
    assert static_root not in ROOT.parents
    assert static_root == ROOT / "var" / "static"
    assert Path(values["VAR_DIR"]) == ROOT / "var"
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    assert values["SITE_URL"] == "http://127.0.0.1:8000"
    assert values["EMAIL_PORT"] == 25
    assert values["EMAIL_HOST"] == "localhost"
    assert values["WIDGET_RATE_LIMITS"] == {"start": 60, "complete": 60}
    assert values["PRACTICE"] == [1800, 3600, 20, 10, 5]
    assert values["COACH_RATE_LIMITS"] == {"exercise": 10, "chat": 10}
    assert values["OPENAI_MODEL"] == "gpt-4o-mini"
    assert values["LOG_LEVEL"] == "INFO"
    if module.endswith("production"):
        assert values["DEBUG"] is False
        assert values["SECURE_HSTS_SECONDS"] == 31536000
        assert values["SECURE_SSL_REDIRECT"] is True
    else:
        assert values["DEBUG"] is True


def test_empty_pool_sizes_and_cache_prefix_mean_their_defaults_on_postgresql_and_redis():
    env = every_variable_empty(
        DJANGO_SETTINGS_MODULE="typingtrainer.settings_production",
        DATABASE_URL="postgres://typingtrainer@127.0.0.1:5432/typingtrainer",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    show = (
        "from django.conf import settings as s; import json; print(json.dumps(["
        "s.DATABASES['default']['OPTIONS']['pool'], s.CACHES['default']['KEY_PREFIX'],"
        " s.TRUSTED_PROXY_COUNT]))"
    )

    result = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    pool, key_prefix, proxies = json.loads(result.stdout)
    assert (pool["min_size"], pool["max_size"]) == (1, 10)
    assert key_prefix == "tt"
    assert proxies == 0


@pytest.mark.parametrize(
    "static_root",
    [str(ROOT), str(ROOT.parent), "/", f"{ROOT}/typingtrainer/..", "."],
    ids=["the-app-folder", "its-parent", "the-root", "the-app-folder-by-dotdot", "relative-dot"],
)
def test_production_refuses_a_static_root_that_would_publish_the_application(static_root):
    result = read_settings(environment(**PRODUCTION, STATIC_ROOT=static_root))

    assert result.returncode != 0
    assert "ImproperlyConfigured: STATIC_ROOT=" in result.stderr
    assert "would publish the application's own files" in result.stderr


def test_a_static_root_of_its_own_is_used(tmp_path):
    result = read_settings(environment(**PRODUCTION, STATIC_ROOT=str(tmp_path / "static")))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["STATIC_ROOT"] == str((tmp_path / "static").resolve())


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("EMAIL_PORT", "twenty-five", "EMAIL_PORT must be a whole number, not 'twenty-five'"),
        ("SECURE_HSTS_SECONDS", "1y", "SECURE_HSTS_SECONDS must be a whole number, not '1y'"),
        ("RATE_LIMIT_CHAT_PER_MINUTE", "10.5", "RATE_LIMIT_CHAT_PER_MINUTE must be a whole"),
        ("SECURE_SSL_REDIRECT", "ture", "SECURE_SSL_REDIRECT must be true or false, not 'ture'"),
        ("TRUSTED_PROXY_COUNT", "one", "TRUSTED_PROXY_COUNT must be a whole number, not 'one'"),
    ],
)
def test_a_value_that_cannot_be_read_stops_start_up_naming_the_variable(name, value, message):
    result = read_settings(environment(**PRODUCTION, **{name: value}))

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def gunicorn_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The image's command with --print-config: gunicorn reads its settings and the app loads."""
    return subprocess.run(
        [*image_command(), "--print-config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def printed(config: str) -> dict[str, str]:
    settings = {}
    for line in config.splitlines():
        name, equals, value = line.partition("=")
        if equals:
            settings[name.strip()] = value.strip()
    return settings


def test_gunicorn_starts_with_every_variable_empty_including_web_concurrency():
    # WEB_CONCURRENCY is the PaaS convention; gunicorn itself int()s it when it is imported.
    env = every_variable_empty(WEB_CONCURRENCY="")

    result = gunicorn_config(env)

    assert result.returncode == 0, result.stderr
    config = printed(result.stdout)
    # Threaded workers, chosen by measurement (gunicorn.conf.py, bench/ingest.py --gunicorn).
    assert config["workers"] == str(multiprocessing.cpu_count() + 1)
    assert config["threads"] == "4"
    assert config["worker_class"] == "gthread"
    assert config["bind"] == "['0.0.0.0:8000']"
    assert config["graceful_timeout"] == "25"
    assert config["timeout"] == "30"
    assert config["max_requests"] == "5000"
    # No gunicornc control socket in $HOME, which every gunicorn of the user would share.
    assert config["control_socket_disable"] == "True"


def test_gunicorn_reads_its_worker_count_and_threads_from_the_environment():
    env = every_variable_empty(GUNICORN_WORKERS="3", GUNICORN_THREADS="4")

    config = printed(gunicorn_config(env).stdout)

    assert config["workers"] == "3"
    assert config["threads"] == "4"
    assert config["worker_class"] == "gthread"


def test_one_thread_per_worker_means_sync_workers():
    config = printed(gunicorn_config(every_variable_empty(GUNICORN_THREADS="1")).stdout)

    assert config["threads"] == "1"
    assert config["worker_class"] == "sync"


def test_gunicorn_refuses_a_worker_count_that_is_not_a_number_and_says_which():
    result = gunicorn_config(environment(**PRODUCTION, GUNICORN_WORKERS="four"))

    assert result.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number, not 'four'" in result.stderr


def test_the_image_runs_production_settings_when_env_leaves_the_settings_module_empty():
    # env_file overrides the image's ENV; an empty value must never mean the embedded defaults.
    env = every_variable_empty(SECRET_KEY="")
    command = [*image_command()[:3], sys.executable, "-c", READ_SETTINGS]

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr
