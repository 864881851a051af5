"""A brand-new SQLite database in seconds instead of minutes.

dj-stripe's migrations are slow on SQLite: 2.10's removes 514 fields, and SQLite rebuilds the
whole table for each removal (≈45 s on a quiet 2-core machine, minutes on a busy one). For an
*empty* SQLite database only, `create_fresh_sqlite` first migrates what dj-stripe's migrations
depend on, then creates dj-stripe's tables straight from its models' state at its latest
migration (what those migrations end with), records those migrations as applied, and leaves the
rest to a normal `migrate`. tests/test_first_run.py checks that the schema is the one the
migrations build and that `migrate` has nothing left to do. PostgreSQL, and any database that
already has a table, always take the normal path.
"""

from __future__ import annotations

from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

SLOW_APP = "djstripe"


def is_fresh_sqlite(alias: str = "default") -> bool:
    connection = connections[alias]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def create_fresh_sqlite(alias: str = "default") -> bool:
    """Build dj-stripe's tables directly; False (and nothing done) unless the database is a new,
    empty SQLite one and dj-stripe's migrations can be taken apart from the others."""
    if not is_fresh_sqlite(alias):
        return False
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    leaves = [node for node in graph.leaf_nodes() if node[0] == SLOW_APP]
    if len(leaves) != 1:
        return False
    (leaf,) = leaves
    ancestors = graph.forwards_plan(leaf)
    own = [node for node in ancestors if node[0] == SLOW_APP]
    before = [node for node in ancestors if node[0] != SLOW_APP]
    # What dj-stripe depends on must not itself depend on dj-stripe.
    if any(n[0] == SLOW_APP for node in before for n in graph.forwards_plan(node)):
        return False
    for migration in executor.loader.disk_migrations.values():
        if migration.app_label == SLOW_APP and migration.run_before:
            return False  # another app's migration must run inside dj-stripe's sequence

    # The migration recorder's table first, then the apps dj-stripe depends on, normally.
    executor.migrate(before)
    state = executor.loader.project_state(leaf, at_end=True)
    # One transaction: an interrupted first run leaves no half-built dj-stripe behind (the next
    # run then finds tables and takes the normal path).
    with connection.schema_editor(atomic=True) as editor:
        for model in state.apps.get_app_config(SLOW_APP).get_models():
            editor.create_model(model)  # also its many-to-many tables
        recorder = MigrationRecorder(connection)
        for node in own:
            recorder.record_applied(*node)
    return True
