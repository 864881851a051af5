"""`manage.py backup` / `restore`: the round trip an operator relies on after losing a table.

On real PostgreSQL (skipped on SQLite, which backups do not support): seed learners, sessions
played through the protocol, bulk history and an avatar; back up; restore into a new empty
database; every table's row count and the keystroke checksum match, and the site running on
the restored database serves the learner's statistics as the original did.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from conftest import make_user
from stats.tests.conftest import history, play, typed_keys
from typingtrainer import backups
from typingtrainer.avatars import reencode_avatar

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = django_settings.DATABASES["default"]["ENGINE"] in backups.POSTGRESQL_ENGINES
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="backups are pg_dump/pg_restore: run with DATABASE_URL=postgres://… (CI does)",
)
KEYSTROKE_CHECKSUM = (
    "SELECT count(*), md5(string_agg(session_id::text || ':' || seq || ':' || encode(keys, 'hex'),"
    " ',' ORDER BY session_id, seq)) FROM lessons_keystrokebatch"
)


def server() -> backups.Target:
    return backups.Target.from_settings(connection.settings_dict)


def url_of(target: backups.Target, name: str) -> str:
    host = target.host or "127.0.0.1"
    port = target.port or "5432"
    password = f":{target.password}" if target.password else ""
    return f"postgres://{target.user}{password}@{host}:{port}/{name}"


@pytest.fixture
def empty_database():
    """A new, empty database on the same server, dropped afterwards."""
    name = f"tt_backup_{secrets.token_hex(4)}"
    admin = backups.Target(**{**server().__dict__, "name": "postgres"})
    with admin.connect(autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def keystroke_checksum(target: backups.Target) -> tuple:
    with target.connect() as conn:
        row = conn.execute(KEYSTROKE_CHECKSUM).fetchone()
    assert row is not None
    return tuple(row)


def counts(target: backups.Target) -> dict[str, int]:
    with target.connect() as conn, conn.cursor() as cursor:
        return backups.table_counts(cursor)


def export_without_time(content: bytes) -> dict:
    document = json.loads(content)
    document.pop("exported_at")
    return document


def seed(client, course):
    lesson1, lesson2 = course.lessons.order_by("position")[:2]
    lena = make_user("lena@example.com", display_name="Lena")
    omar = make_user("omar@example.com")
    for user, lesson in ((lena, lesson1), (lena, lesson2), (omar, lesson1)):
        client.force_login(user)
        response = play(client, lesson, typed_keys(lesson.text, mistakes={2: "x"}))
        assert response.status_code == 200, response.content
    # A long history built directly, for a learner of its own (its aggregates are made up).
    history(make_user("ida@example.com"), lesson2, sessions=40, last_day=date(2026, 11, 30))
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 10)).save(picture, format="PNG")
    picture.seek(0)
    lena.replace_avatar(reencode_avatar(picture))
    return lena


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_new_database_with_the_same_rows_and_stats(
    client, course, settings, tmp_path, empty_database
):
    settings.BACKUP_DIR = tmp_path / "backups"
    lena = seed(client, course)
    client.force_login(lena)
    original_export = export_without_time(
        b"".join(client.get("/stats/export/data.json").streaming_content)
    )
    assert len(original_export["sessions"]) == 2
    assert original_export["days"]
    source = server()
    source_counts = counts(source)
    assert source_counts["public.lessons_keystrokebatch"] > 40
    assert source_counts["public.stats_dailystat"] > 0
    source_checksum = keystroke_checksum(source)

    out = io.StringIO()
    call_command("backup", stdout=out)
    [generation] = backups.generations(settings.BACKUP_DIR)
    assert f"to {generation}" in out.getvalue()
    assert out.getvalue().rstrip().endswith(" s.")
    manifest = json.loads((generation / backups.MANIFEST).read_text())
    assert manifest["tables"] == source_counts
    assert manifest["migrations"]["lessons"].startswith("00")
    assert manifest["media_files"] == 1

    # The configured database has tables: restore refuses it and leaves it alone.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", "latest")
    assert counts(source) == source_counts

    restored_media = tmp_path / "restored-media"
    target_url = url_of(source, empty_database)
    out = io.StringIO()
    call_command(
        "restore",
        generation.name,
        database_url=target_url,
        media_root=restored_media,
        stdout=out,
    )
    assert f"into {empty_database} in" in out.getvalue()
    restored = backups.Target(**{**source.__dict__, "name": empty_database})
    assert counts(restored) == source_counts
    assert keystroke_checksum(restored) == source_checksum
    lena.refresh_from_db()
    original_avatar = Path(settings.MEDIA_ROOT) / lena.avatar.name
    assert (restored_media / lena.avatar.name).read_bytes() == original_avatar.read_bytes()

    # The site, started on the restored database, serves Lena's statistics as before.
    script = (
        "import json, sys\n"
        "from django.test import Client\n"
        "from typingtrainer.models import User\n"
        "client = Client()\n"
        "client.force_login(User.objects.get(email='lena@example.com'))\n"
        "page = client.get('/stats/')\n"
        "export = b''.join(client.get('/stats/export/data.json').streaming_content)\n"
        "sys.stdout.write(json.dumps({'status': page.status_code, 'export': export.decode()}))\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "typingtrainer.settings",
        "DATABASE_URL": target_url,
        "ALLOWED_HOSTS": "testserver",
        "DEBUG": "false",
        "CELERY_BROKER_URL": "memory://",
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(restored_media),
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    assert export_without_time(answer["export"].encode()) == original_export


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_backup_keeps_the_newest_generations(learner, settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEEP = 2
    made = []
    for _ in range(3):
        out = io.StringIO()
        call_command("backup", stdout=out)
        made.append(backups.generations(settings.BACKUP_DIR)[-1])
    assert backups.generations(settings.BACKUP_DIR) == made[1:]
    assert f"Deleted the old generation {made[0].name} (keeping 2)." in out.getvalue()
    # An interrupted run leaves nothing that counts as a generation.
    assert not [p for p in settings.BACKUP_DIR.iterdir() if p.name.startswith(".")]


@postgresql_only
@pytest.mark.django_db
def test_restore_names_the_generations_when_one_is_not_found(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    with pytest.raises(CommandError, match="not a backup generation"):
        call_command("restore", "20200101T000000Z", database_url="postgres://x@127.0.0.1/tt_x")


def test_backup_on_sqlite_says_it_needs_postgresql(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {"DJANGO_SETTINGS_MODULE": "typingtrainer.settings", "VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "manage.py", "backup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Backups need PostgreSQL" in done.stderr
    assert not (tmp_path / "backups").exists()
