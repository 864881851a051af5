from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from courses.layouts import LAYOUTS
from courses.models import Course, Lesson
from courses.text import lesson_text_errors

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_curriculum", *args, stdout=out)
    return out.getvalue()


def test_loading_creates_the_four_published_courses():
    load()
    courses = {c.slug: c for c in Course.objects.all()}
    assert set(courses) == {
        "touch-typing-fundamentals",
        "speed-building",
        "osnovy-slepoy-pechati",
        "typing-code-python",
    }
    assert all(course.is_published for course in courses.values())
    counts = {slug: course.lessons.count() for slug, course in courses.items()}
    assert counts["touch-typing-fundamentals"] >= 25
    assert counts["speed-building"] >= 10
    assert counts["osnovy-slepoy-pechati"] >= 12
    assert counts["typing-code-python"] >= 6


def test_every_loaded_lesson_is_typeable_on_its_courses_layout():
    load()
    for lesson in Lesson.objects.select_related("course"):
        assert lesson_text_errors(lesson.text, lesson.course.layout) == [], lesson
        assert not LAYOUTS[lesson.course.layout].untypeable(lesson.text)


def test_premium_marks_one_whole_course_and_some_later_lessons():
    load()
    assert list(Course.objects.filter(is_premium=True).values_list("slug", flat=True)) == [
        "typing-code-python"
    ]
    for course in Course.objects.filter(is_premium=False):
        lessons = list(course.lessons.order_by("position"))
        assert not lessons[0].is_premium
        assert lessons[-1].is_premium


def test_loading_twice_changes_nothing():
    load()
    before = list(Lesson.objects.order_by("pk").values())
    output = load()
    assert "0 created, 0 updated" in output
    assert list(Lesson.objects.order_by("pk").values()) == before


def test_an_edited_lesson_is_kept_unless_forced():
    load()
    lesson = Lesson.objects.get(course__slug="touch-typing-fundamentals", position=1)
    shipped = lesson.text
    lesson.text = "fjfj jfjf fjfj jfjf my own drill"
    lesson.save()
    output = load()
    assert "1 kept because they were edited" in output
    lesson.refresh_from_db()
    assert lesson.text == "fjfj jfjf fjfj jfjf my own drill"
    output = load("--force")
    assert "1 updated" in output
    lesson.refresh_from_db()
    assert lesson.text == shipped


def test_a_lesson_with_an_unpublished_new_text_counts_as_edited(tmp_path):
    from courses.curriculum_loader import CURRICULUM_DIR, load_curriculum

    source = CURRICULUM_DIR / "speed-building.json"
    load_curriculum(directory=CURRICULUM_DIR)
    Lesson.objects.filter(course__slug="speed-building", position=1).update(
        draft_text="an author's new text"
    )
    changed = source.read_text(encoding="utf-8").replace('"target_wpm": 30', '"target_wpm": 31', 1)
    (tmp_path / "speed-building.json").write_text(changed, encoding="utf-8")
    report = load_curriculum(directory=tmp_path)
    assert (report.updated, len(report.kept)) == (0, 1)
    lesson = Lesson.objects.get(course__slug="speed-building", position=1)
    assert (lesson.target_wpm, lesson.draft_text) == (30, "an author's new text")


def test_a_lesson_unchanged_by_authors_follows_a_new_shipped_version(tmp_path, settings):
    from courses.curriculum_loader import CURRICULUM_DIR, load_curriculum

    source = CURRICULUM_DIR / "speed-building.json"
    load_curriculum(directory=CURRICULUM_DIR)
    changed = source.read_text(encoding="utf-8").replace('"target_wpm": 30', '"target_wpm": 31', 1)
    (tmp_path / "speed-building.json").write_text(changed, encoding="utf-8")
    report = load_curriculum(directory=tmp_path)
    assert report.updated == 1
    assert Lesson.objects.get(course__slug="speed-building", position=1).target_wpm == 31
