"""The widget on a phone (Chromium's mobile emulation with touch) and its error marks."""

from __future__ import annotations

import os

import pytest

from lessons.models import PracticeSession
from lessons.tests.test_browser import TYPING_DELAY_MS, log_in, open_lesson

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


def focused_role(page) -> str | None:
    return page.evaluate("document.activeElement && document.activeElement.dataset.role")


def test_a_phone_learner_taps_the_widget_and_types_with_the_on_screen_keyboard(
    phone, live_server, learner, course
):
    lesson1 = course.lessons.get(position=1)
    text = lesson1.text
    log_in(phone, live_server, learner)
    phone.goto(f"{live_server.url}/lessons/{lesson1.pk}/")
    hint = phone.locator("[data-role=hint]")
    assert hint.inner_text() == "Tap here to start typing"

    phone.locator("[data-role=text]").tap()
    assert focused_role(phone) == "input"  # the textarea: the on-screen keyboard opens for it
    field = phone.locator("[data-role=input]")
    for name in ("autocorrect", "autocapitalize", "autocomplete"):
        assert field.get_attribute(name) == "off"
    assert field.get_attribute("spellcheck") == "false"
    assert "start typing" in hint.inner_text().lower()

    # A virtual keyboard sends text without a usable keydown: insert_text, one tap per letter.
    for ch in text[:10]:
        phone.keyboard.insert_text(ch)
        phone.wait_for_timeout(TYPING_DELAY_MS)
    phone.keyboard.insert_text("x")  # a wrong letter: the cursor waits
    phone.wait_for_timeout(TYPING_DELAY_MS)
    # A word composed the way Gboard does (it grows, then is committed), then plain taps.
    cdp = phone.context.new_cdp_session(phone)
    word = text[10:14]
    for end in range(1, len(word) + 1):
        cdp.send(
            "Input.imeSetComposition",
            {"text": word[:end], "selectionStart": end, "selectionEnd": end},
        )
        phone.wait_for_timeout(TYPING_DELAY_MS)
        # Each letter counts as it is composed, not only when the word is committed.
        assert phone.locator("[data-role=text] .typed").count() == 10 + end
    cdp.send("Input.insertText", {"text": word})
    for ch in text[14:]:
        cdp.send("Input.insertText", {"text": ch})
        phone.wait_for_timeout(TYPING_DELAY_MS)

    result = phone.locator("#result")
    result.wait_for(timeout=15_000)
    assert "Next lesson: Lesson 2" in result.inner_text()
    session = PracticeSession.objects.get(user=learner)
    assert session.status == "completed"
    assert session.keystrokes == len(text) + 1  # every letter once: nothing doubled or lost
    assert session.errors == 1
    assert f"{session.wpm:.1f}" in result.inner_text()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_a_wrong_key_shows_what_was_typed_and_the_marks_survive_a_reload(
    page, live_server, learner, course
):
    lesson1 = course.lessons.get(position=1)
    text = lesson1.text  # "asdf jkl; ..."
    log_in(page, live_server, learner)
    open_lesson(page, live_server, lesson1)
    page.keyboard.type(text[:2], delay=TYPING_DELAY_MS)
    page.keyboard.press("q")

    wrong = page.locator("[data-role=text] .typing-char").nth(2)
    assert "error" in wrong.get_attribute("class")
    # The typed "q" covers the expected "d" for a moment...
    shown = wrong.evaluate("s => getComputedStyle(s, '::before').content")
    assert shown == '"q"'
    hint = page.locator("[data-role=error-hint]")
    assert hint.is_visible()
    assert "the cursor waits for the right one" in hint.inner_text()
    # ...then goes, and the red mark stays on the expected character.
    page.wait_for_timeout(900)
    assert wrong.evaluate("s => getComputedStyle(s, '::before').content") == "none"
    assert "error" in wrong.get_attribute("class")
    assert wrong.inner_text() == "d"

    page.keyboard.type(text[2:6], delay=TYPING_DELAY_MS)
    page.keyboard.press("z")  # wrong at 6 ("j"), not yet put right
    assert "was-wrong" in wrong.get_attribute("class")
    page.reload()

    chars = page.locator("[data-role=text] .typing-char")
    assert "was-wrong" in chars.nth(2).get_attribute("class")
    assert "error" in chars.nth(6).get_attribute("class")
    assert page.locator("[data-role=text] .was-wrong, [data-role=text] .error").count() == 2
    # The must-correct hint was explained once; the next mistake does not repeat it.
    page.locator("[data-typing-widget]").click()
    page.keyboard.press("x")
    assert page.locator("[data-role=error-hint]").is_hidden()
    page.keyboard.type(text[6:], delay=TYPING_DELAY_MS)
    page.locator("#result").wait_for(timeout=15_000)
    session = PracticeSession.objects.get(user=learner)
    assert session.errors == 3
