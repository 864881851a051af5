from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_settings_need_a_login(client):
    response = client.get("/accounts/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_learner_changes_name_layout_and_daily_goal(client, learner):
    client.force_login(learner)
    page = client.get("/accounts/settings/")
    assert page.status_code == 200
    assert b"Dvorak" in page.content
    assert "ЙЦУКЕН".encode() in page.content
    response = client.post(
        "/accounts/settings/",
        {
            "display_name": "Lena K",
            "keyboard_layout": "jcuken",
            "daily_goal_minutes": 25,
            "time_zone": "Europe/Moscow",
        },
        follow=True,
    )
    assert b"Your settings are saved." in response.content
    learner.refresh_from_db()
    assert (learner.display_name, learner.keyboard_layout, learner.daily_goal_minutes) == (
        "Lena K",
        "jcuken",
        25,
    )
    assert learner.time_zone == "Europe/Moscow"


def test_bad_settings_are_refused_and_nothing_changes(client, learner):
    client.force_login(learner)
    response = client.post(
        "/accounts/settings/",
        {"display_name": "x", "keyboard_layout": "azerty", "daily_goal_minutes": 0},
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert b"greater than or equal to 1" in response.content
    learner.refresh_from_db()
    assert learner.keyboard_layout == "qwerty"
    assert learner.daily_goal_minutes == 10
