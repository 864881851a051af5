"""Backup benchmark: how long do `manage.py backup` and `restore` take for 1,000,000 keystrokes?

    uv run python bench/backup.py [--keystrokes 1000000] [--keep]

A measurement, not a test: it exits 0 whatever the times. What it does:

1. (Re)creates the PostgreSQL database `tt_backup_bench` (postgres@127.0.0.1:5432, trust auth)
   and migrates it.
2. Seeds one learner's completed sessions of ~330 keystrokes and their keystroke batches, 20
   keys to a batch, packed as the site stores them (lessons.keypack), with varied timings so
   the dump compresses as real data would. The batches go in with COPY, not through HTTP.
3. Runs `backup` into a temporary BACKUP_DIR, then `restore` into a new empty database
   `tt_backup_bench_restore`, and checks the keystroke checksum of both.
4. Drops both databases (unless --keep).

The last line is `backup: keystrokes=<n> backup_s=<s> restore_s=<s> dump_mb=<MB>`.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "tt_backup_bench"
RESTORE_NAME = "tt_backup_bench_restore"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
TEXT_LENGTH = 330
KEYS_PER_BATCH = 20
CHECKSUM = (
    "SELECT count(*), md5(string_agg(session_id::text || ':' || seq || ':' || encode(keys, 'hex'),"
    " ',' ORDER BY session_id, seq)) FROM lessons_keystrokebatch"
)


def url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def configure() -> Path:
    os.environ["DJANGO_SETTINGS_MODULE"] = "typingtrainer.settings"
    os.environ["DATABASE_URL"] = url(DB_NAME)
    os.environ["DEBUG"] = "false"
    var = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    os.environ["VAR_DIR"] = str(var)
    os.environ["BACKUP_DIR"] = str(var / "backups")
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    return var


def recreate(*names: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                conn.execute(f'CREATE DATABASE "{name}"')


def seed(keystrokes: int, rng: random.Random) -> int:
    """Sessions (ORM, a few thousand rows) and their batches (COPY); returns the key count."""
    from django.db import connection

    from courses.models import Course, Lesson
    from lessons import keypack
    from lessons.models import PracticeSession
    from typingtrainer.models import User

    user = User.objects.create_user(email="heavy@example.com", password="not used")
    course = Course.objects.create(
        slug="bench", title="Bench", language="en", layout="qwerty", is_published=True
    )
    letters = "asdfghjkl;qwertyuiopzxcvbnm,. "
    text = "".join(rng.choice(letters) for _ in range(TEXT_LENGTH)).strip()
    lesson = Lesson.objects.create(course=course, position=1, title="Long", text=text)
    now = datetime.now(UTC)
    per_session = len(text)
    count = -(-keystrokes // per_session)
    sessions = PracticeSession.objects.bulk_create(
        [
            PracticeSession(
                user=user,
                lesson=lesson,
                text=text,
                target_wpm=lesson.target_wpm,
                status=PracticeSession.Status.COMPLETED,
                completed_at=now - timedelta(hours=3 * n),
                wpm=40,
                raw_wpm=42,
                accuracy=97.0,
                errors=3,
                keystrokes=per_session,
                duration_ms=per_session * 200,
                rating=3,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    stored = 0
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        copy_sql = "COPY lessons_keystrokebatch (session_id, seq, keys, received_at) FROM STDIN"
        with raw.copy(copy_sql) as copy:
            for session in sessions:
                t = 0
                keys = []
                for pos, ch in enumerate(text):
                    t += max(45, int(rng.gauss(200, 50)))
                    keys.append([pos, ch, t])
                for seq, start in enumerate(range(0, len(keys), KEYS_PER_BATCH)):
                    chunk = keys[start : start + KEYS_PER_BATCH][: keystrokes - stored]
                    if not chunk:
                        break
                    copy.write_row((session.pk, seq, keypack.pack(chunk), now))
                    stored += len(chunk)
    return stored


def checksum(name: str) -> tuple:
    import psycopg

    with psycopg.connect(dbname=name, **PG) as conn:  # type: ignore[arg-type]
        row = conn.execute(CHECKSUM).fetchone()
    assert row is not None
    return tuple(row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keystrokes", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the databases afterwards.")
    args = parser.parse_args()
    configure()
    recreate(DB_NAME, RESTORE_NAME)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from typingtrainer import backups

        print(f"1. migrating {DB_NAME} ...", flush=True)
        call_command("migrate", verbosity=0)
        print(f"2. seeding {args.keystrokes:,} keystrokes ...", flush=True)
        started = time.perf_counter()
        stored = seed(args.keystrokes, random.Random(13))
        print(f"   {stored:,} keystrokes in {time.perf_counter() - started:.1f} s", flush=True)
        print("3. backup ...", flush=True)
        out = io.StringIO()
        started = time.perf_counter()
        call_command("backup", stdout=out)
        backup_s = time.perf_counter() - started
        print("   " + out.getvalue().strip())
        [generation] = backups.generations(settings.BACKUP_DIR)
        dump_mb = (generation / backups.DUMP).stat().st_size / 1e6
        out = io.StringIO()
        started = time.perf_counter()
        call_command("restore", generation.name, database_url=url(RESTORE_NAME), stdout=out)
        restore_s = time.perf_counter() - started
        print("   " + out.getvalue().strip())
        same = checksum(DB_NAME) == checksum(RESTORE_NAME)
        print(f"   keystroke checksum of the restored database matches: {same}")
        print(
            f"backup: keystrokes={stored} backup_s={backup_s:.1f} restore_s={restore_s:.1f} "
            f"dump_mb={dump_mb:.1f}"
        )
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            recreate(DB_NAME, RESTORE_NAME, drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
