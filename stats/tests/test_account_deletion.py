"""Deleting an account removes the learner and everything of theirs, and logs them out."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from coach.models import Report
from conftest import PASSWORD
from lessons.models import EarnedAchievement, KeystrokeBatch, LessonProgress, PracticeSession
from stats.models import BigramStat, DailyStat, KeyConfusion, KeyStat, WeeklyEmail
from typingtrainer.models import User

from .conftest import play, typed_keys

pytestmark = pytest.mark.django_db

OWNED = (
    PracticeSession,
    KeystrokeBatch,
    LessonProgress,
    EarnedAchievement,
    Report,
    KeyStat,
    KeyConfusion,
    BigramStat,
    DailyStat,
    WeeklyEmail,
    EmailAddress,
)


def test_the_settings_page_links_to_account_deletion(client, learner):
    client.force_login(learner)
    html = client.get("/accounts/settings/").content.decode()
    assert 'href="/accounts/delete/"' in html


def test_the_deletion_page_says_what_goes_and_asks_for_the_password(client, learner):
    client.force_login(learner)
    html = client.get("/accounts/delete/").content.decode()
    assert "cannot be undone" in html
    assert 'name="password"' in html
    assert 'href="/stats/export/"' in html


def test_a_wrong_password_deletes_nothing(client, learner):
    client.force_login(learner)
    response = client.post("/accounts/delete/", {"password": "not it"})
    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    assert User.objects.filter(pk=learner.pk).exists()


def test_deleting_removes_the_learner_and_everything_theirs_and_logs_out(
    client, learner, other_learner, lesson1, django_capture_on_commit_callbacks
):
    client.force_login(other_learner)
    play(client, lesson1, typed_keys(lesson1.text))
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):
        play(client, lesson1, typed_keys(lesson1.text, mistakes={2: "x"}))
    EmailAddress.objects.create(user=learner, email=learner.email, verified=True, primary=True)
    WeeklyEmail.objects.create(user=learner, week="2025-03-10")
    before = {model: model.objects.count() for model in OWNED}
    assert all(before[model] for model in (PracticeSession, KeyStat, DailyStat, Report))

    response = client.post("/accounts/delete/", {"password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    assert "Your account and all of its data have been deleted." in response.content.decode()
    assert not User.objects.filter(pk=learner.pk).exists()
    for model in OWNED:
        if model is EmailAddress or model is WeeklyEmail:
            assert not model.objects.exists(), model
        else:
            assert model.objects.count() < before[model], model
    assert all(s.user_id == other_learner.pk for s in PracticeSession.objects.all())
    assert set(KeyStat.objects.values_list("user_id", flat=True)) == {other_learner.pk}
    assert client.get("/stats/").status_code == 302  # logged out


def test_deletion_needs_a_logged_in_learner(client):
    response = client.post("/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
