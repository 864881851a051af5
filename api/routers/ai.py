"""The coach: its analysis, its recommendations, generated exercises and chat. Each endpoint
calls the coach page's own workflow (coach.coaching, coach.tasks) and keeps its limits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field, StringConstraints

from billing.entitlements import is_premium
from coach import llm
from coach.analysis import Finding
from coach.coaching import (
    CHAT_IS_PREMIUM,
    FREE_EXERCISES_PER_DAY,
    MAX_QUESTION,
    LimitReached,
    ask,
    exercise_target_wpm,
    exercises_left_today,
    make_exercise,
    recommendations,
    requested_focus,
    seconds_until_allowance,
)
from coach.models import Exercise, Report
from coach.tasks import request_analysis
from lessons import practice
from lessons.attempts import start_session
from typingtrainer.http import LearnerHttpRequest
from typingtrainer.ratelimit import retry_after, wait_phrase

from ..core import ApiError
from ..schemas import AUTH_ERRORS, ErrorOut
from .lessons import (
    BatchIn,
    BatchOut,
    CompleteIn,
    ResultOut,
    SessionIn,
    StartOut,
    TokenOut,
    finish,
    own_session,
    renew,
    send_batch,
    started,
)

router: Router = Router(tags=["ai"])


class FindingOut(Schema):
    kind: str
    message: str
    weight: float
    focus_keys: list[str]
    focus_bigrams: list[str]
    practisable: bool

    @classmethod
    def of(cls, finding: Finding) -> FindingOut:
        return cls(
            kind=finding.kind,
            message=finding.message,
            weight=finding.weight,
            focus_keys=list(finding.focus_keys),
            focus_bigrams=list(finding.focus_bigrams),
            practisable=finding.practisable,
        )


class ReportOut(Schema):
    id: int
    session_id: str | None
    created_at: datetime
    source: str
    advice: str
    findings: list[FindingOut]

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls(
            id=report.pk,
            session_id=str(report.session_id) if report.session_id else None,
            created_at=report.created_at,
            source=report.source,
            advice=report.advice,
            findings=[FindingOut.of(f) for f in report.finding_list()],
        )


class AnalysisOut(Schema):
    status: Literal["ready", "none"]
    report: ReportOut | None
    findings: list[FindingOut]


class QueuedOut(Schema):
    status: Literal["queued"]
    session_id: str
    queued_at: datetime | None


class RecommendationsOut(Schema):
    report: ReportOut | None
    findings: list[FindingOut]
    premium: bool
    exercises_left_today: int | None = Field(description="None: no daily limit (Premium).")
    free_exercises_per_day: int


def _recommendations(user: object) -> RecommendationsOut:
    report, found = recommendations(user)
    return RecommendationsOut(
        report=ReportOut.of(report) if report else None,
        findings=[FindingOut.of(f) for f in found],
        premium=is_premium(user),  # type: ignore[arg-type]
        exercises_left_today=exercises_left_today(user),
        free_exercises_per_day=FREE_EXERCISES_PER_DAY,
    )


@router.post(
    "/analyze",
    response={200: AnalysisOut, 202: QueuedOut, **AUTH_ERRORS},
    summary="The coach's analysis of the latest session (queued when not written yet)",
)
def analyze(request: HttpRequest) -> Status[AnalysisOut | QueuedOut]:
    """200 with the report of the learner's latest session once the coach has written it; 202
    while it is queued (ask again in a few seconds). Before any session: 200 with no report
    and the findings the coach page shows."""
    outcome = request_analysis(request.user)
    if isinstance(outcome, Report):
        report = ReportOut.of(outcome)
        return Status(200, AnalysisOut(status="ready", report=report, findings=report.findings))
    if outcome is None:
        _, found = recommendations(request.user)
        return Status(
            200, AnalysisOut(status="none", report=None, findings=[FindingOut.of(f) for f in found])
        )
    return Status(
        202,
        QueuedOut(
            status="queued", session_id=str(outcome.pk), queued_at=outcome.analysis_queued_at
        ),
    )


@router.get(
    "/recommendations",
    response={200: RecommendationsOut, **AUTH_ERRORS},
    summary="What the coach page recommends",
)
def get_recommendations(request: HttpRequest) -> RecommendationsOut:
    return _recommendations(request.user)


# --- Exercises -----------------------------------------------------------------------------------


class ExerciseIn(Schema):
    keys: str = Field("", max_length=40, description="Keys to practise (at most 5 are used).")
    pairs: list[Annotated[str, StringConstraints(max_length=10)]] = Field(
        default_factory=list, max_length=10, description="Letter pairs (at most 3 are used)."
    )


class ExerciseOut(Schema):
    id: int
    title: str
    text: str
    focus_keys: list[str]
    focus_bigrams: list[str]
    source: str
    created_at: datetime

    @classmethod
    def of(cls, exercise: Exercise) -> ExerciseOut:
        return cls(
            id=exercise.pk,
            title=exercise.title,
            text=exercise.text,
            focus_keys=list(exercise.focus_keys),
            focus_bigrams=exercise.focus_bigrams.split(),
            source=exercise.source,
            created_at=exercise.created_at,
        )


class StartLink(Schema):
    method: Literal["POST"]
    path: str


class ExerciseMadeOut(Schema):
    exercise: ExerciseOut
    exercises_left_today: int | None
    start: StartLink = Field(
        description="Starts a practice session of the exercise (as a lesson's start does)."
    )


ExerciseId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _limited(message: str, wait: int, *, code: str = "rate_limited") -> ApiError:
    return ApiError(429, message, code=code, headers={"Retry-After": str(wait)})


@router.post(
    "/generate-exercise",
    response={201: ExerciseMadeOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Make an exercise for the given keys, or the learner's weakest",
)
def generate_exercise(request: HttpRequest, body: ExerciseIn) -> Status[ExerciseMadeOut]:
    """Free learners make three a day (429 `daily_limit_reached` after, with Retry-After until
    the allowance starts again at midnight UTC); everyone at most a few a minute."""
    user = request.user
    limit = settings.COACH_RATE_LIMITS["exercise"]
    if wait := retry_after(f"exercise:{user.pk}", limit=limit):
        raise _limited(
            f"You are making exercises very fast: try again in {wait_phrase(wait)}.", wait
        )
    try:
        exercise = make_exercise(
            user=user, finding=requested_focus(user, body.keys, " ".join(body.pairs))
        )
    except LimitReached as exc:
        raise _limited(str(exc), seconds_until_allowance(user), code="daily_limit_reached") from exc
    return Status(
        201,
        ExerciseMadeOut(
            exercise=ExerciseOut.of(exercise),
            exercises_left_today=exercises_left_today(user),
            start=StartLink(method="POST", path=f"/api/v1/ai/exercises/{exercise.pk}/start"),
        ),
    )


@router.get(
    "/exercises/{exercise_id}",
    response={200: ExerciseOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="One of the learner's exercises",
)
def get_exercise(request: LearnerHttpRequest, exercise_id: ExerciseId) -> ExerciseOut:
    return ExerciseOut.of(_own_exercise(request, exercise_id))


def _own_exercise(request: LearnerHttpRequest, exercise_id: int) -> Exercise:
    exercise = Exercise.objects.filter(pk=exercise_id, user=request.user).first()
    if exercise is None:
        raise ApiError(404, "No such exercise.")
    return exercise


@router.post(
    "/exercises/{exercise_id}/start",
    response={201: StartOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Start practising an exercise",
)
def start_exercise(request: LearnerHttpRequest, exercise_id: ExerciseId) -> Status[StartOut]:
    """A practice session of the exercise, as the exercise page's widget starts it, typed against
    a pace a little above the learner's recent speed. Its batches and completion go to this
    exercise's /keystrokes and /complete, as a lesson's do to the lesson's."""
    exercise = _own_exercise(request, exercise_id)
    try:
        practice.check_rate(request.user.pk, "start")
        practice.check_open_sessions(user=request.user, guest_key="")
    except practice.Limited as exc:
        raise _limited(str(exc), exc.wait) from None
    session = start_session(
        lesson=None,
        user=request.user,
        text=exercise.text,
        target_wpm=exercise_target_wpm(request.user),
    )
    return Status(201, started(session))


def _exercise_session(request: LearnerHttpRequest, exercise_id: int, session_id: UUID):
    exercise = _own_exercise(request, exercise_id)
    return own_session(request, session_id, lesson_id=None, text=exercise.text)


PROTOCOL_ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post(
    "/exercises/{exercise_id}/keystrokes",
    response={200: BatchOut, **PROTOCOL_ERRORS, **AUTH_ERRORS},
    summary="One batch of keystrokes of an exercise's session (as for a lesson)",
)
def exercise_keystrokes(
    request: LearnerHttpRequest, exercise_id: ExerciseId, data: BatchIn
) -> BatchOut:
    _exercise_session(request, exercise_id, data.session_id)
    return send_batch(request, data)


@router.post(
    "/exercises/{exercise_id}/token",
    response={200: TokenOut, **PROTOCOL_ERRORS, **AUTH_ERRORS},
    summary="A new practice token for an exercise's open session",
)
def exercise_token(
    request: LearnerHttpRequest, exercise_id: ExerciseId, data: SessionIn
) -> TokenOut:
    return renew(_exercise_session(request, exercise_id, data.session_id))


@router.post(
    "/exercises/{exercise_id}/complete",
    response={200: ResultOut, **PROTOCOL_ERRORS, **AUTH_ERRORS},
    summary="Complete an exercise's session: the server replays and scores it",
)
def exercise_complete(
    request: LearnerHttpRequest, exercise_id: ExerciseId, data: CompleteIn
) -> ResultOut:
    return finish(request, _exercise_session(request, exercise_id, data.session_id), data)


# --- Chat ----------------------------------------------------------------------------------------


Question = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION)
]


class ChatIn(Schema):
    question: Question


class ChatOut(Schema):
    question: str
    reply: str
    created_at: datetime
    llm_configured: bool = Field(
        description="False: the built-in coach answered from the learner's statistics."
    )


@router.post(
    "/chat",
    response={200: ChatOut, 403: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Ask the coach (Premium)",
)
def chat(request: HttpRequest, body: ChatIn) -> ChatOut:
    """The coach page's chat: the LLM coach when it is configured and answers, else the
    built-in coach from the learner's statistics. Free learners get 403 `premium_required`."""
    user = request.user
    if not is_premium(user):
        raise ApiError(403, str(CHAT_IS_PREMIUM), code="premium_required")
    if wait := retry_after(f"chat:{user.pk}", limit=settings.COACH_RATE_LIMITS["chat"]):
        raise _limited(f"That's a lot of questions: ask again in {wait_phrase(wait)}.", wait)
    answer = ask(user=user, question=body.question)
    return ChatOut(
        question=body.question,
        reply=answer.text,
        created_at=answer.created_at,
        llm_configured=llm.llm_settings() is not None,
    )
