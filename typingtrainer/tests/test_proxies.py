"""Behind a reverse proxy: limits count the client's address (TRUSTED_PROXY_COUNT), never the
proxy's, and without a declared proxy nobody can choose their address with X-Forwarded-For."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from conftest import PASSWORD, make_user
from typingtrainer.http import forwarded_client

from .test_deploy_check import PRODUCTION, ROOT, run_manage

PROXY = "10.0.0.2"  # REMOTE_ADDR of every request: the proxy in front of the site


def log_in(email: str, password: str, *, forwarded_for: str):
    return Client().post(
        "/accounts/login/",
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        headers={"X-Forwarded-For": forwarded_for},
    )


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "client"),
    [
        ("10.0.0.2", "", 1, "10.0.0.2"),  # not through the proxy: the peer
        ("10.0.0.2", "203.0.113.7", 0, "10.0.0.2"),  # no proxy declared: the header is ignored
        ("10.0.0.2", "203.0.113.7", 1, "203.0.113.7"),
        ("10.0.0.2", "6.6.6.6, 203.0.113.7", 1, "203.0.113.7"),  # the client's own entry is not it
        ("10.0.0.2", "6.6.6.6, 203.0.113.7, 10.0.0.9", 2, "203.0.113.7"),  # CDN, then nginx
        ("10.0.0.2", "203.0.113.7", 2, "203.0.113.7"),  # fewer hops than proxies: the farthest
        ("10.0.0.2", "203.0.113.7:5120", 1, "203.0.113.7"),
        ("10.0.0.2", "[2001:db8::7]:443", 1, "2001:db8::7"),
        ("10.0.0.2", " 2001:db8::7 ", 1, "2001:db8::7"),
        ("10.0.0.2", "unknown", 1, "10.0.0.2"),  # not an address: the peer
    ],
)
def test_the_client_is_the_address_the_outermost_trusted_proxy_saw(
    remote, forwarded, proxies, client
):
    assert forwarded_client(remote, forwarded, proxies) == client


@pytest.mark.django_db
def test_forty_learners_behind_one_proxy_all_log_in(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    users = [make_user(f"typist{n}@example.com") for n in range(40)]
    statuses = [
        log_in(user.email, PASSWORD, forwarded_for=f"198.51.100.{n + 1}").status_code
        for n, user in enumerate(users)
    ]
    assert statuses == [302] * 40  # logged in and sent on; allauth allows 30 a minute per client


@pytest.mark.django_db
def test_failures_from_one_client_do_not_lock_out_another(settings, learner):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = "198.51.100.66"
    for n in range(10):
        victim = make_user(f"victim{n}@example.com")
        response = log_in(victim.email, "wrong password", forwarded_for=attacker)
        assert b"not correct" in response.content
    response = log_in(learner.email, PASSWORD, forwarded_for="203.0.113.7")
    assert response.status_code == 302
    assert response.url == "/"
    # The attacker's own address is the one that is paused.
    response = log_in(learner.email, PASSWORD, forwarded_for=attacker)
    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content


@pytest.mark.django_db
def test_without_a_declared_proxy_a_forged_header_does_not_escape_the_login_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    users = [make_user(f"typist{n}@example.com") for n in range(31)]
    statuses = [
        log_in(user.email, PASSWORD, forwarded_for=f"198.51.100.{n + 1}").status_code
        for n, user in enumerate(users)
    ]
    assert statuses == [302] * 30 + [429]


@pytest.mark.django_db
def test_without_a_declared_proxy_a_forged_header_does_not_escape_the_widget_limit(
    settings, course
):
    settings.WIDGET_RATE_LIMITS = {**settings.WIDGET_RATE_LIMITS, "start": 3}
    lesson = course.lessons.get(position=1)

    def start_as_a_new_visitor(n: int) -> int:
        response = Client().post(
            f"/lessons/{lesson.pk}/start",
            "{}",
            content_type="application/json",
            REMOTE_ADDR=PROXY,
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        return response.status_code

    settings.TRUSTED_PROXY_COUNT = 0
    assert [start_as_a_new_visitor(n) for n in range(4)] == [201, 201, 201, 429]
    settings.TRUSTED_PROXY_COUNT = 1  # now the header is the proxy's: each visitor has their own
    assert [start_as_a_new_visitor(n) for n in range(10, 14)] == [201] * 4


def test_https_is_taken_from_the_proxy_only_when_there_is_one():
    show = (
        "from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    )
    direct = run_manage("shell", "--no-imports", "-c", show, TRUSTED_PROXY_COUNT="")
    assert direct.returncode == 0, direct.stderr
    assert direct.stdout.split() == ["None", "0"]
    proxied = run_manage("shell", "--no-imports", "-c", show, TRUSTED_PROXY_COUNT="1")
    assert proxied.returncode == 0, proxied.stderr
    assert proxied.stdout.split() == ["('HTTP_X_FORWARDED_PROTO',", "'https')", "1"]
    wrong = run_manage("check", TRUSTED_PROXY_COUNT="-1")
    assert wrong.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more" in wrong.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(("proxies", "logged"), [("0", "127.0.0.1"), ("1", "203.0.113.7")])
def test_gunicorns_access_log_and_the_apps_request_line_show_the_client_the_limits_count(
    tmp_path: Path, proxies, logged
):
    port = _free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        **PRODUCTION,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "TRUSTED_PROXY_COUNT": proxies,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": str(log),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz",
            headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 200
                    request_id = response.headers["X-Request-ID"]
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        deadline = time.monotonic() + 10
        while "/healthz" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, "no access log line"
            time.sleep(0.1)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    line = next(line for line in log.read_text().splitlines() if "/healthz" in line)
    assert line.split()[0] == logged, (line, errors.decode()[-2000:])
    # Production's own lines, gunicorn's included, are JSON; the app's request line has the
    # same client and the id the response carried.
    lines = [json.loads(text) for text in errors.decode().splitlines()]
    assert any(entry["logger"] == "gunicorn.error" for entry in lines)
    app_line = next(
        entry
        for entry in lines
        if entry["logger"] == "typingtrainer.request" and entry.get("request_id") == request_id
    )
    assert (app_line["route"], app_line["client"]) == ("healthz", logged)
