"""Every course's first lesson (its lowest position among the published ones) is free to try, for
Free learners and visitors alike, even in a Premium course; the page, the practice start, the
course page's badges and the API all say so."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from api.tests.conftest import ApiClient, log_in
from courses.models import Course, Lesson
from lessons.access import access_for

from .conftest import post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def premium_course(course) -> Course:
    course.is_premium = True
    course.save()
    return course


def lesson_row(page: str, lesson: Lesson) -> str:
    start = page.index(f'id="lesson-{lesson.pk}"')
    return page[start : page.index("</li>", start)]


@pytest.mark.parametrize("who", ["visitor", "learner"])
def test_the_first_lesson_of_a_premium_course_can_be_typed_without_premium(
    who, request, client, premium_course
):
    if who == "learner":
        client.force_login(request.getfixturevalue("learner"))
    first, second = premium_course.lessons.order_by("position")

    page = client.get(f"/lessons/{first.pk}/")
    start = post_json(client, f"/lessons/{first.pk}/start", {})

    assert page.status_code == 200
    assert "Free to try" in page.content.decode()
    assert start.status_code == 201
    assert client.get(f"/lessons/{second.pk}/").status_code == 403


def test_the_course_page_marks_the_first_lesson_free_and_the_rest_premium(
    client, learner, premium_course
):
    client.force_login(learner)
    first, second = premium_course.lessons.order_by("position")

    page = client.get(f"/courses/{premium_course.slug}/").content.decode()

    assert "Free to try" in lesson_row(page, first)
    assert "Locked" not in lesson_row(page, first)
    assert f'href="/lessons/{first.pk}/"' in lesson_row(page, first)
    assert "Premium" in lesson_row(page, second)
    assert "Locked" in lesson_row(page, second)


def test_a_premium_flag_on_a_course_s_lowest_lesson_still_leaves_it_free(client, learner, course):
    lowest = Lesson.objects.create(
        course=course, position=0, title="Warm-up", text="asdf jkl; fads", is_premium=True
    )
    client.force_login(learner)

    assert client.get(f"/lessons/{lowest.pk}/").status_code == 200
    # The lesson that used to be first is now second, waiting for stars as any other.
    assert not access_for(learner, course.lessons.get(position=1)).open


def test_a_draft_before_the_first_published_lesson_does_not_take_its_place(learner, course):
    course.is_premium = True
    course.save()
    Lesson.objects.create(course=course, position=0, title="Draft", text="asdf", is_published=False)
    first = course.lessons.get(position=1)

    access = access_for(learner, first)

    assert (access.open, access.free_to_try, access.premium) == (True, True, False)


def test_the_api_says_the_first_lesson_is_open_and_not_premium(learner, premium_course):
    api = ApiClient(log_in(learner.email).access)
    first, second = premium_course.lessons.order_by("position")

    items = api.get(f"/api/v1/courses/{premium_course.pk}/lessons").json()

    assert [(item["id"], item["state"], item["premium"]) for item in items] == [
        (first.pk, "open", False),
        (second.pk, "premium", True),
    ]


def test_every_shipped_course_opens_its_first_lesson_to_free_learners_and_visitors(learner):
    call_command("load_curriculum", stdout=StringIO())
    courses = list(Course.objects.all())
    assert any(course.is_premium for course in courses)  # the Python course

    for course in courses:
        first = course.lessons.order_by("position", "id").first()
        assert first is not None
        assert access_for(learner, first).open, course.slug
        assert access_for(AnonymousUser(), first).open, course.slug
