"""The result card in headless Chromium: the session's keys and tip, the link to the session
page, the keyboard shortcuts and where the focus lands; screenshots of it at desktop and phone
sizes, light and dark (into $SCREENSHOT_DIR when it is set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client

from courses.models import Lesson
from lessons.models import PracticeSession

from .conftest import play, typed_keys
from .test_browser import TYPING_DELAY_MS, log_in, open_lesson

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The shortcuts wait this long after the card appears (static/js/typing/result.js: ARM_MS).
ARMED_MS = 500


def type_with_mistakes(page, text: str, mistakes: dict[int, str]) -> None:
    """Type `text`, pressing the wrong key `mistakes[pos]` first where given (the cursor waits
    for the right key)."""
    for pos, ch in enumerate(text):
        if pos in mistakes:
            page.keyboard.press(mistakes[pos])
            page.wait_for_timeout(TYPING_DELAY_MS)
        page.keyboard.type(ch)
        page.wait_for_timeout(TYPING_DELAY_MS)


def lesson_one_mistakes(text: str) -> dict[int, str]:
    """The first two "d" typed as "e" first, the first "l" as "k": accuracy stays above 88 %
    (two stars)."""
    d_at = [pos for pos, ch in enumerate(text) if ch == "d"]
    return {d_at[0]: "e", d_at[1]: "e", text.index("l"): "k"}


def finish_lesson(page, live_server, lesson):
    open_lesson(page, live_server, lesson)
    type_with_mistakes(page, lesson.text, lesson_one_mistakes(lesson.text))
    result = page.locator("#result")
    result.wait_for(timeout=15_000)
    return result


def focused(page) -> dict:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          return {tag: el.tagName, shortcut: el.getAttribute("data-shortcut"),
                  text: el.textContent.trim()};
        }"""
    )


def test_the_card_shows_the_keys_and_tip_and_enter_goes_to_the_next_lesson(
    page, live_server, learner, course
):
    lesson1, lesson2 = course.lessons.order_by("position")
    log_in(page, live_server, learner)
    result = finish_lesson(page, live_server, lesson1)
    card = " ".join(result.inner_text().split())
    assert "Most missed" in card
    assert "d → typed e ×2" in card
    assert "l → typed k ×1" in card
    assert "Slowest keys" in card
    assert "ms on average" in card
    assert "Coach tip:" in card
    assert "slow down until the misses stop — most were on d." in card  # accuracy 90.6 %
    session = PracticeSession.objects.get(user=learner)
    link = page.get_by_role("link", name="See this session key by key")
    assert link.get_attribute("href") == f"/stats/sessions/{session.pk}/"
    # The focus is on the primary action, which shows its shortcut; not on the heading.
    now = focused(page)
    assert now["tag"] == "A"
    assert now["shortcut"] == "next"
    assert now["text"].startswith("Next lesson: Lesson 2")
    assert now["text"].endswith("↵")
    page.wait_for_timeout(ARMED_MS)
    page.locator("#result-title").click()  # Enter works wherever the focus is in the card
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/lessons/{lesson2.pk}/")
    assert page.locator("[data-typing-widget]").is_visible()


def test_escape_and_tab_try_the_lesson_again(page, live_server, learner, course):
    lesson1 = course.lessons.get(position=1)
    log_in(page, live_server, learner)
    finish_lesson(page, live_server, lesson1)
    retry = page.locator('[data-shortcut="retry"]')
    assert " ".join(retry.inner_text().split()) == "Try again Esc"
    page.wait_for_timeout(ARMED_MS)
    page.keyboard.press("Escape")
    page.wait_for_url(f"**/lessons/{lesson1.pk}/")
    page.locator("[data-typing-widget]").wait_for()
    assert page.locator("#result").count() == 0
    assert page.locator("[data-role=text] .typed").count() == 0  # a fresh start

    page.locator("[data-typing-widget]").click()
    type_with_mistakes(page, lesson1.text, lesson_one_mistakes(lesson1.text))
    page.locator("#result").wait_for(timeout=15_000)
    page.wait_for_timeout(ARMED_MS)
    page.keyboard.press("Tab")  # from the primary action, where the focus is
    page.wait_for_url(f"**/lessons/{lesson1.pk}/")
    page.locator("[data-typing-widget]").wait_for()
    assert page.locator("#result").count() == 0
    assert PracticeSession.objects.filter(user=learner, status="completed").count() == 2


@pytest.mark.parametrize(
    ("width", "height", "scheme"),
    [
        (1280, 800, "light"),
        (1280, 800, "dark"),
        (390, 844, "light"),
        (390, 844, "dark"),
        (360, 740, "dark"),
    ],
)
def test_the_card_fits_the_screen_in_both_themes(
    browser, live_server, learner, course, tmp_path, width, height, scheme
):
    lesson1, lesson2 = course.lessons.order_by("position")
    Lesson.objects.create(course=course, position=3, title="Home row words", text="a lad asks")
    # Lesson 1 typed before (opening lesson 2): lesson 2's card says what it compares with.
    client = Client()
    client.force_login(learner)
    assert play(client, lesson1, typed_keys(lesson1.text, interval=300)).status_code == 200
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    try:
        log_in(page, live_server, learner)
        result = finish_lesson(page, live_server, lesson2)
        assert "WPM vs your last session (Lesson 1: Lesson 1)" in result.inner_text()
        assert result.is_visible()
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('#result')).backgroundColor"
        )
        assert (background == "rgb(23, 27, 36)") == (scheme == "dark")
        folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        result.scroll_into_view_if_needed()
        page.screenshot(path=str(folder / f"result-{width}x{height}-{scheme}.png"), full_page=True)
    finally:
        context.close()
