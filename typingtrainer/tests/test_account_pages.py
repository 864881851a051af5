"""The account pages (allauth's views) in the site's look and words, the browser's time zone
taken on signup, and /favicon.ico."""

from __future__ import annotations

import os

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from conftest import PASSWORD
from typingtrainer.models import User

pytestmark = pytest.mark.django_db

# Playwright's sync API runs an event loop in this thread; our ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SITE = b"TypingTrainer"
STOCK = [b"Sign In", b"Sign Up", b"Sign Out", b"Remember Me", b"is an email address for user"]


def assert_site_page(response, *words: str) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html  # base.html, not allauth's bare layout
    for stock in STOCK:
        assert stock.decode() not in html
    for word in words:
        assert word in html, word
    return html


def test_login_page_speaks_the_sites_words(client):
    html = assert_site_page(client.get("/accounts/login/"), "Log in", "Remember me")
    assert "Remember me:" not in html
    assert 'href="/accounts/signup/"' in html
    assert html.count("Forgot your password?") == 1
    assert "/accounts/password/reset/" in html


def test_signup_page_carries_the_time_zone_script_and_field(client):
    html = assert_site_page(client.get("/accounts/signup/"), "Create your account", "Sign up")
    assert '<input type="hidden" name="time_zone"' in html
    assert "/static/js/timezone.js" in html
    assert "<script>" not in html  # the CSP forbids inline scripts


def test_logout_page(client, learner):
    client.force_login(learner)
    assert_site_page(client.get("/accounts/logout/"), "Log out", "Stay logged in")
    response = client.post("/accounts/logout/", follow=True)
    assert not response.context["user"].is_authenticated
    assert b"You have logged out." in response.content


def test_password_reset_pages(client, learner):
    assert_site_page(client.get("/accounts/password/reset/"), "Reset your password")
    response = client.post("/accounts/password/reset/", {"email": learner.email}, follow=True)
    assert_site_page(response, "Check your email")


def test_password_reset_from_key_and_done(client, learner):
    uid = user_pk_to_url_str(learner)
    key = default_token_generator.make_token(learner)
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": key})
    # allauth stores the key in the session and redirects to a URL without it.
    response = client.get(url, follow=True)
    assert_site_page(response, "Choose a new password")
    response = client.post(
        response.redirect_chain[-1][0],
        {"password1": "a brand new passphrase", "password2": "a brand new passphrase"},
        follow=True,
    )
    assert_site_page(response, "Password changed")
    learner.refresh_from_db()
    assert learner.check_password("a brand new passphrase")


def test_a_bad_reset_link_says_so(client, learner):
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "bad-key"})
    assert_site_page(client.get(url, follow=True), "This link does not work", "Ask for a new one")


def test_email_confirm_page(client, learner):
    address = EmailAddress.objects.create(user=learner, email=learner.email, primary=True)
    key = EmailConfirmationHMAC(address).key
    html = assert_site_page(
        client.get(f"/accounts/confirm-email/{key}/"), "Confirm your email address"
    )
    assert learner.email in html
    client.post(f"/accounts/confirm-email/{key}/")
    address.refresh_from_db()
    assert address.verified


def test_a_bad_confirmation_link_says_so(client):
    assert_site_page(client.get("/accounts/confirm-email/nonsense/"), "has expired or is wrong")


def test_email_management_page(client, learner):
    EmailAddress.objects.create(user=learner, email=learner.email, primary=True, verified=True)
    client.force_login(learner)
    assert_site_page(
        client.get("/accounts/email/"),
        "Email addresses",
        learner.email,
        "Confirmed",
        "Primary",
        "Add an email address",
    )


def test_password_change_page(client, learner):
    client.force_login(learner)
    html = assert_site_page(
        client.get("/accounts/password/change/"),
        "Change your password",
        "Current password",
        "New password again",
    )
    assert "Password (again)" not in html


def signup(client, **extra: str):
    return client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD, **extra},
    )


def test_signup_stores_the_browsers_time_zone(client):
    assert signup(client, time_zone="Europe/Moscow").status_code == 302
    assert User.objects.get(email="new@example.com").time_zone == "Europe/Moscow"


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "", "x" * 500, "../../etc/passwd"])
def test_a_bad_time_zone_is_ignored_and_the_learner_is_on_utc(client, value):
    assert signup(client, time_zone=value).status_code == 302
    assert User.objects.get(email="new@example.com").time_zone == "UTC"


def test_signup_without_the_field_is_on_utc(client):
    assert signup(client).status_code == 302
    assert User.objects.get(email="new@example.com").time_zone == "UTC"


def test_favicon_ico_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/favicon.svg")
    assert response["Location"] == static("img/favicon.svg")
    assert finders.find("img/favicon.svg")  # a real file (whitenoise serves it)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_signup_in_chromium_takes_the_browsers_time_zone(browser, live_server):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/signup/")
    page.wait_for_function("document.querySelector('input[name=time_zone]').value === 'Asia/Tokyo'")
    page.get_by_label("Email").fill("tokyo@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("button", name="Log out").wait_for()
    context.close()
    assert errors == []
    assert User.objects.get(email="tokyo@example.com").time_zone == "Asia/Tokyo"
