"""Every view that reads a query parameter, a form field or a body, hit with NUL (which
PostgreSQL cannot store in text: a DataError, a 500) and with absurd values: a 4xx that says
what is wrong and changes nothing, or a sensible page; never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.tests.conftest import (  # noqa: F401 — fixtures: dj-stripe's webhook endpoint row
    fake_stripe,
    webhook_endpoint,
)
from coach.models import ChatMessage, Exercise
from conftest import PASSWORD
from typingtrainer.models import User

pytestmark = pytest.mark.django_db

NUL = "The request has a NUL character (%00)"


@pytest.fixture
def logged_in(client, learner):
    client.force_login(learner)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/courses/?q=%00",
        "/courses/?q=home%00row",
        "/courses/?language=%00",
        "/courses/?level=beginner%00",
        "/courses/?%00=1",
        "/stats/?days=%00",
        "/stats/keys/?metric=%00",
        "/stats/history/?course=%00",
        "/stats/history/?sort=%00",
        "/stats/history/?page=%00",
        "/stats/history/?from=%00",
        "/billing/?checkout=%00",
        "/billing/?polls=%00",
        "/coach/?x=%00",
        "/courses/%00/",
        "/accounts/login/?next=%00",
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_a_nul_in_the_address_is_a_400_that_says_so(logged_in, url, htmx):
    response = logged_in.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 400
    assert NUL in response.content.decode()


def test_a_nul_in_the_admins_search_is_a_400(client, staff):
    client.force_login(staff)
    assert client.get("/admin/courses/course/?q=%00").status_code == 400
    assert client.get("/admin/courses/course/?q=home").status_code == 200


def test_a_nul_in_a_coach_form_is_a_400_and_makes_nothing(logged_in):
    response = logged_in.post("/coach/exercises/", {"keys": "j\x00", "pairs": "jk"})
    assert response.status_code == 400
    assert "in its form fields" in response.content.decode()
    response = logged_in.post(
        "/coach/chat/", {"question": "why\x00?"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert not Exercise.objects.exists()
    assert not ChatMessage.objects.exists()


def test_a_nul_in_login_signup_or_settings_is_a_400_and_changes_nothing(client, learner):
    assert (
        client.post("/accounts/login/", {"login": "a\x00@x.com", "password": "x"}).status_code
        == 400
    )
    response = client.post(
        "/accounts/signup/",
        {"email": "new\x00@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 400
    assert User.objects.count() == 1
    client.force_login(learner)
    response = client.post(
        "/accounts/settings/",
        {
            "display_name": "Lena\x00",
            "keyboard_layout": "qwerty",
            "daily_goal_minutes": 10,
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 400
    learner.refresh_from_db()
    assert learner.display_name == "Lena"


def test_a_nul_in_a_json_body_is_a_400_in_json(logged_in, course):
    lesson = course.lessons.get(position=1)
    response = logged_in.post(
        f"/lessons/{lesson.pk}/start", b'{"x": "\x00"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "The request has a NUL character (%00) in its body; nothing accepts one."
    }


def test_a_nul_in_a_stripe_webhook_body_is_a_400_and_stores_nothing(webhook_endpoint):  # noqa: F811
    from djstripe.models import WebhookEventTrigger

    response = Client().post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
        b'{"id": "evt_1", "type": "\x00"}',
        content_type="application/json",
        headers={"Stripe-Signature": "t=1,v1=0"},  # past dj-stripe's first check
    )
    assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()


def test_a_session_cookie_with_a_nul_counts_as_no_session(client):
    # Cookie quoting turns the octal escape into NUL; the session key is looked up in the database.
    cookie = 'sessionid="abcdefgh\\000ijklmnop"; csrftoken=x'
    assert client.get("/", HTTP_COOKIE=cookie).status_code == 200
    response = client.get("/stats/", HTTP_COOKIE=cookie)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    "url",
    [
        "/stats/history/?page=99999999999999999999",
        "/stats/history/?page=-1",
        "/stats/history/?page=1e9",
        "/stats/history/?page=NaN",
        "/stats/history/?sort=-" + "x" * 5000,
        "/stats/history/?course=" + "x" * 5000,
        "/stats/?days=-1",
        "/stats/?days=1e9",
        "/stats/?days=99999999999999999999",
        "/stats/keys/?metric=" + "x" * 5000,
        "/billing/?polls=99999999999999999999",
        "/billing/?polls=-5",
        "/billing/?polls=1e9",
        "/billing/?checkout=" + "x" * 5000,
        "/courses/?q=" + "x" * 5000,
        "/courses/?q=%F0%9F%98%80%20%E2%80%AE",
        "/courses/?language=" + "x" * 5000,
        "/courses/?level=-1",
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_absurd_values_get_a_sensible_page(logged_in, url, htmx):
    response = logged_in.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 200


def test_absurd_exercise_focus_is_ignored(logged_in):
    response = logged_in.post("/coach/exercises/", {"keys": "x" * 5000, "pairs": "ab " * 5000})
    assert response.status_code == 302
    assert Exercise.objects.count() == 1
