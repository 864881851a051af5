"""Every limit says how long it lasts: a 429 carries Retry-After (allauth's pages and ours), and
the login lockout names its wait."""

from __future__ import annotations

import math
import re
import time

import pytest
from django.test import Client

from conftest import PASSWORD, make_user
from typingtrainer import ratelimit

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_our_limit_counts_to_its_limit_then_names_the_seconds_left_in_the_window():
    before = time.time()
    waits = [ratelimit.retry_after("typist:1", limit=2, window=60) for _ in range(3)]
    after = time.time()
    assert waits[:2] == [0, 0]
    window_end = (int(before // 60) + 1) * 60
    if int(after // 60) == int(before // 60):  # the calls did not straddle a minute
        assert math.ceil(window_end - after) <= waits[2] <= math.ceil(window_end - before)


def test_a_wait_reads_as_people_say_it():
    assert [ratelimit.wait_phrase(s) for s in (1, 12, 60, 61, 300)] == [
        "1 second",
        "12 seconds",
        "1 minute",
        "2 minutes",
        "5 minutes",
    ]


def test_allauths_login_limit_answers_429_with_retry_after():
    client = Client()
    for _ in range(30):  # allauth: 30 login attempts a minute per client
        client.post("/accounts/login/", {"login": "nobody@example.com", "password": "x"})
    response = client.post("/accounts/login/", {"login": "nobody@example.com", "password": "x"})
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 30 <= wait <= 60  # the first of the 30 attempts leaves the window within a minute
    assert f"Try again in {ratelimit.wait_phrase(wait)}." in response.content.decode()


def test_allauths_signup_limit_answers_429_with_retry_after():
    client = Client()
    bad = {"email": "new@example.com", "password1": PASSWORD, "password2": "other"}
    statuses = [client.post("/accounts/signup/", bad).status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]  # 20 a minute per client
    response = client.post("/accounts/signup/", bad)
    assert 30 <= int(response["Retry-After"]) <= 60


def test_the_lockout_after_failed_logins_says_how_long_it_lasts(learner):
    client = Client()
    for _ in range(5):  # allauth: 5 failures per account in 5 minutes
        client.post("/accounts/login/", {"login": learner.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": learner.email, "password": PASSWORD})
    assert not response.context["user"].is_authenticated
    assert "Too many failed login attempts. Try again in 5 minutes." in response.content.decode()


def test_the_lockout_of_one_address_says_its_shorter_wait():
    client = Client()
    for n in range(10):  # allauth: 10 failures a minute per client, whichever the accounts
        client.post("/accounts/login/", {"login": f"someone{n}@example.com", "password": "x"})
    user = make_user("late@example.com")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert not response.context["user"].is_authenticated
    said = re.search(
        r"Too many failed login attempts\. Try again in (\d+ seconds|1 minute)\.", text(response)
    )
    assert said, "the lockout does not say how long it lasts"
    assert said[1] == "1 minute" or 30 <= int(said[1].split()[0]) < 60
