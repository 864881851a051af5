"""Fuzz the JSON API with schemathesis against the site as production runs it (CI's `== api fuzz`).

`python -m api.fuzz [--max-time 90]`:

1. (Re)creates a PostgreSQL database of its own, migrates it, loads the curriculum and collects
   the static files, with production's settings;
2. makes two verified learners: one who has practised a few lessons (through the same workflow
   functions the widget's endpoints call, so the statistics endpoints have figures to return),
   and a throwaway one whose token alone is sent to `DELETE /users/me`, so the fuzzer does not
   delete the account it is fuzzing with;
3. starts gunicorn (`gunicorn.conf.py`) on a free loopback port, with a limit of requests per
   minute the fuzzer cannot reach and access tokens that outlive the run;
4. logs both in through allauth headless (`POST /_allauth/app/v1/auth/login`), as the app does;
5. runs `schemathesis run /api/v1/openapi.json` with the checks below for `--max-time` seconds.

Prints one line of summary and exits with schemathesis's status: non-zero on any failure (a
server error, a body or status code or content type the OpenAPI document does not declare).
The server is stopped and the database dropped whatever happens (`--keep` keeps the database).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
CHECKS = (
    "not_a_server_error,response_schema_conformance,status_code_conformance,"
    "content_type_conformance"
)
PASSWORD = "fuzz the api, not the password"  # the throwaway database's learners
LEARNER = "fuzz@example.com"
THROWAWAY = "throwaway@example.com"
# The one operation that would end the fuzzing learner's account gets the throwaway's token.
DELETE_ME = "DELETE /api/v1/users/me"
LESSONS_PRACTISED = 3
PAYMENTS_TAG = "payments"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(*, database: str, redis_url: str, port: int, workdir: Path) -> dict[str, str]:
    """Production's settings on loopback over plain HTTP, tasks run in the web process (no
    broker to stand up), nothing sent anywhere, and no limit the fuzzer could run into."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "typingtrainer.settings_production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "STATIC_ROOT": str(workdir / "static"),
        "VAR_DIR": str(workdir / "var"),
        "API_REQUESTS_PER_MINUTE": "1000000",
        "API_ACCESS_TOKEN_SECONDS": str(24 * 3600),
        "RATE_LIMIT_STARTS_PER_MINUTE": "1000000",
        "RATE_LIMIT_COMPLETIONS_PER_MINUTE": "1000000",
        "RATE_LIMIT_EXERCISES_PER_MINUTE": "1000000",
        "RATE_LIMIT_CHAT_PER_MINUTE": "1000000",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": str(workdir / "access.log"),
        "PYTHONUNBUFFERED": "1",
    }


def prepare_data() -> None:
    """Migrate, load the curriculum, collect the static files (production's storage needs their
    manifest), and make the two learners."""
    import django
    from django.core.management import call_command

    django.setup()
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.monotonic()
    call_command("load_curriculum", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(
        f"api fuzz: migrated in {migrated - started:.0f} s, "
        f"curriculum and static files in {time.monotonic() - migrated:.0f} s",
        flush=True,
    )

    from allauth.account.models import EmailAddress

    from typingtrainer.models import User

    for email in (LEARNER, THROWAWAY):
        user = User.objects.create_user(email=email, password=PASSWORD)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    practise(User.objects.get(email=LEARNER))

    from django.db import connections

    connections.close_all()


def practise(user: Any) -> None:
    """The first lessons typed at 200 ms a key, with a wrong key every so often: completed
    sessions, lesson progress, daily, per-key and per-bigram statistics."""
    from courses.models import Lesson
    from lessons.attempts import complete_session, start_session, store_batch

    lessons = Lesson.objects.filter(course__is_published=True).order_by(
        "course__position", "position"
    )[:LESSONS_PRACTISED]
    for lesson in lessons:
        session = start_session(lesson=lesson, user=user)
        keys: list[list[Any]] = []
        t = 0
        for pos, ch in enumerate(session.text):
            if pos % 7 == 3 and ch != "f":
                keys.append([pos, "f", t])
                t += 200
            keys.append([pos, ch, t])
            t += 200
        batches = [keys[i : i + 20] for i in range(0, len(keys), 20)]
        for seq, batch in enumerate(batches):
            store_batch(session=session, seq=seq, keys=batch)
        complete_session(session=session, batches=len(batches))


def start_server(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).parent / "gunicorn"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "gunicorn"]
    return subprocess.Popen(
        [*command, "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=(workdir / "gunicorn.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before it answered")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def log_in(base: str, email: str) -> str:
    """An access token from allauth headless's app login, as the mobile app gets one."""
    request = urllib.request.Request(
        f"{base}/_allauth/app/v1/auth/login",
        data=json.dumps({"email": email, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["meta"]["access_token"])


def still_logged_in(base: str, token: str) -> bool:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return False


def schemathesis_config(token: str, throwaway_token: str) -> str:
    """The fuzzing learner's token on every operation but DELETE /users/me (by name: with
    include-method and include-path, an operation matching either gets the override).

    The payments operations may answer 503: the site fuzzed has no Stripe keys (nothing leaves
    the machine), and they answer 503 billing_not_configured, as they document. Any other 5xx
    of theirs still fails, and the 503 must still be declared and have the error shape."""
    return (
        f'headers = {{ Authorization = "Bearer {token}" }}\n\n'
        "[[operations]]\n"
        f'include-name = "{DELETE_ME}"\n'
        f'headers = {{ Authorization = "Bearer {throwaway_token}" }}\n\n'
        "[[operations]]\n"
        f'include-tag = "{PAYMENTS_TAG}"\n'
        'checks = { not_a_server_error = { expected-statuses = ["2xx", "3xx", "4xx", "503"] } }\n'
    )


def summary(junit: Path, returncode: int, seconds: float) -> str:
    """One line: operations fuzzed, how many failed, and the verdict."""
    try:
        suites = ET.parse(junit).getroot()
        cases = suites.findall(".//testcase")
        failed = [
            case.get("name", "?")
            for case in cases
            if case.find("failure") is not None or case.find("error") is not None
        ]
        counted = f"{len(cases)} operations, {len(failed)} failed"
        if failed:
            counted += f" ({', '.join(failed)})"
    except (OSError, ET.ParseError):
        counted = "no report"
    verdict = "ok" if returncode == 0 else f"FAILED (schemathesis exit {returncode})"
    return f"api fuzz: {counted} in {seconds:.0f} s: {verdict}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-time", type=int, default=90, help="seconds of fuzzing")
    # One: with more, schemathesis's threads parse lambdas' source at once (Hypothesis describing
    # its strategies), and CPython 3.11's ast then fails now and then ("AST constructor recursion
    # depth mismatch"), which schemathesis reports as errors of the operations being fuzzed.
    parser.add_argument("--workers", default="1", help="schemathesis workers (or auto)")
    parser.add_argument("--database", default="typingtrainer_fuzz")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--report-dir", type=Path, help="keep schemathesis's reports here")
    parser.add_argument(
        "extra", nargs="*", help="more options for `schemathesis run`, after --, e.g. -- --seed 1"
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="api-fuzz-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(database=args.database, redis_url=args.redis_url, port=port, workdir=workdir)
    os.environ.update(env)
    reports = args.report_dir.resolve() if args.report_dir else workdir / "report"
    server: subprocess.Popen[bytes] | None = None
    try:
        recreate_database(args.database)
        prepare_data()
        prepared = time.monotonic()
        server = start_server(env, workdir)
        wait_healthy(base, server)
        print(f"api fuzz: gunicorn answered in {time.monotonic() - prepared:.0f} s", flush=True)
        token = log_in(base, LEARNER)
        config = workdir / "schemathesis.toml"
        config.write_text(schemathesis_config(token, log_in(base, THROWAWAY)))
        exe = Path(sys.executable).parent / "schemathesis"
        started = time.monotonic()
        returncode = subprocess.call(
            [
                str(exe),
                "--no-color",
                "--config-file",
                str(config),
                "run",
                f"{base}/api/v1/openapi.json",
                "--checks",
                CHECKS,
                "--max-time",
                str(args.max_time),
                "--workers",
                args.workers,
                "--report",
                "junit",
                "--report-dir",
                str(reports),
                "--report-junit-path",
                str(reports / "junit.xml"),
                "--generation-database",
                "none",
                *args.extra,
            ],
            cwd=workdir,
        )
        if returncode == 0 and not still_logged_in(base, token):
            # Every answer after that was a 401, which the document declares: a blind run.
            print("api fuzz: the fuzzing learner's token stopped working during the run")
            returncode = 1
        print(summary(reports / "junit.xml", returncode, time.monotonic() - started), flush=True)
        if returncode != 0:
            # Tracebacks and errors; the 4xx answers' one-line warnings are the fuzzing itself.
            log = (workdir / "gunicorn.log").read_text(errors="replace").splitlines()
            kept = "\n".join(line for line in log if "WARNING django.request" not in line)
            print(f"--- gunicorn's log, 4xx warnings left out\n{kept[-6000:]}", file=sys.stderr)
        return returncode
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if not args.keep:
            drop_database(args.database)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
