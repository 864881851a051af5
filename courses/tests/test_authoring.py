"""An author working in the admin cannot trap learners: new lessons are drafts at the end, a
published text changes only when published, order is unique and moved with arrows, and a change
that would lock Free learners out asks first."""

from __future__ import annotations

import importlib
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from conftest import make_user
from courses.models import Course, Lesson

pytestmark = pytest.mark.django_db


def lesson_data(lesson: Lesson, **overrides) -> dict:
    data = {
        "course": lesson.course_id,
        "title": lesson.title,
        "new_keys": lesson.new_keys,
        "text": lesson.text,
        "target_wpm": lesson.target_wpm,
    }
    if lesson.is_published:
        data["is_published"] = "on"
    if lesson.is_premium:
        data["is_premium"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not False}


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


@pytest.fixture
def learner_client(learner):
    client = Client()
    client.force_login(learner)
    return client


@pytest.fixture
def premium_course(db) -> Course:
    course = Course.objects.create(
        slug="speed", title="Speed", description="Faster.", is_published=True, position=2
    )
    Lesson.objects.create(
        course=course, position=1, title="Sprint", text="a lad asks a dad", is_premium=True
    )
    return course


def positions(course: Course) -> list[tuple[str, int]]:
    return list(course.lessons.order_by("position").values_list("title", "position"))


# --- New lessons -------------------------------------------------------------------------------


def test_a_new_lesson_is_a_draft_after_the_last_lesson(author_client, learner_client, course):
    response = author_client.post(
        "/admin/courses/lesson/add/",
        {
            "course": course.pk,
            "position": 0,
            "is_published": "on",  # not a field of the add form: publishing is a separate step
            "title": "Reach for G",
            "text": "glad gals; a sad gag",
            "target_wpm": 15,
        },
    )
    assert response.status_code == 302
    assert positions(course) == [("Lesson 1", 1), ("Lesson 2", 2), ("Reach for G", 3)]
    new = course.lessons.get(title="Reach for G")
    assert new.is_published is False
    assert learner_client.get(f"/lessons/{new.pk}/").status_code == 404
    assert "Reach for G" not in learner_client.get("/courses/home-row/").content.decode()


def test_the_add_form_says_a_new_lesson_is_a_draft_and_has_no_publish_box(author_client, course):
    page = author_client.get(f"/admin/courses/lesson/add/?course={course.pk}").content.decode()
    assert "saved as a draft after the course’s last lesson" in page
    assert 'name="is_published"' not in page
    assert 'name="position"' not in page
    course_page = author_client.get(f"/admin/courses/course/{course.pk}/change/").content.decode()
    assert f'href="/admin/courses/lesson/add/?course={course.pk}"' in course_page


def test_publishing_a_draft_shows_it_to_learners(author_client, learner_client, course):
    draft = Lesson.objects.create(
        course=course, position=3, title="Draft", text="a sad lad falls", is_published=False
    )
    author_client.post(
        "/admin/courses/lesson/",
        {"action": "publish_lessons", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.is_published is True
    assert "Draft" in learner_client.get("/courses/home-row/").content.decode()


def test_imported_lessons_are_drafts_unless_the_author_publishes_them(author_client, course):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = author_client.get(f"/admin/courses/course/{course.pk}/import/").content.decode()
    assert re.search(r'<input type="checkbox" name="publish"(?![^>]*checked)', page)
    upload = SimpleUploadedFile("l.txt", b"asdf jkl; asdf jkl;")
    author_client.post(f"/admin/courses/course/{course.pk}/import/", {"file": upload})
    assert course.lessons.get(position=3).is_published is False


# --- A published lesson's text -----------------------------------------------------------------


def test_a_new_text_for_a_published_lesson_waits_until_it_is_published(
    author_client, learner_client, course
):
    lesson = course.lessons.get(position=1)
    live = lesson.text
    response = author_client.post(
        f"/admin/courses/lesson/{lesson.pk}/change/",
        lesson_data(lesson, text="jkl; jkl; all lads ask", _continue="1"),
        follow=True,
    )
    assert "The new text is saved as a draft" in response.content.decode()
    lesson.refresh_from_db()
    assert (lesson.text, lesson.draft_text) == (live, "jkl; jkl; all lads ask")
    assert live in learner_client.get(f"/lessons/{lesson.pk}/").content.decode()

    page = author_client.get(f"/admin/courses/lesson/{lesson.pk}/change/").content.decode()
    assert "The new text (a draft, not live yet)" in page
    assert 'name="_publish_text"' in page
    # The form edits the draft, and publishing it makes it what learners type.
    assert re.search(r'<textarea name="text"[^>]*>\s*jkl; jkl; all lads ask</textarea>', page)
    author_client.post(
        f"/admin/courses/lesson/{lesson.pk}/change/",
        lesson_data(lesson, text="jkl; jkl; all lads ask", _publish_text="1"),
    )
    lesson.refresh_from_db()
    assert (lesson.text, lesson.draft_text) == ("jkl; jkl; all lads ask", "")
    assert "jkl; jkl; all lads ask" in learner_client.get(f"/lessons/{lesson.pk}/").content.decode()


def test_an_author_discards_a_new_text(author_client, course):
    lesson = course.lessons.get(position=1)
    live = lesson.text
    Lesson.objects.filter(pk=lesson.pk).update(draft_text="all dads fall")
    author_client.post(
        f"/admin/courses/lesson/{lesson.pk}/change/",
        lesson_data(lesson, text="all dads fall", _discard_text="1"),
    )
    lesson.refresh_from_db()
    assert (lesson.text, lesson.draft_text) == (live, "")


def test_a_draft_lessons_text_changes_at_once(author_client, course):
    lesson = course.lessons.get(position=2)
    Lesson.objects.filter(pk=lesson.pk).update(is_published=False)
    lesson.refresh_from_db()
    author_client.post(
        f"/admin/courses/lesson/{lesson.pk}/change/", lesson_data(lesson, text="fall, lads")
    )
    lesson.refresh_from_db()
    assert (lesson.text, lesson.draft_text) == ("fall, lads", "")


def test_a_bad_new_text_is_refused_and_nothing_changes(author_client, course):
    lesson = course.lessons.get(position=1)
    response = author_client.post(
        f"/admin/courses/lesson/{lesson.pk}/change/", lesson_data(lesson, text="tab\there ok")
    )
    assert response.status_code == 200
    assert "contains a tab" in response.content.decode()
    lesson.refresh_from_db()
    assert lesson.draft_text == ""


# --- Order -------------------------------------------------------------------------------------


def test_two_lessons_cannot_share_a_position(course):
    with pytest.raises(IntegrityError), transaction.atomic():
        Lesson.objects.create(course=course, position=1, title="Tie", text="asdf jkl;")


def test_the_arrows_swap_a_lesson_with_its_neighbour(author_client, course):
    Lesson.objects.create(course=course, position=3, title="Lesson 3", text="all lads")
    third = course.lessons.get(position=3)
    listing = author_client.get(f"/admin/courses/lesson/?course__id__exact={course.pk}")
    assert f'formaction="/admin/courses/lesson/{third.pk}/move/up/"' in listing.content.decode()
    back = f"/admin/courses/lesson/?course__id__exact={course.pk}"
    response = author_client.post(
        f"/admin/courses/lesson/{third.pk}/move/up/", HTTP_REFERER=f"http://testserver{back}"
    )
    assert response["Location"] == f"http://testserver{back}"
    assert positions(course) == [("Lesson 1", 1), ("Lesson 3", 2), ("Lesson 2", 3)]
    author_client.post(f"/admin/courses/lesson/{third.pk}/move/down/")
    assert positions(course) == [("Lesson 1", 1), ("Lesson 2", 2), ("Lesson 3", 3)]


def test_the_first_lesson_does_not_move_up(author_client, course):
    first = course.lessons.get(position=1)
    response = author_client.post(f"/admin/courses/lesson/{first.pk}/move/up/", follow=True)
    assert "“Lesson 1” is already the first lesson." in response.content.decode()
    assert positions(course) == [("Lesson 1", 1), ("Lesson 2", 2)]


def test_a_move_needs_a_post_an_author_and_a_direction(author_client, client, learner, course):
    first = course.lessons.get(position=1)
    assert author_client.get(f"/admin/courses/lesson/{first.pk}/move/down/").status_code == 405
    assert author_client.post(f"/admin/courses/lesson/{first.pk}/move/left/").status_code == 404
    assert author_client.post("/admin/courses/lesson/999999/move/up/").status_code == 404
    client.force_login(learner)
    assert client.post(f"/admin/courses/lesson/{first.pk}/move/down/").status_code == 302
    assert positions(course) == [("Lesson 1", 1), ("Lesson 2", 2)]


def test_a_lesson_moved_to_another_course_goes_to_its_end(author_client, course, premium_course):
    sprint = premium_course.lessons.get()
    response = author_client.post(
        f"/admin/courses/lesson/{sprint.pk}/change/", lesson_data(sprint, course=course.pk)
    )
    assert response.status_code == 302
    assert positions(course) == [("Lesson 1", 1), ("Lesson 2", 2), ("Sprint", 3)]


def test_the_migration_renumbers_ties_in_the_order_learners_saw(course):
    migration = importlib.import_module("courses.migrations.0003_lesson_position_unique")
    constraint = Lesson._meta.constraints[0]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        editor.remove_constraint(Lesson, constraint)
    first, second = course.lessons.order_by("position")
    tie = Lesson.objects.create(course=course, position=1, title="Tie", text="asdf jkl;")
    Lesson.objects.filter(pk=second.pk).update(position=7)
    state = MigrationLoader(connection).project_state(("courses", "0002_authors_group"))
    migration.renumber_ties(state.apps, None)
    with connection.schema_editor() as editor:
        editor.add_constraint(Lesson, constraint)
    assert list(course.lessons.order_by("position").values_list("pk", "position")) == [
        (first.pk, 1),
        (tie.pk, 2),
        (second.pk, 3),
    ]


# --- Locking Free learners out -----------------------------------------------------------------


def test_making_a_lesson_premium_before_free_ones_asks_first(author_client, course):
    # The middle lesson: a course's first lesson is open to every learner, Premium or not.
    Lesson.objects.create(course=course, position=3, title="Lesson 3", text="all lads ask")
    second = course.lessons.get(position=2)
    response = author_client.post(
        f"/admin/courses/lesson/{second.pk}/change/", lesson_data(second, is_premium="on")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Free learners would be locked out of 1 lesson" in page
    assert "“Lesson 3” (Home Row Basics)" in page
    assert '<input type="checkbox" name="save_anyway"' in page
    second.refresh_from_db()
    assert second.is_premium is False

    response = author_client.post(
        f"/admin/courses/lesson/{second.pk}/change/",
        lesson_data(second, is_premium="on", save_anyway="on"),
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.is_premium is True


def test_making_the_last_lesson_premium_strands_nobody(author_client, course):
    last = course.lessons.get(position=2)
    response = author_client.post(
        f"/admin/courses/lesson/{last.pk}/change/", lesson_data(last, is_premium="on")
    )
    assert response.status_code == 302


def test_moving_a_premium_lesson_up_a_free_course_asks_first(author_client, course, premium_course):
    sprint = premium_course.lessons.get()
    author_client.post(
        f"/admin/courses/lesson/{sprint.pk}/change/", lesson_data(sprint, course=course.pk)
    )
    response = author_client.post(f"/admin/courses/lesson/{sprint.pk}/move/up/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lock Free learners out?" in page
    assert "“Lesson 2” (Home Row Basics)" in page
    assert positions(course) == [("Lesson 1", 1), ("Lesson 2", 2), ("Sprint", 3)]
    # The confirmation repeats the move.
    assert f'action="/admin/courses/lesson/{sprint.pk}/move/up/"' in page
    author_client.post(f"/admin/courses/lesson/{sprint.pk}/move/up/", {"confirm": "yes"})
    assert positions(course) == [("Lesson 1", 1), ("Sprint", 2), ("Lesson 2", 3)]


def test_publishing_a_premium_lesson_between_free_ones_asks_first(author_client, course):
    Lesson.objects.filter(course=course, position=2).update(position=3)
    paid = Lesson.objects.create(
        course=course, position=2, title="Paid", text="asdf", is_premium=True, is_published=False
    )
    response = author_client.post(
        "/admin/courses/lesson/", {"action": "publish_lessons", "_selected_action": [paid.pk]}
    )
    assert response.status_code == 200
    assert "Free learners would be locked out of 1 lesson" in response.content.decode()
    paid.refresh_from_db()
    assert paid.is_published is False
    author_client.post(
        "/admin/courses/lesson/",
        {"action": "publish_lessons", "_selected_action": [paid.pk], "confirm": "yes"},
    )
    paid.refresh_from_db()
    assert paid.is_published is True


def test_making_a_premium_course_free_warns_about_its_premium_lessons(author_client, course):
    Lesson.objects.create(course=course, position=3, title="Lesson 3", text="all lads ask")
    Lesson.objects.filter(course=course, position=2).update(is_premium=True)
    Course.objects.filter(pk=course.pk).update(is_premium=True)
    data = {
        "slug": course.slug,
        "title": course.title,
        "description": course.description,
        "language": "en",
        "level": "beginner",
        "layout": "qwerty",
        "position": 1,
        "is_published": "on",
        "lessons-TOTAL_FORMS": 3,
        "lessons-INITIAL_FORMS": 3,
    }
    for number, lesson in enumerate(course.lessons.order_by("position")):
        data[f"lessons-{number}-id"] = lesson.pk
        data[f"lessons-{number}-course"] = course.pk
    response = author_client.post(f"/admin/courses/course/{course.pk}/change/", data)
    assert response.status_code == 200
    assert "Free learners would be locked out of 1 lesson" in response.content.decode()
    assert Course.objects.get(pk=course.pk).is_premium is True
    response = author_client.post(
        f"/admin/courses/course/{course.pk}/change/", {**data, "save_anyway": "on"}
    )
    assert response.status_code == 302
    assert Course.objects.get(pk=course.pk).is_premium is False


# --- The preview and the admin an author sees --------------------------------------------------


def test_the_preview_wraps_long_lines(author_client, course):
    lesson = course.lessons.get(position=1)
    page = author_client.get(f"/admin/courses/lesson/{lesson.pk}/change/").content.decode()
    assert 'class="lesson-preview"' in page
    assert "css/admin-authoring.css" in page
    css = (settings.BASE_DIR / "static/css/admin-authoring.css").read_text(encoding="utf-8")
    assert re.search(r"\.lesson-preview \{[^}]*white-space: pre-wrap", css)


def test_an_author_sees_only_courses_and_lessons_in_the_admin(author_client):
    index = author_client.get("/admin/").content.decode()
    models = set(re.findall(r'href="/admin/([a-z_]+/[a-z_]+)/"', index))
    assert models == {"courses/course", "courses/lesson"}
    assert author_client.get("/admin/djstripe/").status_code == 404
    assert author_client.get("/admin/djstripe/customer/").status_code == 403
    assert author_client.get("/admin/lessons/practicesession/").status_code == 403


def test_make_author_gives_an_account_the_authors_admin_and_nothing_more(client, db):
    Group.objects.filter(name="Authors").delete()  # made again as the migration makes it
    writer = make_user("writer@example.com")
    call_command("make_author", "Writer@example.com")
    writer.refresh_from_db()
    assert writer.is_staff
    assert not writer.is_superuser
    client.force_login(writer)
    index = client.get("/admin/").content.decode()
    assert set(re.findall(r'href="/admin/([a-z_]+/[a-z_]+)/"', index)) == {
        "courses/course",
        "courses/lesson",
    }
    call_command("make_author", "writer@example.com", "--remove")
    writer.refresh_from_db()
    assert not writer.is_staff
    assert client.get("/admin/").status_code == 302


def test_make_author_refuses_an_email_nobody_signed_up_with(db):
    with pytest.raises(CommandError, match=r"No account has the email ghost@example\.com"):
        call_command("make_author", "ghost@example.com")


def test_a_move_never_redirects_to_another_site(author_client, course):
    second = course.lessons.get(position=2)
    response = author_client.post(
        f"/admin/courses/lesson/{second.pk}/move/up/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/admin/courses/course/{course.pk}/change/"
