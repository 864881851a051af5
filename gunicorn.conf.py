"""gunicorn settings for production; every value can be overridden from the environment."""

from __future__ import annotations

import gc
import importlib.util
import multiprocessing
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
workers = _env.env_int(
    "GUNICORN_WORKERS", _env.env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
)
threads = _env.env_int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _env.env_int("GUNICORN_TIMEOUT", 30)
# SIGTERM: stop accepting, let in-flight requests finish for up to this long, then kill.
graceful_timeout = _env.env_int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = 5
max_requests = _env.env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = 500
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


def post_worker_init(worker: object) -> None:
    """The app is loaded: move everything allocated so far (Django, the app, their modules:
    ~187,000 objects) out of the garbage collector's sight, so that a full collection scans
    only what requests allocate. Unfrozen, one full collection took ~110 ms here, a pause in
    whichever request set it off; frozen, well under a millisecond."""
    gc.freeze()
