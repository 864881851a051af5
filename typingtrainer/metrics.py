"""Prometheus metrics: every family the web app and the Celery workers export, defined once here,
and the functions the code calls at the one place each thing happens.

The names are a contract with the alert rules and the dashboard under ops/: `exported_names()`
lists them. Label values always come from bounded sets (a URL pattern's name, a method of the
standard set, a status code, a registered task name), never a path, an id or free text.

Under gunicorn and a prefork Celery worker each process counts for itself:
with PROMETHEUS_MULTIPROC_DIR set, prometheus-client keeps every process's values in files in
that directory, and a scrape adds them up (gunicorn.conf.py empties the directory when the
master starts and drops a dead worker's gauges; the worker does the same for its pool). Without
it (tests, `make run`) the values live in this process. METRICS_ENABLED=false turns the
counting off altogether (the benchmark's "off" variant): the middleware is not installed and
every helper returns at once.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from .env import env_bool

# An empty variable means "unset" here as everywhere (prometheus-client would take "" for a
# directory); the directory must exist before the first metric below opens its file in it.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR", None) == "":
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

from prometheus_client import (  # noqa: E402  (after the directory is settled)
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead  # noqa: E402

log = logging.getLogger(__name__)

ENABLED = env_bool("METRICS_ENABLED", True)
# The `_created` series are not kept in multiprocess mode; without them here too, a scrape shows
# the same names either way.
disable_created_metrics()

REGISTRY = CollectorRegistry(auto_describe=True)
"""This process's metrics (the default registry's process and GC collectors are left out: they
mean nothing summed over processes)."""

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# --- Requests ----------------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "tt_http_requests",
    "Requests answered, by URL pattern name, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "tt_http_request_duration_seconds",
    "Request latency, by URL pattern name and method.",
    ["route", "method"],
    buckets=REQUEST_BUCKETS,
    registry=REGISTRY,
)

# --- Practice ----------------------------------------------------------------------------------
BATCHES_STORED = Counter(
    "tt_keystroke_batches_stored",
    "Keystroke batches newly stored (a repeated identical batch is not counted).",
    registry=REGISTRY,
)
KEYSTROKES_STORED = Counter(
    "tt_keystrokes_stored", "Keystrokes in the newly stored batches.", registry=REGISTRY
)
COMPLETIONS = Counter(
    "tt_practice_completions", "Sessions newly completed and scored.", registry=REGISTRY
)
FLAGGED = Counter(
    "tt_practice_flagged",
    "Sessions newly completed whose result was flagged as implausible.",
    registry=REGISTRY,
)
RATINGS = Counter(
    "tt_practice_ratings", "Ratings given at completion, by stars.", ["stars"], registry=REGISTRY
)
REJECTIONS = Counter(
    "tt_practice_rejections",
    "4xx answers on the practice protocol (web and API), by step and status.",
    ["step", "status"],
    registry=REGISTRY,
)

# --- Stripe, the LLM -----------------------------------------------------------------------------
WEBHOOK_EVENTS = Counter(
    "tt_stripe_webhook_events",
    "Stripe webhooks received, by event type and outcome.",
    ["type", "outcome"],
    registry=REGISTRY,
)
LLM_CALLS = Counter(
    "tt_llm_calls", "LLM calls, by purpose and outcome.", ["purpose", "outcome"], registry=REGISTRY
)
LLM_FALLBACKS = Counter(
    "tt_llm_fallbacks",
    "Times the built-in coach answered because the configured LLM could not.",
    ["purpose"],
    registry=REGISTRY,
)
LLM_DURATION = Histogram(
    "tt_llm_call_duration_seconds",
    "LLM call latency (retries included), by purpose.",
    ["purpose"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
    registry=REGISTRY,
)

# --- The database pool (per process; summed over the live ones) ---------------------------------
POOL_CONNECTIONS = Gauge(
    "tt_db_pool_connections",
    "PostgreSQL pool connections by state, summed over live processes.",
    ["state"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
POOL_WAITING = Gauge(
    "tt_db_pool_requests_waiting",
    "Requests waiting for a pool connection, summed over live processes.",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)

# --- Celery ------------------------------------------------------------------------------------
CELERY_TASKS = Counter(
    "tt_celery_tasks",
    "Celery tasks run, by registered name and outcome.",
    ["task", "outcome"],
    registry=REGISTRY,
)
CELERY_DURATION = Histogram(
    "tt_celery_task_duration_seconds",
    "Celery task run time, by registered name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)

# Read at scrape time by `StateCollector` (web only).
QUEUE_DEPTH = "tt_analysis_queue_depth"
OLDEST_UNFINISHED = "tt_analysis_oldest_unfinished_age_seconds"
BACKUP_LAST_SUCCESS = "tt_backup_last_success_timestamp_seconds"

CELERY_FAMILIES = (CELERY_TASKS, CELERY_DURATION)
WORKER_FAMILIES = (
    *CELERY_FAMILIES,
    LLM_CALLS,
    LLM_FALLBACKS,
    LLM_DURATION,
    POOL_CONNECTIONS,
    POOL_WAITING,
)

ALL_FAMILIES = (
    HTTP_REQUESTS,
    HTTP_DURATION,
    BATCHES_STORED,
    KEYSTROKES_STORED,
    COMPLETIONS,
    FLAGGED,
    RATINGS,
    REJECTIONS,
    WEBHOOK_EVENTS,
    *WORKER_FAMILIES,
)

STANDARD_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
# The practice protocol's URL pattern names (web widget, API lessons, API coach exercises).
PROTOCOL_STEPS = {
    "lesson_start": "start",
    "coach:exercise_start": "start",
    "api:start": "start",
    "api:start_exercise": "start",
    "session_keystrokes": "keystrokes",
    "api:keystrokes": "keystrokes",
    "api:exercise_keystrokes": "keystrokes",
    "session_token": "token",
    "api:renew_token": "token",
    "api:exercise_token": "token",
    "session_complete": "complete",
    "api:complete": "complete",
    "api:exercise_complete": "complete",
}
POOL_EVERY_S = 1.0

_pool_read_at = 0.0


# --- What the code calls -----------------------------------------------------------------------


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    """One answered request: the request counters and, for the practice protocol, a 4xx as a
    rejection. Called by the middleware and by the keystroke dispatcher (typingtrainer.wsgi)."""
    if method not in STANDARD_METHODS:
        method = "other"  # before the lookup: a client picks the method, anything at all
    series = _request_series.get((route, method, status))
    if series is None:
        series = _request_series[(route, method, status)] = _series_for(route, method, status)
    counter, histogram, rejection = series
    histogram.observe(seconds)  # first, as for tasks: whoever sees the count sees the time
    counter.inc()
    if rejection is not None:
        rejection.inc()
    _maybe_read_pool()


# The labelled children of each (route, method, status) seen, so that a request costs no label
# lookups (the hot path; the keys are as bounded as the labels).
_request_series: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}


def _series_for(route: str, method: str, status: int) -> tuple[Any, Any, Any]:
    start_at_zero()
    code = str(status)
    rejection = None
    if 400 <= status < 500 and route in PROTOCOL_STEPS:
        rejection = REJECTIONS.labels(PROTOCOL_STEPS[route], code)
    return HTTP_REQUESTS.labels(route, method, code), HTTP_DURATION.labels(route, method), rejection


LLM_PURPOSES = ("advice", "exercise", "chat")
WEBHOOK_OUTCOMES = ("processed", "failed", "rejected")
_zeroed_in: set[tuple[int, str]] = set()


def start_at_zero(task_names: Iterable[str] = ()) -> None:
    """Create, once per process, the labelled series the alert rules take an increase() of, at
    0: a series that first appears with its first event shows no increase, so the first failed
    webhook or task after a restart would not alert. Called on a process's first request and
    first task (after the fork: a series made in gunicorn's master is wiped with its files)."""
    key = (os.getpid(), "tasks" if task_names else "web")
    if key in _zeroed_in:
        return
    _zeroed_in.add(key)
    for name in task_names:
        for outcome in CELERY_OUTCOMES.values():
            CELERY_TASKS.labels(name, outcome)
    if task_names:
        return
    from billing.webhooks import ENTITLEMENT_EVENTS

    for event_type in (*ENTITLEMENT_EVENTS, "other"):
        for outcome in WEBHOOK_OUTCOMES:
            WEBHOOK_EVENTS.labels(event_type, outcome)
    for purpose in LLM_PURPOSES:
        LLM_CALLS.labels(purpose, "ok")
        LLM_CALLS.labels(purpose, "error")
        LLM_FALLBACKS.labels(purpose)


def batch_stored(keystrokes: int) -> None:
    if ENABLED:
        BATCHES_STORED.inc()
        KEYSTROKES_STORED.inc(keystrokes)


def session_completed(*, rating: int, flagged: bool) -> None:
    if ENABLED:
        COMPLETIONS.inc()
        if flagged:
            FLAGGED.inc()
        RATINGS.labels(str(rating)).inc()


def webhook_event(event_type: str, outcome: str) -> None:
    """`event_type`: one billing.webhooks acts on, or "other"."""
    if ENABLED:
        WEBHOOK_EVENTS.labels(event_type, outcome).inc()


@contextmanager
def llm_call(purpose: str) -> Iterator[None]:
    """Time and count one LLM call (its retries included): "error" when it raises (no usable
    answer), else "ok"."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        if ENABLED:
            LLM_CALLS.labels(purpose, outcome).inc()
            LLM_DURATION.labels(purpose).observe(time.perf_counter() - started)


def llm_fallback(purpose: str) -> None:
    if ENABLED:
        LLM_FALLBACKS.labels(purpose).inc()


def observe_dispatch(route: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For a WSGI callable outside Django's middleware (the keystroke dispatcher): count and
    time it as the middleware does the rest, under `route`. The status is read from the
    start_response call; the time runs until the response is handed back (as the middleware's)."""

    def decorate(call: Callable[..., Any]) -> Callable[..., Any]:
        if not ENABLED:
            return call

        @wraps(call)
        def observed(environ: dict[str, Any], start_response: Any, *args: Any) -> Any:
            started = time.perf_counter()
            status = [500]

            def recording(status_line: str, headers: Any, exc_info: Any = None) -> Any:
                status[0] = int(status_line[:3])
                return start_response(status_line, headers, exc_info)

            try:
                return call(environ, recording, *args)
            finally:
                seconds = time.perf_counter() - started
                record_request(route, environ.get("REQUEST_METHOD", ""), status[0], seconds)

        return observed

    return decorate


def _maybe_read_pool() -> None:
    """The pool gauges, read at most once a second per process (a dict copy and a few lengths)."""
    global _pool_read_at
    now = time.monotonic()
    if now - _pool_read_at >= POOL_EVERY_S and read_pool():
        _pool_read_at = now


def read_pool() -> bool:
    """psycopg_pool's own figures for Django's pool of the default database, if it has one
    (looked up without creating it; False when there is none yet)."""
    from django.db import connections

    wrapper = connections["default"]
    pool = getattr(type(wrapper), "_connection_pools", {}).get(wrapper.alias)
    if pool is None:
        return False
    stats = pool.get_stats()
    idle = stats.get("pool_available", 0)
    POOL_CONNECTIONS.labels("in_use").set(stats.get("pool_size", 0) - idle)
    POOL_CONNECTIONS.labels("idle").set(idle)
    POOL_WAITING.set(stats.get("requests_waiting", 0))
    return True


class RequestMetricsMiddleware:
    """Just inside the request log: every request Django answers, by the name of the URL
    pattern that served it (the namespaced view name, e.g. `lesson_start`, `api:complete`);
    `unmatched` when none resolved (a 404, or an answer from a middleware before resolving),
    `static` for whitenoise."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from django.conf import settings
        from django.core.exceptions import MiddlewareNotUsed

        if not ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request: Any) -> Any:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None:
            route = match.view_name
        elif request.path_info.startswith(self.static_prefix):
            route = "static"
        else:
            route = "unmatched"
        record_request(route, request.method, response.status_code, time.perf_counter() - started)
        return response


# --- Celery ------------------------------------------------------------------------------------

CELERY_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_task_started: dict[str, float] = {}


def task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        if len(_task_started) > 10_000:  # starts whose end never came (see task_finished)
            _task_started.clear()
        _task_started[task_id] = time.perf_counter()


def task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
) -> None:
    """task_postrun: its state says succeeded, failed or retried (task_failure and task_retry
    come before it with the same news). Celery sends none for an eager task whose error it
    re-raises (CELERY_TASK_EAGER_PROPAGATES): only a worker counts failures."""
    started = _task_started.pop(task_id or "", None)
    if not ENABLED or task is None:
        return
    name = getattr(task, "name", None) or "unknown"
    start_at_zero([n for n in task.app.tasks if not n.startswith("celery.")])
    # The duration first: a scrape that sees the count sees the task's time too.
    if started is not None:
        CELERY_DURATION.labels(name).observe(time.perf_counter() - started)
    outcome = CELERY_OUTCOMES.get(state or "")
    if outcome is not None:
        CELERY_TASKS.labels(name, outcome).inc()
    _maybe_read_pool()


def connect_celery(app: Any) -> None:
    """Count tasks wherever they run (a worker's pool, or eagerly in the web process), and serve
    a worker's metrics on METRICS_WORKER_PORT."""
    from celery import signals

    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_finished, weak=False)
    signals.worker_init.connect(_worker_starting, weak=False)
    signals.worker_ready.connect(_worker_ready, weak=False)
    signals.worker_process_shutdown.connect(_worker_child_exiting, weak=False)


def _worker_starting(**_: Any) -> None:
    """In the worker's main process, before its pool starts: a directory of its own, emptied
    (the values of a previous run's processes would otherwise be added in)."""
    if MULTIPROC_DIR:
        wipe(MULTIPROC_DIR)


def _worker_child_exiting(pid: int | None = None, **_: Any) -> None:
    if MULTIPROC_DIR:
        mark_process_dead(pid or os.getpid(), MULTIPROC_DIR)


def _worker_ready(**_: Any) -> None:
    from django.conf import settings

    port = settings.METRICS_WORKER_PORT
    if port:
        serve_worker_metrics(port, settings.METRICS_TOKEN)


def wipe(directory: str) -> None:
    """Delete the value files in `directory` (gunicorn's master and a worker do, at start)."""
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


# --- Serving -----------------------------------------------------------------------------------


def authorized(header: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


class _Forward:
    """A registry's collectors, for a scrape registry of their own."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def _scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if MULTIPROC_DIR:
        MultiProcessCollector(registry, path=MULTIPROC_DIR)
    else:
        registry.register(_Forward(REGISTRY))
    return registry


def web_exposition() -> bytes:
    """What /metrics answers: the counters and gauges of every process, and what is read now."""
    registry = _scrape_registry()
    registry.register(StateCollector())
    return generate_latest(registry)


def worker_exposition() -> bytes:
    return generate_latest(_scrape_registry())


class StateCollector:
    """Read at scrape time, each on its own so one that fails leaves out only itself: the
    broker's queue depth, the oldest unfinished analysis, the newest backup."""

    def collect(self) -> Iterator[Metric]:
        for name, help_text, read in (
            (QUEUE_DEPTH, "Messages waiting in the Celery broker's default queue.", queue_depth),
            (
                OLDEST_UNFINISHED,
                "Age of the oldest completed session still waiting for its analysis (0: none).",
                oldest_unfinished_age,
            ),
            (
                BACKUP_LAST_SUCCESS,
                "Unix time of the newest complete backup generation in BACKUP_DIR.",
                backup_last_success,
            ),
        ):
            try:
                value = read()
            except Exception as exc:  # a dependency that is down leaves its metric out
                log.warning("metrics: %s left out: %s: %s", name, type(exc).__name__, exc)
                continue
            if value is not None:
                yield GaugeMetricFamily(name, help_text, value=value)

    def describe(self) -> Iterator[Metric]:
        return iter(())


def queue_depth() -> float | None:
    """Messages ready in the default queue, by a passive declare on a connection of its own
    (1 s to connect, no retries); None when tasks run eagerly (no broker)."""
    from django.conf import settings

    from .celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    queue = app.conf.task_default_queue or "celery"
    with app.connection_for_read(connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=0, timeout=1)  # a scrape does not wait for retries
        try:
            channel: Any = conn.default_channel
            _, messages, _ = channel.queue_declare(queue=queue, passive=True)
        except conn.channel_errors:
            return 0  # not declared yet: no worker has started, no message was sent
        return float(messages)


# The database is read in a thread of its own, waited for at most DB_READ_TIMEOUT_S: with the
# database down a pool checkout waits for the pool's timeout (10 s), longer than a scrape may
# take. One read at a time: while one still waits, the next scrape leaves the figure out.
DB_READ_TIMEOUT_S = 2.0
_db_reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics-db")
_db_read: Future[float] | None = None


def oldest_unfinished_age() -> float:
    global _db_read
    if _db_read is not None and not _db_read.done():
        raise TimeoutError("the previous read is still waiting for the database")
    _db_read = _db_reader.submit(_read_oldest_unfinished_age)
    return _db_read.result(timeout=DB_READ_TIMEOUT_S)


def _read_oldest_unfinished_age() -> float:
    from django.db import connection

    from coach.tasks import awaiting_analysis

    try:
        oldest = awaiting_analysis().order_by("completed_at").values_list("completed_at", flat=True)
        first = oldest.first()
    finally:
        connection.close()  # this thread's connection goes back to the pool
    if first is None:
        return 0.0
    return max(0.0, (datetime.now(UTC) - first).total_seconds())


def backup_last_success() -> float | None:
    from django.conf import settings

    from .backups import last_backup_time

    when = last_backup_time(settings.BACKUP_DIR)
    return None if when is None else when.timestamp()


def serve_worker_metrics(port: int, token: str, host: str = "0.0.0.0") -> Any:
    """A small WSGI server in a daemon thread of the worker's main process: GET /metrics with the
    bearer token (404 without METRICS_TOKEN, 401 without the right one). Returns the server."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        allow_reuse_address = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") not in ("/metrics", "/") or not token:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found\n"]
        if not authorized(environ.get("HTTP_AUTHORIZATION"), token):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
            return [b"A bearer token is required.\n"]
        body = worker_exposition()
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]

    if not MULTIPROC_DIR:
        log.warning(
            "METRICS_WORKER_PORT without PROMETHEUS_MULTIPROC_DIR: a prefork pool's tasks run in "
            "child processes whose counts this port cannot see"
        )
    server = make_server(host, port, app, server_class=Server, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("Serving worker metrics on port %s", port)
    return server


# --- For ops/ ----------------------------------------------------------------------------------

SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported_names(where: str = "all") -> list[str]:
    """Every series name a query can use (counters with `_total`, histograms with `_bucket`,
    `_sum` and `_count`), from the web app's /metrics (`web`), a worker's port (`worker`) or
    either (`all`). The web app shows the Celery families too while tasks run eagerly in it."""
    if where not in ("all", "web", "worker"):
        raise ValueError(f"where must be all, web or worker, not {where!r}")
    if where == "worker":
        chosen: tuple[Any, ...] = WORKER_FAMILIES
    elif where == "web":
        chosen = tuple(c for c in ALL_FAMILIES if c not in CELERY_FAMILIES)
    else:
        chosen = ALL_FAMILIES
    families = [(family.name, family.type) for c in chosen for family in c.describe()]
    if where != "worker":
        families += [(n, "gauge") for n in (QUEUE_DEPTH, OLDEST_UNFINISHED, BACKUP_LAST_SUCCESS)]
    return sorted({name + suffix for name, kind in families for suffix in SUFFIXES[kind]})
