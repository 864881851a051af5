from __future__ import annotations

import secrets
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.http import HttpRequest as PlainRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.views import premium_required
from courses.layouts import LAYOUTS
from courses.models import Course, Lesson
from typingtrainer.http import BadJson, client_ip, parse_json, render_fragment
from typingtrainer.http import HtmxHttpRequest as HttpRequest
from typingtrainer.requestlog import identify

from . import practice, scoring, tokens
from .access import Access, access_for, can_see, course_lessons
from .attempts import (
    GUEST_KEY,
    Conflict,
    Forbidden,
    NotFound,
    Outcome,
    Unscorable,
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
    if not course.is_visible_to(request.user):
        raise Http404(_("No such course."))
    rows = [
        {"lesson": row.lesson, "open": row.access.open, "access": row.access, "stars": row.stars}
        for row in course_lessons(request.user, course)
    ]
    return render(request, "courses/detail.html", {"course": course, "rows": rows})


def _lesson_and_access(request: HttpRequest, lesson_id: int) -> tuple[Lesson, Access]:
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=lesson_id)
    if not can_see(request.user, lesson):
        raise Http404(_("No such lesson."))
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
        {"lesson": lesson, "access": access, "progress": progress, "layout": layout.as_json()},
    )


def _error(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _limited(message: str, wait: int) -> JsonResponse:
    response = _error(message, 429)
    response["Retry-After"] = str(wait)
    return response


def _over_limit(who: Any, action: str) -> JsonResponse | None:
    try:
        practice.check_rate(who, action)
    except practice.Limited as exc:
        return _limited(str(exc), exc.wait)
    return None


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
    """429 when the learner (or visitor) has the most practice sessions open at once."""
    try:
        practice.check_open_sessions(user=user, guest_key=guest_key)
    except practice.Limited as exc:
        return _limited(str(exc), exc.wait)
    return None


@require_POST
def start(request: HttpRequest, lesson_id: int) -> JsonResponse:
    if limited := _over_limit(_requester(request), "start"):
        return limited
    try:
        lesson, access = _lesson_and_access(request, lesson_id)
    except Http404:
        return _error(_("No such lesson."), 404)
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
            return _error(_("No such session."), 404)
    except tokens.TokenError as exc:
        if not (request.user.is_authenticated or request.session.get(GUEST_KEY)):
            return _token_error(exc)
        if refused := _csrf_refusal(request):
            return _error(_("CSRF verification failed; reload the page."), refused.status_code)
        found = _session_for(request, session_id)
        if found is None:
            return _error(_("No such session."), 404)
        session = found
    if session.user is not None and not session.user.is_active:
        return _error(_("This account is deactivated."), 403)
    if session.is_completed:
        return _error(_("This session is already complete; it needs no token."), 409)
    return JsonResponse(tokens.grant(session))


def _csrf_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """What CsrfViewMiddleware answers this request (None: it passes), for a view that takes
    a token or else cookies, and needs CSRF only with the cookies."""
    middleware = CsrfViewMiddleware(lambda request: HttpResponse())
    return middleware.process_view(request, lambda request: HttpResponse(), (), {})


def ingest_keystrokes(request: PlainRequest, session_id: str) -> JsonResponse:
    """POST /sessions/<uuid>/keystrokes, for both Django's URLconf and the WSGI dispatcher in
    front of it (typingtrainer.wsgi). It reads only the body and the X-Practice-Token header —
    no cookie, no user, no Redis — and stores a new batch in one SQL statement once the
    session's text is cached."""
    if request.method != "POST":
        response = _error(_("Only POST is allowed."), 405)
        response["Allow"] = "POST"
        return response
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(_("The Content-Length header is not a number."), 400)
    if length > MAX_BATCH_BYTES:
        return _error(_("A batch may be at most %(kb)d KB.") % {"kb": MAX_BATCH_BYTES // 1024}, 413)
    if b"\x00" in request.body:
        return _error(_("The request has a NUL character in its body; nothing accepts one."), 400)
    try:
        payload = _json_body(request, max_depth=BATCH_DEPTH)
    except scoring.BatchError as exc:
        return _error(str(exc), 400)
    try:
        token = tokens.verify(request.META.get(tokens.META_HEADER), session_id)
    except tokens.TokenError as exc:
        return _token_error(exc)
    identify(request, token.user_id)
    seq = payload.get("seq")
    try:
        practice.check_pace(seq, token)
    except practice.Limited as exc:
        return _limited(str(exc), exc.wait)
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
    identify(request, token.user_id)
    if limited := _over_limit(token.owner, "complete"):
        return limited
    session = PracticeSession.objects.select_related("user").filter(pk=session_id).first()
    if session is None:
        return _error(_("No such session."), 404)
    if session.user is not None and not session.user.is_active:
        return _error(_("This account is deactivated."), 403)
    try:
        payload = _json_body(request, max_depth=COMPLETION_DEPTH)
        outcome = practice.complete(session=session, batches=payload.get("batches"))
    except scoring.BatchError as exc:
        return _error(str(exc), 400)
    except Conflict as exc:
        return _error(str(exc), 409, missing=exc.missing)
    except Unscorable as exc:
        return _error(str(exc), 422)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(practice.result_figures(outcome))
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
