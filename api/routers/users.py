"""The learner of the token: their settings, account, picture and progress. Each endpoint runs
what the settings page runs: SettingsForm for the settings (its fields, the model's validators),
avatars.reencode_avatar for a picture, deletion.delete_account to delete."""

from __future__ import annotations

from typing import Any

from ninja import File, Router, Schema, Status, UploadedFile
from pydantic import Field

from billing.checkout import BillingUnavailable
from courses.models import Course, Lesson
from lessons.access import access_map, best_ratings
from typingtrainer import deletion
from typingtrainer.avatars import AvatarRejected, reencode_avatar
from typingtrainer.forms import DeleteAccountForm, SettingsForm
from typingtrainer.http import LearnerHttpRequest

from ..core import ApiError
from ..schemas import AUTH_ERRORS, ErrorOut, UserOut

router: Router = Router(tags=["users"])

UNAVAILABLE = {"Retry-After": "60"}
# A body that cannot be parsed (not JSON, a broken multipart) is a 400 before any field is read.
BAD_BODY = {400: ErrorOut}


class SettingsIn(Schema):
    """The settings to change; leave a field out (or null) to keep it. The rules are the settings
    page's."""

    display_name: str | None = Field(None, description="How we greet you; empty: your email.")
    keyboard_layout: str | None = Field(None, description="qwerty, dvorak, colemak, jcuken, …")
    daily_goal_minutes: int | None = Field(None, description="1 to 240.")
    time_zone: str | None = Field(None, description="An IANA name, e.g. Europe/Berlin.")
    weekly_email: bool | None = None


class NextLessonOut(Schema):
    id: int
    title: str
    unlocked: bool
    reason: str = Field(..., description="Why it is locked, as the site says it; empty if open.")


class CourseProgressOut(Schema):
    id: int
    slug: str
    title: str
    lessons_done: int = Field(..., description="Lessons completed at least once.")
    lessons_total: int = Field(..., description="The course's published lessons.")
    stars: int = Field(..., description="The sum of your best stars on its lessons.")
    next_lesson: NextLessonOut | None = Field(
        ..., description="The first lesson not completed yet; null when all are."
    )


class DeleteIn(Schema):
    password: str = Field(..., max_length=4096, description="The account's password.")


@router.get("/me", response={200: UserOut, **AUTH_ERRORS}, summary="Your account and settings")
def me(request: LearnerHttpRequest) -> UserOut:
    return UserOut.of(request.user)


@router.put(
    "/me",
    response={200: UserOut, **BAD_BODY, 422: ErrorOut, **AUTH_ERRORS},
    summary="Change your settings",
)
def update_me(request: LearnerHttpRequest, payload: SettingsIn) -> UserOut:
    user = request.user
    current = {name: getattr(user, name) for name in SettingsForm.Meta.fields}
    sent = payload.dict(exclude_unset=True, exclude_none=True)
    form = SettingsForm({**current, **sent}, instance=user)
    if not form.is_valid():
        raise ApiError(422, "Some settings are not valid.", code="invalid", fields=_errors(form))
    form.save()
    return UserOut.of(user)


@router.delete(
    "/me",
    response={204: None, **BAD_BODY, 422: ErrorOut, 503: ErrorOut, **AUTH_ERRORS},
    summary="Delete your account and all of its data",
    description=(
        "As on the site: send your password. A Premium subscription is ended at Stripe first; "
        "when Stripe cannot be reached nothing is deleted (503). Afterwards the tokens no "
        "longer work."
    ),
)
def delete_me(request: LearnerHttpRequest, payload: DeleteIn) -> Status[None]:
    form = DeleteAccountForm(request.user, {"password": payload.password})
    if not form.is_valid():
        raise ApiError(
            422, "That is not your password.", code="wrong_password", fields=_errors(form)
        )
    try:
        deletion.delete_account(user=request.user)
    except BillingUnavailable as exc:
        raise ApiError(
            503,
            "We could not reach Stripe to cancel your Premium subscription, so nothing was "
            "deleted. Please try again in a few minutes.",
            code="billing_unavailable",
            headers=UNAVAILABLE,
        ) from exc
    return Status(204, None)


@router.get(
    "/me/progress",
    response={200: list[CourseProgressOut], **AUTH_ERRORS},
    summary="Your progress in each course you have started",
    description="Stars and locks as the course pages show them (lessons.access).",
)
def progress(request: LearnerHttpRequest) -> list[CourseProgressOut]:
    user = request.user
    courses = list(
        Course.objects.published()
        .filter(lessons__progress__user=user)
        .distinct()
        .order_by("position", "title")
    )
    by_course: dict[int, list[Lesson]] = {course.pk: [] for course in courses}
    every = Lesson.objects.filter(course__in=courses, is_published=True).order_by("position", "id")
    for lesson in every:
        by_course[lesson.course_id].append(lesson)
    ratings = best_ratings(user, every)  # one query for all the courses
    found = []
    for course in courses:
        course_lessons = by_course[course.pk]
        access = access_map(user, course_lessons, ratings=ratings)
        upcoming = next((lesson for lesson in course_lessons if lesson.pk not in ratings), None)
        found.append(
            CourseProgressOut(
                id=course.pk,
                slug=course.slug,
                title=course.title,
                lessons_done=sum(1 for lesson in course_lessons if lesson.pk in ratings),
                lessons_total=len(course_lessons),
                stars=sum(ratings.get(lesson.pk, 0) for lesson in course_lessons),
                next_lesson=None
                if upcoming is None
                else NextLessonOut(
                    id=upcoming.pk,
                    title=upcoming.title,
                    unlocked=access[upcoming.pk].open,
                    reason=access[upcoming.pk].reason,
                ),
            )
        )
    return found


@router.post(
    "/me/avatar",
    response={200: UserOut, **BAD_BODY, 413: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Upload your picture",
    description=(
        "multipart/form-data with the file in `avatar`: a PNG, JPEG, WebP or GIF of up to 2 MB. "
        "It is re-encoded (metadata removed) as a WebP of at most 256×256; `avatar_url` is where "
        "it is served."
    ),
)
def upload_avatar(request: LearnerHttpRequest, avatar: File[UploadedFile]) -> UserOut:
    try:
        picture = reencode_avatar(avatar, size=avatar.size)
    except AvatarRejected as rejected:
        status, code = (413, "too_large") if rejected.too_large else (422, "invalid_image")
        fields = {"avatar": [rejected.message]}
        raise ApiError(status, rejected.message, code=code, fields=fields) from rejected
    request.user.replace_avatar(picture)
    return UserOut.of(request.user)


@router.delete(
    "/me/avatar",
    response={204: None, **AUTH_ERRORS},
    summary="Remove your picture",
)
def delete_avatar(request: LearnerHttpRequest) -> Status[None]:
    request.user.remove_avatar()
    return Status(204, None)


def _errors(form: Any) -> dict[str, list[str]]:
    return {name: [str(message) for message in messages] for name, messages in form.errors.items()}
