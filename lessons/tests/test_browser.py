"""The real widget in headless Chromium against the live server."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from conftest import PASSWORD
from courses.layouts import LAYOUTS
from courses.models import Course, Lesson
from lessons.models import KeystrokeBatch, LessonProgress, PracticeSession
from typingtrainer.models import User

# Playwright's sync API runs an event loop in this thread for the whole session; the ORM calls
# the tests make are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TYPING_DELAY_MS = 60


def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def open_lesson(page, live_server, lesson):
    page.goto(f"{live_server.url}/lessons/{lesson.pk}/")
    page.locator("[data-typing-widget]").click()


def test_a_learner_types_lesson_one_with_mistakes_and_lesson_two_opens(
    page, live_server, learner, course
):
    lesson1, lesson2 = course.lessons.order_by("position")
    log_in(page, live_server, learner)
    open_lesson(page, live_server, lesson1)
    text = lesson1.text
    page.keyboard.type(text[:6], delay=TYPING_DELAY_MS)
    page.keyboard.press("q")  # a mistake: the cursor waits for the right key
    page.keyboard.press("z")
    page.keyboard.type(text[6:], delay=TYPING_DELAY_MS)
    result = page.locator("#result")
    result.wait_for(timeout=15_000)
    assert "Next lesson: Lesson 2" in result.inner_text()
    assert page.locator("[data-typing-widget]").is_hidden()

    session = PracticeSession.objects.get(user=learner)
    assert session.status == "completed"
    assert session.errors == 2
    assert session.keystrokes == len(text) + 2
    assert f"{session.wpm:.1f}" in result.inner_text()
    assert LessonProgress.objects.get(user=learner, lesson=lesson1).best_rating >= 2
    page.get_by_role("link", name="Next lesson: Lesson 2").click()
    page.wait_for_url(f"**/lessons/{lesson2.pk}/")
    assert page.locator("[data-typing-widget]").is_visible()


def test_a_reload_mid_lesson_resumes_where_the_learner_was(page, live_server, learner, course):
    lesson1 = course.lessons.get(position=1)
    log_in(page, live_server, learner)
    open_lesson(page, live_server, lesson1)
    text = lesson1.text
    page.keyboard.type(text[:12], delay=TYPING_DELAY_MS)
    page.reload()
    typed = page.locator("[data-role=text] .typed")
    assert typed.count() == 12
    page.locator("[data-typing-widget]").click()
    page.keyboard.type(text[12:], delay=TYPING_DELAY_MS)
    page.locator("#result").wait_for(timeout=15_000)

    session = PracticeSession.objects.get(user=learner)
    assert session.status == "completed"
    assert session.keystrokes == len(text)  # nothing lost, nothing doubled
    assert sum(len(b.keys) for b in KeystrokeBatch.objects.filter(session=session)) == len(text)


def test_a_visitor_types_lesson_one_signs_up_and_finds_the_session_on_the_account(
    page, live_server, course
):
    lesson1 = course.lessons.get(position=1)
    open_lesson(page, live_server, lesson1)
    page.keyboard.type(lesson1.text, delay=TYPING_DELAY_MS)
    page.locator("#result").wait_for(timeout=15_000)
    page.get_by_role("link", name="Sign up to keep this result").click()
    page.fill("input[name=email]", "visitor@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(f"**/courses/{course.slug}/")

    user = User.objects.get(email="visitor@example.com")
    session = PracticeSession.objects.get()
    assert session.user == user
    assert page.locator(f"#lesson-{lesson1.pk} .stars").count() == 1
    assert page.locator(f"#lesson-{course.lessons.get(position=2).pk} a").count() == 1


def test_a_russian_lesson_typed_with_cyrillic_key_events(page, live_server, learner):
    course = Course.objects.create(
        slug="ru",
        title="Русский",
        description="-",
        language="ru",
        layout="jcuken",
        is_published=True,
    )
    lesson = Lesson.objects.create(course=course, position=1, title="Ф и Ж", text="фыва олдж фыва")
    log_in(page, live_server, learner)
    open_lesson(page, live_server, lesson)
    cdp = page.context.new_cdp_session(page)
    chars = LAYOUTS["jcuken"].chars
    for ch in lesson.text:
        code = "Space" if ch == " " else chars[ch][0].code
        for kind in ("keyDown", "keyUp"):
            event = {"type": kind, "key": ch, "code": code}
            if kind == "keyDown":
                event["text"] = ch
            cdp.send("Input.dispatchKeyEvent", event)
        page.wait_for_timeout(120)  # 14 keys must take over a second to be scored
    page.locator("#result").wait_for(timeout=15_000)
    session = PracticeSession.objects.get(user=learner)
    assert session.status == "completed"
    assert session.errors == 0
    assert session.accuracy == 100.0


def test_a_code_lesson_enter_types_the_newline_and_the_indentation_is_skipped(
    page, live_server, learner
):
    course = Course.objects.create(
        slug="py", title="Python", description="-", language="python", is_published=True
    )
    text = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))"
    lesson = Lesson.objects.create(course=course, position=1, title="Functions", text=text)
    log_in(page, live_server, learner)
    open_lesson(page, live_server, lesson)
    # What a learner types: each line's own characters and Enter, never the indentation.
    for number, line in enumerate(text.split("\n")):
        if number:
            page.keyboard.press("Enter")
            page.wait_for_timeout(TYPING_DELAY_MS)
        page.keyboard.type(line.lstrip(" "), delay=TYPING_DELAY_MS)
    page.locator("#result").wait_for(timeout=15_000)
    session = PracticeSession.objects.get(user=learner)
    assert session.status == "completed"
    assert session.errors == 0
    assert session.keystrokes == len(text) - 4  # the four spaces of indentation were skipped
    keys = [key for batch in session.batches.order_by("seq") for key in batch.keys]
    assert [key[1] for key in keys if key[1] == "\n"] == ["\n"] * 3


def test_batches_carry_the_token_and_no_cookie_and_an_expired_token_is_renewed(
    page, live_server, learner, course, settings
):
    settings.PRACTICE_TOKEN_SECONDS = 1  # expires while the lesson is typed
    lesson1 = course.lessons.get(position=1)
    sent: list[dict] = []
    page.on(
        "request",
        lambda request: (
            sent.append({"url": request.url, "headers": request.all_headers()})
            if request.method == "POST" and "/sessions/" in request.url
            else None
        ),
    )
    log_in(page, live_server, learner)
    open_lesson(page, live_server, lesson1)
    text = lesson1.text
    page.keyboard.type(text[:8], delay=TYPING_DELAY_MS)
    page.wait_for_timeout(2500)  # the first batch goes 2 s after its first key, token expired
    page.keyboard.type(text[8:], delay=TYPING_DELAY_MS)
    page.locator("#result").wait_for(timeout=20_000)

    session = PracticeSession.objects.get(user=learner)
    assert session.status == "completed"
    assert session.keystrokes == len(text)  # nothing lost to the expiry
    batches = [r for r in sent if r["url"].endswith("/keystrokes")]
    assert batches
    assert all("cookie" not in r["headers"] for r in batches)
    assert all("x-csrftoken" not in r["headers"] for r in batches)
    assert all(r["headers"].get("x-practice-token") for r in batches)
    assert any(r["url"].endswith("/token") for r in sent)  # renewed at least once
