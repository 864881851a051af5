from __future__ import annotations

import os
from contextvars import Token
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from . import metrics
from .logconfig import accepted_id, request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "typingtrainer.settings")

app = Celery("typingtrainer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
metrics.connect_celery(app)


# --- The request id travels with each task the request queues, and onto the task's log lines
# (typingtrainer/requestlog.py). ---
REQUEST_ID_HEADER = "request_id"
# Per task id: the token to restore the thread's previous id with once the task has run.
_previous: dict[str, Token[str | None]] = {}


@before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    current = request_id.get()
    if current is not None and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, current)


@task_prerun.connect
def _restore_request_id(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """The id that came with the task; a task run eagerly keeps its caller's; one queued by no
    request (beat, a sweep) gets its own, so that its lines still group."""
    if task_id is None or task is None:
        return
    incoming = getattr(task.request, REQUEST_ID_HEADER, None)
    if incoming is None and task.request.is_eager and request_id.get() is not None:
        return
    _previous[task_id] = request_id.set(accepted_id(incoming))


@task_postrun.connect
def _clear_request_id(task_id: str | None = None, **_: Any) -> None:
    token = _previous.pop(task_id or "", None)
    if token is not None:
        request_id.reset(token)


@setup_logging.connect
def _keep_django_logging(**_: Any) -> None:
    """Worker and beat log as the web does (settings.LOGGING: JSON in production, levels from
    LOG_LEVEL and LOG_LEVELS), instead of Celery replacing the root logger's handlers with its
    own plain format. Django has configured logging already (the Django fixup sets it up first);
    connecting here is what tells Celery to leave it alone."""
