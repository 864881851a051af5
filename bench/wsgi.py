"""The benchmark's WSGI application: the project's own, unchanged, plus the bare ceiling.

    DJANGO_SETTINGS_MODULE=bench.settings gunicorn --config gunicorn.conf.py bench.wsgi:application

`POST /bench/bare/<uuid>` goes to a Django handler built with NO middleware (the view in
`bench.urls`: parse the JSON, insert one KeystrokeBatch row, nothing else); every other path
goes to the project's application exactly as production serves it. Both run in the same
gunicorn workers, so the two loads share the same processes, pool and database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from typingtrainer.wsgi import application as project

BARE_PREFIX = "/bench/bare/"


class BareHandler(WSGIHandler):
    """Django's WSGI handler with an empty middleware chain: URL resolution, the view, the
    request_started/request_finished signals (connections returned to the pool), nothing more."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]


bare = BareHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith(BARE_PREFIX):
        return bare(environ, start_response)
    return project(environ, start_response)
