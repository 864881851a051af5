"""An API client that logs in the way the mobile app does: allauth headless's app client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

# The billing tests' fake Stripe on 127.0.0.1 and their fixtures, for the payment endpoints.
from billing.tests.conftest import (  # noqa: F401
    billing_not_configured,
    deliver,
    fake_stripe,
    premium_prices,
    subscribe,
    webhook_endpoint,
)
from conftest import PASSWORD


@dataclass
class Tokens:
    access: str
    refresh: str


def log_in(email: str, password: str = PASSWORD) -> Tokens:
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        {"email": email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    meta = response.json()["meta"]
    return Tokens(meta["access_token"], meta["refresh_token"])


class ApiClient:
    """Django's test client with a Bearer token on every request and JSON bodies."""

    def __init__(self, access: str | None = None) -> None:
        self.client = Client()
        self.access = access

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        sent = {"Authorization": f"Bearer {self.access}"} if self.access else {}
        return {**sent, **(headers or {})}

    def get(self, path: str, data: Any = None, **headers: str) -> Any:
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path: str, data: Any = None, **headers: str) -> Any:
        return self.client.post(
            path, data or {}, content_type="application/json", headers=self._headers(headers)
        )

    def put(self, path: str, data: Any = None, **headers: str) -> Any:
        return self.client.put(
            path, data or {}, content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(path, headers=self._headers(headers))

    def upload(self, path: str, files: dict[str, Any], **headers: str) -> Any:
        return self.client.post(path, files, headers=self._headers(headers))


@pytest.fixture
def api(learner) -> ApiClient:
    """The learner fixture, logged in through the API."""
    return ApiClient(log_in(learner.email).access)


@pytest.fixture
def other_api(other_learner) -> ApiClient:
    return ApiClient(log_in(other_learner.email).access)


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient()


def error_of(response: Any) -> dict[str, Any]:
    """The API's one error shape, checked; returns its inner object."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]
