from __future__ import annotations

import pytest

from courses.models import Course, Lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(course):
    Course.objects.create(
        slug="russian",
        title="Основы слепой печати",
        description="Курс слепой печати на русской раскладке.",
        language="ru",
        layout="jcuken",
        is_published=True,
        position=2,
    )
    Course.objects.create(
        slug="python-code",
        title="Typing Code",
        description="Real Python with indentation and symbols.",
        language="python",
        level="advanced",
        is_published=True,
        is_premium=True,
        position=3,
    )
    Course.objects.create(
        slug="secret-draft", title="Draft course", description="Not ready.", position=4
    )
    return course


def titles(response) -> list[str]:
    return [course.title for course in response.context["courses"]]


def test_the_home_page_says_what_it_is_and_links_to_the_courses(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Type faster without looking" in response.content
    assert b'href="/courses/"' in response.content
    assert b"Home Row Basics" in response.content


def test_the_catalogue_lists_published_courses_in_order(client, catalogue):
    Course.objects.filter(slug="home-row").update(position=9)  # created first, listed last
    response = client.get("/courses/")
    assert response.status_code == 200
    assert titles(response) == ["Основы слепой печати", "Typing Code", "Home Row Basics"]
    assert b"Draft course" not in response.content
    assert b"Premium" in response.content


def test_the_catalogue_filters_by_language_and_level(client, catalogue):
    assert titles(client.get("/courses/?language=ru")) == ["Основы слепой печати"]
    assert titles(client.get("/courses/?level=advanced")) == ["Typing Code"]
    assert titles(client.get("/courses/?language=en&level=advanced")) == []


def test_an_unknown_filter_value_is_ignored_rather_than_failing(client, catalogue):
    response = client.get("/courses/?language=klingon&level=grandmaster")
    assert response.status_code == 200
    assert len(titles(response)) == 3


def test_search_matches_title_and_description_and_prefixes(client, catalogue):
    assert titles(client.get("/courses/?q=python")) == ["Typing Code"]
    assert titles(client.get("/courses/?q=eight keys")) == ["Home Row Basics"]
    assert titles(client.get("/courses/?q=inden")) == ["Typing Code"]
    assert titles(client.get("/courses/?q=раскладке")) == ["Основы слепой печати"]


def test_search_with_nothing_found_says_so(client, catalogue):
    response = client.get("/courses/?q=zebra")
    assert titles(response) == []
    assert "No course matches “zebra”".encode() in response.content


def test_search_tolerates_punctuation_and_operators(client, catalogue):
    for query in ["a & b | !c", "'\"", ":*", "()"]:
        assert client.get("/courses/", {"q": query}).status_code == 200


def test_htmx_search_answers_with_only_the_results_fragment(client, catalogue):
    response = client.get("/courses/?q=python", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "Typing Code" in body
    assert "<html" not in body
    assert "Home Row Basics" not in body


def test_the_search_form_works_without_javascript(client, catalogue):
    page = client.get("/courses/").content.decode()
    assert 'method="get"' in page
    assert 'action="/courses/"' in page
    assert 'hx-get="/courses/"' in page


def test_the_course_page_lists_its_published_lessons_in_order(client, course):
    Lesson.objects.create(
        course=course, position=3, title="Hidden", text="asdf jkl; draft", is_published=False
    )
    response = client.get("/courses/home-row/")
    assert response.status_code == 200
    assert [row["lesson"].title for row in response.context["rows"]] == ["Lesson 1", "Lesson 2"]
    assert b"Hidden" not in response.content


def test_an_unpublished_course_is_a_404_for_visitors_and_a_preview_for_authors(
    client, catalogue, author
):
    assert client.get("/courses/secret-draft/").status_code == 404
    client.force_login(author)
    response = client.get("/courses/secret-draft/")
    assert response.status_code == 200
    assert b"Preview" in response.content


def test_an_unknown_course_is_a_404_page_of_the_site(client, db):
    response = client.get("/courses/nope/")
    assert response.status_code == 404
    assert b"couldn" in response.content
