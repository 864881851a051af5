"""The database drops every connection (a restart, a failover, an operator's
pg_terminate_backend): the requests that follow are answered as if nothing happened.

Real PostgreSQL, real terminations from a second connection, real HTTP requests to a live
server, each request taking a connection from the pool and returning it, as under gunicorn.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from typing import cast

import psycopg
import pytest
from django.db import connection
from django.test import Client

from lessons.models import KeystrokeBatch
from lessons.tests.conftest import typed_keys
from typingtrainer.postgresql.base import DatabaseWrapper

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="terminating backends needs PostgreSQL (CI runs the suite on it)",
    ),
]

POOLED = 4


class Browser:
    """A logged-in learner's cookies and CSRF token, sent over real HTTP."""

    def __init__(self, base_url: str, session_cookie: str | None = None) -> None:
        self.base_url = base_url
        self.csrf = secrets.token_hex(16)  # a client-chosen CSRF secret is valid until rotated
        self.cookies = f"csrftoken={self.csrf}"
        if session_cookie:
            self.cookies += f"; sessionid={session_cookie}"
        self.token = ""  # the practice session's, once started

    def request(self, method: str, path: str, payload: object = None) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=None if payload is None else json.dumps(payload).encode(),
            headers={
                "Cookie": self.cookies,
                "X-CSRFToken": self.csrf,
                "X-Practice-Token": self.token,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def fill_the_pool(size: int) -> None:
    """Open `size` connections and leave them idle in the pool, as a busy worker's are."""
    pool = cast(DatabaseWrapper, connection).pool
    assert pool is not None
    taken = [pool.getconn() for _ in range(size)]
    for conn in taken:
        pool.putconn(conn)
    deadline = time.monotonic() + 10
    while pool.get_stats()["pool_available"] < size:
        assert time.monotonic() < deadline, pool.get_stats()
        time.sleep(0.01)


def terminate_every_connection() -> int:
    """What an operator or a failover does: end every backend of the app's database (ours
    included), and wait until they have gone."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    connection.close()  # the test's own connection goes back to the pool, to be terminated too
    with psycopg.connect(**params, autocommit=True) as killer:
        row = killer.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def lesson1(course):
    return course.lessons.get(position=1)


@pytest.fixture
def logged_in(live_server, learner, lesson1):
    client = Client()
    client.force_login(learner)
    browser = Browser(live_server.url, client.cookies["sessionid"].value)
    status, body = browser.request("POST", f"/lessons/{lesson1.pk}/start", {})
    assert status == 201, body
    browser.token = json.loads(body)["token"]
    return browser, json.loads(body)["session"]


def test_pages_and_keystrokes_are_answered_after_every_connection_is_terminated(
    live_server, logged_in, lesson1
):
    browser, session = logged_in
    visitor = Browser(live_server.url)
    assert visitor.request("GET", "/courses/")[0] == 200
    fill_the_pool(POOLED)

    assert terminate_every_connection() >= POOLED

    started = time.monotonic()
    statuses = [visitor.request("GET", "/courses/")[0] for _ in range(12)]
    first_answers_s = time.monotonic() - started
    keys = typed_keys(lesson1.text)
    batches = [keys[i : i + 5] for i in range(0, 25, 5)]
    acks = [
        browser.request("POST", f"/sessions/{session}/keystrokes", {"seq": seq, "keys": batch})
        for seq, batch in enumerate(batches)
    ]
    statuses += [status for status, _ in acks]
    statuses += [browser.request("GET", path)[0] for path in ("/", "/stats/", "/courses/home-row/")]

    assert [status for status in statuses if status >= 500] == []
    assert [status for status, _ in acks] == [201] * 5
    assert statuses[:12] == [200] * 12
    # No second per dead connection (psycopg's backoff between failed checks) either.
    assert first_answers_s < 2.5
    stored = KeystrokeBatch.objects.filter(session_id=session).order_by("seq")
    assert [batch.keys for batch in stored] == batches


def test_completion_is_answered_after_every_connection_is_terminated(logged_in, lesson1):
    browser, session = logged_in
    keys = typed_keys(lesson1.text)
    batches = [keys[i : i + 20] for i in range(0, len(keys), 20)]
    for seq, batch in enumerate(batches):
        status, body = browser.request(
            "POST", f"/sessions/{session}/keystrokes", {"seq": seq, "keys": batch}
        )
        assert status == 201, body
    fill_the_pool(POOLED)

    assert terminate_every_connection() >= POOLED

    status, body = browser.request(
        "POST", f"/sessions/{session}/complete", {"batches": len(batches)}
    )
    assert status == 200, body
    assert json.loads(body)["accuracy"] == 100.0


def test_code_outside_a_request_gets_a_working_connection_after_the_drop(learner):
    """A management command or a Celery task: Django returns its connection to the pool between
    units of work (close_old_connections), and the next query gets a live one."""
    fill_the_pool(POOLED)

    assert terminate_every_connection() >= POOLED

    learner.refresh_from_db()
    assert learner.email == "learner@example.com"


def terminate_the_connection_in_use() -> None:
    """The server ends the connection this thread holds, as it would a statement in flight: the
    pool's checkout check has already passed it."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def test_a_statement_whose_connection_is_ended_is_sent_again_outside_a_transaction(learner):
    terminate_the_connection_in_use()

    assert KeystrokeBatch.objects.count() == 0  # answered, on a new connection
    assert connection.connection.info.backend_pid  # and that connection is live


def test_inside_a_transaction_the_lost_connection_is_the_caller_s_to_handle(learner):
    from django.db import OperationalError, transaction

    def count_in_a_transaction() -> int:
        with transaction.atomic():
            terminate_the_connection_in_use()
            return KeystrokeBatch.objects.count()

    with pytest.raises(OperationalError):
        count_in_a_transaction()  # not sent again: the transaction's earlier work is gone
    connection.close()
    assert KeystrokeBatch.objects.count() == 0
