"""The pages read aggregates: a learner with 3,000 sessions costs the same number of queries as
one with 3."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from lessons.models import LessonProgress, PracticeSession

from .conftest import history

pytestmark = pytest.mark.django_db

TODAY = datetime(2025, 3, 10, 12, tzinfo=UTC)
PAGES = [
    "/stats/",
    "/stats/?days=365",
    "/stats/keys/",
    "/stats/keys/?metric=time",
    "/stats/history/",
    "/stats/history/?sort=-wpm&page=2",
    "/stats/history/?course=home-row&from=2024-01-01&to=2025-03-10",
]


def queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def learners(lesson1, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: TODAY)
    light = make_user("light@example.com")
    heavy = make_user("heavy@example.com")
    history(light, lesson1, sessions=3, last_day=TODAY.date())
    history(heavy, lesson1, sessions=3000, last_day=TODAY.date())
    for user in (light, heavy):
        LessonProgress.objects.create(user=user, lesson=lesson1, best_rating=3, attempts=3)
    assert PracticeSession.objects.filter(user=heavy).count() == 3000
    return light, heavy


@pytest.mark.parametrize("url", PAGES)
def test_a_page_costs_the_same_queries_for_3_and_for_3000_sessions(client, learners, url):
    light, heavy = learners
    client.force_login(light)
    light_count = queries(client, url)
    client.force_login(heavy)
    heavy_count = queries(client, url)
    assert light_count == heavy_count


@pytest.mark.parametrize(
    "url", ["/stats/?days=90", "/stats/keys/?metric=time", "/stats/history/?page=3"]
)
def test_an_htmx_fragment_costs_the_same_queries_for_3_and_for_3000_sessions(client, learners, url):
    light, heavy = learners
    client.force_login(light)
    light_count = queries(client, url, HX_Request="true")
    client.force_login(heavy)
    assert queries(client, url, HX_Request="true") == light_count


def test_the_dashboard_of_a_long_history_is_a_handful_of_queries(client, learners):
    _, heavy = learners
    client.force_login(heavy)
    # Session and user, then the day totals, recent days, all practice dates, lessons
    # completed, the keys, and the chart's days.
    assert queries(client, "/stats/") <= 9
