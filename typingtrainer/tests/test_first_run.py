"""`manage.py setup` on a new SQLite database builds dj-stripe's tables from its models' state
(typingtrainer/firstrun.py) instead of running its slow migrations: the schema must be the one
the migrations build, and `migrate` must have nothing left to do.

The comparison runs the normal path once, in a subprocess on a file of its own: slow (dj-stripe's
migrations, ≈45 s on a quiet machine) but the only way to know the two agree."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from typingtrainer import firstrun

BASE_DIR = Path(settings.BASE_DIR)


def manage(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["VAR_DIR"] = str(var_dir)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def schema(path: Path) -> dict[str, dict[str, object]]:
    """Every table's columns, indexes (with their SQL) and foreign keys."""
    db = sqlite3.connect(path)
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    result: dict[str, dict[str, object]] = {}
    for table in tables:
        columns = sorted(
            (name, kind, notnull, default, pk)
            for _, name, kind, notnull, default, pk in db.execute(f'PRAGMA table_info("{table}")')
        )
        indexes = sorted(
            (
                unique,
                origin,
                partial,
                tuple(col for _, _, col in db.execute(f'PRAGMA index_info("{name}")')),
                # Django's own index names; SQLite's automatic ones depend on creation order.
                name if not name.startswith("sqlite_autoindex") else "",
                db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0],
            )
            for _, name, unique, origin, partial in db.execute(f'PRAGMA index_list("{table}")')
        )
        foreign_keys = sorted(
            (to_table, from_col, to_col, on_update, on_delete)
            for _, _, to_table, from_col, to_col, on_update, on_delete, _ in db.execute(
                f'PRAGMA foreign_key_list("{table}")'
            )
        )
        result[table] = {"columns": columns, "indexes": indexes, "foreign_keys": foreign_keys}
    db.close()
    return result


def rows(path: Path, sql: str) -> set[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return set(db.execute(sql))
    finally:
        db.close()


@pytest.fixture(scope="module")
def databases(tmp_path_factory) -> tuple[Path, Path]:
    normal = tmp_path_factory.mktemp("normal")
    fast = tmp_path_factory.mktemp("fast")
    done = manage(normal, "migrate", "--noinput")
    assert done.returncode == 0, done.stderr
    done = manage(fast, "setup", "--no-curriculum")
    assert done.returncode == 0, done.stderr
    assert "Creating the database (first run" in done.stdout
    return normal / "typingtrainer.sqlite3", fast / "typingtrainer.sqlite3"


def test_a_new_sqlite_database_has_the_schema_the_migrations_build(databases):
    normal, fast = databases
    expected, built = schema(normal), schema(fast)
    assert sorted(built) == sorted(expected)
    assert any(table.startswith("djstripe_") for table in built)
    for table in expected:
        assert built[table] == expected[table], table


def test_it_records_the_same_migrations_and_migrate_has_nothing_left(databases):
    normal, fast = databases
    applied = "SELECT app, name FROM django_migrations"
    assert rows(fast, applied) == rows(normal, applied)
    # Content types and permissions come from post_migrate, for dj-stripe's models too.
    for sql in (
        "SELECT app_label, model FROM django_content_type",
        "SELECT codename FROM auth_permission",
        "SELECT name FROM auth_group",
    ):
        assert rows(fast, sql) == rows(normal, sql), sql
    plan = manage(fast.parent, "migrate", "--plan")
    assert "No planned migration operations." in plan.stdout
    assert manage(fast.parent, "migrate", "--check").returncode == 0


@pytest.mark.django_db
def test_a_database_with_tables_or_postgresql_takes_the_normal_path():
    # The test database is migrated already (and is PostgreSQL on CI): nothing is touched.
    assert firstrun.is_fresh_sqlite() is False
    assert firstrun.create_fresh_sqlite() is False


@pytest.mark.django_db
def test_setup_on_an_existing_database_says_what_it_does():
    out = StringIO()
    call_command("setup", stdout=out, verbosity=0)
    lines = out.getvalue()
    assert "Applying database migrations…" in lines
    assert "Creating the database" not in lines
    assert "Loading the curriculum…" in lines
    assert "Curriculum: " in lines
