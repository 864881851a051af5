"""Logging in, the access token, refresh rotation and logout: allauth headless's app client with
JWTs, and the API's answers to a missing, wrong or expired token."""

from __future__ import annotations

import time

import jwt
import pytest
from django.test import Client

from conftest import PASSWORD

from .conftest import ApiClient, error_of, log_in

pytestmark = pytest.mark.django_db


def _refresh(refresh_token: str):
    return Client().post(
        "/_allauth/app/v1/tokens/refresh",
        {"refresh_token": refresh_token},
        content_type="application/json",
    )


def test_register_then_me_with_the_access_token():
    response = Client().post(
        "/_allauth/app/v1/auth/signup",
        {"email": "new@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    access = response.json()["meta"]["access_token"]

    me = ApiClient(access).get("/api/v1/auth/me")

    assert me.status_code == 200
    assert me.json()["email"] == "new@example.com"
    assert me.json()["premium"] is False
    assert me["API-Version"] == "1"


def test_login_with_a_wrong_password_is_refused(learner):
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        {"email": learner.email, "password": "not it"},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_no_token_is_401_in_the_one_error_shape(anonymous_api):
    response = anonymous_api.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Bearer not-a-jwt", "not valid"),
        ("Token abc", "Authorization: Bearer"),
        ("Bearer ", "Authorization: Bearer"),
    ],
)
def test_a_wrong_token_is_401_and_says_why(header, says):
    response = Client().get("/api/v1/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert says in error_of(response)["message"]


def test_an_expired_access_token_is_refused_and_refreshing_gives_a_working_one(learner, settings):
    settings.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = 3
    tokens = log_in(learner.email)
    assert ApiClient(tokens.access).get("/api/v1/auth/me").status_code == 200
    expires = jwt.decode(tokens.access, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 1.1)  # JWT times have one-second resolution

    expired = ApiClient(tokens.access).get("/api/v1/auth/me")
    assert expired.status_code == 401
    assert "expired" in error_of(expired)["message"]

    settings.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = 300
    refreshed = _refresh(tokens.refresh)
    assert refreshed.status_code == 200, refreshed.content
    fresh = refreshed.json()["data"]["access_token"]
    assert ApiClient(fresh).get("/api/v1/auth/me").json()["email"] == learner.email


def test_refresh_tokens_rotate_and_a_reused_one_is_refused(learner):
    tokens = log_in(learner.email)

    first = _refresh(tokens.refresh)
    assert first.status_code == 200
    rotated = first.json()["data"]["refresh_token"]
    assert rotated != tokens.refresh

    reused = _refresh(tokens.refresh)
    assert reused.status_code == 400
    assert _refresh(rotated).status_code == 200


def test_logout_ends_the_session_its_tokens_belong_to(learner):
    tokens = log_in(learner.email)
    logout = Client().delete(
        "/_allauth/app/v1/auth/session", headers={"Authorization": f"Bearer {tokens.access}"}
    )
    assert logout.status_code == 401  # allauth headless: "no longer authenticated"

    assert ApiClient(tokens.access).get("/api/v1/auth/me").status_code == 401
    assert _refresh(tokens.refresh).status_code == 400


def test_an_inactive_learner_s_token_stops_working(learner):
    api = ApiClient(log_in(learner.email).access)
    learner.is_active = False
    learner.save()
    assert api.get("/api/v1/auth/me").status_code == 401


def test_password_reset_request_sends_the_email(learner, mailoutbox):
    response = Client().post(
        "/_allauth/app/v1/auth/password/request",
        {"email": learner.email},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert [m.to for m in mailoutbox] == [[learner.email]]
