"""The API's docs page in headless Chromium, under the site's Content Security Policy: the
vendored Swagger UI runs (nothing from a CDN) and lists the endpoints."""

from __future__ import annotations

import os

import pytest

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the flush leaves content types as the later transactional tests expect.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_docs_page_renders_every_endpoint_without_csp_violations(page, live_server):
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock").first.wait_for()

    assert page.locator(".opblock-summary-path", has_text="/api/v1/auth/me").count() == 1
    assert page.get_by_role("button", name="Authorize").is_visible()
    assert not [m for m in messages if "Content Security Policy" in m or m.startswith("error")]
    assert all(url.startswith(live_server.url) for url in requested), requested
