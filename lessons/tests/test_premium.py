"""Premium lessons and courses are enforced through billing's one entitlement function."""

from __future__ import annotations

import pytest

from billing.tests.conftest import (  # noqa: F401 — fixtures: a subscriber made through webhooks
    deliver,
    fake_stripe,
    fresh,
    premium_prices,
    subscribe,
    webhook_endpoint,
)
from courses.models import Lesson
from lessons.models import LessonProgress

from .conftest import post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def premium_lesson(course):
    return Lesson.objects.create(
        course=course, position=3, title="Premium drill", text="asdf jkl; fads", is_premium=True
    )


def test_a_free_learner_gets_a_403_page_explaining_premium(client, learner, premium_lesson):
    client.force_login(learner)
    response = client.get(f"/lessons/{premium_lesson.pk}/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "“Premium drill” needs Premium" in html
    assert '<a class="button" href="/pricing/">Upgrade to Premium</a>' in html
    start = post_json(client, f"/lessons/{premium_lesson.pk}/start", {})
    assert start.status_code == 403
    assert "part of Premium" in start.json()["error"]


def test_a_subscriber_opens_premium_lessons_and_courses(
    client,
    learner,
    premium_lesson,
    subscribe,  # noqa: F811 — the fixture imported above
):
    subscribe(learner)
    LessonProgress.objects.create(user=learner, lesson=premium_lesson.previous(), best_rating=2)
    client.force_login(fresh(learner))
    assert client.get(f"/lessons/{premium_lesson.pk}/").status_code == 200
    assert post_json(client, f"/lessons/{premium_lesson.pk}/start", {}).status_code == 201
    premium_lesson.course.is_premium = True
    premium_lesson.course.save()
    first = premium_lesson.course.lessons.get(position=1, is_premium=False)
    assert client.get(f"/lessons/{first.pk}/").status_code == 200


def test_a_whole_premium_course_is_closed_to_free_learners_after_its_first_lesson(
    client, learner, course
):
    course.is_premium = True
    course.save()
    client.force_login(learner)
    first, second = course.lessons.order_by("position")
    LessonProgress.objects.create(user=learner, lesson=first, best_rating=5)
    assert client.get(f"/lessons/{first.pk}/").status_code == 200  # free to try
    response = client.get(f"/lessons/{second.pk}/")
    assert response.status_code == 403
    assert b"needs Premium" in response.content


def test_the_course_page_asks_once_for_premium_however_many_lessons(
    client, learner, course, django_assert_max_num_queries
):
    for position in range(3, 40):
        Lesson.objects.create(
            course=course, position=position, title=f"L{position}", text="asdf jkl; fads"
        )
    client.force_login(learner)
    client.get(f"/courses/{course.slug}/")  # warm up session and caches
    with django_assert_max_num_queries(12):
        response = client.get(f"/courses/{course.slug}/")
    assert len(response.context["rows"]) == 39
