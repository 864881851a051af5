"""Every main page fits a 360 px phone without sideways scrolling, with a compact menu."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from lessons.models import PracticeSession
from lessons.tests.conftest import play, typed_keys

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NARROW = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# The elements wider than the page, for a failure message that says where to look.
OVERFLOWING = """() => {
  const limit = document.documentElement.clientWidth;
  const clipped = (node) => {
    for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [];
  for (const node of document.querySelectorAll("body *")) {
    const box = node.getBoundingClientRect();
    if (box.right > limit + 0.5 && box.width > 0 && !clipped(node)) {
      const name = node.tagName.toLowerCase() + (node.id ? "#" + node.id : "")
        + (node.className && typeof node.className === "string"
           ? "." + node.className.trim().split(/\\s+/).join(".") : "");
      out.push(name + " " + Math.round(box.right));
    }
  }
  return out.slice(0, 8);
}"""


@pytest.fixture
def narrow(browser):
    context = browser.new_context(**NARROW)
    yield context
    context.close()


@pytest.fixture
def practised(learner, course):
    """A learner with a few sessions, so the statistics pages have charts, keys and rows."""
    client = Client()
    client.force_login(learner)
    lesson1 = course.lessons.get(position=1)
    for mistakes in ({1: "q", 6: "z"}, {3: "g"}, {}):
        response = play(client, lesson1, typed_keys(lesson1.text, mistakes=mistakes))
        assert response.status_code == 200, response.content
    return client


def open_as(context, live_server, client) -> None:
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_every_main_page_fits_360_px_without_sideways_scrolling(
    narrow, live_server, learner, course, practised
):
    open_as(narrow, live_server, practised)
    session = PracticeSession.objects.filter(user=learner).latest("started_at")
    lesson1 = course.lessons.get(position=1)
    paths = [
        "/",
        "/courses/",
        f"/courses/{course.slug}/",
        f"/lessons/{lesson1.pk}/",
        "/stats/",
        "/stats/keys/",
        "/stats/history/",
        f"/stats/sessions/{session.pk}/",
        "/coach/",
        "/accounts/settings/",
        "/billing/",
        "/about/",
    ]
    page = narrow.new_page()
    too_wide = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[path] = (width, page.evaluate(OVERFLOWING))
    assert not too_wide, "\n".join(f"{p}: {w} {els}" for p, (w, els) in too_wide.items())


def test_a_visitor_s_pages_fit_360_px_too(narrow, live_server, course):
    page = narrow.new_page()
    lesson1 = course.lessons.get(position=1)
    for path in ("/", "/courses/", f"/courses/{course.slug}/", f"/lessons/{lesson1.pk}/"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width, page.evaluate(OVERFLOWING))


def test_on_a_phone_the_menu_is_one_button_that_opens_the_links(
    narrow, live_server, learner, practised
):
    open_as(narrow, live_server, practised)
    page = narrow.new_page()
    page.goto(live_server.url + "/stats/")
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] < 70  # one line, not three
    stats_link = header.get_by_role("link", name="Stats", exact=True)
    assert stats_link.is_hidden()

    page.get_by_text("Menu", exact=True).tap()
    assert stats_link.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Coach", exact=True).tap()
    page.wait_for_url("**/coach/")


def test_on_a_wide_screen_the_links_show_without_a_menu_button(page, live_server, learner):
    client = Client()
    client.force_login(learner)
    open_as(page.context, live_server, client)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/")
    assert page.get_by_role("link", name="Stats", exact=True).is_visible()
    assert page.get_by_text("Menu", exact=True).is_hidden()
