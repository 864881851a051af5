"""Health checks of the services, one per service: `python -m ops.healthcheck web|worker|beat`.

Docker runs these inside the containers (the Dockerfile's HEALTHCHECK, docker-compose.yml); exit
status 0 is healthy, 1 unhealthy (Docker reserves 2), with the reason on stderr.

- web: `GET /healthz` on the local gunicorn with the first ALLOWED_HOSTS entry as Host. With the
  real domain in ALLOWED_HOSTS, a request for 127.0.0.1 is refused by Django (400 DisallowedHost)
  while the site is healthy. Redirects are not followed (one to https would leave the container):
  anything but 200 "ok" is unhealthy. Reads GUNICORN_BIND (default 0.0.0.0:8000), as gunicorn.
- worker: `celery inspect ping` addressed to this container's worker node, `worker@<host name>`
  (the worker is started with `--hostname=worker@%h`; %h is the host name).
- beat: the same ping to `celerybeat@<host name>` (beat runs with `--enable-remote-control`).
  Beat stops answering once its scheduler has not ticked for twice its loop interval, so a
  wedged beat is unhealthy as well as a dead one.

The web check is standard library only. The celery pings start with the entrypoint's
environment (empty variables removed), like the processes they check.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys

from ops.entrypoint import container_environment

DEFAULT_BIND = "0.0.0.0:8000"
DEFAULT_HOST = "127.0.0.1"  # the settings' first default ALLOWED_HOSTS entry
WEB_TIMEOUT_SECONDS = 3.0
PING_TIMEOUT_SECONDS = 5
NODE_NAMES = {"worker": "worker", "beat": "celerybeat"}


def local_address(bind: str) -> tuple[str, int]:
    """Where to reach a server bound to `bind` from inside its own container."""
    if bind.startswith(("unix:", "fd://")):
        raise ValueError(f"GUNICORN_BIND={bind!r} is not a TCP address this check can reach")
    if bind.startswith("["):  # [::]:8000 or [::1]:8000
        host, _, port = bind[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = bind.rpartition(":") if ":" in bind else (bind, "", "")
    wildcards = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
    if port and not port.isdigit():
        raise ValueError(f"GUNICORN_BIND={bind!r} has no port number")
    return wildcards.get(host, host), int(port or 8000)


def host_header(allowed_hosts: str) -> str:
    """A Host Django accepts: the first ALLOWED_HOSTS entry ('.example.com' also matches
    'example.com'; '*' matches anything)."""
    entries = [item.strip() for item in allowed_hosts.split(",") if item.strip()]
    first = entries[0] if entries else DEFAULT_HOST
    return "localhost" if first == "*" else first.lstrip(".")


def check_web(bind: str, allowed_hosts: str, timeout: float = WEB_TIMEOUT_SECONDS) -> str | None:
    """None when healthy, else what is wrong, in one line."""
    try:
        address, port = local_address(bind)
    except ValueError as exc:
        return str(exc)
    host = host_header(allowed_hosts)
    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        response = connection.getresponse()
        body = response.read(64)
    except OSError as exc:
        return f"GET http://{address}:{port}/healthz failed: {exc}"
    finally:
        connection.close()
    if response.status != 200 or not body.startswith(b"ok"):
        return (
            f"GET http://{address}:{port}/healthz with Host {host} answered "
            f"{response.status} {response.reason}: {body[:40]!r}"
        )
    return None


def ping_command(service: str) -> list[str]:
    node = f"{NODE_NAMES[service]}@{socket.gethostname()}"
    return [
        "celery",
        "-A",
        "typingtrainer",
        "inspect",
        "ping",
        "--destination",
        node,
        "--timeout",
        str(PING_TIMEOUT_SECONDS),
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"web", *NODE_NAMES}:
        print("usage: python -m ops.healthcheck web|worker|beat", file=sys.stderr)
        return 1
    environ = container_environment(dict(os.environ))
    if argv[0] == "web":
        problem = check_web(
            environ.get("GUNICORN_BIND", DEFAULT_BIND), environ.get("ALLOWED_HOSTS", DEFAULT_HOST)
        )
        if problem:
            print(f"unhealthy: {problem}", file=sys.stderr)
            return 1
        return 0
    # celery exits non-zero ("No nodes replied ...") when the node does not answer in time.
    # Docker reserves exit status 2, so every failure is reported as 1.
    answer = subprocess.run(ping_command(argv[0]), env=environ, check=False)
    return 0 if answer.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
