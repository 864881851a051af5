"""gunicorn settings for production; every value can be overridden from the environment."""

from __future__ import annotations

import gc
import multiprocessing
from typing import Any

from gunicorn.glogging import Logger

# An empty variable means "unset", as in the settings.
from typingtrainer.env import env_int, env_str
from typingtrainer.http import forwarded_client

bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")
# GUNICORN_WORKERS, else WEB_CONCURRENCY (the PaaS convention, which gunicorn itself also reads
# when it is imported and cannot parse when empty: the image's entrypoint drops empty variables).
workers = env_int(
    "GUNICORN_WORKERS", env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
)
threads = env_int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = env_int("GUNICORN_TIMEOUT", 30)
# SIGTERM: stop accepting, let in-flight requests finish for up to this long, then kill.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = 5
max_requests = env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = 500
accesslog = env_str("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# gunicorn >= 25.1 opens a control socket for `gunicornc` at $HOME/.gunicorn/gunicorn.ctl unless
# told not to. Nothing here uses it; every gunicorn of a user would fight over that one path, and
# in the image $HOME (/app) is not writable.
control_socket_disable = True
wsgi_app = "typingtrainer.wsgi:application"

# Proxies: the same TRUSTED_PROXY_COUNT the app reads (typingtrainer.http.client_ip). With none,
# gunicorn trusts no peer's X-Forwarded-Proto either; with one, FORWARDED_ALLOW_IPS names the
# peers it may come from (Django reads the header itself then, see settings_production.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
forwarded_allow_ips = (
    env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1") if TRUSTED_PROXY_COUNT > 0 else ""
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
