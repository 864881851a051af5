"""GET, PUT and DELETE /users/me: the settings page's rules and the account deletion's workflow,
through the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from djstripe.models import Customer

from conftest import PASSWORD
from courses.models import Lesson
from lessons.models import LessonProgress
from typingtrainer.models import User

from .conftest import ApiClient, error_of, log_in

pytestmark = pytest.mark.django_db


def delete_me(api: ApiClient, body: dict | None):
    return api.client.delete(
        "/api/v1/users/me",
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers=api._headers(None),
    )


def test_me_is_the_learner_with_the_settings_the_page_shows(api, learner):
    response = api.get("/api/v1/users/me")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == learner.email
    assert body["name"] == "Lena"
    assert (body["keyboard_layout"], body["daily_goal_minutes"], body["time_zone"]) == (
        "qwerty",
        10,
        "UTC",
    )
    assert body["weekly_email"] is True
    assert body["premium"] is False
    assert body["avatar_url"] is None


def test_me_needs_a_token(anonymous_api):
    response = anonymous_api.get("/api/v1/users/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_put_changes_only_the_settings_sent_and_the_site_shows_them(api, learner, client):
    response = api.put(
        "/api/v1/users/me",
        {"keyboard_layout": "jcuken", "daily_goal_minutes": 25, "time_zone": "Europe/Moscow"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["keyboard_layout"] == "jcuken"
    assert response.json()["display_name"] == "Lena"  # not sent, kept
    learner.refresh_from_db()
    assert (learner.keyboard_layout, learner.daily_goal_minutes, learner.time_zone) == (
        "jcuken",
        25,
        "Europe/Moscow",
    )
    client.force_login(learner)
    page = client.get("/accounts/settings/").content.decode()
    assert '<option value="Europe/Moscow" selected>' in page


def test_put_can_clear_the_display_name_and_turn_off_the_weekly_email(api, learner):
    response = api.put("/api/v1/users/me", {"display_name": "", "weekly_email": False})

    assert response.status_code == 200
    assert response.json()["name"] == "learner"  # from the email, as the site greets
    learner.refresh_from_db()
    assert learner.display_name == ""
    assert learner.weekly_email is False


def test_put_keeps_a_setting_sent_as_null(api, learner):
    response = api.put("/api/v1/users/me", {"weekly_email": None, "display_name": None})

    assert response.status_code == 200
    learner.refresh_from_db()
    assert (learner.weekly_email, learner.display_name) == (True, "Lena")


@pytest.mark.parametrize(
    ("sent", "field", "says"),
    [
        ({"keyboard_layout": "azerty"}, "keyboard_layout", "Select a valid choice"),
        ({"daily_goal_minutes": 0}, "daily_goal_minutes", "greater than or equal to 1"),
        ({"daily_goal_minutes": 241}, "daily_goal_minutes", "less than or equal to 240"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone name"),
        ({"display_name": "x" * 61}, "display_name", "at most 60 characters"),
        ({"daily_goal_minutes": 10**30}, "daily_goal_minutes", "less than or equal to 240"),
    ],
)
def test_put_refuses_what_the_settings_page_refuses_and_changes_nothing(
    api, learner, sent, field, says
):
    response = api.put("/api/v1/users/me", {**sent, "display_name": "Changed"} | sent)

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert says in " ".join(error["fields"][field])
    learner.refresh_from_db()
    assert learner.display_name == "Lena"
    assert (learner.keyboard_layout, learner.daily_goal_minutes) == ("qwerty", 10)


def test_put_with_a_value_of_the_wrong_type_is_a_422(api):
    response = api.put("/api/v1/users/me", {"daily_goal_minutes": "lots"})
    assert response.status_code == 422
    # core's validation handler names the field after the body parameter ("payload.…").
    assert any(name.endswith("daily_goal_minutes") for name in error_of(response)["fields"])


def test_put_needs_a_token(anonymous_api):
    assert anonymous_api.put("/api/v1/users/me", {"display_name": "x"}).status_code == 401


def test_delete_needs_the_password(api, learner):
    wrong = delete_me(api, {"password": "not it"})
    missing = delete_me(api, {})

    assert wrong.status_code == 422
    assert error_of(wrong)["code"] == "wrong_password"
    assert error_of(wrong)["fields"]["password"] == ["That is not your password."]
    assert missing.status_code == 422
    assert any(name.endswith("password") for name in error_of(missing)["fields"])
    assert User.objects.filter(pk=learner.pk).exists()


def test_delete_removes_the_account_and_its_tokens_stop_working(learner):
    tokens = log_in(learner.email)
    api = ApiClient(tokens.access)

    response = delete_me(api, {"password": PASSWORD})

    assert response.status_code == 204
    assert not User.objects.filter(pk=learner.pk).exists()
    assert api.get("/api/v1/users/me").status_code == 401
    refreshed = Client().post(
        "/_allauth/app/v1/tokens/refresh",
        {"refresh_token": tokens.refresh},
        content_type="application/json",
    )
    assert refreshed.status_code != 200


def test_delete_ends_premium_at_stripe_first(api, fake_stripe, subscribe, learner):
    subscription = subscribe(learner)

    response = delete_me(api, {"password": PASSWORD})

    assert response.status_code == 204
    assert not User.objects.filter(pk=learner.pk).exists()
    assert fake_stripe.objects[subscription["id"]]["status"] == "canceled"
    assert Customer.objects.get(id=subscription["customer"]).date_purged is not None


def test_when_stripe_cannot_be_reached_nothing_is_deleted_and_it_is_a_503(
    api, fake_stripe, subscribe, learner
):
    subscription = subscribe(learner)
    fake_stripe.stop()

    response = delete_me(api, {"password": PASSWORD})

    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "billing_unavailable"
    assert "nothing was deleted" in error["message"]
    assert response["Retry-After"]
    assert User.objects.filter(pk=learner.pk).exists()
    assert Customer.objects.get(id=subscription["customer"]).subscriber_id == learner.pk


def test_delete_needs_a_token(anonymous_api, learner):
    assert delete_me(anonymous_api, {"password": PASSWORD}).status_code == 401
    assert User.objects.filter(pk=learner.pk).exists()


# --- progress ---


def _progress(user, lesson, rating):
    return LessonProgress.objects.create(user=user, lesson=lesson, best_rating=rating, attempts=1)


def test_progress_lists_each_started_course_with_the_course_page_s_stars_and_locks(
    api, learner, course, client
):
    first, second = course.lessons.order_by("position")
    third = Lesson.objects.create(course=course, position=3, title="Lesson 3", text="add a lad")
    Lesson.objects.create(course=course, position=4, title="Draft", text="x", is_published=False)
    _progress(learner, first, 3)
    _progress(learner, second, 1)

    response = api.get("/api/v1/users/me/progress")

    assert response.status_code == 200
    (row,) = response.json()
    assert (row["id"], row["slug"], row["title"]) == (course.pk, "home-row", "Home Row Basics")
    assert (row["lessons_done"], row["lessons_total"], row["stars"]) == (2, 3, 4)
    assert row["next_lesson"] == {
        "id": third.pk,
        "title": "Lesson 3",
        "unlocked": False,
        "reason": "Earn at least 2 stars on “Lesson 2” to open this lesson.",
    }
    client.force_login(learner)
    page = client.get(f"/courses/{course.slug}/").content.decode()
    assert f'<li class="lesson-row locked" id="lesson-{third.pk}">' in page
    assert f'<li class="lesson-row" id="lesson-{second.pk}">' in page
    assert 'aria-label="3 of 5 stars"' in page
    assert 'aria-label="1 of 5 stars"' in page


def test_the_next_lesson_is_open_once_the_previous_has_two_stars(api, learner, course):
    first, second = course.lessons.order_by("position")
    _progress(learner, first, 2)

    (row,) = api.get("/api/v1/users/me/progress").json()

    assert row["next_lesson"] == {
        "id": second.pk,
        "title": "Lesson 2",
        "unlocked": True,
        "reason": "",
    }


def test_a_finished_course_has_no_next_lesson(api, learner, course):
    for lesson in course.lessons.all():
        _progress(learner, lesson, 5)

    (row,) = api.get("/api/v1/users/me/progress").json()

    assert (row["lessons_done"], row["lessons_total"], row["stars"]) == (2, 2, 10)
    assert row["next_lesson"] is None


def test_a_premium_lesson_is_locked_for_a_free_learner_with_the_site_s_reason(api, learner, course):
    first, second = course.lessons.order_by("position")
    second.is_premium = True
    second.save()
    _progress(learner, first, 5)

    (row,) = api.get("/api/v1/users/me/progress").json()

    assert row["next_lesson"]["unlocked"] is False
    assert row["next_lesson"]["reason"] == "“Lesson 2” is part of Premium."


def test_progress_is_only_the_learner_s_own(api, other_api, learner, course):
    _progress(learner, course.lessons.first(), 4)

    assert other_api.get("/api/v1/users/me/progress").json() == []
    assert len(api.get("/api/v1/users/me/progress").json()) == 1


def test_progress_needs_a_token(anonymous_api):
    assert anonymous_api.get("/api/v1/users/me/progress").status_code == 401


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(api):
    response = api.client.put(
        "/api/v1/users/me", "{not json", content_type="application/json", headers=api._headers(None)
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_json"
    assert (
        "400"
        in Client()
        .get("/api/v1/openapi.json")
        .json()["paths"]["/api/v1/users/me"]["put"]["responses"]
    )
