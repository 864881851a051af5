"""`manage.py setup` on a new SQLite database builds dj-stripe's tables from its models' state
(typingtrainer/firstrun.py) instead of running its slow migrations: the schema must be the one
the migrations build, and `migrate` must have nothing left to do.

The reference is what dj-stripe's migrations build on SQLite: its tables (columns, indexes with
their SQL, foreign keys), migrations, content types and permissions. Building it runs the normal
path in a subprocess (≈60 s, dj-stripe's migrations), so it is kept in
fixtures/first_run_djstripe.json for the Django and dj-stripe versions and dj-stripe migrations
it was built with; with any other versions the test builds it again, comparing as strictly, and
`FIRST_RUN_REFERENCE=write` stores the new one. The rest of the schema comes from the same
migrations on both paths."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from typingtrainer import firstrun

BASE_DIR = Path(settings.BASE_DIR)
REFERENCE = Path(__file__).parent / "fixtures" / "first_run_djstripe.json"
APP = firstrun.SLOW_APP


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


def djstripe_part(path: Path) -> dict[str, Any]:
    """What the two paths must agree on, as JSON (lists, not tuples)."""
    quoted = f"'{APP}'"
    part = {
        "schema": {k: v for k, v in schema(path).items() if k.startswith(f"{APP}_")},
        "migrations": rows(path, f"SELECT app, name FROM django_migrations WHERE app = {quoted}"),
        "content_types": rows(
            path, f"SELECT model FROM django_content_type WHERE app_label = {quoted}"
        ),
        "permissions": rows(
            path,
            "SELECT codename FROM auth_permission JOIN django_content_type ct"
            f" ON ct.id = content_type_id WHERE app_label = {quoted}",
        ),
    }
    return json.loads(json.dumps(part, default=sorted))


def dump(data: dict[str, Any]) -> str:
    """JSON with a line per table and per list, so a new version's changes read as a diff."""
    ref = data["reference"]
    lines = [
        "{",
        f' "versions": {json.dumps(data["versions"])},',
        ' "reference": {',
        '  "schema": {',
    ]
    tables = [
        f"   {json.dumps(name)}: {json.dumps(table)}" for name, table in ref["schema"].items()
    ]
    lines += [",\n".join(tables), "  },"]
    rest = [
        f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in ref.items() if key != "schema"
    ]
    lines += [",\n".join(rest), " }", "}", ""]
    return "\n".join(lines)


def versions() -> dict[str, object]:
    """What the reference depends on: a new Django or dj-stripe, or a new dj-stripe migration,
    means building it again."""
    from importlib.metadata import version

    names = sorted(name for app, name in MigrationLoader(None).disk_migrations if app == APP)
    return {"django": version("django"), "dj-stripe": version("dj-stripe"), "migrations": names}


def reference(tmp: Path) -> dict[str, Any]:
    """The normal path's dj-stripe part: the stored one for these versions, else built (slow)."""
    if REFERENCE.exists() and os.environ.get("FIRST_RUN_REFERENCE") != "write":
        stored = json.loads(REFERENCE.read_text())
        if stored["versions"] == versions():
            return stored["reference"]
    done = manage(tmp, "migrate", "--noinput")
    assert done.returncode == 0, done.stderr
    built = djstripe_part(tmp / "typingtrainer.sqlite3")
    if os.environ.get("FIRST_RUN_REFERENCE") == "write":
        REFERENCE.write_text(dump({"versions": versions(), "reference": built}))
    return built


@pytest.fixture(scope="module")
def databases(tmp_path_factory) -> tuple[dict[str, Any], Path]:
    fast = tmp_path_factory.mktemp("fast")
    done = manage(fast, "setup", "--no-curriculum")
    assert done.returncode == 0, done.stderr
    assert "Creating the database (first run" in done.stdout
    return reference(tmp_path_factory.mktemp("normal")), fast / "typingtrainer.sqlite3"


def test_a_new_sqlite_database_has_the_schema_the_migrations_build(databases):
    expected, fast = databases
    built = djstripe_part(fast)
    assert sorted(built["schema"]) == sorted(expected["schema"])
    assert len(built["schema"]) > 30  # dj-stripe's tables are there
    for table in expected["schema"]:
        assert built["schema"][table] == expected["schema"][table], table


def test_it_records_the_same_migrations_and_migrate_has_nothing_left(databases):
    expected, fast = databases
    built = djstripe_part(fast)
    # Content types and permissions come from post_migrate, for dj-stripe's models too.
    for part in ("migrations", "content_types", "permissions"):
        assert built[part] == expected[part], part
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
