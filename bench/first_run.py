"""First run: seconds from a fresh clone to a served home page, the way a newcomer starts.

    uv run python bench/first_run.py [--repo .] [--rev HEAD] [--keep] [--timeout 600]

A measurement, not a test: it exits 0 whatever the figure (the target is 45 s on a quiet
machine). It clones `--repo` at `--rev` into a temporary directory (`git clone`, so only what is
committed), runs `make run` there with a free PORT and nothing from the environment that would
point it at a server (no DATABASE_URL, REDIS_URL, VAR_DIR, ...), prints each line `make run`
prints with the second it appeared, polls the home page until it answers 200, stops the server
and removes the clone (`--keep` keeps it). uv's cache is whatever the machine has (warm after
one `uv sync`). The last line is `first run: N.N s`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Settings a developer's shell may carry that would make the clone use a server, not its defaults.
CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "VAR_DIR",
    "STATIC_ROOT",
    "DJANGO_SETTINGS_MODULE",
    "CELERY_BROKER_URL",
    "VIRTUAL_ENV",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(ROOT))
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tt-first-run-"))
    clone = workdir / "clone"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min)", flush=True)

    started = time.monotonic()
    subprocess.run(["git", "clone", "--quiet", args.repo, str(clone)], check=True)
    if args.rev != "HEAD":
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", args.rev], check=True)
    print(f"{time.monotonic() - started:6.1f} s  cloned", flush=True)
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, stopped as one
    )

    def echo() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            print(f"{time.monotonic() - started:6.1f} s  {line.rstrip()}", flush=True)

    threading.Thread(target=echo, daemon=True).start()
    elapsed: float | None = None
    try:
        while time.monotonic() - started < args.timeout and server.poll() is None:
            if answers(url):
                elapsed = time.monotonic() - started
                break
            time.sleep(0.2)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if args.keep:
            print(f"clone kept in {clone}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")
    if elapsed is None:
        print(f"the home page did not answer 200 (make run exited {server.returncode})")
        print("first run: failed")
        return
    print(f"first run: {elapsed:.1f} s")


if __name__ == "__main__":
    main()
