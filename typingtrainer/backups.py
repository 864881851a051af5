"""Backups: a PostgreSQL dump plus the uploaded media, as one generation in a directory.

A generation is a directory `BACKUP_DIR/<UTC time>/` holding

- `database.dump`: `pg_dump -Fc` (custom format, compressed, for `pg_restore`);
- `media.tar.gz`: MEDIA_ROOT (learners' avatars);
- `manifest.json`: when it was made, the newest applied migration of each app and every
  table's row count.

The dump and the counts come from one snapshot: a REPEATABLE READ transaction exports it
(`pg_export_snapshot`) and pg_dump runs with `--snapshot`, so the manifest describes exactly
what the dump holds while the site goes on writing. A generation is written under a hidden
name and renamed when complete, so a failed or interrupted run never counts as one and is
never restored. Only the newest BACKUP_KEEP generations are kept.

pg_dump and pg_restore are the PostgreSQL client tools on PATH (of the server's major
version or newer). The password goes to them in PGPASSWORD, never on the command line, where
any user of the machine could read it in the process list.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

DUMP = "database.dump"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"
# Generation names sort in time order: 20261203T170000Z (a suffix if two fall in one second).
GENERATION = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")
POSTGRESQL_ENGINES = frozenset({"django.db.backends.postgresql", "typingtrainer.postgresql"})


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


@dataclass(frozen=True)
class Target:
    """Where a database is: what libpq needs, from a Django DATABASES entry."""

    name: str
    host: str
    port: str
    user: str
    password: str

    @classmethod
    def from_settings(cls, database: dict[str, Any]) -> Target:
        if database.get("ENGINE") not in POSTGRESQL_ENGINES:
            raise BackupError(
                "Backups need PostgreSQL: this site runs on "
                f"{database.get('ENGINE', 'an unknown engine')} (the embedded defaults). "
                "Set DATABASE_URL to a PostgreSQL database; with SQLite, copy the database "
                "file while the site is stopped."
            )
        return cls(
            name=str(database["NAME"]),
            host=str(database.get("HOST") or ""),
            port=str(database.get("PORT") or ""),
            user=str(database.get("USER") or ""),
            password=str(database.get("PASSWORD") or ""),
        )

    def connect(self, **options: Any) -> psycopg.Connection:
        params: dict[str, Any] = {
            "dbname": self.name,
            "host": self.host,
            "port": self.port,
            "user": self.user,
        }
        params = {key: value for key, value in params.items() if value}
        if self.password:
            params["password"] = self.password
        return psycopg.connect(**params, **options)

    def tool_args(self) -> list[str]:
        """Connection options for pg_dump/pg_restore (everything but the password)."""
        args = []
        for flag, value in (
            ("--host", self.host),
            ("--port", self.port),
            ("--username", self.user),
        ):
            if value:
                args += [flag, value]
        return [*args, "--dbname", self.name]

    def tool_env(self) -> dict[str, str]:
        env = {**os.environ}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def _run(command: list[str], target: Target) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not on PATH: install the PostgreSQL client tools "
            "(Debian: postgresql-client) of the server's version or newer."
        )
    done = subprocess.run(command, env=target.tool_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")


def table_counts(cursor: psycopg.Cursor) -> dict[str, int]:
    """Every table's row count, by schema-qualified name."""
    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY schemaname, tablename"
    )
    counts = {}
    for schema, table in cursor.fetchall():
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
        row = cursor.execute(query).fetchone()
        counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def migration_heads(cursor: psycopg.Cursor) -> dict[str, str]:
    """The newest applied migration of each app (by name: Django's are numbered)."""
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return {app: name for app, name in cursor.fetchall()}


def generations(directory: Path) -> list[Path]:
    """The complete generations in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_dir() and GENERATION.match(p.name)]
    return sorted(found, key=lambda p: p.name)


def last_backup_time(directory: Path) -> datetime | None:
    """When the newest complete generation was made (its manifest's time), or None."""
    found = generations(directory)
    if not found:
        return None
    newest = found[-1]
    try:
        return datetime.fromisoformat(json.loads((newest / MANIFEST).read_text())["created"])
    except (OSError, ValueError, KeyError):
        # The name is the same UTC time, to the second.
        return datetime.strptime(newest.name[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _new_name(directory: Path, now: datetime) -> str:
    name = now.strftime("%Y%m%dT%H%M%SZ")
    candidate, n = name, 1
    while (directory / candidate).exists() or (directory / f".partial-{candidate}").exists():
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def backup(target: Target, media_root: Path, directory: Path, keep: int) -> tuple[Path, list[Path]]:
    """Write one generation; returns it and the old generations deleted to keep `keep`."""
    if keep < 1:
        raise BackupError(f"BACKUP_KEEP must be 1 or more, not {keep}.")
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    name = _new_name(directory, now)
    partial = directory / f".partial-{name}"
    partial.mkdir()
    try:
        with target.connect() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction(), conn.cursor() as cursor:
                row = cursor.execute("SELECT pg_export_snapshot()").fetchone()
                assert row is not None
                # The snapshot lives as long as this transaction: dump before counting.
                _run(
                    [
                        "pg_dump",
                        "--format=custom",
                        f"--snapshot={row[0]}",
                        f"--file={partial / DUMP}",
                        *target.tool_args(),
                    ],
                    target,
                )
                manifest: dict[str, Any] = {
                    "created": now.isoformat(),
                    "database": target.name,
                    "migrations": migration_heads(cursor),
                    "tables": table_counts(cursor),
                }
        with tarfile.open(partial / MEDIA, "w:gz") as archive:
            if media_root.is_dir():
                archive.add(media_root, arcname=".")
        manifest["media_files"] = sum(1 for p in media_root.rglob("*") if p.is_file())
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        final = directory / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    existing = generations(directory)
    pruned = existing[:-keep]
    for old in pruned:
        shutil.rmtree(old)
    return final, pruned


def find_generation(directory: Path, which: str) -> Path:
    """A generation by path, by name in `directory`, or `latest`."""
    if which == "latest":
        found = generations(directory)
        if not found:
            raise BackupError(f"There is no backup in {directory}.")
        return found[-1]
    path = Path(which)
    if not path.is_dir():
        path = directory / which
    if not (path / DUMP).is_file() or not (path / MANIFEST).is_file():
        raise BackupError(
            f"{which} is not a backup generation (a directory with {DUMP} and {MANIFEST}); "
            f"the ones in {directory}: "
            + (", ".join(p.name for p in generations(directory)) or "none")
        )
    return path


def restore(target: Target, generation: Path, media_root: Path) -> dict[str, Any]:
    """Restore `generation` into the (empty) target database and its media into `media_root`;
    returns the manifest. Refuses a database that has tables: restoring over live data would
    mix two sites' rows, and dropping them is a decision for an operator, not for a flag."""
    manifest = json.loads((generation / MANIFEST).read_text())
    with target.connect() as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        row = cursor.fetchone()
        if row and row[0]:
            raise BackupError(
                f"The database {target.name} is not empty ({row[0]} tables): restore only into "
                "an empty database. Create one (createdb) and point DATABASE_URL or "
                "--database-url at it, or drop this one first if you mean to replace it."
            )
    _run(
        [
            "pg_restore",
            "--exit-on-error",
            "--single-transaction",
            # The restoring role owns everything: the target need not have the source's roles.
            "--no-owner",
            "--no-privileges",
            *target.tool_args(),
            str(generation / DUMP),
        ],
        target,
    )
    with target.connect() as conn, conn.cursor() as cursor:
        restored = table_counts(cursor)
    if restored != manifest["tables"]:
        differ = sorted(
            t
            for t in set(restored) | set(manifest["tables"])
            if restored.get(t) != manifest["tables"].get(t)
        )
        raise BackupError(f"Restored row counts differ from the manifest in: {', '.join(differ)}")
    media = generation / MEDIA
    if media.is_file():
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(media) as archive:
            # "data": no absolute paths, links out of the folder or device files.
            archive.extractall(media_root, filter="data")
    return manifest
