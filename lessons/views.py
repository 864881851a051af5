from __future__ import annotations

import math
import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from django.http import Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.http import HttpRequest as PlainRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.views import premium_required
from courses.layouts import LAYOUTS
from courses.models import Course, Lesson
from typingtrainer.http import BadJson, client_ip, parse_json, render_fragment
from typingtrainer.http import HtmxHttpRequest as HttpRequest
from typingtrainer.postgresql.base import connection_lost
from typingtrainer.ratelimit import retry_after, wait_phrase

from . import scoring, tokens
from .access import Access, access_for, access_map, best_ratings
from .attempts import (
    GUEST_KEY,
    Conflict,
    Forbidden,
    NotFound,
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
    ratings = best_ratings(request.user, lessons)
    access = access_map(request.user, lessons, ratings=ratings)
    rows = [
        {"lesson": lesson, "open": access[lesson.pk].open, "stars": ratings.get(lesson.pk)}
        for lesson in lessons
    ]
    return render(request, "courses/detail.html", {"course": course, "rows": rows})


def _lesson_and_access(request: HttpRequest, lesson_id: int) -> tuple[Lesson, Access]:
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=lesson_id)
    can_preview = request.user.has_perm("courses.view_lesson")
    if not ((lesson.is_published and lesson.course.is_published) or can_preview):
        raise Http404("No such lesson.")
    return lesson, access_for(request.user, lesson)


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


def _limited(message: str, wait: int) -> JsonResponse:
    response = _error(message, 429)
    response["Retry-After"] = str(wait)
    return response


def _over_limit(who: Any, action: str) -> JsonResponse | None:
    """Per learner (or visitor) and minute; generous for any human, the widget retries 429."""
    limit = settings.WIDGET_RATE_LIMITS[action]
    wait = retry_after(f"{action}:{who}", limit=limit)
    if not wait:
        return None
    return _limited(
        f"Too many requests: at most {limit} a minute. Try again in {wait_phrase(wait)}.", wait
    )


def _requester(request: HttpRequest) -> str:
    who = request.user.pk if request.user.is_authenticated else request.session.session_key
    return str(who or client_ip(request))


def _json_body(request: PlainRequest, *, max_depth: int) -> dict[str, Any]:
    try:
        payload = parse_json(request.body, max_depth=max_depth)
    except BadJson as exc:
        raise scoring.BatchError(str(exc)) from exc
    if not isinstance(payload, dict):
        raise scoring.BatchError("The body must be a JSON object.")
    return payload


def _session_for(request: HttpRequest, session_id: Any) -> PracticeSession | None:
    """The requester's own session by their cookies, or None (answered as 404, whoever owns
    it)."""
    try:
        session = PracticeSession.objects.select_related("user").get(pk=session_id)
    except PracticeSession.DoesNotExist:
        return None
    if not session.belongs_to(request.user, request.session.get(GUEST_KEY)):
        return None
    return session


def _token_error(exc: tokens.TokenError) -> JsonResponse:
    return _error(str(exc), 401, code=exc.code)


def open_sessions_over_cap(*, user: Any, guest_key: str) -> JsonResponse | None:
    """429 when the learner (or visitor) already has PRACTICE_MAX_OPEN_SESSIONS open: started,
    not completed, and started within the token's lifetime and renewal grace."""
    cap = settings.PRACTICE_MAX_OPEN_SESSIONS
    window = timedelta(seconds=tokens.lifetime() + tokens.grace())
    since = timezone.now() - window
    owned = (
        PracticeSession.objects.filter(user=user)
        if user.is_authenticated
        else PracticeSession.objects.filter(user=None, guest_key=guest_key)
    )
    if not guest_key and not user.is_authenticated:
        return None  # a first visit has no sessions
    starts = list(
        owned.filter(status=PracticeSession.Status.STARTED, started_at__gte=since)
        .order_by("-started_at")
        .values_list("started_at", flat=True)[:cap]
    )
    if len(starts) < cap:
        return None
    wait = max(1, math.ceil((starts[-1] + window - timezone.now()).total_seconds()))
    return _limited(
        f"You have {cap} practice sessions open at once, the most there may be: finish one "
        f"or try again in {wait_phrase(wait)}.",
        wait,
    )


@require_POST
def start(request: HttpRequest, lesson_id: int) -> JsonResponse:
    if limited := _over_limit(_requester(request), "start"):
        return limited
    try:
        lesson, access = _lesson_and_access(request, lesson_id)
    except Http404:
        return _error("No such lesson.", 404)
    if not access.open:
        return _error(access.reason, 403)
    guest_key = ""
    if not request.user.is_authenticated:
        guest_key = request.session.get(GUEST_KEY) or ""
        if capped := open_sessions_over_cap(user=request.user, guest_key=guest_key):
            return capped
        guest_key = guest_key or secrets.token_urlsafe(24)
        request.session[GUEST_KEY] = guest_key
    elif capped := open_sessions_over_cap(user=request.user, guest_key=""):
        return capped
    session = start_session(lesson=lesson, user=request.user, guest_key=guest_key)
    return JsonResponse({"session": str(session.pk), **tokens.grant(session)}, status=201)


@csrf_exempt
@require_POST
def renew_token(request: HttpRequest, session_id: Any) -> JsonResponse:
    """A new token for the session, given the current one (expired at most
    PRACTICE_TOKEN_GRACE_SECONDS ago) in X-Practice-Token, or else the cookies of the
    session's owner (with CSRF, as any cookie-authenticated POST)."""
    try:
        tokens.verify(
            request.META.get(tokens.META_HEADER), session_id, grace_seconds=tokens.grace()
        )
        session = PracticeSession.objects.select_related("user").filter(pk=session_id).first()
        if session is None:
            return _error("No such session.", 404)
    except tokens.TokenError as exc:
        if not (request.user.is_authenticated or request.session.get(GUEST_KEY)):
            return _token_error(exc)
        if refused := _csrf_refusal(request):
            return _error("CSRF verification failed; reload the page.", refused.status_code)
        found = _session_for(request, session_id)
        if found is None:
            return _error("No such session.", 404)
        session = found
    if session.user is not None and not session.user.is_active:
        return _error("This account is deactivated.", 403)
    if session.is_completed:
        return _error("This session is already complete; it needs no token.", 409)
    return JsonResponse(tokens.grant(session))


def _csrf_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """What CsrfViewMiddleware answers this request (None: it passes), for a view that takes
    a token or else cookies, and needs CSRF only with the cookies."""
    middleware = CsrfViewMiddleware(lambda request: HttpResponse())
    return middleware.process_view(request, lambda request: HttpResponse(), (), {})


def _pace_wait(seq: Any, token: tokens.Token) -> int:
    """Seconds until batch `seq` is within the session's pace bound (0: it is now, or `seq`
    is no number, which store_batch refuses)."""
    if not isinstance(seq, int) or isinstance(seq, bool):
        return 0
    allowed_at = (seq - settings.PRACTICE_BATCH_BURST) / settings.PRACTICE_BATCHES_PER_SECOND
    wait = token.started + allowed_at - time.time()
    return math.ceil(wait) if wait > 0 else 0


def ingest_keystrokes(request: PlainRequest, session_id: str) -> JsonResponse:
    """POST /sessions/<uuid>/keystrokes, for both Django's URLconf and the WSGI dispatcher in
    front of it (typingtrainer.wsgi). It reads only the body and the X-Practice-Token header —
    no cookie, no user, no Redis — and stores a new batch in one SQL statement once the
    session's text is cached."""
    if request.method != "POST":
        response = _error("Only POST is allowed.", 405)
        response["Allow"] = "POST"
        return response
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error("The Content-Length header is not a number.", 400)
    if length > MAX_BATCH_BYTES:
        return _error(f"A batch may be at most {MAX_BATCH_BYTES // 1024} KB.", 413)
    if b"\x00" in request.body:
        return _error("The request has a NUL character in its body; nothing accepts one.", 400)
    try:
        payload = _json_body(request, max_depth=BATCH_DEPTH)
    except scoring.BatchError as exc:
        return _error(str(exc), 400)
    try:
        token = tokens.verify(request.META.get(tokens.META_HEADER), session_id)
    except tokens.TokenError as exc:
        return _token_error(exc)
    seq = payload.get("seq")
    if wait := _pace_wait(seq, token):
        return _limited(
            f"Batch {seq} arrived faster than anyone types; send it again in {wait_phrase(wait)}.",
            wait,
        )
    try:
        created = store_batch(session=token.session, seq=seq, keys=payload.get("keys"))
    except scoring.BatchError as exc:
        return _error(str(exc), 400)
    except NotFound as exc:
        return _error(str(exc), 404)
    except Forbidden as exc:
        return _error(str(exc), 403)
    except Conflict as exc:
        return _error(str(exc), 409)
    return JsonResponse({"seq": seq, "stored": created}, status=201 if created else 200)


@csrf_exempt
def keystrokes(request: HttpRequest, session_id: Any) -> JsonResponse:
    return ingest_keystrokes(request, str(session_id))


@csrf_exempt
@require_POST
def complete(request: HttpRequest, session_id: Any) -> HttpResponse:
    """Completion: the session's token in X-Practice-Token, no cookie needed."""
    try:
        token = tokens.verify(request.META.get(tokens.META_HEADER), str(session_id))
    except tokens.TokenError as exc:
        return _token_error(exc)
    if limited := _over_limit(token.owner, "complete"):
        return limited
    session = PracticeSession.objects.select_related("user").filter(pk=session_id).first()
    if session is None:
        return _error("No such session.", 404)
    if session.user is not None and not session.user.is_active:
        return _error("This account is deactivated.", 403)
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
    # The widget swaps the result card in, whoever asks.
    return render_fragment(request, "lessons/detail.html", "result", _result_context(outcome))


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
