"""The request id reaches a real Celery worker: the analysis a completion queues logs, in the
worker's own output and as JSON, with the id of the request that completed the session."""

from __future__ import annotations

import json

import pytest

from coach.tests.test_worker import (  # noqa: F401  (fixtures)
    rabbitmq,
    start_worker,
    wait_for_report,
    workers,
)
from lessons.models import PracticeSession
from lessons.tests.conftest import play, typed_keys

# The worker reads what this process commits. No serialized_rollback: in a full run this comes
# after transactional tests that flush without it, whose content types would collide with it.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("workers", ["rabbitmq"], indirect=True)
def test_the_worker_logs_the_task_with_the_id_of_the_request_that_queued_it(
    client,
    learner,
    course,
    workers,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setenv("LOG_FORMAT", "json")  # the worker's environment, as in production
    worker = start_worker(workers)
    lesson = course.lessons.get(position=1)
    client.force_login(learner)
    completed = play(client, lesson, typed_keys(lesson.text), **{"X-Request-ID": "req-worker-7"})
    assert completed.status_code == 200
    assert completed["X-Request-ID"] == "req-worker-7"
    wait_for_report(PracticeSession.objects.get(), worker, 60)

    succeeded = json.loads(worker.wait_for_line(r"coach\.tasks\.analyze_session\[.*succeeded"))
    assert succeeded["request_id"] == "req-worker-7"
    assert succeeded["logger"] == "celery.app.trace"
    ready = json.loads(worker.wait_for_line(r"celery@\S+ ready"))  # Celery's own lines: JSON
    assert "request_id" not in ready  # no request around the worker's start
