"""Running what the deployment files run, as subprocesses: the image's command, gunicorn, Celery,
a Redis of the test's own. Nothing here patches the application; the tests drive real processes.
"""

from __future__ import annotations

import http.client
import json
import os
import posixpath
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SITE_DOMAIN = "typingtrainer.example.com"
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "typingtrainer.settings_production",
    "SECRET_KEY": "x7Hq2-production-secret-key-that-is-long-and-random-9fKd0sLwPq3zRt",
    "ALLOWED_HOSTS": SITE_DOMAIN,
    # Production refuses to start without a broker; these processes never publish to it.
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
}
# What the test run itself sets, which a production process must not inherit.
TEST_ONLY = {
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "PYTEST_CURRENT_TEST",
}


def env_example_names() -> list[str]:
    """Every variable .env.example sets, in order."""
    names = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            names.append(line.split("=", 1)[0].strip())
    return names


def environment(**values: str) -> dict[str, str]:
    """This process's environment without anything the settings read, plus `values`. The
    virtualenv's bin comes first on PATH, as /opt/venv/bin does in the image."""
    unset = TEST_ONLY | set(env_example_names())
    base = {name: value for name, value in os.environ.items() if name not in unset}
    base["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", "")])
    return {**base, **values}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- The deployment files, read as Docker reads them. ---


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments left out."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, arguments = pending.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_env() -> dict[str, str]:
    """The image's ENV values (PATH left out: the test's own PATH points at the virtualenv)."""
    values: dict[str, str] = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                if name != "PATH":
                    values[name] = value
    return values


def dockerfile_exec_form(keyword: str) -> list[str]:
    """The JSON array of the last ENTRYPOINT or CMD, as Docker uses only the last one."""
    arguments = [args for kw, args in dockerfile_instructions() if kw == keyword][-1]
    return list(json.loads(arguments))


def dockerfile_healthcheck() -> list[str]:
    arguments = [args for kw, args in dockerfile_instructions() if kw == "HEALTHCHECK"][-1]
    _, _, command = arguments.partition("CMD ")
    return list(json.loads(command))


def image_command() -> list[str]:
    """What a container of the image runs by default: ENTRYPOINT followed by CMD."""
    return dockerfile_exec_form("ENTRYPOINT") + dockerfile_exec_form("CMD")


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def compose_service(name: str) -> dict[str, Any]:
    return dict(compose()["services"][name])


def healthcheck_argv(test: list[str]) -> list[str]:
    """The command of a compose or Dockerfile healthcheck `["CMD", ...]` test."""
    assert test[0] == "CMD", f"expected an exec-form check, got {test}"
    return list(test[1:])


# --- Processes ---


def stop(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(port: int, path: str, host: str, timeout: float = 5) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The image's command (entrypoint + gunicorn with gunicorn.conf.py) on GUNICORN_BIND, once
    /healthz answers 200 for the first ALLOWED_HOSTS entry; stopped with SIGTERM afterwards."""
    port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
    host = env["ALLOWED_HOSTS"].split(",")[0]
    with log.open("wb") as output:
        process = subprocess.Popen(
            image_command(), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited {process.returncode}:\n{log.read_text()}")
            try:
                if get(port, "/healthz", host)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not answer:\n{log.read_text()}")
            time.sleep(0.2)
        yield process
    finally:
        stop(process)


@contextmanager
def redis_server() -> Iterator[str]:
    """A Redis of the test's own on a free port (the shared one is never touched)."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no"]  # nothing written to disk
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


def accepted_connections(server_port: int) -> set[int]:
    """Client ports of the TCP connections to `server_port` that a process has accept()ed.
    Connections still in the listen backlog have no socket inode yet (0 in /proc/net/tcp)."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == server_port and remote_port and fields[9] != "0":
                ports.add(remote_port)
    return ports


# --- .dockerignore, matched as Docker matches it ---


def _dockerignore_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern language (moby/patternmatcher): `*` and `?` stay within one path
    segment, `**` spans any number of them, `[...]` is a class, `\\` escapes; a pattern
    matches the whole path from the context's root."""
    regex, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
            regex += ".*" if i >= len(pattern) else "(.*/)?"
            continue
        if char == "*":
            regex += "[^/]*"
        elif char == "?":
            regex += "[^/]"
        elif char == "[":
            end = pattern.index("]", i + 1)
            regex += pattern[i : end + 1]
            i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            regex += re.escape(pattern[i])
        else:
            regex += re.escape(char)
        i += 1
    return re.compile(f"^{regex}$")


def dockerignore_rules(text: str | None = None) -> list[tuple[bool, re.Pattern[str]]]:
    """(is_exception, regex) per line: blank lines and # comments skipped, `!` marks an
    exception, each pattern cleaned like a path and relative to the root (a leading / dropped)."""
    if text is None:
        text = (ROOT / ".dockerignore").read_text()
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        line = posixpath.normpath(line).lstrip("/")
        rules.append((exception, _dockerignore_regex(line)))
    return rules


def dockerignore_excludes(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves `path` out of the build context: the last rule that matches the
    path or one of its parent folders decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for exception, regex in rules:
        if exception != excluded:
            continue  # only an exception can re-include, only a pattern can exclude
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not exception
    return excluded


def dockerfile_collectstatic(var_dir: Path) -> subprocess.CompletedProcess[str]:
    """The Dockerfile's collectstatic command line as written, with only the image's ENV (as in
    a build) and VAR_DIR, so STATIC_ROOT, pointed at `var_dir`."""
    run = next(args for keyword, args in dockerfile_instructions() if "collectstatic" in args)
    collectstatic = run.split("&&")[0].strip()
    build_env = environment(**{**dockerfile_env(), "VAR_DIR": str(var_dir)})
    return subprocess.run(
        ["sh", "-c", collectstatic],
        cwd=ROOT,
        env=build_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
