"""gunicorn settings for production; every value can be overridden from the environment."""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Any

from gunicorn.glogging import Logger

from typingtrainer.http import forwarded_client

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
wsgi_app = "typingtrainer.wsgi:application"

# Proxies: the same TRUSTED_PROXY_COUNT the app reads (typingtrainer.http.client_ip). With none,
# gunicorn trusts no peer's X-Forwarded-Proto either; with one, FORWARDED_ALLOW_IPS names the
# peers it may come from (Django reads the header itself then, see settings_production.py).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or 0)
forwarded_allow_ips = (
    (os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1") if TRUSTED_PROXY_COUNT > 0 else ""
)


class ClientAddressLogger(Logger):
    """The access log's first field (%(h)s) is the client's address as the app's rate limits
    see it, not the proxy's."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
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
