"""The catalogue, a course and its lessons through the API: what the catalogue and course pages
show the same caller, in no more queries than the course page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses.models import Course, Lesson
from lessons.models import LessonProgress

from .conftest import ApiClient, error_of, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(course):
    """The conftest's published course, a Python course, and a draft."""
    Course.objects.create(
        slug="python-basics",
        title="Python Basics",
        description="Loops and functions.",
        language="python",
        position=2,
        is_published=True,
    )
    Course.objects.create(slug="draft", title="Secret Draft", description="Soon.", position=3)
    return course


def site_titles(path: str) -> list[str]:
    response = Client().get(path)
    assert response.status_code == 200
    return [course.title for course in response.context["courses"]]


def test_the_catalogue_lists_published_courses_as_the_page_does(anonymous_api, catalogue):
    response = anonymous_api.get("/api/v1/courses")
    assert response.status_code == 200
    body = response.json()
    assert [item["title"] for item in body["items"]] == site_titles("/courses/")
    assert [item["title"] for item in body["items"]] == ["Home Row Basics", "Python Basics"]
    assert body["total"] == 2
    first = body["items"][0]
    assert first["lesson_count"] == 2
    assert (first["slug"], first["language"], first["level"]) == ("home-row", "en", "beginner")
    assert first["premium"] is False


def test_the_catalogue_is_paginated_and_filtered_like_the_page(anonymous_api, catalogue):
    page = anonymous_api.get("/api/v1/courses", {"page": 2, "page_size": 1}).json()
    assert [item["title"] for item in page["items"]] == ["Python Basics"]
    assert (page["total"], page["page"], page["page_size"]) == (2, 2, 1)
    python = anonymous_api.get("/api/v1/courses", {"language": "python"}).json()
    assert [item["title"] for item in python["items"]] == site_titles("/courses/?language=python")
    assert python["total"] == 1


def test_an_unknown_language_is_a_422_naming_the_field(anonymous_api, catalogue):
    response = anonymous_api.get("/api/v1/courses", {"language": "klingon"})
    assert response.status_code == 422
    assert "language" in error_of(response)["fields"]


def test_search_finds_what_the_catalogue_search_finds(anonymous_api, catalogue):
    for words in ["home", "loops func", "keys"]:
        response = anonymous_api.get("/api/v1/courses/search", {"q": words})
        assert response.status_code == 200
        found = [item["title"] for item in response.json()["items"]]
        assert found == site_titles(f"/courses/?q={words}"), words
    assert anonymous_api.get("/api/v1/courses/search", {"q": "secret"}).json()["total"] == 0


def test_search_needs_words(anonymous_api, catalogue):
    response = anonymous_api.get("/api/v1/courses/search")
    assert response.status_code == 422
    assert "q" in error_of(response)["fields"]
    assert anonymous_api.get("/api/v1/courses/search", {"q": "x" * 101}).status_code == 422


def test_a_course_and_a_draft_only_for_staff(anonymous_api, api, staff, catalogue):
    response = anonymous_api.get(f"/api/v1/courses/{catalogue.pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "Home Row Basics"
    draft = Course.objects.get(slug="draft")
    for client in (anonymous_api, api):
        missing = client.get(f"/api/v1/courses/{draft.pk}")
        assert missing.status_code == 404
        assert error_of(missing)["code"] == "not_found"
        assert client.get(f"/api/v1/courses/{draft.pk}/lessons").status_code == 404
    staff_api = ApiClient(log_in(staff.email).access)
    preview = staff_api.get(f"/api/v1/courses/{draft.pk}")
    assert preview.status_code == 200
    assert preview.json()["published"] is False
    assert anonymous_api.get("/api/v1/courses/999999").status_code == 404


def test_a_refused_token_is_a_401_not_a_visitor(catalogue):
    response = ApiClient("not-a-token").get("/api/v1/courses")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def _page_rows(client: Client, course) -> dict[str, tuple[bool, int | None]]:
    response = client.get(f"/courses/{course.slug}/")
    assert response.status_code == 200
    return {row["lesson"].title: (row["open"], row["stars"]) for row in response.context["rows"]}


def _api_rows(api: ApiClient, course) -> dict[str, tuple[bool, int | None]]:
    response = api.get(f"/api/v1/courses/{course.pk}/lessons")
    assert response.status_code == 200
    return {item["title"]: (item["state"] == "open", item["stars"]) for item in response.json()}


def test_each_lesson_s_state_and_stars_for_a_learner(api, client, learner, course):
    first = course.lessons.get(position=1)
    Lesson.objects.create(
        course=course, position=3, title="Premium drill", text="asdf", is_premium=True
    )
    Lesson.objects.create(course=course, position=4, title="Draft", text="asdf", is_published=False)
    lessons = api.get(f"/api/v1/courses/{course.pk}/lessons").json()
    assert [item["title"] for item in lessons] == ["Lesson 1", "Lesson 2", "Premium drill"]
    one, two, premium = lessons
    assert (one["state"], one["reason"], one["stars"], one["opens_with"]) == (
        "open",
        "",
        None,
        None,
    )
    assert two["state"] == "locked"
    assert two["reason"] == "Earn at least 2 stars on “Lesson 1” to open this lesson."
    assert two["opens_with"] == first.pk
    assert (premium["state"], premium["premium"]) == ("premium", True)
    assert premium["reason"] == "“Premium drill” is part of Premium."
    assert one["length"] == len(first.text)
    assert "text" not in one

    LessonProgress.objects.create(user=learner, lesson=first, best_rating=2)
    client.force_login(learner)
    assert _api_rows(api, course) == _page_rows(client, course)
    assert _api_rows(api, course)["Lesson 1"] == (True, 2)
    assert _api_rows(api, course)["Lesson 2"] == (True, None)


def test_a_visitor_sees_the_first_lesson_open_and_the_rest_asking_for_an_account(
    anonymous_api, course
):
    one, two = anonymous_api.get(f"/api/v1/courses/{course.pk}/lessons").json()
    assert one["state"] == "open"
    assert two["state"] == "locked"
    assert two["reason"].startswith("Create a free account")
    assert _api_rows(anonymous_api, course) == _page_rows(Client(), course)


def test_staff_see_drafts_in_the_list_as_on_the_page(staff, course):
    Lesson.objects.create(course=course, position=3, title="Draft", text="asdf", is_published=False)
    staff_api = ApiClient(log_in(staff.email).access)
    lessons = staff_api.get(f"/api/v1/courses/{course.pk}/lessons").json()
    assert [(item["title"], item["published"]) for item in lessons][-1] == ("Draft", False)
    client = Client()
    client.force_login(staff)
    assert _api_rows(staff_api, course) == _page_rows(client, course)


def test_the_lesson_list_costs_no_more_queries_than_the_course_page(api, client, learner, course):
    for position in range(3, 13):
        Lesson.objects.create(course=course, position=position, title=f"L{position}", text="asdf")
    LessonProgress.objects.create(
        user=learner, lesson=course.lessons.get(position=1), best_rating=3
    )
    client.force_login(learner)
    client.get(f"/courses/{course.slug}/")  # warm what either caches per process
    api.get(f"/api/v1/courses/{course.pk}/lessons")
    with CaptureQueriesContext(connection) as page:
        client.get(f"/courses/{course.slug}/")
    with CaptureQueriesContext(connection) as endpoint:
        response = api.get(f"/api/v1/courses/{course.pk}/lessons")
    assert len(response.json()) == 12
    assert len(endpoint) <= len(page), [q["sql"] for q in endpoint]
