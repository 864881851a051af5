"""A Russian-speaking learner in headless Chromium (its locale ru-RU, so Accept-Language ru): the
home page, a lesson with the widget's own JavaScript strings, the result and the dashboard are in
Russian, and the footer's switcher turns the site into English."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from courses.layouts import LAYOUTS
from courses.models import Course, Lesson

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ru-RU"}


@pytest.fixture
def russian_lesson(course) -> Lesson:
    russian = Course.objects.create(
        slug="osnovy",
        title="Основы слепой печати",
        description="Основной ряд.",
        language="ru",
        layout="jcuken",
        is_published=True,
        position=course.position + 1,
    )
    return Lesson.objects.create(course=russian, position=1, title="Ф и Ж", text="фыва олдж фыва")


def type_cyrillic(page, text: str) -> None:
    """Real key events for Cyrillic (Playwright's keyboard sends only input events for them)."""
    cdp = page.context.new_cdp_session(page)
    chars = LAYOUTS["jcuken"].chars
    for ch in text:
        code = "Space" if ch == " " else chars[ch][0].code
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": ch, "code": code, "text": ch})
        cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": ch, "code": code})
        page.wait_for_timeout(120)  # 14 keys must take over a second to be scored


def test_a_russian_learner_sees_home_lesson_result_and_dashboard_in_russian(
    page, live_server, learner, russian_lesson
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    client = Client()
    client.force_login(learner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Печатайте быстрее, не глядя на клавиатуру."
    )
    titles = page.locator(".course-grid h3, .course-grid h2").all_inner_texts()
    assert titles[0].startswith("Основы слепой печати")  # a Russian speaker's course first
    assert len(titles) == 2

    page.goto(f"{live_server.url}/lessons/{russian_lesson.pk}/")
    widget = page.locator("[data-typing-widget]")
    hint = page.locator("[data-role=hint]")
    caption = page.locator(".typing-kb-caption")
    # Written by widget.js and core.js through the /jsi18n/ catalogue.
    assert caption.inner_text() == "Далее: ф — левый мизинец"
    assert hint.inner_text() == "Нажмите сюда или любую клавишу, чтобы начать"
    widget.click()
    assert hint.inner_text() == "Начинайте печатать — отсчёт времени начнётся с первой клавиши."
    toggle = page.locator("[data-role=keyboard-toggle]")
    toggle.click()
    assert toggle.inner_text() == "Показать клавиатуру"
    toggle.click()
    assert toggle.inner_text() == "Скрыть клавиатуру"
    widget.click()
    type_cyrillic(page, "фы")
    assert caption.inner_text() == "Далее: в — левый средний палец"
    type_cyrillic(page, russian_lesson.text[2:])
    result = page.locator("#result")
    result.wait_for(timeout=15_000)
    assert "Скорость" in result.inner_text()
    assert "Точность" in result.inner_text()

    page.goto(f"{live_server.url}/stats/")
    assert page.get_by_role("heading", level=1).inner_text() == "Ваш прогресс"
    assert "Лучшая скорость" in page.locator("main").inner_text()

    # The footer's switcher: English from now on, remembered for this learner.
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server.url}/stats/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Your progress"
    learner.refresh_from_db()
    assert learner.language == "en"
    assert errors == []
