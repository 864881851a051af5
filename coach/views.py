from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.entitlements import is_premium
from courses.layouts import LAYOUTS
from lessons import tokens
from lessons.attempts import start_session
from lessons.views import open_sessions_over_cap
from typingtrainer.http import LearnerHttpRequest as HttpRequest
from typingtrainer.http import render_fragment, wants_fragment
from typingtrainer.ratelimit import retry_after, wait_phrase

from . import llm
from .analysis import Finding
from .coaching import (
    CHAT_IS_PREMIUM,
    MAX_QUESTION,
    LimitReached,
    ask,
    exercise_target_wpm,
    exercises_left_today,
    first_exercise_focus,
    has_weak_spots,
    make_exercise,
    recommendations,
    requested_focus,
    seconds_until_allowance,
    starting_point,
)
from .models import ChatMessage, Exercise


@login_required
def home(request: HttpRequest) -> HttpResponse:
    report, found = recommendations(request.user)
    too_little_data = any(f.kind == "too_little_data" for f in found)
    start_url, start_lesson = starting_point(request.user) if too_little_data else ("", None)
    # Reports written before the coach had a summary repeated a recommendation as their advice.
    advice = report.advice if report else ""
    if any(f.message in advice for f in found):
        advice = ""
    return render(
        request,
        "coach/home.html",
        {
            "report": report,
            "advice": advice,
            "findings": found,
            "start_url": start_url,
            "start_lesson": start_lesson,
            "first_exercise_keys": first_exercise_focus(request.user),
            "has_weak_spots": has_weak_spots(found),
            "exercises": Exercise.objects.filter(user=request.user).order_by("-created_at")[:5],
            "chat_messages": list(ChatMessage.objects.filter(user=request.user))[-30:],
            "premium": is_premium(request.user),
            "exercises_left": exercises_left_today(request.user),
            "llm_configured": llm.llm_settings() is not None,
        },
    )


def _requested_focus(request: HttpRequest) -> Finding | None:
    """The keys a "Practise this" button asked for, if they are typeable on the layout."""
    return requested_focus(
        request.user, request.POST.get("keys", ""), request.POST.get("pairs", "")
    )


@login_required
@require_POST
def new_exercise(request: HttpRequest) -> HttpResponse:
    limit = settings.COACH_RATE_LIMITS["exercise"]
    if wait := retry_after(f"exercise:{request.user.pk}", limit=limit):
        error = _("You are making exercises very fast: try again in %(wait)s.") % {
            "wait": wait_phrase(wait)
        }
        return _refused(request, error, wait)
    try:
        exercise = make_exercise(user=request.user, finding=_requested_focus(request))
    except LimitReached as exc:
        return _refused(request, str(exc), seconds_until_allowance(request.user))
    return redirect("coach:exercise", exercise.pk)


def _refused(request: HttpRequest, error: str, wait: int) -> HttpResponse:
    """A limit reached: 429 with Retry-After for JSON and HTMX requests; a plain form post goes
    back to the coach page, which shows the message."""
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"error": error}, status=429)
    elif wants_fragment(request):
        response = HttpResponse(error, status=429, content_type="text/plain; charset=utf-8")
    else:
        messages.error(request, error)
        return redirect("coach:home")
    response["Retry-After"] = str(wait)
    return response


@login_required
def exercise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = get_object_or_404(Exercise, pk=pk, user=request.user)
    layout = LAYOUTS[request.user.keyboard_layout]
    return render(
        request,
        "coach/exercise.html",
        {"exercise": exercise, "layout": layout.as_json(), "widget_key": f"x{exercise.pk}"},
    )


@login_required
@require_POST
def exercise_start(request: HttpRequest, pk: int) -> JsonResponse:
    exercise = Exercise.objects.filter(pk=pk, user=request.user).first()
    if exercise is None:
        return JsonResponse({"error": _("No such exercise.")}, status=404)
    if capped := open_sessions_over_cap(user=request.user, guest_key=""):
        return capped
    session = start_session(
        lesson=None,
        user=request.user,
        text=exercise.text,
        target_wpm=exercise_target_wpm(request.user),
    )
    return JsonResponse({"session": str(session.pk), **tokens.grant(session)}, status=201)


@login_required
@require_POST
def chat(request: HttpRequest) -> HttpResponse:
    status, error, wait = 200, "", 0
    question = request.POST.get("question", "").strip()
    if not is_premium(request.user):
        status, error = 403, str(CHAT_IS_PREMIUM)
    elif not question:
        status, error = 400, _("Type a question first.")
    elif len(question) > MAX_QUESTION:
        status, error = (
            400,
            _("Questions are limited to %(count)d characters.") % {"count": MAX_QUESTION},
        )
    elif wait := retry_after(f"chat:{request.user.pk}", limit=settings.COACH_RATE_LIMITS["chat"]):
        status = 429
        error = _("That's a lot of questions: ask again in %(wait)s.") % {"wait": wait_phrase(wait)}
    if not wants_fragment(request):
        if error:
            messages.error(request, error)
        else:
            ask(user=request.user, question=question)
        return redirect("/coach/#chat")
    if error:
        response = render_fragment(
            request, "coach/home.html", "chat-error", {"error": error}, status=status
        )
        response["HX-Retarget"] = "#chat-status"
        response["HX-Reswap"] = "innerHTML"
        if wait:
            response["Retry-After"] = str(wait)
        return response
    answer = ask(user=request.user, question=question)
    exchange = list(
        ChatMessage.objects.filter(user=request.user, pk__lte=answer.pk).order_by("-pk")[:2]
    )
    return render_fragment(
        request,
        "coach/home.html",
        "exchange",
        {"chat_messages": exchange[::-1], "clear_question": True},
    )
