"""What every endpoint shares: the error shape, the version header, limits per token, CORS, and
the OpenAPI document with its docs page."""

from __future__ import annotations

import pytest
from django.test import Client

from .conftest import ApiClient, error_of, log_in

pytestmark = pytest.mark.django_db


def test_an_unknown_path_under_api_is_a_json_404():
    response = Client().get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert response["API-Version"] == "1"


def test_openapi_document_describes_every_router():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["version"] == "1"
    assert "/api/v1/auth/me" in document["paths"]


def test_docs_page_uses_the_site_s_own_assets_under_its_csp():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy or "default-src 'self'" in policy


def test_requests_are_limited_per_login_and_say_when_to_retry(learner, settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    api = ApiClient(log_in(learner.email).access)
    statuses = [api.get("/api/v1/auth/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]

    limited = api.get("/api/v1/auth/me")
    assert error_of(limited)["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60


def test_each_login_has_its_own_allowance_and_refreshing_does_not_reset_it(
    learner, other_learner, settings
):
    settings.API_REQUESTS_PER_MINUTE = 2
    first = log_in(learner.email)
    for _ in range(2):
        ApiClient(first.access).get("/api/v1/auth/me")
    assert ApiClient(first.access).get("/api/v1/auth/me").status_code == 429
    refreshed = (
        Client()
        .post(
            "/_allauth/app/v1/tokens/refresh",
            {"refresh_token": first.refresh},
            content_type="application/json",
        )
        .json()["data"]["access_token"]
    )
    assert ApiClient(refreshed).get("/api/v1/auth/me").status_code == 429
    assert ApiClient(log_in(other_learner.email).access).get("/api/v1/auth/me").status_code == 200


def test_cors_preflight_from_an_allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    response = Client().options(
        "/api/v1/auth/me",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in response["Access-Control-Allow-Headers"].lower()


def test_cors_refuses_other_origins_and_leaves_the_site_alone(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = {"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"}
    assert "Access-Control-Allow-Origin" not in Client().options(
        "/api/v1/auth/me", headers=preflight
    )
    site = Client().get("/", headers={"Origin": "https://app.example.com"})
    assert "Access-Control-Allow-Origin" not in site
