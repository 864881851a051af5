from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from billing.checkout import BillingUnavailable
from courses.models import Course

from . import deletion, metrics
from .forms import DeleteAccountForm, SettingsForm
from .http import LearnerHttpRequest


def home(request: HttpRequest) -> HttpResponse:
    courses = Course.objects.published().with_lesson_counts().language_first(request)
    return render(request, "home.html", {"courses": courses})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, then back to `next`); a logged-in learner's choice
    is also saved as User.language, so their other devices, emails and coach follow it. An
    unknown language changes nothing."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES) or not check_for_language(language):
        return HttpResponse(
            _("Unknown language."), status=400, content_type="text/plain; charset=utf-8"
        )
    response = i18n.set_language(request)
    user = request.user
    if user.is_authenticated and getattr(user, "language", None) != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "about.html")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and crawlers ask /favicon.ico whatever the page's <link rel="icon"> says."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if "language" in form.changed_data and user.language:
            translation.activate(user.language)
            request.learner_language = user.language  # type: ignore[attr-defined]
        messages.success(request, _("Your settings are saved."))
        return redirect("account_settings")
    return render(request, "account/settings.html", {"form": form})


@login_required
def delete_account(request: LearnerHttpRequest) -> HttpResponse:
    """Delete the account (deletion.delete_account says what goes), then log out. When Stripe
    cannot be reached to end a Premium subscription, nothing is deleted."""
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deletion.delete_account(user=request.user)
        except BillingUnavailable:
            form.add_error(
                None,
                _(
                    "We could not reach Stripe to cancel your Premium subscription, so nothing was "
                    "deleted. Please try again in a few minutes."
                ),
            )
            return render(request, "account/delete.html", {"form": form}, status=503)
        logout(request)
        messages.success(request, _("Your account and all of its data have been deleted."))
        return redirect("home")
    return render(request, "account/delete.html", {"form": form})


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database, the cache and the broker all answer; 503 names what is down."""
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure means "not ready"; say which and why
            results[name] = f"down: {exc.__class__.__name__}: {exc}"[:200]
    ready = not any(value.startswith("down") for value in results.values())
    return JsonResponse({"ready": ready, **results}, status=200 if ready else 503)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    # Our Redis cache answers as empty while Redis is down, so pages keep working; its ping
    # still raises, so readiness sees the outage.
    ping = getattr(cache, "ping", None)
    if ping is not None:
        ping()
    cache.set("readyz", "1", timeout=5)
    if cache.get("readyz") != "1":
        raise RuntimeError("value written was not read back")
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "ok (tasks run eagerly, no broker)"
    from .celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
def metrics_page(request: HttpRequest) -> HttpResponse:
    """Prometheus text for a scraper holding METRICS_TOKEN (the web port is the public one, so
    nothing is shown without it: 404 when no token is configured, 401 for a wrong or missing
    one). Every process's counters, and what is read at the scrape (typingtrainer.metrics)."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("No metrics here.")
    if not metrics.authorized(request.headers.get("Authorization"), token):
        response = HttpResponse(
            "A bearer token is required.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.web_exposition(), content_type=metrics.CONTENT_TYPE_LATEST)
