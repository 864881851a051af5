"""The per-minute limit on generating exercises: a 429 with Retry-After for the widget's and
HTMX's requests, a redirect with the wait in its message for a plain form."""

from __future__ import annotations

import pytest

from coach.models import Exercise

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_a_minute(settings, client, learner):
    settings.COACH_RATE_LIMITS = {**settings.COACH_RATE_LIMITS, "exercise": 1}
    client.force_login(learner)
    assert client.post("/coach/exercises/", {"keys": "j"}).status_code == 302  # the one allowed
    return client


def test_a_json_request_over_the_limit_gets_a_429_that_says_how_long(one_a_minute):
    response = one_a_minute.post(
        "/coach/exercises/", {"keys": "j"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    assert "making exercises very fast: try again in" in response.json()["error"]
    assert Exercise.objects.count() == 1


def test_an_htmx_request_over_the_limit_gets_a_429_not_a_redirect(one_a_minute):
    response = one_a_minute.post("/coach/exercises/", {"keys": "j"}, headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "try again in" in response.content.decode()
    assert Exercise.objects.count() == 1


def test_a_plain_form_over_the_limit_is_sent_back_with_the_wait(one_a_minute):
    response = one_a_minute.post("/coach/exercises/", {"keys": "j"}, follow=True)
    assert response.redirect_chain[-1][0] == "/coach/"
    assert "making exercises very fast: try again in" in response.content.decode()
    assert Exercise.objects.count() == 1
