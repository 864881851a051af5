"""axe-core on every main page, light and dark: no serious or critical violation.

axe-core is vendored under fixtures/axe-core (from npm, MPL-2.0) and injected into each page;
the site's CSP forbids injected scripts, so the pages open in a context that bypasses it.
Nothing is fetched at test time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.urls import Resolver404, resolve
from playwright.sync_api import Page as PlaywrightPage

from coach.models import Exercise
from courses.models import Lesson
from lessons.models import PracticeSession
from lessons.tests.conftest import play, typed_keys

# Playwright's sync API runs an event loop in this thread; the ORM calls stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(__file__).parent / "fixtures" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


@dataclass(frozen=True)
class Site:
    """What the pages are about: made once per test through the real paths."""

    course_slug: str
    lesson_id: int
    lesson_text: str
    locked_lesson_id: int
    premium_lesson_id: int
    session_id: str
    exercise_id: int


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Site], str]
    persona: str  # "visitor", "learner" or "author"
    ready: str = "body"  # a selector that is visible once the page has drawn itself
    status: int = 200
    then: Callable[[PlaywrightPage, Site], str] | None = None  # acts, returns what to wait for


def type_the_lesson(page: PlaywrightPage, site: Site) -> str:
    page.locator("[data-typing-widget]").click()
    page.keyboard.type(site.lesson_text, delay=60)
    return "#result"


# Every main page. Add a page here; an optional page (built by another part of the work) is
# listed in OPTIONAL_PAGES and checked only when its URL resolves.
PAGES = [
    Page("home", lambda s: "/", "visitor"),
    Page("home, logged in", lambda s: "/", "learner"),
    Page("about", lambda s: "/about/", "visitor"),
    Page("catalogue", lambda s: "/courses/", "visitor"),
    Page("course page with locked lessons", lambda s: f"/courses/{s.course_slug}/", "learner"),
    Page("course page, visitor", lambda s: f"/courses/{s.course_slug}/", "visitor"),
    Page(
        "lesson with the keyboard",
        lambda s: f"/lessons/{s.lesson_id}/",
        "learner",
        ready=".typing-kb .typing-key",
    ),
    Page(
        "lesson result card",
        lambda s: f"/lessons/{s.lesson_id}/",
        "learner",
        ready=".typing-kb .typing-key",
        then=type_the_lesson,
    ),
    Page("locked lesson", lambda s: f"/lessons/{s.locked_lesson_id}/", "learner", status=403),
    Page("premium lesson", lambda s: f"/lessons/{s.premium_lesson_id}/", "learner", status=403),
    Page("dashboard", lambda s: "/stats/", "learner"),
    Page("keys and heatmap", lambda s: "/stats/keys/", "learner"),
    Page("history", lambda s: "/stats/history/", "learner"),
    Page("session page", lambda s: f"/stats/sessions/{s.session_id}/", "learner"),
    Page("coach", lambda s: "/coach/", "learner"),
    Page(
        "exercise",
        lambda s: f"/coach/exercises/{s.exercise_id}/",
        "learner",
        ready=".typing-kb .typing-key",
    ),
    Page("settings", lambda s: "/accounts/settings/", "learner"),
    Page("billing", lambda s: "/billing/", "learner"),
    Page(
        "placement test",
        lambda s: "/placement/",
        "learner",
        ready=".typing-kb .typing-key",
    ),
    Page("login", lambda s: "/accounts/login/", "visitor"),
    Page("signup", lambda s: "/accounts/signup/", "visitor"),
    Page("admin index", lambda s: "/admin/", "author"),
    Page(
        "admin lesson change form",
        lambda s: f"/admin/courses/lesson/{s.lesson_id}/change/",
        "author",
    ),
]
OPTIONAL_PAGES = [
    Page("pricing", lambda s: "/pricing/", "visitor"),
]


def resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def pages_to_check() -> list[Page]:
    site = Site("x", 1, "", 1, 1, "00000000-0000-0000-0000-000000000000", 1)
    return PAGES + [page for page in OPTIONAL_PAGES if resolves(page.url(site))]


@pytest.fixture
def site(learner, author, course) -> Site:
    """A course whose later lessons are locked for the learner, who has typed lesson 1 once
    (stars, a session, statistics) and asked the coach for an exercise."""
    for position, keys in enumerate(["gh", "ty", "rv", "bn"], start=3):
        Lesson.objects.create(
            course=course,
            position=position,
            title=f"Lesson {position}",
            new_keys=keys,
            text=f"{keys} {keys} fads {keys} lads {keys}",
            is_premium=position == 6,
        )
    lesson1 = course.lessons.get(position=1)
    client = Client()
    client.force_login(learner)
    mistakes = {pos: "e" for pos, ch in enumerate(lesson1.text) if ch == "d"}
    assert play(client, lesson1, typed_keys(lesson1.text, mistakes=mistakes)).status_code == 200
    assert client.post("/coach/exercises/", {"keys": "d"}).status_code == 302
    return Site(
        course_slug=course.slug,
        lesson_id=lesson1.pk,
        lesson_text=lesson1.text,
        locked_lesson_id=course.lessons.get(position=4).pk,
        premium_lesson_id=course.lessons.get(position=6).pk,
        session_id=str(PracticeSession.objects.get(user=learner).pk),
        exercise_id=Exercise.objects.get(user=learner).pk,
    )


def violations_on(page: PlaywrightPage, site: Site, spec: Page, base_url: str) -> list[dict]:
    url = base_url + spec.url(site)
    response = page.goto(url)
    assert response is not None
    assert response.status == spec.status, f"{url} answered {response.status}"
    page.locator(spec.ready).first.wait_for(state="visible", timeout=10_000)
    if spec.then is not None:
        page.locator(spec.then(page, site)).first.wait_for(state="visible", timeout=15_000)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => ({target: n.target.join(' '), impact: n.impact,"
        " summary: n.failureSummary}))})))"
    )
    return [v for v in result if v["impact"] in BLOCKING]


def describe(found: list[tuple[str, dict]]) -> str:
    lines = []
    for where, violation in found:
        for node in violation["nodes"]:
            if node["impact"] not in BLOCKING:
                continue
            summary = " ".join((node["summary"] or "").split())[:200]
            lines.append(
                f"{where}: {violation['id']} ({node['impact']}) {node['target']} — {summary}"
            )
    return f"{len(lines)} serious or critical axe violations:\n" + "\n".join(lines)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_main_page_has_no_serious_or_critical_axe_violation(
    browser, live_server, site, learner, author, theme
):
    users = {"learner": learner, "author": author}
    contexts = {}
    found: list[tuple[str, dict]] = []
    try:
        for page_spec in pages_to_check():
            if page_spec.persona not in contexts:
                context = browser.new_context(
                    bypass_csp=True, color_scheme=theme, viewport={"width": 1280, "height": 800}
                )
                if page_spec.persona in users:
                    client = Client()
                    client.force_login(users[page_spec.persona])
                    context.add_cookies(
                        [
                            {
                                "name": "sessionid",
                                "value": client.cookies["sessionid"].value,
                                "url": live_server.url,
                            }
                        ]
                    )
                contexts[page_spec.persona] = (context, context.new_page())
            _, page = contexts[page_spec.persona]
            for violation in violations_on(page, site, page_spec, live_server.url):
                found.append((f"{page_spec.name} [{theme}] {page_spec.url(site)}", violation))
    finally:
        for context, _ in contexts.values():
            context.close()
    assert not found, describe(found)
