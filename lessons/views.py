from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from billing.entitlements import is_premium
from billing.views import premium_required
from courses.layouts import LAYOUTS
from courses.models import Course, Lesson
from typingtrainer.http import BadJson, client_ip, parse_json
from typingtrainer.http import HtmxHttpRequest as HttpRequest
from typingtrainer.postgresql.base import connection_lost
from typingtrainer.ratelimit import retry_after, wait_phrase

from . import scoring
from .access import Access, lesson_access, previous_lesson
from .attempts import (
    GUEST_KEY,
    Conflict,
    Outcome,
    Unscorable,
    complete_session,
    start_session,
    store_batch,
)
from .models import LessonProgress, PracticeSession

MAX_BATCH_BYTES = 64 * 1024
# How deep the bodies nest: a batch is an object holding a list of [pos, typed, t] lists; a
# completion is a flat object. Anything deeper is refused before it is parsed.
BATCH_DEPTH = 3
COMPLETION_DEPTH = 1


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    # Authors and staff preview drafts; everyone else sees only what is published.
    can_preview = request.user.has_perm("courses.view_course")
    if not (course.is_published or can_preview):
        raise Http404("No such course.")
    lessons = list(course.lessons.order_by("position", "id"))
    if not can_preview:
        lessons = [lesson for lesson in lessons if lesson.is_published]
    ratings: dict[int, int] = {}
    if request.user.is_authenticated:
        ratings = dict(
            LessonProgress.objects.filter(user=request.user, lesson__course=course).values_list(
                "lesson_id", "best_rating"
            )
        )
    rows = []
    premium = is_premium(request.user)  # one query for the whole list
    previous: Lesson | None = None
    for lesson in lessons:
        access = lesson_access(
            lesson,
            previous=previous,
            best_ratings=ratings,
            authenticated=request.user.is_authenticated,
            premium=premium,
            can_preview=can_preview,
        )
        rows.append({"lesson": lesson, "open": access.open, "stars": ratings.get(lesson.pk)})
        if lesson.is_published:
            previous = lesson
    return render(request, "courses/detail.html", {"course": course, "rows": rows})


def _lesson_and_access(request: HttpRequest, lesson_id: int) -> tuple[Lesson, Access]:
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=lesson_id)
    can_preview = request.user.has_perm("courses.view_lesson")
    if not ((lesson.is_published and lesson.course.is_published) or can_preview):
        raise Http404("No such lesson.")
    previous = previous_lesson(lesson)
    ratings: dict[int, int] = {}
    if request.user.is_authenticated and previous is not None:
        ratings = dict(
            LessonProgress.objects.filter(user=request.user, lesson=previous).values_list(
                "lesson_id", "best_rating"
            )
        )
    access = lesson_access(
        lesson,
        previous=previous,
        best_ratings=ratings,
        authenticated=request.user.is_authenticated,
        premium=is_premium(request.user),
        can_preview=can_preview,
    )
    return lesson, access


def lesson_detail(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson, access = _lesson_and_access(request, lesson_id)
    if access.needs_premium:
        return premium_required(request, lesson=lesson)
    if not access.open:
        return render(
            request, "lessons/locked.html", {"lesson": lesson, "access": access}, status=403
        )
    progress = None
    layout = LAYOUTS[lesson.course.layout]
    if request.user.is_authenticated:
        progress = LessonProgress.objects.filter(user=request.user, lesson=lesson).first()
        # The learner's own layout, when the lesson can be typed on it.
        own = LAYOUTS[request.user.keyboard_layout]
        if not own.untypeable(lesson.text):
            layout = own
    return render(
        request,
        "lessons/detail.html",
        {"lesson": lesson, "progress": progress, "layout": layout.as_json()},
    )


def _error(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _over_limit(request: HttpRequest, action: str) -> JsonResponse | None:
    """Per learner (or visitor) and minute; generous for any human, the widget retries 429."""
    who = request.user.pk if request.user.is_authenticated else request.session.session_key
    limit = settings.WIDGET_RATE_LIMITS[action]
    wait = retry_after(f"{action}:{who or client_ip(request)}", limit=limit)
    if not wait:
        return None
    response = _error(
        f"Too many requests: at most {limit} a minute. Try again in {wait_phrase(wait)}.", 429
    )
    response["Retry-After"] = str(wait)
    return response


def _json_body(request: HttpRequest, *, max_depth: int) -> dict[str, Any]:
    try:
        payload = parse_json(request.body, max_depth=max_depth)
    except BadJson as exc:
        raise scoring.BatchError(str(exc)) from exc
    if not isinstance(payload, dict):
        raise scoring.BatchError("The body must be a JSON object.")
    return payload


def _session_for(request: HttpRequest, session_id: Any) -> PracticeSession | None:
    """The requester's own session, or None (answered as 404, whoever owns it)."""
    try:
        session = PracticeSession.objects.get(pk=session_id)
    except PracticeSession.DoesNotExist:
        return None
    if not session.belongs_to(request.user, request.session.get(GUEST_KEY)):
        return None
    return session


@require_POST
def start(request: HttpRequest, lesson_id: int) -> JsonResponse:
    if limited := _over_limit(request, "start"):
        return limited
    try:
        lesson, access = _lesson_and_access(request, lesson_id)
    except Http404:
        return _error("No such lesson.", 404)
    if not access.open:
        return _error(access.reason, 403)
    guest_key = ""
    if not request.user.is_authenticated:
        guest_key = request.session.get(GUEST_KEY) or secrets.token_urlsafe(24)
        request.session[GUEST_KEY] = guest_key
    session = start_session(lesson=lesson, user=request.user, guest_key=guest_key)
    return JsonResponse({"session": str(session.pk)}, status=201)


@require_POST
def keystrokes(request: HttpRequest, session_id: Any) -> JsonResponse:
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BATCH_BYTES:
        return _error(f"A batch may be at most {MAX_BATCH_BYTES // 1024} KB.", 413)
    if limited := _over_limit(request, "keystrokes"):
        return limited
    session = _session_for(request, session_id)
    if session is None:
        return _error("No such session.", 404)
    try:
        payload = _json_body(request, max_depth=BATCH_DEPTH)
        created = store_batch(session=session, seq=payload.get("seq"), keys=payload.get("keys"))
    except scoring.BatchError as exc:
        return _error(str(exc), 400)
    except Conflict as exc:
        return _error(str(exc), 409)
    return JsonResponse({"seq": payload["seq"], "stored": created}, status=201 if created else 200)


@require_POST
def complete(request: HttpRequest, session_id: Any) -> HttpResponse:
    if limited := _over_limit(request, "complete"):
        return limited
    session = _session_for(request, session_id)
    if session is None:
        return _error("No such session.", 404)
    try:
        payload = _json_body(request, max_depth=COMPLETION_DEPTH)
        try:
            outcome = complete_session(session=session, batches=payload.get("batches"))
        except OperationalError as exc:
            # The database ended the connection mid-transaction (a restart, a failover): it
            # rolled the transaction back, and completing is idempotent, so run it once more.
            if not connection_lost(exc):
                raise
            connection.close()
            outcome = complete_session(session=session, batches=payload.get("batches"))
    except scoring.BatchError as exc:
        return _error(str(exc), 400)
    except Conflict as exc:
        return _error(str(exc), 409, missing=exc.missing)
    except Unscorable as exc:
        return _error(str(exc), 422)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(_result_json(outcome))
    return render(request, "lessons/detail.html#result", _result_context(outcome))


def _result_context(outcome: Outcome) -> dict[str, Any]:
    session = outcome.session
    return {
        "session": session,
        "lesson": session.lesson,
        "achievements": outcome.achievements,
        "next_lesson": outcome.next_lesson,
        "next_open": outcome.next_open,
        "stars": range(1, 6),
    }


def _result_json(outcome: Outcome) -> dict[str, Any]:
    session = outcome.session
    following = outcome.next_lesson
    return {
        "wpm": session.wpm,
        "raw_wpm": session.raw_wpm,
        "accuracy": session.accuracy,
        "errors": session.errors,
        "rating": session.rating,
        "flagged": session.flagged,
        "improvement": session.improvement,
        "achievements": [
            {"code": a.code, "name": a.name, "description": a.description}
            for a in outcome.achievements
        ],
        "next_lesson": None
        if following is None
        else {
            "id": following.pk,
            "title": following.title,
            "url": following.get_absolute_url(),
            "unlocked": outcome.next_open,
        },
    }
