"""Django's PostgreSQL backend, whose connection pool notices connections the server has closed.

After a database restart, a failover or `pg_terminate_backend`, psycopg's pool still holds the
closed connections and, unchecked, hands them out: each request that gets one fails with
`OperationalError` (a 500). Django 5.2's remedy, `CONN_HEALTH_CHECKS`, gives the pool psycopg's
`ConnectionPool.check_connection`, a round trip on every checkout. Measured with
`bench/pool_check.py` (a busy 2-core machine, PostgreSQL on loopback), that check has two costs:

- The round trip on every request: +110 µs a checkout on an idle machine, +570 to +940 µs on a
  loaded one (where the poll below cost nothing measurable), more across a network; the
  keystroke endpoint, the hot path, pays it on every batch.
- After a failed check psycopg tries the next idle connection, sleeping 1 s, 2 s, 4 s ... before
  each further attempt: with 2 dead connections in the pool the first request took 1 s, with 5 or
  more it gave up after the pool's 10 s timeout, a 500 again.

Ours instead:

- A server that ends a connection says so: it sends a FATAL error, then closes the socket. An
  idle connection has nothing to read otherwise, so we poll its socket (~2 µs, no round trip)
  and confirm with the round trip only a connection that has something to read.
- The server that closed one connection has most likely closed them all, so a failed check
  drains the pool (psycopg_pool >= 3.3): the idle connections are replaced in the background
  and the request waits for one new connection (35–100 ms in the benchmark, whatever the size).

Neither check catches a server that vanished without closing (power loss, a network partition):
a round trip would hang on such a connection as well.

`prepared_cursor()` is the one more thing: a cursor whose statements the server prepares once per
connection, for the keystroke INSERT (see its docstring).
"""

from __future__ import annotations

import logging
import select
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base, operations
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg import Connection
from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)


class ClosedByServerCheck:
    """The pool's `check`: pass a connection unless the server has closed it."""

    def __init__(self) -> None:
        self.pool: ConnectionPool | None = None

    def __call__(self, conn: Connection[Any]) -> None:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN)
        if not poller.poll(0):
            return  # nothing from the server since the last statement: open
        try:
            ConnectionPool.check_connection(conn)  # a notice, or the server's goodbye?
        except Exception:
            logger.warning(
                "The database closed a pooled connection; replacing the pool's idle connections."
            )
            if self.pool is not None:
                self.pool.drain()
            raise


# The server ended the session: an administrator (pg_terminate_backend), a shutdown, a crash.
_SERVER_ENDED = {"57P01", "57P02", "57P03"}


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` says the database connection itself is gone (not the statement failing)."""
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlstate", None) in _SERVER_ENDED:
        return True
    conn = getattr(cause, "pgconn", None)
    return isinstance(exc, OperationalError) and conn is not None and conn.status != 0


class RetryOnLostConnection:
    """A statement outside a transaction whose connection the server ended is sent again, once,
    on a new connection from the pool."""

    db: DatabaseWrapper
    cursor: Any

    def execute(self, sql: Any, params: Any = None) -> Any:
        try:
            return super().execute(sql, params)  # type: ignore[misc]
        except OperationalError as exc:
            self._reconnect_or_raise(exc)
            return super().execute(sql, params)  # type: ignore[misc]

    def executemany(self, sql: Any, param_list: Any) -> Any:
        try:
            return super().executemany(sql, param_list)  # type: ignore[misc]
        except OperationalError as exc:
            self._reconnect_or_raise(exc)
            return super().executemany(sql, param_list)  # type: ignore[misc]

    def _reconnect_or_raise(self, exc: OperationalError) -> None:
        named = getattr(self.cursor, "name", None)  # a server-side cursor lives on its connection
        if self.db.in_atomic_block or named or not connection_lost(exc):
            raise exc
        logger.warning("The database ended the connection mid-statement; sending it again.")
        self.db.close()  # the pool drops a broken connection
        self.db.ensure_connection()
        self.cursor = self.db.create_cursor()


class RetryingCursorWrapper(RetryOnLostConnection, CursorWrapper):
    pass


class RetryingCursorDebugWrapper(RetryOnLostConnection, CursorDebugWrapper):
    pass


class PreparingCursor(base.ServerBindingCursor):  # type: ignore[name-defined]
    """Server-side binding, and every statement prepared on its connection on first use."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        return super().execute(query, params, prepare=True, **kwargs)


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str:
        # Django reads the client-bound query off the cursor; a prepared one has none to read.
        if isinstance(cursor, PreparingCursor):
            return self.compose_sql(sql, params)
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    # Django's own (private) members, which django-stubs leave out.
    _connection_pools: dict[str, ConnectionPool]
    _configure_connection: Callable[[Connection[Any]], Any]

    def make_cursor(self, cursor: Any) -> CursorWrapper:
        return RetryingCursorWrapper(cursor, self)

    def make_debug_cursor(self, cursor: Any) -> CursorDebugWrapper:
        return RetryingCursorDebugWrapper(cursor, self)

    def prepared_cursor(self) -> CursorWrapper:
        """A cursor for a statement run thousands of times a second: the server plans it once
        per connection instead of on every execution. Django's cursors bind parameters on the
        client and prepare nothing (so that connection poolers work); planning was most of the
        server's time for the keystroke INSERT … SELECT (measured: ~420 µs a statement
        prepared against ~700 µs planned each time). Use it only for statements whose text is
        the same every time: each connection keeps what it prepared."""
        self.ensure_connection()
        with self.wrap_database_errors:
            if self.connection.prepare_threshold is None:  # Django's: psycopg prepares nothing
                # Only what is asked for (prepare=True), never a statement for its count; the
                # client-binding cursors Django uses prepare nothing whatever the threshold.
                self.connection.prepare_threshold = 2**31
            cursor = PreparingCursor(self.connection)
        return self._prepare_cursor(cursor)  # type: ignore[attr-defined]

    @property
    def pool(self) -> ConnectionPool | None:
        # Django's own property (django/db/backends/postgresql/base.py, 5.2), with our check in
        # place of its optional round trip. CONN_HEALTH_CHECKS is not needed with this backend.
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            if pool_options is True:
                pool_options = {}
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # as Django's: it sets autocommit itself later
            check = ClosedByServerCheck()
            pool = ConnectionPool(
                kwargs=connect_kwargs,
                open=False,  # opened on first use, as Django's
                configure=self._configure_connection,
                check=check,
                **pool_options,
            )
            check.pool = pool
            # As Django's: threads creating a pool at once keep the first one.
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]
