"""One answer to "may this person type this lesson", with or without a request: `access_for`
for one lesson, `access_map` for a course's list, the same rules as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.tests.conftest import (  # noqa: F401 — fixtures: a subscriber made through webhooks
    deliver,
    fake_stripe,
    fresh,
    premium_prices,
    subscribe,
    webhook_endpoint,
)
from courses.models import Lesson
from lessons.access import UNLOCK_RATING, access_for, access_map
from lessons.models import LessonProgress

pytestmark = pytest.mark.django_db


@pytest.fixture
def lessons(course):
    first, second = course.lessons.order_by("position")
    draft = Lesson.objects.create(
        course=course, position=3, title="Draft", text="asdf", is_published=False
    )
    fourth = Lesson.objects.create(course=course, position=4, title="Lesson 4", text="jkl;")
    paid = Lesson.objects.create(
        course=course, position=5, title="Paid", text="fads", is_premium=True
    )
    return [first, second, draft, fourth, paid]


def test_previous_and_next_skip_drafts(lessons):
    first, second, draft, fourth, paid = lessons
    assert first.previous() is None
    assert first.next() == second
    assert second.next() == fourth  # not the draft
    assert fourth.previous() == second
    assert draft.previous() == second
    assert paid.next() is None


@pytest.mark.parametrize("visitor", [None, AnonymousUser()])
def test_a_visitor_may_type_only_the_first_free_lesson(lessons, visitor):
    first, second, *_ = lessons
    assert access_for(visitor, first).open
    locked = access_for(visitor, second)
    assert not locked.open
    assert locked.needs_account
    assert locked.opens_with == first


def test_a_learners_stars_open_the_next_lesson(learner, lessons):
    first, second, _, fourth, paid = lessons
    closed = access_for(learner, second)
    assert (closed.open, closed.opens_with) == (False, first)
    assert "Earn at least 2 stars on “Lesson 1”" in closed.reason
    LessonProgress.objects.create(user=learner, lesson=first, best_rating=UNLOCK_RATING)
    assert access_for(learner, second).open
    assert not access_for(learner, fourth).open
    premium = access_for(learner, paid)
    assert (premium.open, premium.needs_premium) == (False, True)


def test_a_subscriber_opens_premium_lessons(
    learner,
    lessons,
    subscribe,  # noqa: F811 — the fixture imported above
):
    paid = lessons[-1]
    LessonProgress.objects.create(user=learner, lesson=lessons[3], best_rating=3)
    subscribe(learner)
    assert access_for(fresh(learner), paid).open


def test_authors_preview_every_lesson(author, lessons):
    assert all(access_for(author, lesson).open for lesson in lessons)
    assert all(access.open for access in access_map(author, lessons).values())


@pytest.mark.parametrize("who", ["visitor", "learner", "author"])
def test_the_map_says_what_access_for_says_of_each_lesson(who, request, lessons):
    user: Any = AnonymousUser() if who == "visitor" else request.getfixturevalue(who)
    if who == "learner":
        LessonProgress.objects.create(user=user, lesson=lessons[0], best_rating=4)
    published = [lesson for lesson in lessons if lesson.is_published or who == "author"]
    found = access_map(user, published)
    assert found == {lesson.pk: access_for(user, lesson) for lesson in published}


def test_the_map_costs_the_same_queries_for_two_lessons_and_for_twenty(learner, course):
    first, second = course.lessons.order_by("position")

    def count(lessons) -> int:
        user = fresh(learner)  # the plan is memoised on the user object
        with CaptureQueriesContext(connection) as captured:
            access_map(user, lessons)
        return len(captured)

    few = count([first, second])
    Lesson.objects.bulk_create(
        [Lesson(course=course, position=n, title=f"L{n}", text="asdf") for n in range(3, 21)]
    )
    many = list(course.lessons.order_by("position"))
    assert len(many) == 20
    # The ratings, the plan (at most three) and what the learner's level tests opened.
    assert count(many) == few <= 5
