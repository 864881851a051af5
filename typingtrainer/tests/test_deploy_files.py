"""The deployment files as Docker would read them: what the image builds, which service publishes
what, what each one waits for and how it is checked. No Docker engine exists here, so the files
are parsed and the commands they name are run directly."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys

import pytest

from typingtrainer.tests.production import (
    ROOT,
    SITE_DOMAIN,
    compose,
    compose_service,
    dockerfile_healthcheck,
    dockerfile_instructions,
    environment,
    healthcheck_argv,
)

APP_SERVICES = ["migrate", "web", "worker", "beat"]
BACKING_SERVICES = ["postgres", "redis", "rabbitmq"]
BROKER_URL = "amqp://guest:guest@rabbitmq:5672//"


# --- Dockerfile ---


def test_the_dockerfiles_collectstatic_line_builds_the_manifest_as_written(image_var_dir):
    run = next(args for kw, args in dockerfile_instructions() if "collectstatic" in args)
    assert "python manage.py collectstatic --noinput" in run
    static_root = image_var_dir / "static"  # the fixture ran that line with VAR_DIR there

    manifest = json.loads((static_root / "staticfiles.json").read_text())

    assert any(name.startswith("css/") for name in manifest["paths"])
    assert list(static_root.glob("css/*.css.gz")), "whitenoise did not compress"
    assert not (static_root / ".env.example").exists()


def test_the_image_checks_the_web_server_it_runs_by_default():
    assert dockerfile_healthcheck() == ["python", "-m", "ops.healthcheck", "web"]
    assert [args for kw, args in dockerfile_instructions() if kw == "CMD"][-1].startswith(
        '["gunicorn"'
    )


# --- docker-compose.yml ---


def test_only_caddy_publishes_ports():
    services = compose()["services"]

    publishing = sorted(name for name, service in services.items() if service.get("ports"))

    assert publishing == ["caddy"]
    assert services["caddy"]["ports"] == ["80:80", "443:443", "443:443/udp"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_rabbitmq_and_wait_for_every_backing_service(name):
    service = compose_service(name)

    assert service["environment"]["CELERY_BROKER_URL"] == BROKER_URL
    for backing in BACKING_SERVICES:
        assert service["depends_on"][backing] == {"condition": "service_healthy"}
    if name != "migrate":
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_rabbitmq_keeps_its_queues_in_a_volume_under_a_fixed_node_name():
    rabbitmq = compose_service("rabbitmq")

    assert rabbitmq["image"].startswith("rabbitmq:3")
    assert rabbitmq["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]
    assert rabbitmq["hostname"] == "rabbitmq"
    assert "rabbitmq-data:/var/lib/rabbitmq" in rabbitmq["volumes"]
    assert "rabbitmq-data" in compose()["volumes"]


@pytest.mark.skipif(
    shutil.which("rabbitmq-diagnostics") is None, reason="RabbitMQ is not installed here"
)
def test_the_rabbitmq_check_answers_for_a_running_broker():
    # The machine's own RabbitMQ (CI makes sure it runs); ping only reads.
    check = healthcheck_argv(compose_service("rabbitmq")["healthcheck"]["test"])

    result = subprocess.run(check, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("web", ["python", "-m", "ops.healthcheck", "web"]),
        ("worker", ["python", "-m", "ops.healthcheck", "worker"]),
        ("beat", ["python", "-m", "ops.healthcheck", "beat"]),
        ("postgres", None),
        ("redis", ["redis-cli", "ping"]),
        ("rabbitmq", ["rabbitmq-diagnostics", "-q", "ping"]),
        ("caddy", ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:2019/config/"]),
    ],
)
def test_each_long_running_service_has_a_check_of_its_own(name, check):
    healthcheck = compose_service(name)["healthcheck"]

    if check is None:
        assert healthcheck["test"] == ["CMD-SHELL", "pg_isready -U typingtrainer"]
    else:
        assert healthcheck_argv(healthcheck["test"]) == check


def test_migrate_runs_once_with_no_health_check():
    migrate = compose_service("migrate")

    assert migrate["healthcheck"] == {"disable": True}
    assert migrate["restart"] == "no"


def test_worker_and_beat_run_under_the_node_names_their_checks_ping():
    worker = compose_service("worker")["command"]
    beat = compose_service("beat")["command"]

    assert "--hostname=worker@%h" in worker
    assert "--hostname=celerybeat@%h" in beat
    assert "--enable-remote-control" in beat


def test_web_is_stopped_only_after_gunicorns_graceful_timeout_has_run_out():
    config = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy; print(runpy.run_path('gunicorn.conf.py')['graceful_timeout'])",
        ],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    graceful_timeout = int(config.stdout)
    web = compose_service("web")

    assert web["stop_grace_period"].endswith("s")
    assert int(web["stop_grace_period"][:-1]) > graceful_timeout
    assert "ports" not in web
    assert web["environment"]["FORWARDED_ALLOW_IPS"] == "*"
    assert web["environment"]["TRUSTED_PROXY_COUNT"] == "1"


def test_caddy_takes_its_domain_from_env_and_its_config_from_the_repository():
    caddy = compose_service("caddy")

    assert caddy["image"] == "caddy:2"
    assert caddy["environment"]["SITE_DOMAIN"].startswith("${SITE_DOMAIN:?")
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert "caddy-data:/data" in caddy["volumes"]  # certificates survive a re-created container
    assert "SITE_DOMAIN=" in (ROOT / ".env.example").read_text()


# --- Caddyfile, adapted by Caddy itself when it is installed ---


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")
def test_the_caddyfile_proxies_the_site_domain_to_web_over_https():
    result = subprocess.run(
        ["caddy", "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"],
        cwd=ROOT,
        env=environment(SITE_DOMAIN=SITE_DOMAIN),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "warn" not in result.stderr
    config = json.loads(result.stdout)

    (server,) = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]  # automatic HTTPS; :80 only redirects
    (route,) = server["routes"]
    assert route["match"] == [{"host": [SITE_DOMAIN]}]
    handlers = list(_handlers(route["handle"]))
    proxy = next(h for h in handlers if h["handler"] == "reverse_proxy")
    assert proxy["upstreams"] == [{"dial": "web:8000"}]
    # /media/ (avatars) comes from the volume web writes MEDIA_ROOT to, not from Django.
    assert {"handler": "rewrite", "strip_path_prefix": "/media"} in handlers
    assert {"handler": "vars", "root": "/srv/media"} in handlers
    assert any(h["handler"] == "file_server" for h in handlers)
    # Without trusted_proxies Caddy replaces any X-Forwarded-* a client sent with its own.
    assert "trusted_proxies" not in json.dumps(config)


def _handlers(handle: list[dict]):
    """Every handler in a route's handle list, through the subroutes Caddy nests them in."""
    for handler in handle:
        yield handler
        for route in handler.get("routes", []):
            yield from _handlers(route.get("handle", []))


def test_uploads_live_in_a_volume_that_web_writes_and_caddy_reads():
    assert "media:/app/var/media" in compose_service("web")["volumes"]
    assert "media:/srv/media:ro" in compose_service("caddy")["volumes"]
    assert "media" in compose()["volumes"]
    # The image creates the folder owned by the app user, so the new volume is writable.
    assert any("mkdir -p /app/var/media" in args for _, args in dockerfile_instructions())


def test_the_entrypoint_becomes_the_command_so_sigterm_reaches_it():
    """`docker stop` signals the container's first process: the entrypoint must replace itself
    with the command (exec), not wait on it as a parent that would not pass SIGTERM on."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ops.entrypoint",
            sys.executable,
            "-c",
            "import os, signal, sys, time\n"
            "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
            "print(os.getpid(), flush=True)\n"
            "time.sleep(30)\n"
            "sys.exit(1)\n",
        ],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        command_pid = int(process.stdout.readline())
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0  # the command's own handler ran
    finally:
        if process.poll() is None:
            process.kill()
    assert command_pid == process.pid


def test_worker_and_beat_are_given_time_to_stop():
    """Worker: a warm shutdown finishes the running task (acks_late re-delivers it if the
    period runs out). Beat: saves its schedule and exits."""
    assert compose_service("worker")["stop_grace_period"] == "60s"
    assert compose_service("beat")["stop_grace_period"] == "10s"
