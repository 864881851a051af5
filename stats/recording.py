"""Write a learner's aggregates: add one counted session (`Recorder`, which `StatsConfig`
registers with `lessons.hooks`: the completion sends its statements inside the completing
transaction) or recompute them all from the stored
keystroke batches (`rebuild_user`, behind `manage.py rebuild_stats`).

Increments are upserts, `INSERT ... ON CONFLICT (...) DO UPDATE SET n = n + EXCLUDED.n`, one
statement per table (PostgreSQL and SQLite both speak it; on PostgreSQL the rows go in as one
JSON document): two sessions of one learner completing
at once both land, in full, because the database applies each increment to the row as the other
transaction left it. Rows go in a fixed order so concurrent upserts lock them in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from lessons.hooks import CountedSession, Statement
from lessons.models import KeystrokeBatch, PracticeSession

from .aggregates import Deltas, local_date, session_deltas
from .models import BigramStat, DailyStat, KeyConfusion, KeyStat

ROWS_PER_STATEMENT = 200


def counted_deltas(session: CountedSession) -> Deltas:
    """What the session adds; its day is the completion day in the learner's time zone."""
    return session_deltas(
        session.events,
        day=local_date(session.completed_at, session.zone_name),
        wpm=session.wpm,
        duration_ms=session.duration_ms,
        text_length=session.text_length,
    )


def session_statements(session: CountedSession) -> list[Statement]:
    """The upserts that add a counted session to the learner's aggregates, for a caller that
    sends them together with its own (`lessons.attempts` does, in one round trip)."""
    return statements(session.user_id, counted_deltas(session))


def record_session(session: CountedSession) -> None:
    """Add a counted session to the learner's aggregates now. Run it inside the transaction that
    counts the session, so the session and its statistics commit together."""
    execute(session_statements(session))


def facts_statements(*, user_id: int, day: date, since: date) -> list[Statement]:
    """The statistics the achievements read (see `lessons.hooks.Recorder`)."""
    streak, params = DailyStat.objects.streak_ending_sql(user_id, day, since=since)
    daily = connection.ops.quote_name(DailyStat._meta.db_table)
    return [
        (f"SELECT 'streak', NULL, {streak}", params),
        (f"SELECT 'typed', NULL, SUM(typed_ms) FROM {daily} WHERE user_id = %s", [user_id]),
    ]


class Recorder:
    """The statistics' part of a completion (`lessons.hooks`)."""

    def session_statements(self, session: CountedSession) -> list[Statement]:
        return session_statements(session)

    def facts_statements(self, *, user_id: int, day: date, since: date) -> list[Statement]:
        return facts_statements(user_id=user_id, day=day, since=since)


recorder = Recorder()


def counted(session: PracticeSession, replay: Any, user: Any) -> CountedSession:
    """A stored counted session of `user` in plain values (for the rebuild)."""
    assert session.completed_at is not None
    assert session.wpm is not None
    return CountedSession(
        user_id=user.pk,
        zone_name=user.time_zone,
        completed_at=session.completed_at,
        wpm=session.wpm,
        duration_ms=session.duration_ms or 0,
        text_length=replay.text_length,  # of a timed session, the part typed
        events=replay.events,
    )


def apply(user_id: int, deltas: Deltas) -> None:
    """Add `deltas` to the learner's aggregate rows, creating the missing ones."""
    execute(statements(user_id, deltas))


def execute(statements: list[Statement]) -> None:
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip for the four tables (psycopg binds client-side, so the statements
            # can go together).
            cursor.execute(
                ";\n".join(sql for sql, _ in statements),
                [param for _, params in statements for param in params],
            )
        else:
            for sql, params in statements:
                cursor.execute(sql, params)


def statements(user_id: int, deltas: Deltas) -> list[tuple[str, list[Any]]]:
    """One upsert a table (several on SQLite for long sessions), tables in a fixed order."""
    statements: list[tuple[str, list[Any]]] = []
    statements += _upserts(
        KeyStat,
        conflict=["user", "char"],
        rows=[
            {
                "user": user_id,
                "char": char,
                "hits": key.hits,
                "errors": key.errors,
                "time_sum_ms": key.time_sum_ms,
                "time_count": key.time_count,
            }
            for char, key in sorted(deltas.keys.items())
        ],
    )
    statements += _upserts(
        KeyConfusion,
        conflict=["user", "expected", "typed"],
        rows=[
            {"user": user_id, "expected": expected, "typed": typed, "count": count}
            for (expected, typed), count in sorted(deltas.confusions.items())
        ],
    )
    statements += _upserts(
        BigramStat,
        conflict=["user", "previous", "char"],
        rows=[
            {
                "user": user_id,
                "previous": previous,
                "char": char,
                "count": bigram.count,
                "errors": bigram.errors,
                "time_sum_ms": bigram.time_sum_ms,
                "time_count": bigram.time_count,
            }
            for (previous, char), bigram in sorted(deltas.bigrams.items())
        ],
    )
    statements += _upserts(
        DailyStat,
        conflict=["user", "date"],
        rows=[
            {
                "user": user_id,
                "date": connection.ops.adapt_datefield_value(day),
                "sessions": tally.sessions,
                "typed_ms": tally.typed_ms,
                "characters": tally.characters,
                "keystrokes": tally.keystrokes,
                "errors": tally.errors,
                "best_wpm": tally.best_wpm,
                "wpm_tenths_sum": tally.wpm_tenths_sum,
            }
            for day, tally in sorted(deltas.days.items())
        ],
        greatest=["best_wpm"],
    )
    return statements


def _upserts(
    model: type[models.Model],
    *,
    conflict: list[str],
    rows: list[dict[str, Any]],
    greatest: Sequence[str] = (),
) -> list[tuple[str, list[Any]]]:
    """SQL that inserts `rows`, and where a row with the same `conflict` fields exists adds the
    new values to it (keeping the larger value for the `greatest` fields)."""
    if not rows:
        return []
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = list(rows[0])
    raw = [_column(model, name) for name in names]
    columns = [qn(column) for column in raw]
    keys = [qn(_column(model, name)) for name in conflict]
    updates = []
    for name, column in zip(names, columns, strict=True):
        if name in conflict:
            continue
        if name in greatest:
            updates.append(
                f"{column} = CASE WHEN EXCLUDED.{column} > {table}.{column} "
                f"THEN EXCLUDED.{column} ELSE {table}.{column} END"
            )
        else:
            updates.append(f"{column} = {table}.{column} + EXCLUDED.{column}")
    upsert = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    insert = f"INSERT INTO {table} ({', '.join(columns)})"
    if connection.vendor == "postgresql":
        # All rows as one JSON parameter: psycopg binds on the client, and a JSON string is
        # quoted in one go where arrays are adapted element by element (~300 key pairs a
        # session, six columns each).
        record = ", ".join(
            f"{column} {_db_type(model, name)}" for name, column in zip(names, columns, strict=True)
        )
        document = json.dumps(
            [dict(zip(raw, [row[name] for name in names], strict=True)) for row in rows],
            ensure_ascii=False,
            cls=DjangoJSONEncoder,  # dates
        )
        return [
            (
                f"{insert} SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r({record}) {upsert}",
                [document],
            )
        ]
    row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
    return [
        (
            f"{insert} VALUES {', '.join([row_sql] * len(chunk))} {upsert}",
            [row[name] for row in chunk for name in names],
        )
        for chunk in _chunks(rows, ROWS_PER_STATEMENT)
    ]


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    assert field.column
    return field.column


def _db_type(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    assert isinstance(field, models.Field)
    db_type = field.db_type(connection)
    assert db_type
    return db_type


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# --- Rebuild -------------------------------------------------------------------------------------


def rebuild_user(user: Any) -> int:
    """Recompute the learner's aggregates from the stored keystrokes of their counted sessions,
    replacing what is there. Every sum is an integer (or a maximum), so the result is exactly
    what the incremental updates produced, whatever the order. Days are taken in the learner's
    current time zone. Returns the number of sessions replayed."""
    sessions = {
        session.pk: session
        for session in PracticeSession.objects.counted()
        .filter(user=user)
        .only("id", "text", "skip_indent", "completed_at", "wpm", "duration_ms")
    }
    total = Deltas()
    for session_id, batches in _batches_by_session(user):
        session = sessions.get(session_id)
        if session is not None:
            replay = session.replay(batches)
            total.add(counted_deltas(counted(session, replay, user)))
    with transaction.atomic():
        for model in (KeyStat, KeyConfusion, BigramStat, DailyStat):
            model.objects.filter(user=user).delete()
        apply(user.pk, total)
    return len(sessions)


def _batches_by_session(user: Any) -> Iterator[tuple[Any, list[Any]]]:
    """(session id, [keys of batch 0, batch 1, ...]) for each of the learner's completed
    sessions, streamed so a long history is never all in memory."""
    rows = (
        KeystrokeBatch.objects.filter(
            session__user=user, session__status=PracticeSession.Status.COMPLETED
        )
        .order_by("session_id", "seq")
        .values_list("session_id", "keys")
        .iterator(chunk_size=2000)
    )
    current: Any = None
    batches: list[Any] = []
    for session_id, keys in rows:
        if session_id != current:
            if batches:
                yield current, batches
            current, batches = session_id, []
        batches.append(keys)
    if batches:
        yield current, batches
