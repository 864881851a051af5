"""The catalogue, a course and its lessons with each one's state for the caller: the same
QuerySets and access rule as the catalogue and course pages. Visitors without a token may read
them (as the pages), with what a visitor sees."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from courses.models import Course, Language, Lesson, Level
from lessons.access import Access, course_lessons

from ..core import ApiError, PageQuery, bearer, paginate
from ..schemas import AUTH_ERRORS, ErrorOut, Page

router: Router = Router(tags=["courses"])


def anonymous(request: HttpRequest) -> bool:
    """No Bearer token: a visitor. The site's cookies are no credential of the API."""
    request.user = AnonymousUser()
    return True


# For endpoints a visitor may call: the learner of a valid token, else a visitor; a token that
# is sent but refused is still a 401 (bearer raises), never a quiet downgrade to a visitor.
optional_bearer = [bearer, anonymous]


class CourseOut(Schema):
    id: int
    slug: str
    title: str
    description: str
    language: Language
    level: Level
    layout: str
    premium: bool
    published: bool
    lesson_count: int  # published lessons, as the catalogue counts them

    @classmethod
    def of(cls, course: Course) -> CourseOut:
        return cls(
            id=course.pk,
            slug=course.slug,
            title=course.title,
            description=course.description,
            language=Language(course.language),
            level=Level(course.level),
            layout=course.layout,
            premium=course.is_premium,
            published=course.is_published,
            lesson_count=course.lesson_count,  # type: ignore[attr-defined]
        )


State = Literal["open", "locked", "premium"]


def state_of(access: Access) -> State:
    if access.open:
        return "open"
    return "premium" if access.needs_premium else "locked"


class LessonOut(Schema):
    """A lesson without its text, with what the caller may do with it."""

    id: int
    course_id: int
    position: int
    title: str
    new_keys: str
    length: int = Field(description="Characters in the text.")
    target_wpm: int
    premium: bool = Field(
        description="Premium only (the lesson or its whole course); false for a course's first "
        "lesson, which everyone may try."
    )
    published: bool = Field(description="False only for drafts, which staff preview.")
    state: State
    reason: str = Field(description="Why it is not open; empty when it is.")
    opens_with: int | None = Field(
        description="The lesson whose 2 stars open this one, when that is what it waits for."
    )
    stars: int | None = Field(description="The caller's best rating; null before a first try.")

    @classmethod
    def of(cls, lesson: Lesson, access: Access, stars: int | None) -> LessonOut:
        return cls(
            id=lesson.pk,
            course_id=lesson.course_id,
            position=lesson.position,
            title=lesson.title,
            new_keys=lesson.new_keys,
            length=len(lesson.text),
            target_wpm=lesson.target_wpm,
            premium=access.premium,
            published=lesson.is_published,
            state=state_of(access),
            reason=access.reason,
            opens_with=access.opens_with.pk if access.opens_with else None,
            stars=stars,
        )


class CatalogueQuery(PageQuery):
    language: Language | None = None
    level: Level | None = None


class SearchQuery(CatalogueQuery):
    q: str = Field(min_length=1, max_length=100, description="Words of a title or description.")


def _catalogue(query: CatalogueQuery, text: str = "") -> dict[str, Any]:
    courses = Course.objects.catalogue(
        query=text.strip(),
        language=query.language.value if query.language else "",
        level=query.level.value if query.level else "",
    )
    page = paginate(courses, query)
    page["items"] = [CourseOut.of(course) for course in page["items"]]
    return page


@router.get(
    "",
    auth=optional_bearer,
    response={200: Page[CourseOut], 422: ErrorOut, **AUTH_ERRORS},
    summary="The catalogue: published courses",
)
def course_list(request: HttpRequest, query: Query[CatalogueQuery]) -> dict[str, Any]:
    return _catalogue(query)


@router.get(
    "/search",
    auth=optional_bearer,
    response={200: Page[CourseOut], 422: ErrorOut, **AUTH_ERRORS},
    summary="Search the catalogue, as its search box does",
)
def course_search(request: HttpRequest, query: Query[SearchQuery]) -> dict[str, Any]:
    return _catalogue(query, query.q)


def _course_for(request: HttpRequest, course_id: int) -> Course:
    """The course, counted as the catalogue counts it; a draft only for those who preview."""
    course = Course.objects.with_lesson_counts().filter(pk=course_id).first()
    if course is None or not course.is_visible_to(request.user):
        raise ApiError(404, "No such course.")
    return course


@router.get(
    "/{int:course_id}",
    auth=optional_bearer,
    response={200: CourseOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="A course",
)
def course_detail(request: HttpRequest, course_id: int) -> CourseOut:
    return CourseOut.of(_course_for(request, course_id))


@router.get(
    "/{int:course_id}/lessons",
    auth=optional_bearer,
    response={200: list[LessonOut], 404: ErrorOut, **AUTH_ERRORS},
    summary="A course's lessons, each open, locked or Premium for the caller, with their stars",
)
def course_lesson_list(request: HttpRequest, course_id: int) -> list[LessonOut]:
    course = _course_for(request, course_id)
    return [
        LessonOut.of(row.lesson, row.access, row.stars)
        for row in course_lessons(request.user, course)
    ]
