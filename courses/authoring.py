"""What an author's change does to Free learners, worked out before it is saved.

A Free learner opens a lesson by earning stars on the published lesson before it, and cannot
type a Premium lesson, so a free lesson placed after a Premium one is out of their reach for
good. The admin compares the course as it is with the course as the change would leave it and
warns about every free lesson the change would put out of reach.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence

from django.utils.translation import ngettext

from .models import Course, Lesson

BEST_RATING = 5

UnlockRule = Callable[[Lesson, "Lesson | None", Mapping[int, int]], bool]
"""Whether a Free learner may open a lesson: (lesson, the published lesson before it, the
learner's best ratings) → open."""

_rules: list[UnlockRule] = []


def register_unlock_rule(rule: UnlockRule) -> None:
    """The unlock rule lives in `lessons` (lessons/access.py), which `courses` knows nothing of
    (DESIGN §2): `LessonsConfig.ready()` registers it here, so this warning follows the rule
    when the rule changes, without restating it."""
    _rules[:] = [rule]


def out_of_free_reach(lessons: Sequence[Lesson]) -> list[Lesson]:
    """The published free lessons of one course (given in order) that a Free learner who earns
    every star they can still cannot open."""
    if not _rules:
        return []  # no unlock rule registered (the lessons app is not installed)
    opens = _rules[0]
    ratings: dict[int, int] = {}
    previous: Lesson | None = None
    stranded = []
    for lesson in lessons:
        if not lesson.is_published:
            continue
        if opens(lesson, previous, ratings):
            ratings[lesson.pk] = BEST_RATING
        elif not lesson.requires_premium:
            stranded.append(lesson)
        previous = lesson
    return stranded


def newly_out_of_reach(
    before: Iterable[Sequence[Lesson]], after: Iterable[Sequence[Lesson]]
) -> list[Lesson]:
    """Free lessons that the change from `before` to `after` (each a list of courses' lessons
    in order) puts out of a Free learner's reach."""
    stranded = {lesson.pk for lessons in before for lesson in out_of_free_reach(lessons)}
    return [
        lesson
        for lessons in after
        for lesson in out_of_free_reach(lessons)
        if lesson.pk not in stranded
    ]


def course_lessons(course: Course) -> list[Lesson]:
    return list(course.lessons.select_related("course").order_by("position", "id"))


def edited(lesson: Lesson, *, course: Course, is_premium: bool, is_published: bool) -> list[Lesson]:
    """The free lessons that saving `lesson` (as stored) with these values would strand. A
    lesson moved to another course goes to that course's end."""
    changed = copy.copy(lesson)
    changed.course = course
    changed.is_premium = is_premium
    changed.is_published = is_published
    old = course_lessons(lesson.course)
    if course.pk == lesson.course_id:
        return newly_out_of_reach(
            [old], [[changed if item.pk == lesson.pk else item for item in old]]
        )
    new = course_lessons(course)
    return newly_out_of_reach(
        [old, new], [[item for item in old if item.pk != lesson.pk], [*new, changed]]
    )


def swapped(lesson: Lesson, other: Lesson) -> list[Lesson]:
    """The free lessons that swapping two lessons of one course would strand."""
    old = course_lessons(lesson.course)
    order = {lesson.pk: other.pk, other.pk: lesson.pk}
    by_pk = {item.pk: item for item in old}
    return newly_out_of_reach([old], [[by_pk[order.get(item.pk, item.pk)] for item in old]])


def course_edited(course: Course, *, is_premium: bool) -> list[Lesson]:
    """The free lessons that saving `course` (as stored) with this Premium flag would strand:
    a Premium course made free keeps its Premium lessons, and what comes after them."""
    changed = copy.copy(course)
    changed.is_premium = is_premium
    old = course_lessons(course)
    new = []
    for item in old:
        item = copy.copy(item)
        item.course = changed
        new.append(item)
    return newly_out_of_reach([old], [new])


def published(lessons: Iterable[Lesson]) -> list[Lesson]:
    """The free lessons that publishing these lessons would strand."""
    chosen = {lesson.pk for lesson in lessons}
    courses = Course.objects.filter(lessons__pk__in=chosen).distinct()
    before = [course_lessons(course) for course in courses]
    after = []
    for lessons_of_course in before:
        row = []
        for item in lessons_of_course:
            if item.pk in chosen:
                item = copy.copy(item)
                item.is_published = True
            row.append(item)
        after.append(row)
    return newly_out_of_reach(before, after)


def warning(stranded: Sequence[Lesson]) -> str:
    titles = ", ".join(f"“{lesson.title}” ({lesson.course.title})" for lesson in stranded)
    return ngettext(
        "Free learners would be locked out of %(count)d lesson, because it would come after a "
        "Premium lesson whose stars they cannot earn: %(titles)s.",
        "Free learners would be locked out of %(count)d lessons, because they would come after "
        "a Premium lesson whose stars they cannot earn: %(titles)s.",
        len(stranded),
    ) % {"count": len(stranded), "titles": titles}
