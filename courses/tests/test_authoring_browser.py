"""The author's admin pages in headless Chromium: at a phone's width, in both themes, the
lesson preview wraps and no page scrolls sideways."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from courses.models import Lesson

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LONG_LINE = " ".join(["asdf jkl; fads lads"] * 20)


@pytest.fixture
def author_context(browser, live_server, author):
    client = Client()
    client.force_login(author)

    def make(scheme: str):
        context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        return context

    return make


def sideways_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_preview_wraps_and_the_pages_fit_a_phone(author_context, live_server, course, scheme):
    lesson = course.lessons.get(position=1)
    Lesson.objects.filter(pk=lesson.pk).update(text=LONG_LINE)
    context = author_context(scheme)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/courses/lesson/{lesson.pk}/change/")
    preview = page.locator(".lesson-preview")
    assert LONG_LINE in preview.inner_text()
    box = preview.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 360
    assert preview.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert preview.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    background = preview.evaluate("el => getComputedStyle(el).backgroundColor")
    text = preview.evaluate("el => getComputedStyle(el).color")
    assert background != text
    assert sideways_overflow(page) <= 0
    page.goto(f"{live_server.url}/admin/courses/course/{course.pk}/change/")
    assert page.get_by_role("button", name="Move “Lesson 2” up").is_visible()
    assert sideways_overflow(page) <= 0
    context.close()


def test_the_up_arrow_moves_a_lesson_on_the_course_page(author_context, live_server, course):
    context = author_context("light")
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/courses/course/{course.pk}/change/")
    page.get_by_role("button", name="Move “Lesson 2” up").click()
    page.wait_for_url(f"**/admin/courses/course/{course.pk}/change/")
    assert "is now lesson 1 of the course" in page.locator(".messagelist").inner_text()
    assert list(course.lessons.order_by("position").values_list("title", flat=True)) == [
        "Lesson 2",
        "Lesson 1",
    ]
    context.close()
