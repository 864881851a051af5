from __future__ import annotations

import re

import pytest
from django.core import mail

from conftest import PASSWORD
from typingtrainer.models import User

pytestmark = pytest.mark.django_db


def test_a_visitor_signs_up_and_is_logged_in(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    user = User.objects.get(email="new@example.com")
    assert response.context["user"] == user
    assert b"Log out" in response.content
    # Verification is optional on the embedded defaults, but the confirmation mail goes out.
    assert len(mail.outbox) == 1
    assert "Confirm" in mail.outbox[0].subject


def test_signup_refuses_a_taken_email_and_creates_nothing(client, learner):
    response = client.post(
        "/accounts/signup/",
        {"email": learner.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert b"already registered" in response.content
    assert User.objects.count() == 1


def test_a_learner_logs_in_with_email_and_password(client, learner):
    response = client.post(
        "/accounts/login/", {"login": learner.email, "password": PASSWORD}, follow=True
    )
    assert response.context["user"] == learner
    assert b"Lena" in response.content


def test_a_wrong_password_is_refused_with_a_message(client, learner):
    response = client.post("/accounts/login/", {"login": learner.email, "password": "nope"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert b"not correct" in response.content


def test_login_is_rate_limited_after_repeated_failures(client, learner):
    for _ in range(5):
        client.post("/accounts/login/", {"login": learner.email, "password": "nope"})
    response = client.post("/accounts/login/", {"login": learner.email, "password": PASSWORD})
    assert not response.context["user"].is_authenticated
    assert b"Too many failed login attempts" in response.content


def test_logout_ends_the_session(client, learner):
    client.force_login(learner)
    client.post("/accounts/logout/")
    response = client.get("/accounts/settings/")
    assert response.status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(client, learner):
    response = client.post("/accounts/password/reset/", {"email": learner.email}, follow=True)
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [learner.email]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", str(message.body))
    assert link, message.body
    page = client.get(link.group(1), follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.group(1)
    done = client.post(
        form_url, {"password1": "a brand new passphrase", "password2": "a brand new passphrase"}
    )
    assert done.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password("a brand new passphrase")


def test_account_pages_use_the_site_layout(client):
    response = client.get("/accounts/login/")
    assert b"TypingTrainer" in response.content
    assert b"site.css" in response.content
