"""Redis stops (a crash, a restart, an upgrade): logged-in learners keep practising, and when it
is back nothing needs a restart. A real redis-server of the test's own, really stopped."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import PASSWORD
from lessons.models import KeystrokeBatch
from lessons.tests.conftest import post_json, send_batches, start, typed_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson1(course):
    return course.lessons.get(position=1)


@pytest.fixture
def learner_client(cache_on_own_redis, learner):
    """Logged in while Redis runs, so the session is in Redis (and in the database)."""
    client = Client()
    client.force_login(learner)
    assert client.get("/stats/").status_code == 200
    return client


def test_pages_and_practice_keep_working_while_redis_is_stopped(
    cache_on_own_redis, learner_client, lesson1, settings, caplog
):
    settings.WIDGET_RATE_LIMITS = {"start": 1, "complete": 1}
    cache_on_own_redis.stop()

    for page in ("/stats/", "/courses/", "/courses/home-row/", f"/lessons/{lesson1.pk}/"):
        response = learner_client.get(page)
        assert response.status_code == 200, page
        assert b"Lena" in response.content  # still logged in
    session = start(learner_client, lesson1)
    keys = typed_keys(lesson1.text)
    batches = send_batches(learner_client, session, keys, size=5)  # no Redis on this path
    completed = post_json(learner_client, f"/sessions/{session}/complete", {"batches": batches})

    assert batches == 6
    assert KeystrokeBatch.objects.filter(session__pk=session).count() == 6
    assert completed.status_code == 200
    assert completed.json()["accuracy"] == 100.0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Redis is unreachable, so rate limits are not enforced" in w for w in warnings)
    # Once a minute, not once a call: the start and the completion, one line.
    assert sum("rate limits are not enforced" in w for w in warnings) == 1


def test_a_page_with_redis_stopped_is_not_held_up(cache_on_own_redis, learner_client):
    cache_on_own_redis.stop()
    learner_client.get("/stats/")  # the first call of each kind logs its warning

    started = time.monotonic()
    for _ in range(10):
        assert learner_client.get("/stats/").status_code == 200
    assert (time.monotonic() - started) / 10 < 0.5


def test_another_learner_can_log_in_while_redis_is_stopped(cache_on_own_redis, other_learner):
    cache_on_own_redis.stop()
    client = Client()

    response = client.post(
        "/accounts/login/", {"login": other_learner.email, "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.context["user"] == other_learner
    assert client.get("/stats/").status_code == 200


def test_readyz_names_the_cache_while_redis_is_stopped(cache_on_own_redis, client):
    cache_on_own_redis.stop()

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["cache"].startswith("down: ConnectionError")
    assert body["database"] == "ok"


def test_when_redis_is_back_the_cache_works_again_without_a_restart(
    cache_on_own_redis, learner_client, client
):
    cache_on_own_redis.stop()
    assert learner_client.get("/stats/").status_code == 200
    assert client.get("/readyz").status_code == 503

    cache_on_own_redis.start()

    cache.set("greeting", "hello", 30)
    assert cache.get("greeting") == "hello"
    assert client.get("/readyz").json()["cache"] == "ok"
    response = learner_client.get("/stats/")
    assert response.status_code == 200
    assert b"Lena" in response.content


def test_a_logout_while_redis_is_stopped_stays_a_logout_when_redis_is_back(
    cache_on_own_redis, learner_client
):
    """Redis keeps its data across the restart (append-only file): the session it still holds
    must not log the learner back in."""
    cookie = learner_client.cookies["sessionid"].value
    cache_on_own_redis.stop()
    assert learner_client.post("/accounts/logout/").status_code == 302

    cache_on_own_redis.start()

    thief = Client()
    thief.cookies["sessionid"] = cookie
    response = thief.get("/stats/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
