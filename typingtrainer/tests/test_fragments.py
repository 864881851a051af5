"""One way to choose an HTMX fragment: an HTMX request gets the part it swaps in, a boosted
link or a plain request the whole page — on every page that has a fragment."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PAGES = [("/courses/", False), ("/stats/", True), ("/stats/keys/", True), ("/stats/history/", True)]


@pytest.mark.parametrize(("url", "login"), PAGES)
def test_htmx_gets_the_fragment_and_a_boosted_link_the_page(client, learner, url, login):
    if login:
        client.force_login(learner)
    whole = client.get(url)
    part = client.get(url, headers={"HX-Request": "true"})
    boosted = client.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert whole.status_code == part.status_code == boosted.status_code == 200
    assert b"<html" in whole.content
    assert b"<html" not in part.content
    assert len(part.content) < len(whole.content)
    assert boosted.content.count(b"<html") == 1
