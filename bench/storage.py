"""Storage benchmark: how many bytes does one keystroke cost in PostgreSQL, packed and as jsonb?

    uv run python bench/storage.py [--sessions 400] [--keys-per-session 1000] [--keep]

A measurement, not a test: it exits 0 whether or not the target is met. What it does:

1. (Re)creates the PostgreSQL database `typingtrainer_storage` (postgres@127.0.0.1:5432, trust
   auth) and migrates it.
2. Inserts N practice sessions on a 5,000-character lesson text (a quarter Russian, the rest
   English), each typed as the widget sends it: batches of 20 keys, `t` growing 150-250 ms a key
   with jitter, a wrong key before the right one about 3 % of the time. The same batches go into
   the real `lessons_keystrokebatch` table (packed bytea) and into a scratch table with the old
   layout (the columns and indexes of migration 0002: `keys` jsonb, an index on the session, the
   unique (session, seq) index). For information, a third scratch table holds the packed rows
   without the bigint id and `received_at`, (session, seq) as primary key.
3. VACUUM ANALYZE, then prints for each table the bytes per keystroke from
   `pg_total_relation_size` (heap + TOAST + indexes) divided by the keystrokes, with the split,
   and the ratio. The target is at most 16 B a keystroke. Last line:
   `storage: bytes_per_key=<B> jsonb_bytes_per_key=<B> ratio=<x>`.
4. Drops the database (unless --keep).

Another benchmark can measure the real table after its own load with
`bench.storage.bytes_per_keystroke(connection)`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "typingtrainer_storage"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
TEXT_LENGTH = 5_000
BATCH_KEYS = 20
TARGET_BYTES_PER_KEY = 16.0
JSONB_TABLE = "storage_jsonb_batch"
LEAN_TABLE = "storage_lean_batch"


@dataclass(frozen=True)
class Footprint:
    table: str
    keystrokes: int
    rows: int
    heap: int
    toast: int
    indexes: int

    @property
    def total(self) -> int:
        return self.heap + self.toast + self.indexes

    @property
    def bytes_per_key(self) -> float:
        return self.total / self.keystrokes if self.keystrokes else 0.0

    def describe(self) -> str:
        per = self.keystrokes or 1
        return (
            f"{self.table}: {self.rows:,} batches, {self.keystrokes:,} keystrokes, "
            f"{self.total / 1e6:.2f} MB = {self.bytes_per_key:.2f} B/key "
            f"(heap {self.heap / per:.2f} + TOAST {self.toast / per:.2f} "
            f"+ indexes {self.indexes / per:.2f})"
        )


def footprint(connection: Any, table: str, keystrokes: int) -> Footprint:
    """Sizes of `table` on PostgreSQL: heap (main fork + free space and visibility maps), TOAST
    and all indexes. Run VACUUM ANALYZE first for figures without dead rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_table_size(%s::regclass), pg_indexes_size(%s::regclass),"
            " COALESCE((SELECT pg_total_relation_size(reltoastrelid) FROM pg_class"
            "  WHERE oid = %s::regclass AND reltoastrelid <> 0), 0),"
            " pg_total_relation_size(%s::regclass)",
            [table, table, table, table],
        )
        table_size, indexes, toast, total = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        rows = cursor.fetchone()[0]
    heap = table_size - toast
    assert heap + toast + indexes == total
    return Footprint(table, keystrokes, rows, heap, toast, indexes)


def bytes_per_keystroke(connection: Any, keystrokes: int | None = None) -> Footprint:
    """The real batch table's footprint per keystroke (heap + TOAST + indexes). `keystrokes`
    defaults to counting the stored keys (it decodes every batch: fine for a benchmark)."""
    from lessons.models import KeystrokeBatch

    if keystrokes is None:
        keystrokes = sum(
            len(keys)
            for keys in KeystrokeBatch.objects.values_list("keys", flat=True).iterator(2_000)
        )
    return footprint(connection, KeystrokeBatch._meta.db_table, keystrokes)


def configure() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "typingtrainer.settings"
    os.environ["DATABASE_URL"] = f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DB_NAME}"
    os.environ["DEBUG"] = "false"
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-storage-")
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))


def recreate_database(*, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def make_text(rng: random.Random, language: str) -> str:
    from wordfreq import top_n_list

    vocabulary = [word for word in top_n_list(language, 800) if word.isalpha()]
    out: list[str] = []
    size = 0
    while size < TEXT_LENGTH:
        word = rng.choice(vocabulary)
        if rng.random() < 0.08:
            word = word.capitalize()
        out.append(word + ("," if rng.random() < 0.05 else ""))
        size += len(out[-1]) + 1
    text = " ".join(out)[:TEXT_LENGTH]
    return "\n".join(text[i : i + 70] for i in range(0, len(text), 70))[:TEXT_LENGTH]


def type_text(rng: random.Random, text: str, count: int) -> list[list[Any]]:
    """`count` keystrokes typing `text` from its start in must-correct mode."""
    keys: list[list[Any]] = []
    t, pos = 0, 0
    while len(keys) < count and pos < len(text):
        if rng.random() < 0.03:
            keys.append([pos, "e" if text[pos] != "e" else "r", t])
            t += rng.randint(150, 250) + rng.randint(0, 120)
        keys.append([pos, text[pos], t])
        t += rng.randint(150, 250) + (rng.randint(0, 600) if rng.random() < 0.05 else 0)
        pos += 1
    return keys[:count]


def create_jsonb_table(connection: Any) -> None:
    """The batch table as migration 0002 left it, keys as jsonb."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {JSONB_TABLE}")
        cursor.execute(
            f"CREATE TABLE {JSONB_TABLE} ("
            " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            " seq integer NOT NULL CHECK (seq >= 0),"
            " keys jsonb NOT NULL,"
            " received_at timestamptz NOT NULL,"
            " session_id uuid NOT NULL REFERENCES lessons_practicesession (id)"
            "  DEFERRABLE INITIALLY DEFERRED,"
            f" CONSTRAINT {JSONB_TABLE}_unique UNIQUE (session_id, seq))"
        )
        cursor.execute(f"CREATE INDEX {JSONB_TABLE}_session ON {JSONB_TABLE} (session_id)")
        # For information: what the packed row would cost without the bigint id and
        # received_at, (session, seq) being the primary key.
        cursor.execute(f"DROP TABLE IF EXISTS {LEAN_TABLE}")
        cursor.execute(
            f"CREATE TABLE {LEAN_TABLE} (session_id uuid NOT NULL, seq integer NOT NULL,"
            " keys bytea NOT NULL, PRIMARY KEY (session_id, seq))"
        )


def load(args: argparse.Namespace) -> int:
    from django.db import connection, transaction
    from django.utils import timezone

    from lessons.keypack import pack
    from lessons.models import KeystrokeBatch, PracticeSession

    rng = random.Random(11)
    texts = {"en": make_text(rng, "en"), "ru": make_text(rng, "ru")}
    keystrokes = 0
    for start in range(0, args.sessions, 50):
        with transaction.atomic():
            batches: list[KeystrokeBatch] = []
            for _ in range(start, min(start + 50, args.sessions)):
                text = texts["ru" if rng.random() < 0.25 else "en"]
                session = PracticeSession.objects.create(text=text, target_wpm=30)
                keys = type_text(rng, text, args.keys_per_session)
                keystrokes += len(keys)
                for seq, offset in enumerate(range(0, len(keys), BATCH_KEYS)):
                    chunk = keys[offset : offset + BATCH_KEYS]
                    batches.append(KeystrokeBatch(session=session, seq=seq, keys=chunk))
            now = timezone.now()
            KeystrokeBatch.objects.bulk_create(batches, batch_size=2_000)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {JSONB_TABLE} (seq, keys, received_at, session_id)"
                    " VALUES (%s, %s::jsonb, %s, %s)",
                    [
                        (b.seq, json.dumps(b.keys, ensure_ascii=False), now, b.session_id)
                        for b in batches
                    ],
                )
                cursor.executemany(
                    f"INSERT INTO {LEAN_TABLE} (session_id, seq, keys) VALUES (%s, %s, %s)",
                    [(b.session_id, b.seq, pack(b.keys)) for b in batches],
                )
    return keystrokes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=400)
    parser.add_argument("--keys-per-session", type=int, default=1_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    configure()
    recreate_database()
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        create_jsonb_table(connection)
        keystrokes = load(args)
        with connection.cursor() as cursor:
            for table in ("lessons_keystrokebatch", JSONB_TABLE, LEAN_TABLE):
                cursor.execute(f"VACUUM ANALYZE {table}")
        packed = bytes_per_keystroke(connection)
        assert packed.keystrokes == keystrokes
        jsonb = footprint(connection, JSONB_TABLE, keystrokes)
        lean = footprint(connection, LEAN_TABLE, keystrokes)
        print(f"loaded in {time.perf_counter() - started:.0f} s")
        print(packed.describe())
        print(jsonb.describe())
        print(f"(for information, no id or received_at) {lean.describe()}")
        met = "met" if packed.bytes_per_key <= TARGET_BYTES_PER_KEY else "MISSED"
        print(f"target: <= {TARGET_BYTES_PER_KEY:g} B/key packed: {met}")
        ratio = jsonb.bytes_per_key / packed.bytes_per_key
        print(
            f"storage: bytes_per_key={packed.bytes_per_key:.2f} "
            f"jsonb_bytes_per_key={jsonb.bytes_per_key:.2f} ratio={ratio:.2f}"
        )
        connection.close()
    finally:
        if not args.keep:
            recreate_database(drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
