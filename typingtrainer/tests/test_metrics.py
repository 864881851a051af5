"""/metrics as a scraper sees it: refused without the token, and the counters moved by exactly
what a practice session, a repeat, a refusal, a webhook or an LLM call did."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from api.tests.conftest import ApiClient, log_in
from billing.tests.conftest import (  # noqa: F401  (fixtures)
    deliver,
    fake_stripe,
    premium_prices,
    stripe_customer_for,
    webhook_endpoint,
)
from coach import coaching, llm
from coach.exercises import ExerciseRequest
from coach.tests.conftest import fail, fake_openai, reply  # noqa: F401  (fixture)
from coach.tests.test_worker import rabbitmq  # noqa: F401  (fixture: a vhost of the test's own)
from courses.models import Lesson
from lessons.models import PracticeSession
from lessons.tests.conftest import (
    post_json,
    send_batches,
    start,
    typed_for,
    typed_keys,
)
from typingtrainer import metrics
from typingtrainer.celery import app as celery_app

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def lesson1(course) -> Lesson:
    return course.lessons.get(position=1)


@pytest.fixture
def scraper(settings) -> Client:
    settings.METRICS_TOKEN = TOKEN
    return Client(headers={"Authorization": f"Bearer {TOKEN}"})


def scrape(scraper: Client) -> Samples:
    response = scraper.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def rejected(before: Samples, after: Samples, step: str, status: int) -> float:
    return moved(before, after, "tt_practice_rejections_total", step=step, status=str(status))


def answered(before: Samples, after: Samples, route: str, status: int, method: str = "POST"):
    labels = {"route": route, "method": method, "status": str(status)}
    return moved(before, after, "tt_http_requests_total", **labels)


def webhooks(before: Samples, after: Samples, event_type: str, outcome: str) -> float:
    labels = {"type": event_type, "outcome": outcome}
    return moved(before, after, "tt_stripe_webhook_events_total", **labels)


def test_metrics_is_404_without_a_configured_token(settings, client):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_refuses_a_missing_or_wrong_token_with_401(settings, client):
    settings.METRICS_TOKEN = TOKEN
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"tt_" not in response.content
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert b"tt_http_requests_total" in answer.content


@pytest.mark.django_db(transaction=True)  # completions are counted once committed
def test_a_practice_session_moves_the_counters_by_exactly_what_it_did(
    scraper, client, learner, lesson1
):
    client.force_login(learner)
    before = scrape(scraper)

    session = start(client, lesson1)
    keys = typed_keys(lesson1.text)  # 29 keys, no mistake: 5 stars
    count = send_batches(client, session, keys, size=10)  # 3 batches: 10, 10, 9
    token = typed_for(session, keys)
    repeat = post_json(
        client, f"/sessions/{session}/keystrokes", {"seq": 0, "keys": keys[:10]}, token=token
    )
    assert repeat.status_code == 200
    assert repeat.json()["stored"] is False
    different = post_json(
        client, f"/sessions/{session}/keystrokes", {"seq": 0, "keys": keys[:9]}, token=token
    )
    assert different.status_code == 409
    bad = post_json(
        client, f"/sessions/{session}/keystrokes", {"seq": "x", "keys": []}, token=token
    )
    assert bad.status_code == 400
    done = post_json(client, f"/sessions/{session}/complete", {"batches": count})
    assert done.status_code == 200
    assert done.json()["rating"] == 5
    again = post_json(client, f"/sessions/{session}/complete", {"batches": count})
    assert again.status_code == 200  # the same result, not a second completion

    after = scrape(scraper)
    assert moved(before, after, "tt_keystroke_batches_stored_total") == 3
    assert moved(before, after, "tt_keystrokes_stored_total") == 29
    assert moved(before, after, "tt_practice_completions_total") == 1
    assert moved(before, after, "tt_practice_flagged_total") == 0
    assert moved(before, after, "tt_practice_ratings_total", stars="5") == 1
    assert rejected(before, after, "keystrokes", 409) == 1
    assert rejected(before, after, "keystrokes", 400) == 1
    assert rejected(before, after, "complete", 409) == 0
    ok = {"route": "session_keystrokes", "method": "POST"}
    assert moved(before, after, "tt_http_requests_total", **ok, status="201") == 3
    assert moved(before, after, "tt_http_requests_total", **ok, status="200") == 1
    assert (
        moved(
            before,
            after,
            "tt_http_requests_total",
            route="lesson_start",
            method="POST",
            status="201",
        )
        == 1
    )
    assert (
        moved(
            before,
            after,
            "tt_http_requests_total",
            route="session_complete",
            method="POST",
            status="200",
        )
        == 2
    )
    assert moved(before, after, "tt_http_request_duration_seconds_count", **ok) == 6


def test_api_protocol_refusals_count_as_rejections_of_their_step(scraper, learner, lesson1):
    api = ApiClient(log_in(learner.email).access)
    before = scrape(scraper)
    started = api.post(f"/api/v1/lessons/{lesson1.pk}/start").json()
    keys = typed_keys(lesson1.text)
    no_token = api.post(
        f"/api/v1/lessons/{lesson1.pk}/keystrokes",
        {"session_id": started["session_id"], "seq": 0, "keys": keys[:10]},
    )
    assert no_token.status_code == 401
    early = api.post(
        f"/api/v1/lessons/{lesson1.pk}/complete",
        {"session_id": started["session_id"], "batches": 1},
        **{"X-Practice-Token": started["practice_token"]},
    )
    assert early.status_code == 409
    after = scrape(scraper)
    assert rejected(before, after, "keystrokes", 401) == 1
    assert rejected(before, after, "complete", 409) == 1
    assert (
        moved(
            before, after, "tt_http_requests_total", route="api:start", method="POST", status="201"
        )
        == 1
    )


@pytest.mark.django_db(transaction=True)  # completions are counted once committed
def test_a_flagged_result_counts_as_completed_flagged_and_zero_stars(
    scraper, client, learner, course
):
    client.force_login(learner)
    lesson = Lesson.objects.create(
        course=course, position=0, title="Fast", text="asdf jkl; " * 6, target_wpm=20
    )
    before = scrape(scraper)
    session = start(client, lesson)
    keys = typed_keys(lesson.text, interval=25)  # robotic: 25 ms a key, every key
    count = send_batches(client, session, keys)
    done = post_json(client, f"/sessions/{session}/complete", {"batches": count})
    assert done.status_code == 200
    assert done.json()["flagged"] is True
    after = scrape(scraper)
    assert moved(before, after, "tt_practice_completions_total") == 1
    assert moved(before, after, "tt_practice_flagged_total") == 1
    assert moved(before, after, "tt_practice_ratings_total", stars="0") == 1


def test_a_hundred_session_urls_are_one_route_label(scraper, client):
    before = scrape(scraper)
    for _ in range(100):
        assert post_json(client, f"/sessions/{uuid.uuid4()}/complete", {}).status_code == 401
        assert client.get(f"/no/such/page/{uuid.uuid4()}").status_code == 404
    client.generic("BREW", "/healthz")  # not a standard method
    after = scrape(scraper)
    routes = {dict(labels)["route"] for (name, labels) in after if name == "tt_http_requests_total"}
    assert not any("/" in route or "-" in route for route in routes), routes
    complete = {"route": "session_complete", "method": "POST", "status": "401"}
    assert moved(before, after, "tt_http_requests_total", **complete) == 100
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert moved(before, after, "tt_http_requests_total", **unmatched) == 100
    assert rejected(before, after, "complete", 401) == 100
    methods = {
        dict(labels)["method"] for (name, labels) in after if name == "tt_http_requests_total"
    }
    assert "BREW" not in methods
    assert "other" in methods


@pytest.mark.django_db(transaction=True)  # the dispatcher opens and closes connections itself
def test_the_keystroke_dispatcher_counts_its_requests_as_the_middleware_does(
    scraper, learner, lesson1
):
    from lessons.tests.test_wsgi_dispatcher import call

    web = Client()
    web.force_login(learner)
    session = start(web, lesson1)
    keys = typed_keys(lesson1.text)
    token = typed_for(session, keys)
    before = scrape(scraper)
    body = json.dumps({"seq": 0, "keys": keys[:10]}).encode()
    path = f"/sessions/{session}/keystrokes"
    assert call(path, body, HTTP_X_PRACTICE_TOKEN=token)["status"] == 201
    assert call(path, body, HTTP_X_PRACTICE_TOKEN=token)["status"] == 200
    assert call(path, body)["status"] == 401
    after = scrape(scraper)
    route = {"route": "session_keystrokes", "method": "POST"}
    assert moved(before, after, "tt_http_requests_total", **route, status="201") == 1
    assert moved(before, after, "tt_http_requests_total", **route, status="200") == 1
    assert moved(before, after, "tt_http_requests_total", **route, status="401") == 1
    assert moved(before, after, "tt_keystroke_batches_stored_total") == 1
    assert moved(before, after, "tt_keystrokes_stored_total") == 10
    assert rejected(before, after, "keystrokes", 401) == 1


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """This process publishes to `url` (eager off) and the scrape asks it for the queue depth."""
    configured = celery_app.conf.broker_url
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    _forget_connections()
    try:
        yield
    finally:
        celery_app.conf.update(broker_url=configured, task_always_eager=True)
        _forget_connections()


def _forget_connections() -> None:
    """Celery caches its producer pool; drop it so publishing follows the broker URL."""
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


def test_a_broker_that_is_down_leaves_out_the_queue_depth_and_nothing_else(scraper, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with broker_at(f"amqp://guest:guest@127.0.0.1:{closed_port()}//"):
        samples = scrape(scraper)
    names = {name for name, _ in samples}
    assert "tt_analysis_queue_depth" not in names
    assert "tt_analysis_oldest_unfinished_age_seconds" in names
    assert "tt_http_requests_total" in names


def test_the_queue_depth_is_the_brokers_count_of_waiting_messages(
    scraper,
    settings,
    rabbitmq,  # noqa: F811
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with broker_at(rabbitmq):
        assert value(scrape(scraper), "tt_analysis_queue_depth") == 0  # not even declared yet
        for _ in range(3):
            celery_app.signature("coach.tasks.sweep_unqueued_sessions").apply_async()
        assert value(scrape(scraper), "tt_analysis_queue_depth") == 3


@pytest.mark.django_db(transaction=True)  # the analysis is queued (and refused) after commit
def test_an_analysis_the_broker_refused_is_reported_by_its_age(
    scraper, client, learner, lesson1, settings
):
    client.force_login(learner)
    with broker_at(f"amqp://guest:guest@127.0.0.1:{closed_port()}//"):
        session = start(client, lesson1)
        keys = typed_keys(lesson1.text)
        count = send_batches(client, session, keys)
        done = post_json(client, f"/sessions/{session}/complete", {"batches": count})
        assert done.status_code == 200
    stored = PracticeSession.objects.get(pk=session)
    assert stored.analysis_queued_at is None  # the sweep will queue it
    assert stored.completed_at is not None
    age = value(scrape(scraper), "tt_analysis_oldest_unfinished_age_seconds")
    assert 0 < age <= (datetime.now(UTC) - stored.completed_at).total_seconds() + 1
    # Past the sweep's window it is given up (the next session's report covers it).
    PracticeSession.objects.filter(pk=session).update(completed_at=datetime(2000, 1, 1, tzinfo=UTC))
    assert value(scrape(scraper), "tt_analysis_oldest_unfinished_age_seconds") == 0


def test_the_backup_time_is_the_newest_complete_generation_and_absent_without_one(
    scraper, settings, tmp_path
):
    settings.BACKUP_DIR = tmp_path / "backups"
    names = {name for name, _ in scrape(scraper)}
    assert "tt_backup_last_success_timestamp_seconds" not in names
    for name, created in (
        ("20261201T031500Z", "2026-12-01T03:15:00+00:00"),
        ("20261202T031500Z", "2026-12-02T03:15:00.250000+00:00"),
    ):
        generation = settings.BACKUP_DIR / name
        generation.mkdir(parents=True)
        (generation / "manifest.json").write_text(json.dumps({"created": created}))
    (settings.BACKUP_DIR / ".partial-20261203T031500Z").mkdir()  # still being written
    newest = datetime(2026, 12, 2, 3, 15, 0, 250000, tzinfo=UTC).timestamp()
    assert value(scrape(scraper), "tt_backup_last_success_timestamp_seconds") == newest


def test_a_database_outage_at_scrape_leaves_out_only_what_it_reads(settings, django_db_blocker):
    """Without the database (every query refused, as when it is down) the scrape still answers
    with the counters; only the analysis age, read from it, is missing."""
    settings.METRICS_TOKEN = TOKEN
    with django_db_blocker.block():
        body = metrics.web_exposition().decode()
    assert "tt_http_requests_total" in body
    assert "tt_analysis_oldest_unfinished_age_seconds" not in body


def test_llm_calls_fallbacks_and_latency_are_counted_by_purpose(scraper, fake_openai, learner):  # noqa: F811
    before = scrape(scraper)
    fake_openai.will(reply("Slow down on the left hand."))
    assert llm.phrase_advice(fake_openai.settings(), findings=[], stats_summary="40 WPM")
    fake_openai.will(fail(500))
    request = ExerciseRequest(language="en", layout="qwerty", focus_keys=("f",), seed=1)
    made = llm.llm_exercise(fake_openai.settings(timeout=1, max_retries=0), request)
    assert made.source != "llm"
    after = scrape(scraper)
    assert moved(before, after, "tt_llm_calls_total", purpose="advice", outcome="ok") == 1
    assert moved(before, after, "tt_llm_calls_total", purpose="exercise", outcome="error") == 1
    assert moved(before, after, "tt_llm_fallbacks_total", purpose="exercise") == 1
    assert moved(before, after, "tt_llm_fallbacks_total", purpose="advice") == 0
    assert moved(before, after, "tt_llm_call_duration_seconds_count", purpose="advice") == 1
    assert moved(before, after, "tt_llm_call_duration_seconds_count", purpose="exercise") == 1


def test_a_chat_the_llm_cannot_answer_counts_a_fallback(scraper, fake_openai, settings, learner):  # noqa: F811
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.OPENAI_API_KEY = "sk-fake"
    settings.OPENAI_TIMEOUT = "1"
    fake_openai.will(fail(500))
    before = scrape(scraper)
    coaching.ask(user=learner, question="How do I type faster?")
    after = scrape(scraper)
    assert moved(before, after, "tt_llm_calls_total", purpose="chat", outcome="error") == 1
    assert moved(before, after, "tt_llm_fallbacks_total", purpose="chat") == 1


def test_stripe_webhooks_are_counted_by_type_and_outcome(
    scraper,
    fake_stripe,  # noqa: F811
    premium_prices,  # noqa: F811
    deliver,  # noqa: F811
    learner,
):
    customer = stripe_customer_for(fake_stripe, learner)
    price = fake_stripe.objects[premium_prices["premium_monthly"].id]
    subscription = fake_stripe.subscription(customer=customer["id"], price=price)
    event = fake_stripe.event("customer.subscription.created", subscription)
    before = scrape(scraper)
    assert deliver(event).status_code == 200
    assert deliver(event, secret="whsec_" + "someone0else0entirely").status_code == 400
    other = fake_stripe.event("customer.updated", customer)
    assert deliver(other).status_code == 200
    after = scrape(scraper)
    assert webhooks(before, after, "customer.subscription.created", "processed") == 1
    assert webhooks(before, after, "customer.subscription.created", "rejected") == 1
    assert webhooks(before, after, "other", "processed") == 1


def test_every_name_scraped_is_an_exported_name(scraper, client, learner, lesson1):
    client.force_login(learner)
    session = start(client, lesson1)
    keys = typed_keys(lesson1.text)
    send_batches(client, session, keys)
    scraped = {name for name, _ in scrape(scraper)}
    exported = set(metrics.exported_names())
    assert scraped <= exported, scraped - exported
    assert "tt_keystrokes_stored_total" in exported
    assert "tt_http_request_duration_seconds_bucket" in exported
    assert set(metrics.exported_names("worker")) >= {
        "tt_celery_tasks_total",
        "tt_celery_task_duration_seconds_bucket",
        "tt_llm_calls_total",
        "tt_db_pool_connections",
    }
    assert "tt_celery_tasks_total" not in metrics.exported_names("web")


def test_a_scraper_inside_the_network_is_not_sent_to_https(settings, monkeypatch):
    """Production redirects plain HTTP to HTTPS, but not /metrics (as /healthz): Prometheus on
    the compose network scrapes web:8000 directly."""
    import importlib

    monkeypatch.setenv("SECRET_KEY", "x7Hq2-production-secret-key-that-is-long-and-random-9fKd0s")
    production = importlib.import_module("typingtrainer.settings_production")
    settings.METRICS_TOKEN = TOKEN
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = production.SECURE_REDIRECT_EXEMPT
    scraper = Client(headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraper.get("/metrics").status_code == 200
    assert scraper.get("/about/").status_code == 301


@celery_app.task(name="typingtrainer.tests.test_metrics.fails")
def fails() -> None:
    raise ValueError("a task that fails")


@celery_app.task(name="typingtrainer.tests.test_metrics.retries", bind=True, max_retries=1)
def retries(self: Any, attempt: int = 0) -> int:
    if attempt == 0:
        raise self.retry(kwargs={"attempt": 1}, countdown=0)
    return attempt


def test_tasks_are_counted_by_name_and_outcome_where_they_run(scraper):
    """Run as a worker runs them, errors kept in the result (throw=False): Celery sends no
    task_postrun for an eager task whose error it re-raises, so only a worker counts failures."""
    before = scrape(scraper)
    assert isinstance(fails.apply(throw=False).result, ValueError)
    assert retries.apply(throw=False).get() == 1  # retried once, then succeeded
    after = scrape(scraper)
    failing = {"task": "typingtrainer.tests.test_metrics.fails"}
    retrying = {"task": "typingtrainer.tests.test_metrics.retries"}
    assert moved(before, after, "tt_celery_tasks_total", **failing, outcome="failed") == 1
    assert moved(before, after, "tt_celery_tasks_total", **retrying, outcome="retried") == 1
    assert moved(before, after, "tt_celery_tasks_total", **retrying, outcome="succeeded") == 1
    assert moved(before, after, "tt_celery_task_duration_seconds_count", **failing) == 1


def test_the_series_alerts_watch_are_there_at_zero_before_their_first_event(scraper, client):
    """increase() sees no rise in a series that appears with its first event: the first failed
    webhook or task after a restart would not alert unless the series is already there at 0."""
    client.get("/healthz")  # a process's first request makes the web series
    assert retries.apply(throw=False).get() == 1  # and its first task the task series
    samples = scrape(scraper)
    webhook = ("tt_stripe_webhook_events_total", "customer.subscription.deleted")
    assert (webhook[0], frozenset({("type", webhook[1]), ("outcome", "failed")})) in samples
    sweep = frozenset({("task", "coach.tasks.sweep_unqueued_sessions"), ("outcome", "failed")})
    assert samples[("tt_celery_tasks_total", sweep)] == 0
    assert ("tt_llm_fallbacks_total", frozenset({("purpose", "chat")})) in samples
