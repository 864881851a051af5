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


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "must be JSON"),
        (b"[" * 50 + b"]" * 50, "more than"),
        (b'{"session_id": "a\\u0000b"}', "NUL"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_a_body_that_is_not_acceptable_json_is_a_400_that_says_why(api, body, says):
    response = api.client.post(
        "/api/v1/lessons/1/complete",
        body,
        content_type="application/json",
        headers=api._headers(None),
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_json"
    assert says in error["message"]


def test_a_raw_nul_anywhere_is_a_400_in_the_api_s_shape(api):
    response = api.get("/api/v1/courses", {"q": "a\x00b"})
    assert response.status_code == 400
    assert "NUL" in error_of(response)["message"]


def test_a_body_over_the_limit_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/api/v1/lessons/1/keystrokes", {"padding": "x" * 2000})
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_validation_errors_name_the_field_the_client_sent(api):
    response = api.post("/api/v1/lessons/1/keystrokes", {"session_id": "x", "seq": "lots"})
    assert response.status_code == 422
    assert {"session_id", "seq", "keys"} <= set(error_of(response)["fields"])


def test_an_unknown_api_path_with_a_newline_is_still_the_api_s_404():
    response = Client().get("/api/v1/lessons/a%0Ab/start")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_raw_nul_byte_in_a_put_body_is_refused_before_any_view(api, learner):
    response = api.client.put(
        "/api/v1/users/me",
        b'{"display_name": "Le\x00na"}',
        content_type="application/json",
        headers=api._headers(None),
    )
    assert response.status_code == 400
    assert "NUL" in error_of(response)["message"]
    learner.refresh_from_db()
    assert learner.display_name == "Lena"
