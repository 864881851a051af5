from __future__ import annotations

import pytest

from conftest import PASSWORD
from lessons.models import EarnedAchievement, LessonProgress, PracticeSession

from .conftest import play, post_json, start, typed_keys

pytestmark = pytest.mark.django_db


def test_a_visitor_types_lesson_one_and_is_invited_to_sign_up(client, lesson1):
    response = play(client, lesson1, typed_keys(lesson1.text), Accept="text/html")
    assert response.status_code == 200
    assert b"Sign up to keep this result" in response.content
    session = PracticeSession.objects.get()
    assert session.user is None
    assert session.guest_key
    assert session.rating == 5


def test_after_signup_the_visitors_session_and_progress_belong_to_the_account(
    client, lesson1, lesson2
):
    play(client, lesson1, typed_keys(lesson1.text))
    client.post(
        "/accounts/signup/",
        {"email": "newbie@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    session = PracticeSession.objects.get()
    assert session.user is not None
    assert session.user.email == "newbie@example.com"
    assert session.guest_key == ""
    assert LessonProgress.objects.get(user=session.user, lesson=lesson1).best_rating == 5
    assert EarnedAchievement.objects.filter(user=session.user, code="first_lesson").exists()
    assert client.get(f"/lessons/{lesson2.pk}/").status_code == 200


def test_after_login_an_unfinished_guest_session_carries_on_under_the_account(
    client, learner, lesson1
):
    session = start(client, lesson1)
    keys = typed_keys(lesson1.text)
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 0, "keys": keys[:20]})
    client.post("/accounts/login/", {"login": learner.email, "password": PASSWORD})
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 1, "keys": keys[20:]})
    response = post_json(client, f"/sessions/{session}/complete", {"batches": 2})
    assert response.status_code == 200
    assert PracticeSession.objects.get().user == learner
    assert LessonProgress.objects.get(user=learner).attempts == 1


def test_a_different_visitor_cannot_touch_a_guest_session(client, lesson1):
    from django.test import Client

    session = start(client, lesson1)
    stranger = Client()
    response = post_json(
        stranger, f"/sessions/{session}/keystrokes", {"seq": 0, "keys": [[0, "a", 0]]}, token=None
    )
    assert response.status_code == 401
