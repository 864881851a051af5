from __future__ import annotations

import secrets
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.http import HttpRequest as PlainRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.entitlements import is_premium
from billing.views import premium_required
from courses.layouts import LAYOUTS, Layout
from courses.models import Course, Lesson
from typingtrainer.http import BadJson, client_ip, parse_json, render_fragment
from typingtrainer.http import HtmxHttpRequest as HttpRequest
from typingtrainer.requestlog import identify

from . import hooks, placement, practice, scoring, tokens
from .access import Access, access_for, can_see, course_lessons
from .attempts import (
    GUEST_KEY,
    Conflict,
    Forbidden,
    NotFound,
    Outcome,
    Unscorable,
    course_placement_text,
    placement_attempt,
    placement_seconds,
    start_level_test,
    start_session,
    store_batch,
)
from .models import LessonProgress, LevelTest, PracticeSession

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
    context = {
        "course": course,
        "rows": rows,
        "has_placement": placement.has_placement(course.language),
    }
    return render(request, "courses/detail.html", context)


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
    if request.user.is_authenticated:
        progress = LessonProgress.objects.filter(user=request.user, lesson=lesson).first()
    layout = typing_layout(request.user, lesson)
    return render(
        request,
        "lessons/detail.html",
        {"lesson": lesson, "access": access, "progress": progress, "layout": layout.as_json()},
    )


def typing_layout(user: Any, lesson: Lesson | None, text: str = "") -> Layout:
    """The keyboard a lesson (or, lesson None, a text of its own) is typed on: the learner's
    own layout when the text can be typed on it, else the course's."""
    own = LAYOUTS[user.keyboard_layout] if user is not None and user.is_authenticated else None
    if lesson is None:
        return own or LAYOUTS["qwerty"]
    if own is not None and not own.untypeable(text or lesson.text):
        return own
    return LAYOUTS[lesson.course.layout]


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
        figures = practice.result_figures(outcome)
        if outcome.level_test is not None:
            figures["level_test"] = _level_test_figures(outcome.level_test)
        return JsonResponse(figures)
    if outcome.level_test is not None:
        context = _level_test_context(request, outcome, outcome.level_test)
        return render_fragment(request, "lessons/level_test.html", "result", context)
    # The widget swaps the result card in, whoever asks.
    return render_fragment(request, "lessons/detail.html", "result", _result_context(outcome))


def _primary_action(outcome: Outcome) -> str:
    """The result card's main button, which takes the focus: a guest signs up, a learner goes
    on to the next lesson when it opened, else tries again (an exercise: back to the coach)."""
    session = outcome.session
    if session.user_id is None:
        return "signup"
    if outcome.next_lesson is not None and outcome.next_open:
        return "next"
    return "retry" if session.lesson_id else "coach"


def _result_context(outcome: Outcome) -> dict[str, Any]:
    session = outcome.session
    context = {
        "session": session,
        "lesson": session.lesson,
        "achievements": outcome.achievements,
        "next_lesson": outcome.next_lesson,
        "next_open": outcome.next_open,
        "comparison": outcome.comparison,
        "primary": _primary_action(outcome),
        # The minus comes with the number; the plus is written out.
        "improvement_sign": "+" if (session.improvement or 0) >= 0 else "",
        "stars": range(1, 6),
    }
    if session.flagged:
        return context
    replay = outcome.replay
    if replay is None:  # completed before: the stored keystrokes replay as they did then
        try:
            replay = session.replay()
        except scoring.ReplayError:
            return context
    scored = hooks.ScoredSession(
        events=replay.events,
        wpm=session.wpm or 0.0,
        accuracy=session.accuracy or 0.0,
        target_wpm=session.target_wpm,
        layout=typing_layout(session.user, session.lesson, session.text).slug,
    )
    for notes in hooks.result_notes():
        context.update(notes.result_context(scored))
    return context


# --- Placement tests and test-outs (README "Access rules", lessons.placement) -----------------


def _placement_course(request: HttpRequest, slug: str) -> Course:
    course = get_object_or_404(Course, slug=slug)
    if not course.is_visible_to(request.user) or not placement.has_placement(course.language):
        raise Http404(_("This course has no placement test."))
    return course


def _layout_for(request: HttpRequest, course: Course, text: str) -> dict[str, Any]:
    """The course's keyboard, or the learner's own when it types the text."""
    layout = LAYOUTS[course.layout]
    if request.user.is_authenticated:
        own = LAYOUTS[request.user.keyboard_layout]
        if not own.untypeable(text):
            layout = own
    return layout.as_json()


def placement_pick(request: HttpRequest) -> HttpResponse:
    """The dashboard's "take a placement test": the course the learner last practised, else
    the first whose keyboard is theirs, else the first course with a placement test."""
    courses = [
        course
        for course in Course.objects.published().order_by("position", "title")
        if placement.has_placement(course.language)
    ]
    if not courses:
        raise Http404(_("No course has a placement test yet."))
    chosen = None
    if request.user.is_authenticated:
        last = (
            PracticeSession.objects.for_user(request.user)
            .completed()
            .filter(lesson__isnull=False)
            .order_by("-completed_at")
            .values_list("lesson__course_id", flat=True)
            .first()
        )
        chosen = next((c for c in courses if c.pk == last), None) or next(
            (c for c in courses if c.layout == request.user.keyboard_layout), None
        )
    return redirect("placement", slug=(chosen or courses[0]).slug)


def placement_page(request: HttpRequest, slug: str) -> HttpResponse:
    course = _placement_course(request, slug)
    guest_key = "" if request.user.is_authenticated else request.session.get(GUEST_KEY, "")
    attempt = placement_attempt(course=course, user=request.user, guest_key=guest_key)
    text = course_placement_text(course=course, attempt=attempt)
    context = {
        "course": course,
        "text": text,
        "layout": _layout_for(request, course, text),
        # A new test does not resume an old one's keys from the browser's storage.
        "widget_key": f"placement-{course.pk}-{attempt}",
        "seconds": placement_seconds(),
        "time_limit_ms": placement_seconds() * 1000,
        "pass_accuracy": placement.PASS_ACCURACY,
    }
    return render(request, "lessons/placement.html", context)


def _owner_key(request: HttpRequest) -> tuple[str, JsonResponse | None]:
    """The visitor's guest key (made now when they have none), or a 429 when the learner or
    visitor has the most practice sessions open at once."""
    if request.user.is_authenticated:
        return "", open_sessions_over_cap(user=request.user, guest_key="")
    guest_key = request.session.get(GUEST_KEY) or ""
    if capped := open_sessions_over_cap(user=request.user, guest_key=guest_key):
        return guest_key, capped
    guest_key = guest_key or secrets.token_urlsafe(24)
    request.session[GUEST_KEY] = guest_key
    return guest_key, None


@require_POST
def placement_start(request: HttpRequest, slug: str) -> JsonResponse:
    if limited := _over_limit(_requester(request), "start"):
        return limited
    try:
        course = _placement_course(request, slug)
    except Http404 as exc:
        return _error(str(exc), 404)
    guest_key, capped = _owner_key(request)
    if capped:
        return capped
    session = start_level_test(course=course, lesson=None, user=request.user, guest_key=guest_key)
    return JsonResponse({"session": str(session.pk), **tokens.grant(session)}, status=201)


def test_out_page(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson, access = _lesson_and_access(request, lesson_id)
    if access.needs_premium:
        return premium_required(request, lesson=lesson)  # testing out is no way round Premium
    if access.open:
        return redirect(lesson)  # nothing to test out of: type it
    if not access.can_test_out:
        return render(
            request, "lessons/locked.html", {"lesson": lesson, "access": access}, status=403
        )
    context = {
        "lesson": lesson,
        "access": access,
        "text": lesson.text,
        "widget_key": f"test-out-{lesson.pk}",
        "layout": _layout_for(request, lesson.course, lesson.text),
        "pass_accuracy": placement.PASS_ACCURACY,
    }
    return render(request, "lessons/test_out.html", context)


@require_POST
def test_out_start(request: HttpRequest, lesson_id: int) -> JsonResponse:
    if limited := _over_limit(_requester(request), "start"):
        return limited
    try:
        lesson, access = _lesson_and_access(request, lesson_id)
    except Http404:
        return _error(_("No such lesson."), 404)
    if access.open:
        return _error(_("This lesson is open already: type it instead of testing out."), 409)
    if not access.can_test_out:
        return _error(access.reason, 403)
    _guest, capped = _owner_key(request)
    if capped:
        return capped
    session = start_level_test(course=lesson.course, lesson=lesson, user=request.user)
    return JsonResponse({"session": str(session.pk), **tokens.grant(session)}, status=201)


def _level_test_figures(level_test: LevelTest) -> dict[str, Any]:
    return {
        "kind": level_test.session.kind,
        "passed": level_test.passed,
        "opened": level_test.opened,
        "premium_opened": level_test.premium_opened,
        "course": level_test.course.slug,
    }


def _level_test_context(
    request: HttpRequest, outcome: Outcome, level_test: LevelTest
) -> dict[str, Any]:
    session = outcome.session
    # The completion carries no cookie: the session's owner decides, as everywhere else.
    premium = session.user is not None and is_premium(session.user)
    opened = list(
        Lesson.objects.filter(course=level_test.course, is_published=True).order_by(
            "position", "id"
        )[: level_test.opened]
    )
    typeable = [lesson for lesson in opened if premium or not lesson.requires_premium]
    return {
        "session": session,
        "level_test": level_test,
        "course": level_test.course,
        "lesson": session.lesson,
        "is_placement": session.kind == PracticeSession.Kind.PLACEMENT,
        "premium_locked": 0 if premium else level_test.premium_opened,
        "start_lesson": typeable[-1] if typeable else None,
        "next_lesson": outcome.next_lesson,
        "next_open": outcome.next_open,
        "achievements": outcome.achievements,
        "pass_accuracy": placement.PASS_ACCURACY,
    }
