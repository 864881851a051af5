from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import Course, Lesson

pytestmark = pytest.mark.django_db


def lesson_form(course: Course, **overrides) -> dict:
    data = {
        "course": course.pk,
        "position": 3,
        "title": "Reach for G and H",
        "new_keys": "g h",
        "text": "glad hall; a sad gash; had half a flag",
        "target_wpm": 15,
        "is_published": "on",
    }
    data.update(overrides)
    return data


def test_a_learner_cannot_enter_the_admin(client, learner):
    client.force_login(learner)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.get("/admin/courses/course/").status_code == 302


def test_an_author_sees_courses_but_not_users(client, author):
    client.force_login(author)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"Courses" in index.content
    assert b"/admin/typingtrainer/user/" not in index.content
    assert client.get("/admin/typingtrainer/user/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403


def test_an_author_creates_a_course_and_a_lesson(client, author):
    client.force_login(author)
    response = client.post(
        "/admin/courses/course/add/",
        {
            "slug": "g-and-h",
            "title": "G and H",
            "description": "Two reaches.",
            "language": "en",
            "level": "beginner",
            "layout": "qwerty",
            "position": 5,
            "lessons-TOTAL_FORMS": 0,
            "lessons-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content
    course = Course.objects.get(slug="g-and-h")
    assert course.is_published is False
    response = client.post("/admin/courses/lesson/add/", lesson_form(course, position=1))
    assert response.status_code == 302
    lesson = course.lessons.get()
    assert (lesson.title, lesson.position, lesson.is_published) == ("Reach for G and H", 1, False)


def test_lesson_text_is_normalised_to_nfc_on_save(client, author, course):
    client.force_login(author)
    course.layout = "jcuken"
    course.save()
    decomposed = "е\u0308лка и ель"  # "ё" as е + combining diaeresis
    response = client.post("/admin/courses/lesson/add/", lesson_form(course, text=decomposed))
    assert response.status_code == 302
    lesson = Lesson.objects.get(title="Reach for G and H")
    assert lesson.text == "\u0451лка и ель"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("asdf\tjkl; asdf jkl;", "contains a tab"),
        ("asdf jkl; asdf  \nfads lads", "Trailing spaces at the end of line 1"),
        ("asdf jkl; “quoted” words", "cannot be typed on QWERTY (US): ““” “””"),
        ("abc", "too short"),
    ],
)
def test_lesson_text_problems_are_refused_with_a_clear_message(
    client, author, course, text, message
):
    client.force_login(author)
    response = client.post("/admin/courses/lesson/add/", lesson_form(course, text=text))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Lesson.objects.filter(title="Reach for G and H").exists()


def test_cyrillic_is_refused_on_a_qwerty_course_and_accepted_on_jcuken(client, author, course):
    client.force_login(author)
    response = client.post("/admin/courses/lesson/add/", lesson_form(course, text="привет мир"))
    assert "cannot be typed on QWERTY" in response.content.decode()
    course.layout = "jcuken"
    course.save()
    response = client.post(
        "/admin/courses/lesson/add/", lesson_form(course, text="привет мир, ёлка.")
    )
    assert response.status_code == 302


def test_an_author_reorders_lessons_from_the_course_page(client, author, course):
    client.force_login(author)
    first, second = course.lessons.order_by("position")
    page = client.get(f"/admin/courses/course/{course.pk}/change/").content.decode()
    assert f'formaction="/admin/courses/lesson/{second.pk}/move/up/"' in page
    response = client.post(
        f"/admin/courses/lesson/{second.pk}/move/up/",
        HTTP_REFERER=f"http://testserver/admin/courses/course/{course.pk}/change/",
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/admin/courses/course/{course.pk}/change/")
    assert list(course.lessons.order_by("position").values_list("pk", "position")) == [
        (second.pk, 1),
        (first.pk, 2),
    ]
    page = client.get("/courses/home-row/")
    assert [row["lesson"].pk for row in page.context["rows"]] == [second.pk, first.pk]


def test_an_author_publishes_and_unpublishes_courses(client, author, course):
    client.force_login(author)
    client.post(
        "/admin/courses/course/",
        {"action": "unpublish", "_selected_action": [course.pk]},
    )
    course.refresh_from_db()
    assert course.is_published is False
    assert client.logout() is None
    assert client.get("/courses/home-row/").status_code == 404
    client.force_login(author)
    client.post("/admin/courses/course/", {"action": "publish", "_selected_action": [course.pk]})
    client.logout()
    assert client.get("/courses/home-row/").status_code == 200


def test_an_author_previews_a_lesson_in_the_admin(client, author, course):
    client.force_login(author)
    lesson = course.lessons.first()
    response = client.get(f"/admin/courses/lesson/{lesson.pk}/change/")
    assert response.status_code == 200
    assert b'class="lesson-preview"' in response.content
    assert lesson.text.encode() in response.content


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("lessons.txt", text.encode("utf-8"), content_type="text/plain")


def test_an_author_imports_lessons_from_a_text_file(client, author, course):
    client.force_login(author)
    source = "# Gentle start\nasdf jkl; asdf jkl;\n\nall lads ask dads\nfor a salad\n\n\n"
    response = client.post(
        f"/admin/courses/course/{course.pk}/import/", {"file": upload(source), "publish": "on"}
    )
    assert response.status_code == 302
    imported = list(course.lessons.order_by("position").values_list("position", "title", "text"))
    assert imported[2:] == [
        (3, "Gentle start", "asdf jkl; asdf jkl;"),
        (4, "Lesson 2", "all lads ask dads\nfor a salad"),
    ]


def test_an_import_with_a_bad_block_imports_nothing_and_names_the_block(client, author, course):
    client.force_login(author)
    source = "asdf jkl; asdf jkl;\n\nthis block has a\ttab in it"
    response = client.post(f"/admin/courses/course/{course.pk}/import/", {"file": upload(source)})
    assert response.status_code == 200
    assert "Block 2 (Lesson 2), text: Line 1 contains a tab" in response.content.decode()
    assert course.lessons.count() == 2


def test_an_import_that_is_not_utf8_is_refused(client, author, course):
    client.force_login(author)
    bad = SimpleUploadedFile("x.txt", "привет".encode("cp1251"))
    response = client.post(f"/admin/courses/course/{course.pk}/import/", {"file": bad})
    assert b"not UTF-8" in response.content
    assert course.lessons.count() == 2


def test_the_course_change_page_links_to_the_import(client, author, course):
    client.force_login(author)
    response = client.get(f"/admin/courses/course/{course.pk}/change/")
    assert f"/admin/courses/course/{course.pk}/import/".encode() in response.content


def test_the_authors_group_migration_grants_exactly_the_course_permissions():
    import importlib

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("courses.migrations.0002_authors_group")
    state = MigrationLoader(connection).project_state(("courses", "0002_authors_group"))
    Group.objects.filter(name="Authors").delete()
    migration.create_authors_group(state.apps, None)
    group = Group.objects.get(name="Authors")
    assert set(group.permissions.values_list("codename", flat=True)) == {
        f"{action}_{model}"
        for action in ("add", "change", "delete", "view")
        for model in ("course", "lesson")
    }
