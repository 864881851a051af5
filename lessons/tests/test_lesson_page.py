from __future__ import annotations

import json

import pytest

from courses.models import Course, Lesson

from .conftest import play, post_json, typed_keys

pytestmark = pytest.mark.django_db


def embedded(response, element_id: str):
    html = response.content.decode()
    start = html.index(f'<script id="{element_id}" type="application/json">')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def test_the_lesson_page_embeds_the_text_and_the_widget(client, learner, lesson1):
    client.force_login(learner)
    response = client.get(f"/lessons/{lesson1.pk}/")
    assert response.status_code == 200
    assert embedded(response, "lesson-text") == lesson1.text
    assert embedded(response, "keyboard-layout")["slug"] == "qwerty"
    html = response.content.decode()
    assert "data-typing-widget" in html
    assert f'data-start-url="/lessons/{lesson1.pk}/start"' in html
    assert "js/typing/widget.js" in html


def test_the_on_screen_keyboard_follows_the_learners_layout_when_the_text_allows(
    client, learner, lesson1
):
    learner.keyboard_layout = "dvorak"
    learner.save()
    client.force_login(learner)
    assert embedded(client.get(f"/lessons/{lesson1.pk}/"), "keyboard-layout")["slug"] == "dvorak"
    russian = Course.objects.create(
        slug="ru", title="RU", description="-", language="ru", layout="jcuken", is_published=True
    )
    lesson = Lesson.objects.create(course=russian, position=1, title="А", text="фыва олдж фыва")
    assert embedded(client.get(f"/lessons/{lesson.pk}/"), "keyboard-layout")["slug"] == "jcuken"


def test_a_locked_lesson_is_a_403_that_says_what_opens_it(client, learner, lesson1, lesson2):
    client.force_login(learner)
    response = client.get(f"/lessons/{lesson2.pk}/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Earn at least 2 stars on “Lesson 1” to open this lesson." in html
    assert f'href="/lessons/{lesson1.pk}/"' in html
    start = post_json(client, f"/lessons/{lesson2.pk}/start", {})
    assert start.status_code == 403
    assert "Earn at least 2 stars" in start.json()["error"]


def test_a_visitor_may_type_only_a_course_s_first_lesson(client, lesson1, lesson2):
    assert client.get(f"/lessons/{lesson1.pk}/").status_code == 200
    response = client.get(f"/lessons/{lesson2.pk}/")
    assert response.status_code == 403
    assert b"Create a free account" in response.content
    lesson1.course.is_premium = True
    lesson1.course.save()
    # A Premium course's first lesson is free to try, for visitors too.
    assert client.get(f"/lessons/{lesson1.pk}/").status_code == 200
    assert client.get(f"/lessons/{lesson2.pk}/").status_code == 403


def test_an_unpublished_lesson_is_a_404_except_for_authors(client, learner, author, lesson1):
    lesson1.is_published = False
    lesson1.save()
    client.force_login(learner)
    assert client.get(f"/lessons/{lesson1.pk}/").status_code == 404
    assert post_json(client, f"/lessons/{lesson1.pk}/start", {}).status_code == 404
    client.force_login(author)
    assert client.get(f"/lessons/{lesson1.pk}/").status_code == 200


def test_the_course_page_shows_best_stars_and_which_lessons_are_open(
    client, learner, course, lesson1, lesson2
):
    client.force_login(learner)
    page = client.get(f"/courses/{course.slug}/")
    rows = page.context["rows"]
    assert [(row["lesson"].title, row["open"], row["stars"]) for row in rows] == [
        ("Lesson 1", True, None),
        ("Lesson 2", False, None),
    ]
    assert b"Locked" in page.content
    play(client, lesson1, typed_keys(lesson1.text))
    page = client.get(f"/courses/{course.slug}/")
    assert [(row["open"], row["stars"]) for row in page.context["rows"]] == [
        (True, 5),
        (True, None),
    ]
    assert b'aria-label="5 of 5 stars"' in page.content
    assert f'href="/lessons/{lesson2.pk}/"'.encode() in page.content


def test_premium_lessons_and_courses_are_marked(client, course, lesson2):
    lesson2.is_premium = True
    lesson2.save()
    page = client.get(f"/courses/{course.slug}/").content.decode()
    assert page.count('<span class="tag premium">Premium</span>') == 1
    course.is_premium = True
    course.save()
    page = client.get(f"/courses/{course.slug}/").content.decode()
    # The course and its second lesson; the first lesson is free to try.
    assert page.count('<span class="tag premium">Premium</span>') == 2
    assert page.count("Free to try") == 1
