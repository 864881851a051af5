"""A lesson, its text, and the practice protocol: start, keystroke batches, complete (and renew
the practice token). The same workflow (lessons.attempts), practice token (lessons.tokens),
limits and pace bound (lessons.practice) as the typing widget's endpoints, with the Bearer token
in place of the cookie. Every refusal of the widget has its stable code here; a session that is
not the caller's, or not of the lesson in the path, is 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.db.models import Max
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictInt, StrictStr

from courses.models import Lesson
from lessons import practice, scoring, tokens
from lessons.access import Access, access_for, best_ratings, can_see
from lessons.attempts import Conflict, Forbidden, NotFound, Outcome, Unscorable, start_session
from lessons.attempts import store_batch as store
from lessons.models import PracticeSession

from ..core import ApiError
from ..schemas import AUTH_ERRORS, ErrorOut
from .courses import LessonOut, optional_bearer

router: Router = Router(tags=["lessons"])

REFUSALS = {"premium": "premium_required", "account": "account_required", "locked": "lesson_locked"}


def _lesson_and_access(request: HttpRequest, lesson_id: int) -> tuple[Lesson, Access]:
    """The lesson and the caller's access to it, as the lesson page decides them; 404 for a
    lesson that is not published, unless the caller previews."""
    lesson = Lesson.objects.select_related("course").filter(pk=lesson_id).first()
    if lesson is None or not can_see(request.user, lesson):
        raise ApiError(404, "No such lesson.")
    return lesson, access_for(request.user, lesson)


def _open_lesson(request: HttpRequest, lesson_id: int) -> Lesson:
    """The lesson when the caller may type it; else 404 (unpublished), or 403 with the reason
    and a code saying what opens it."""
    lesson, access = _lesson_and_access(request, lesson_id)
    if not access.open:
        raise ApiError(403, access.reason, code=_refusal(access))
    return lesson


def _refusal(access: Access) -> str:
    if access.needs_premium:
        return REFUSALS["premium"]
    return REFUSALS["account"] if access.needs_account else REFUSALS["locked"]


def _stars(user: Any, lesson: Lesson) -> int | None:
    return best_ratings(user, [lesson]).get(lesson.pk)


def _limited(exc: practice.Limited, code: str = "rate_limited") -> ApiError:
    return ApiError(429, str(exc), code=code, headers={"Retry-After": str(exc.wait)})


def _token(request: HttpRequest, session_id: UUID) -> tokens.Token:
    try:
        return tokens.verify(request.headers.get(tokens.HEADER), str(session_id))
    except tokens.TokenError as exc:
        raise ApiError(401, str(exc), code=exc.code) from None


def _own_session(request: HttpRequest, lesson_id: int, session_id: UUID) -> PracticeSession:
    """The caller's session of this lesson; any other (another learner's, another lesson's, none)
    is the same 404."""
    return own_session(request, session_id, lesson_id=lesson_id)


def own_session(
    request: HttpRequest, session_id: UUID, *, lesson_id: int | None, text: str | None = None
) -> PracticeSession:
    """The caller's session `session_id` of lesson `lesson_id` (None: a session of no lesson,
    such as a coach's exercise, whose `text` it types); anything else is 404."""
    learner: Any = request.user  # a Bearer endpoint: always a learner
    sessions = PracticeSession.objects.select_related("user").filter(pk=session_id, user=learner)
    if lesson_id is None:
        sessions = sessions.filter(lesson__isnull=True, text=text)
    else:
        sessions = sessions.filter(lesson_id=lesson_id)
    session = sessions.first()
    if session is None:
        raise ApiError(404, "No such session.")
    return session


def _conflict(exc: Conflict) -> ApiError:
    fields = {"missing": [str(seq) for seq in exc.missing]} if exc.missing else None
    return ApiError(409, str(exc), code=exc.code, fields=fields)


def _expires(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


# --- A lesson ------------------------------------------------------------------------------------


class ContentOut(Schema):
    id: int
    text: str
    skip_indent: bool = Field(
        description="A code lesson: Enter types the newline and the indentation after it is "
        "skipped."
    )


@router.get(
    "/{int:lesson_id}",
    auth=optional_bearer,
    response={200: LessonOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="A lesson, without its text, with its state for the caller",
)
def lesson_detail(request: HttpRequest, lesson_id: int) -> LessonOut:
    lesson, access = _lesson_and_access(request, lesson_id)
    return LessonOut.of(lesson, access, _stars(request.user, lesson))


@router.get(
    "/{int:lesson_id}/content",
    auth=optional_bearer,
    response={200: ContentOut, 403: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="The text to type (403 with the reason while the lesson is not open to the caller)",
)
def lesson_content(request: HttpRequest, lesson_id: int) -> ContentOut:
    lesson = _open_lesson(request, lesson_id)
    return ContentOut(id=lesson.pk, text=lesson.text, skip_indent=lesson.course.is_code)


# --- The practice protocol -----------------------------------------------------------------------


class StartOut(Schema):
    session_id: UUID
    practice_token: str = Field(
        description="Send it as X-Practice-Token with the batches and the completion."
    )
    token_expires: datetime
    text: str
    skip_indent: bool
    target_wpm: int


@router.post(
    "/{int:lesson_id}/start",
    response={201: StartOut, 403: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="Start a practice session (429 with Retry-After over the limits)",
)
def start(request: HttpRequest, lesson_id: int) -> Status[StartOut]:
    try:
        practice.check_rate(request.user.pk, "start")
    except practice.Limited as exc:
        raise _limited(exc) from None
    lesson = _open_lesson(request, lesson_id)
    try:
        practice.check_open_sessions(user=request.user, guest_key="")
    except practice.Limited as exc:
        raise _limited(exc, code="too_many_open_sessions") from None
    return Status(201, started(start_session(lesson=lesson, user=request.user)))


def started(session: PracticeSession) -> StartOut:
    """What a client needs to type a session it just started."""
    granted = tokens.grant(session)
    return StartOut(
        session_id=session.pk,
        practice_token=granted["token"],
        token_expires=_expires(granted["expires"]),
        text=session.text,
        skip_indent=session.skip_indent,
        target_wpm=session.target_wpm,
    )


class SessionIn(Schema):
    session_id: UUID


class TokenOut(Schema):
    practice_token: str
    token_expires: datetime


@router.post(
    "/{int:lesson_id}/token",
    response={
        200: TokenOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        **AUTH_ERRORS,
    },
    summary="A new practice token for the caller's open session (after token_expired)",
)
def renew_token(request: HttpRequest, lesson_id: int, data: SessionIn) -> TokenOut:
    return renew(_own_session(request, lesson_id, data.session_id))


def renew(session: PracticeSession) -> TokenOut:
    if session.is_completed:
        raise ApiError(
            409, "This session is already complete; it needs no token.", code="session_completed"
        )
    granted = tokens.grant(session)
    return TokenOut(practice_token=granted["token"], token_expires=_expires(granted["expires"]))


Key = tuple[StrictInt, StrictStr, StrictInt]


class BatchIn(Schema):
    session_id: UUID
    seq: StrictInt = Field(ge=0, le=99_999, description="0, 1, 2, … in the order sent.")
    keys: list[Key] = Field(
        min_length=1,
        max_length=scoring.MAX_KEYS_PER_BATCH,
        description="[pos, typed, t] as the widget sends them: the index in the text, the "
        "character typed, milliseconds since the first key.",
    )


class BatchOut(Schema):
    seq: int
    stored: bool = Field(description="False: this very batch had arrived before.")


@router.post(
    "/{int:lesson_id}/keystrokes",
    response={
        200: BatchOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        **AUTH_ERRORS,
    },
    summary="One batch of keystrokes, with the session's X-Practice-Token",
    description="Idempotent on (session, seq): the same batch again is 200 with stored false; "
    "a different one under a used seq is 409 batch_differs. Faster than anyone types is 429 "
    "too_fast with Retry-After. A missing, wrong or expired practice token is 401 "
    "token_missing, token_invalid or token_expired (renew it at /token).",
)
def keystrokes(request: HttpRequest, lesson_id: int, data: BatchIn) -> BatchOut:
    _own_session(request, lesson_id, data.session_id)
    return send_batch(request, data)


def send_batch(request: HttpRequest, data: BatchIn) -> BatchOut:
    """Store one batch of a session `own_session` has found to be the caller's."""
    token = _token(request, data.session_id)
    try:
        practice.check_pace(data.seq, token)
    except practice.Limited as exc:
        raise _limited(exc, code="too_fast") from None
    try:
        created = store(session=token.session, seq=data.seq, keys=[list(key) for key in data.keys])
    except scoring.BatchError as exc:
        raise ApiError(400, str(exc), code="bad_keys") from None
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except Forbidden as exc:
        raise ApiError(403, str(exc), code="account_inactive") from None
    except Conflict as exc:
        raise _conflict(exc) from None
    return BatchOut(seq=data.seq, stored=created)


class CompleteIn(Schema):
    session_id: UUID
    batches: int | None = Field(
        None,
        ge=1,
        le=99_999,
        description="How many batches were sent (seq 0 to batches - 1), so a lost one is "
        "reported; without it, every seq up to the highest that arrived.",
    )


class AchievementOut(Schema):
    id: str
    name: str
    description: str


class NextLessonOut(Schema):
    id: int
    title: str
    unlocked: bool


class ResultOut(Schema):
    """The server's result, as the result card and the widget's JSON show it."""

    session_id: UUID
    rating: int = Field(description="Stars, 0 to 5 (0 when flagged).")
    wpm: float
    raw_wpm: float
    accuracy: float
    errors: int
    keystrokes: int
    duration_ms: int
    flagged: bool
    improvement: float | None = Field(
        description="WPM since the previous session of this lesson (else of any); null for a first."
    )
    achievements: list[AchievementOut] = Field(description="Earned by this session.")
    next_lesson: NextLessonOut | None

    @classmethod
    def of(cls, outcome: Outcome) -> ResultOut:
        figures = practice.result_figures(outcome)
        following = figures.pop("next_lesson")
        achievements = figures.pop("achievements")
        return cls(
            session_id=outcome.session.pk,
            **figures,
            achievements=[
                AchievementOut(id=a["code"], name=a["name"], description=a["description"])
                for a in achievements
            ],
            next_lesson=None
            if following is None
            else NextLessonOut(
                id=following["id"], title=following["title"], unlocked=following["unlocked"]
            ),
        )


@router.post(
    "/{int:lesson_id}/complete",
    response={
        200: ResultOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        **AUTH_ERRORS,
    },
    summary="Complete the session, with its X-Practice-Token: the server replays and scores it",
    description="Completing again gives the same result. 409 batches_missing lists the absent "
    "seqs in fields.missing; 422 unscorable when the keystrokes do not type the text.",
)
def complete(request: HttpRequest, lesson_id: int, data: CompleteIn) -> ResultOut:
    return finish(request, _own_session(request, lesson_id, data.session_id), data)


def finish(request: HttpRequest, session: PracticeSession, data: CompleteIn) -> ResultOut:
    """Complete a session `own_session` has found to be the caller's."""
    token = _token(request, data.session_id)
    try:
        practice.check_rate(token.owner, "complete")
    except practice.Limited as exc:
        raise _limited(exc) from None
    if not request.user.is_active:
        raise ApiError(403, "This account is deactivated.", code="account_inactive")
    batches = data.batches
    if batches is None:
        highest = session.batches.aggregate(highest=Max("seq"))["highest"]
        if highest is None:
            raise ApiError(
                409, "No keystrokes have arrived for this session.", code="batches_missing"
            )
        batches = highest + 1
    try:
        outcome = practice.complete(session=session, batches=batches)
    except Conflict as exc:
        raise _conflict(exc) from None
    except Unscorable as exc:
        raise ApiError(422, str(exc), code="unscorable") from None
    return ResultOut.of(outcome)
