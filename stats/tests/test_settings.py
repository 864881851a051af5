"""The learner's time zone and the weekly email are account settings."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def settings_form(**changes):
    return {
        "display_name": "Lena",
        "keyboard_layout": "qwerty",
        "daily_goal_minutes": 10,
        "time_zone": "UTC",
        "weekly_email": "on",
        **changes,
    }


def test_new_learners_are_on_utc_with_the_weekly_email_on(learner):
    assert learner.time_zone == "UTC"
    assert learner.weekly_email is True


def test_the_settings_page_offers_time_zones_and_the_weekly_email(client, learner):
    client.force_login(learner)
    html = client.get("/accounts/settings/").content.decode()
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in html
    assert '<option value="America/New_York">America/New York</option>' in html
    assert 'name="weekly_email"' in html


def test_a_learner_picks_a_time_zone_and_turns_the_email_off(client, learner):
    client.force_login(learner)
    form = settings_form(time_zone="Asia/Tokyo")
    del form["weekly_email"]  # an unticked box is not sent
    response = client.post("/accounts/settings/", form)
    assert response.status_code == 302
    learner.refresh_from_db()
    assert (learner.time_zone, learner.weekly_email) == ("Asia/Tokyo", False)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "utc", "Europe/Atlantis"])
def test_a_made_up_time_zone_is_refused(client, learner, zone):
    client.force_login(learner)
    response = client.post("/accounts/settings/", settings_form(time_zone=zone))
    assert response.status_code == 200
    learner.refresh_from_db()
    assert learner.time_zone == "UTC"
