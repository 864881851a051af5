"""Who may type which lesson (DESIGN §3): the first lesson of a course is open; lesson N+1 opens
when the learner's best rating on lesson N is at least 2. Visitors without an account may type
the first lesson of a free course. Premium lessons need Premium (billing decides who has it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from courses.models import Lesson

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
