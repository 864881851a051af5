"""Who may type which lesson (DESIGN §3): the first lesson of a course is open; lesson N+1 opens
when the learner's best rating on lesson N is at least 2. Visitors without an account may type
the first lesson of a free course. Premium lessons need Premium (billing decides who has it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing.entitlements import is_premium
from courses.models import Course, Lesson

from .models import LessonProgress

UNLOCK_RATING = 2


@dataclass(frozen=True)
class Access:
    open: bool
    reason: str = ""
    opens_with: Lesson | None = None  # the lesson whose 2 stars open this one
    needs_account: bool = False
    needs_premium: bool = False


def lesson_access(
    lesson: Lesson,
    *,
    previous: Lesson | None,
    best_ratings: Mapping[int, int],
    authenticated: bool,
    premium: bool = False,
    can_preview: bool = False,
) -> Access:
    if can_preview:
        return Access(open=True)
    if authenticated and lesson.requires_premium and not premium:
        return Access(
            open=False,
            needs_premium=True,
            reason=f"“{lesson.title}” is part of Premium.",
        )
    if not authenticated:
        if previous is None and not lesson.requires_premium:
            return Access(open=True)
        return Access(
            open=False,
            needs_account=True,
            reason="Create a free account to keep going: your progress opens the next lessons.",
            opens_with=previous,
        )
    if previous is None or best_ratings.get(previous.pk, 0) >= UNLOCK_RATING:
        return Access(open=True)
    return Access(
        open=False,
        reason=f"Earn at least {UNLOCK_RATING} stars on “{previous.title}” to open this lesson.",
        opens_with=previous,
    )


def previous_lesson(lesson: Lesson) -> Lesson | None:
    return (
        Lesson.objects.filter(
            course_id=lesson.course_id, is_published=True, position__lt=lesson.position
        )
        .order_by("-position", "-id")
        .first()
    )


def next_lesson(lesson: Lesson) -> Lesson | None:
    return (
        Lesson.objects.filter(
            course_id=lesson.course_id, is_published=True, position__gt=lesson.position
        )
        .order_by("position", "id")
        .first()
    )


@dataclass(frozen=True)
class LessonRow:
    lesson: Lesson
    access: Access
    stars: int | None  # the learner's best rating, None before a first completion


def course_lessons(user: Any, course: Course) -> list[LessonRow]:
    """A course's lessons as its page and the API list them: in order, drafts too for those who
    preview, each with the learner's access and stars. Three queries however many lessons:
    the lessons, the learner's ratings and their plan."""
    can_preview = user.has_perm("courses.view_course")
    lessons = list(course.lessons.order_by("position", "id"))
    if not can_preview:
        lessons = [lesson for lesson in lessons if lesson.is_published]
    ratings: dict[int, int] = {}
    if user.is_authenticated:
        ratings = dict(
            LessonProgress.objects.filter(user=user, lesson__course=course).values_list(
                "lesson_id", "best_rating"
            )
        )
    rows = []
    premium = is_premium(user)  # one query for the whole list
    previous: Lesson | None = None
    for lesson in lessons:
        access = lesson_access(
            lesson,
            previous=previous,
            best_ratings=ratings,
            authenticated=user.is_authenticated,
            premium=premium,
            can_preview=can_preview,
        )
        rows.append(LessonRow(lesson=lesson, access=access, stars=ratings.get(lesson.pk)))
        if lesson.is_published:
            previous = lesson
    return rows
