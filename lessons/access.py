"""Who may type which lesson (DESIGN §3, README "Access rules"): the first lesson of every course
(its lowest position among the published ones) is free to try, for visitors too, even in a
Premium course; lesson N+1 opens when the learner's best rating on lesson N is at least 2; a
passed placement test or test-out opens the lessons it reached (lessons.placement). Visitors
without an account may type only first lessons. Premium lessons need Premium (billing decides who
has it), whatever opened them.

`lesson_access` is the one place these rules live: the lesson page, the practice start, the
course page's badges and the API all read its answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from billing.entitlements import is_premium
from courses.models import Course, Lesson

from .models import LessonProgress, LevelTest

UNLOCK_RATING = 2

Place = tuple[int, int]
"""A lesson's place in its course's order: (position, id)."""


def place(lesson: Lesson) -> Place:
    return (lesson.position, lesson.pk)


@dataclass(frozen=True)
class Access:
    open: bool
    reason: str = ""
    opens_with: Lesson | None = None  # the lesson whose 2 stars open this one
    needs_account: bool = False
    needs_premium: bool = False
    # Premium content as this rule sees it: false for a course's first lesson, free to try.
    premium: bool = False
    free_to_try: bool = False  # Premium content that is open to all as the course's first lesson

    @property
    def can_test_out(self) -> bool:
        """Locked only by stars: a learner may test out of it (README "Access rules")."""
        return not self.open and self.opens_with is not None and not self.needs_account


def lesson_access(
    lesson: Lesson,
    *,
    previous: Lesson | None,
    best_ratings: Mapping[int, int],
    authenticated: bool,
    premium: bool = False,
    can_preview: bool = False,
    opened_through: Place | None = None,
) -> Access:
    """`opened_through`: the place of the furthest lesson of the course a placement test or a
    test-out opened for the learner (`opened_place`)."""
    # A course's first published lesson is free to try, whatever its course or flag says.
    first = previous is None
    opened = Access(
        open=True,
        premium=lesson.requires_premium and not first,
        free_to_try=lesson.requires_premium and first,
    )
    if can_preview or previous is None:
        return opened
    if authenticated and opened.premium and not premium:
        return replace(
            opened,
            open=False,
            needs_premium=True,
            reason=_("“%(title)s” is part of Premium.") % {"title": lesson.title},
        )
    if not authenticated:
        return replace(
            opened,
            open=False,
            needs_account=True,
            reason=_("Create a free account to keep going: your progress opens the next lessons."),
            opens_with=previous,
        )
    if best_ratings.get(previous.pk, 0) >= UNLOCK_RATING:
        return opened
    if opened_through is not None and place(lesson) <= opened_through:
        return opened
    return replace(
        opened,
        open=False,
        reason=_("Earn at least %(stars)d stars on “%(title)s” to open this lesson.")
        % {"stars": UNLOCK_RATING, "title": previous.title},
        opens_with=previous,
    )


def opens_for_free_learner(
    lesson: Lesson, previous: Lesson | None, best_ratings: Mapping[int, int]
) -> bool:
    """Whether a Free learner with these ratings may open `lesson` (the authors' lock-out
    warning in courses/authoring.py asks this)."""
    return lesson_access(
        lesson, previous=previous, best_ratings=best_ratings, authenticated=True, premium=False
    ).open


def can_preview(user: Any) -> bool:
    """Authors and staff open drafts and locked lessons alike."""
    return user.has_perm("courses.view_lesson")


def can_see(user: Any, lesson: Lesson) -> bool:
    """A lesson exists for `user` when it and its course are published, or they preview."""
    return (lesson.is_published and lesson.course.is_published) or can_preview(user)


def access_for(user: Any, lesson: Lesson) -> Access:
    """Whether `user` (a learner, AnonymousUser or None for a visitor) may type `lesson`, as
    the lesson page, the practice start and the API decide it: the previous published lesson,
    the learner's best rating on it (one query), their plan (one query at most) and, for a lesson
    locked by stars, the lessons their level tests opened (one query)."""
    user = user or AnonymousUser()
    preview = can_preview(user)
    previous = lesson.previous()
    ratings: dict[int, int] = {}
    if user.is_authenticated and previous is not None and not preview:
        ratings = dict(
            LessonProgress.objects.filter(user=user, lesson=previous).values_list(
                "lesson_id", "best_rating"
            )
        )
    decide = partial(
        lesson_access,
        lesson,
        previous=previous,
        best_ratings=ratings,
        authenticated=user.is_authenticated,
        premium=is_premium(user),
        can_preview=preview,
    )
    access = decide()
    if not access.can_test_out:
        return access
    # Locked by stars alone: a level test may have opened it (one query more, only then).
    return decide(opened_through=opened_place(user, lesson.course_id))


def opened_place(user: Any, course_id: int) -> Place | None:
    """The place of the furthest lesson of the course that the learner's passed placement tests
    and test-outs opened (one query; None for a visitor or when none did)."""
    if not user.is_authenticated:
        return None
    places = LevelTest.objects.filter(
        session__user=user, course_id=course_id, opened_through__isnull=False
    ).values_list("opened_through__position", "opened_through_id")
    return max(places, default=None)


def best_ratings(user: Any, lessons: Iterable[Lesson]) -> dict[int, int]:
    """Lesson id → the learner's best rating, for the lessons they have completed (one query;
    none for a visitor)."""
    user = user or AnonymousUser()
    ids = [lesson.pk for lesson in lessons]
    if not (user.is_authenticated and ids):
        return {}
    return dict(
        LessonProgress.objects.filter(user=user, lesson_id__in=ids).values_list(
            "lesson_id", "best_rating"
        )
    )


def access_map(
    user: Any, lessons: Iterable[Lesson], *, ratings: Mapping[int, int] | None = None
) -> dict[int, Access]:
    """`access_for` of each of a course's lessons (given in order, drafts included for those
    who preview them), in three queries however many lessons: the learner's ratings (none when
    the caller passes the `best_ratings` it read already) and plan."""
    user = user or AnonymousUser()
    lessons = list(lessons)
    preview = can_preview(user)
    if ratings is None:
        ratings = {} if preview else best_ratings(user, lessons)
    premium = is_premium(user)
    courses = {lesson.course_id for lesson in lessons}
    opened = {} if preview else {course: opened_place(user, course) for course in courses}
    found: dict[int, Access] = {}
    previous: Lesson | None = None
    for lesson in lessons:
        found[lesson.pk] = lesson_access(
            lesson,
            previous=previous,
            best_ratings=ratings,
            authenticated=user.is_authenticated,
            premium=premium,
            can_preview=preview,
            opened_through=opened.get(lesson.course_id),
        )
        if lesson.is_published:
            previous = lesson
    return found


@dataclass(frozen=True)
class LessonRow:
    lesson: Lesson
    access: Access
    stars: int | None  # the learner's best rating, None before a first completion


def course_lessons(user: Any, course: Course) -> list[LessonRow]:
    """A course's lessons as its page and the API list them: in order, drafts too for those who
    preview, each with the learner's access and stars. Four queries however many lessons: the
    lessons, the learner's ratings, their plan and their level tests."""
    lessons = list(course.lessons.order_by("position", "id"))
    if not user.has_perm("courses.view_course"):
        lessons = [lesson for lesson in lessons if lesson.is_published]
    ratings = best_ratings(user, lessons)
    access = access_map(user, lessons, ratings=ratings)
    return [LessonRow(lesson, access[lesson.pk], ratings.get(lesson.pk)) for lesson in lessons]
