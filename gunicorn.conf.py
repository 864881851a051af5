"""gunicorn settings for production; every value can be overridden from the environment."""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import io
import multiprocessing
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from gunicorn.glogging import Logger


def _load_env_helpers() -> ModuleType:
    """typingtrainer/env.py on its own: importing the `typingtrainer` package would load Celery
    into the master (~0.5 s) for nothing. An empty variable means "unset", as in the settings."""
    path = Path(__file__).resolve().parent / "typingtrainer" / "env.py"
    spec = importlib.util.spec_from_file_location("typingtrainer_env", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_env = _load_env_helpers()

bind = _env.env_str("GUNICORN_BIND", "0.0.0.0:8000")
# GUNICORN_WORKERS, else WEB_CONCURRENCY (the PaaS convention, which gunicorn itself also reads
# when it is imported and cannot parse when empty: the image's entrypoint drops empty variables).
# Threaded workers by default, chosen by measurement (bench/ingest.py --gunicorn, 2 cores, the
# keystroke endpoint): gthread 3 x 4 served 1.43 x the requests/s of sync 2 x 1 and 1.1 x sync
# 5 x 1, and at 400 requests/s offered answered with p50 5.5 / p99 19 ms where sync workers
# queued (p50 381-874 ms): a thread keeps the widget's connection alive, a sync worker closes it.
workers = _env.env_int(
    "GUNICORN_WORKERS", _env.env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
)
# The database pool holds at least this many connections per worker (typingtrainer/settings.py).
threads = _env.env_int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _env.env_int("GUNICORN_TIMEOUT", 30)
# SIGTERM: stop accepting, let in-flight requests finish for up to this long, then kill.
graceful_timeout = _env.env_int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = 5
max_requests = _env.env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _env.env_int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# The master loads the app once and forks workers from it, so a recycled worker (max_requests)
# starts with Django and every module already imported; post_worker_init then warms what each
# process must open itself. Nothing in the master opens a database or cache connection
# (pre_fork makes sure). With the app preloaded, SIGHUP reloads the configuration, not the code:
# deploy by restarting. GUNICORN_PRELOAD=false loads the app in each worker instead.
preload_app = _env.env_bool("GUNICORN_PRELOAD", True)
warm_up = _env.env_bool("GUNICORN_WARMUP", True)
accesslog = _env.env_str("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# gunicorn >= 25.1 opens a control socket for `gunicornc` at $HOME/.gunicorn/gunicorn.ctl unless
# told not to. Nothing here uses it; every gunicorn of a user would fight over that one path, and
# in the image $HOME (/app) is not writable.
control_socket_disable = True
wsgi_app = "typingtrainer.wsgi:application"

# Proxies: the same TRUSTED_PROXY_COUNT the app reads (typingtrainer.http.client_ip). With none,
# gunicorn trusts no peer's X-Forwarded-Proto either; with one, FORWARDED_ALLOW_IPS names the
# peers it may come from (Django reads the header itself then, see settings_production.py).
TRUSTED_PROXY_COUNT = _env.env_int("TRUSTED_PROXY_COUNT", 0)
forwarded_allow_ips = (
    _env.env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1") if TRUSTED_PROXY_COUNT > 0 else ""
)


class ClientAddressLogger(Logger):
    """The access log's first field (%(h)s) is the client's address as the app's rate limits
    see it, not the proxy's."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        # Imported here, in the worker that has loaded the app: in the master it would pull in
        # the `typingtrainer` package, and Celery with it.
        from typingtrainer.http import forwarded_client

        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = forwarded_client(
            environ.get("REMOTE_ADDR", "-"),
            environ.get("HTTP_X_FORWARDED_FOR", ""),
            TRUSTED_PROXY_COUNT,
        )
        return atoms


logger_class = ClientAddressLogger


# Metrics (typingtrainer/metrics.py): with PROMETHEUS_MULTIPROC_DIR each worker keeps its values in
# files there and /metrics adds up the directory. The master empties it once at start (the
# files of a previous run's workers would be added in) and drops a dead worker's gauges (the
# pool's in-use and waiting connections), so they count only live workers; its counters stay.
METRICS_DIR = _env.env_str("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server: object) -> None:
    if METRICS_DIR:
        os.makedirs(METRICS_DIR, exist_ok=True)
        for name in os.listdir(METRICS_DIR):
            if name.endswith(".db"):
                os.remove(os.path.join(METRICS_DIR, name))


def child_exit(server: object, worker: Any) -> None:
    if METRICS_DIR:
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(worker.pid, METRICS_DIR)


def pre_fork(server: object, worker: object) -> None:
    """In the master, before each fork: a connection (or a pool, with its threads) opened while
    the app loaded would be shared by every worker and broken for all of them. Nothing opens
    one today; this closes any that something imported later might."""
    if "django.db" not in sys.modules:
        return  # the app is not preloaded: the master has not even imported Django
    from django.core.cache import caches
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
    caches.close_all()


def post_worker_init(worker: Any) -> None:
    """The app is loaded. Warm up (unless GUNICORN_WARMUP=false): one request through the app
    (the middleware, the URLconf and every view module it imports), the database pool's first
    connection and the cache's, and the templates compiled, so a new or recycled worker's first
    real request costs what the others do (without it: tens to hundreds of ms, see
    bench/ingest.py --recycle).

    Then move everything allocated so far (Django, the app, their modules: ~187,000 objects)
    out of the garbage collector's sight, so that a full collection scans only what requests
    allocate. Unfrozen, one full collection took ~110 ms here, a pause in whichever request set
    it off; frozen, well under a millisecond."""
    if warm_up:
        try:
            _warm(worker.wsgi)
        except Exception:  # a warm-up must never keep a worker from serving
            worker.log.exception("Warm-up failed; the first requests will be slower")
    gc.freeze()


def _warm(app: Any) -> None:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.template import engines

    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        environ[proxy_header[0]] = proxy_header[1]
    body = app(environ, lambda status, headers, exc_info=None: None)
    for _ in body:
        pass
    if hasattr(body, "close"):
        body.close()
    if connection.vendor == "postgresql":  # opens the pool; the connection goes back to it
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        connection.close()
    with contextlib.suppress(Exception):  # a cache that is down is only a miss later too
        cache.get("gunicorn-warm-up")
    for engine in engines.all():  # compile every template into the cached loader
        loader_engine = getattr(engine, "engine", None)
        if loader_engine is None:
            continue
        for directory in loader_engine.dirs:
            for path in Path(directory).rglob("*.html"):
                with contextlib.suppress(Exception):
                    engine.get_template(str(path.relative_to(directory)))
