"""gunicorn as the image runs it, with the app preloaded in the master and each worker warmed
up: workers recycled every few requests (max_requests) keep answering pages that read the
database, because the master opened no connection for them to share."""

from __future__ import annotations

import re

import pytest

from courses.models import Course
from typingtrainer.tests.production import PRODUCTION, SITE_DOMAIN, environment, free_port, get
from typingtrainer.tests.production import gunicorn as running_gunicorn
from typingtrainer.tests.test_graceful_shutdown import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_recycled_workers_of_a_preloaded_app_keep_serving_database_pages(image_var_dir, tmp_path):
    Course.objects.create(
        slug="recycled", title="Recycled Course", description="Read.", is_published=True
    )
    port = free_port()
    env = environment(
        **PRODUCTION,
        DATABASE_URL=database_url(),
        VAR_DIR=str(image_var_dir),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        GUNICORN_MAX_REQUESTS="4",
        GUNICORN_MAX_REQUESTS_JITTER="0",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback, no proxy in front
    )
    log = tmp_path / "gunicorn.log"
    with running_gunicorn(env, log):
        answers = [get(port, "/courses/", SITE_DOMAIN) for _ in range(30)]
    text = log.read_text()
    assert [status for status, _ in answers] == [200] * 30, text[-3000:]
    assert all(b"Recycled Course" in body for _, body in answers)
    # Each worker was replaced several times, and every new one warmed up without a failure.
    assert len(re.findall(r"Autorestarting worker", text)) >= 4, text[-3000:]
    assert "Warm-up failed" not in text
