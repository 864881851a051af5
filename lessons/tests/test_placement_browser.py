"""The placement test and a test-out in headless Chromium, through the real widget and the live
server: typed fast, scored by the server, lessons opened on the course page."""

from __future__ import annotations

import os

import pytest

from courses.models import Course, Lesson
from lessons.models import LessonProgress, PracticeSession

from .test_browser import log_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TEXTS = [
    "asdf jkl; asdf jkl; fads lads",
    "a sad lad; a dad asks; all fall",
    "the last glass has a red flask",
    "she reads the letters he sent her",
    "a large garden grows near the road",
]


@pytest.fixture
def ladder(db) -> Course:
    """Targets 10, 20, 30 and 40 WPM, then one no human reaches."""
    course = Course.objects.create(
        slug="ladder",
        title="Ladder",
        description="Rising speed.",
        language="en",
        layout="qwerty",
        is_published=True,
    )
    for number, (target, text) in enumerate(zip([10, 20, 30, 40, 200], TEXTS, strict=True), 1):
        Lesson.objects.create(
            course=course, position=number, title=f"Step {number}", text=text, target_wpm=target
        )
    return course


def test_a_fast_typist_takes_the_placement_test_and_finds_the_lessons_open(
    page, live_server, learner, ladder, settings
):
    settings.PLACEMENT_SECONDS = 6  # a minute in production; six seconds here
    log_in(page, live_server, learner)
    page.goto(f"{live_server.url}/courses/ladder/")
    page.get_by_role("link", name="Already type? Take a 1-minute placement test").click()
    page.wait_for_url("**/courses/ladder/placement/")
    assert page.locator("[data-role=time-left]").inner_text() == "6"
    text = page.evaluate("JSON.parse(document.getElementById('lesson-text').textContent)")
    page.locator("[data-typing-widget]").click()
    # About 100 WPM, for longer than the test lasts: it ends by itself after six seconds.
    page.keyboard.type(text[:90], delay=100)
    assert page.locator("[data-role=text] .typed").count() < 90  # the last keys came too late
    result = page.locator("#result")
    result.wait_for(timeout=20_000)
    card = result.inner_text()
    session = PracticeSession.objects.get(user=learner)
    assert session.kind == "placement"
    assert session.status == "completed"
    assert session.duration_ms is not None
    assert session.wpm is not None
    assert 5000 <= session.duration_ms <= 6000
    assert session.wpm > 40
    wpm = f"{session.wpm:.1f}".removesuffix(".0")
    assert f"Placement: {wpm} WPM, 100 % — lessons 1–4 opened" in card

    page.get_by_role("link", name="See Ladder").click()
    page.wait_for_url("**/courses/ladder/")
    steps = list(ladder.lessons.order_by("position"))
    for lesson in steps[:4]:
        assert page.locator(f"#lesson-{lesson.pk} a").count() == 1
    assert page.locator(f"#lesson-{steps[4].pk} a").count() == 0
    assert "Locked" in page.locator(f"#lesson-{steps[4].pk}").inner_text()
    assert not LessonProgress.objects.filter(user=learner).exists()


def test_a_learner_tests_out_of_a_locked_lesson(page, live_server, learner, ladder):
    third = ladder.lessons.get(position=3)
    log_in(page, live_server, learner)
    page.goto(f"{live_server.url}/lessons/{third.pk}/")
    page.get_by_role("link", name="Test out: type this lesson at its target WPM").click()
    page.wait_for_url(f"**/lessons/{third.pk}/test-out/")
    page.locator("[data-typing-widget]").click()
    page.keyboard.type(third.text, delay=90)
    result = page.locator("#result")
    result.wait_for(timeout=20_000)
    assert "Test-out passed: lessons 1–3 opened" in result.inner_text()
    assert LessonProgress.objects.get(user=learner, lesson=third).best_rating >= 4

    page.get_by_role("link", name="See Ladder").click()
    page.wait_for_url("**/courses/ladder/")
    assert page.locator(f"#lesson-{third.pk} .stars").count() == 1
    second = ladder.lessons.get(position=2)
    assert page.locator(f"#lesson-{second.pk} a").count() == 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_placement_page_fits_a_phone_in_both_themes(browser, live_server, ladder, scheme):
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    phone = context.new_page()
    phone.goto(f"{live_server.url}/courses/ladder/placement/")
    assert phone.get_by_role("heading", name="Placement test").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(16, 19, 26)") == (scheme == "dark")
    context.close()
