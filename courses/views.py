from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from typingtrainer.http import HtmxHttpRequest as HttpRequest

from .models import Course, Language, Level


def catalogue(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    language = request.GET.get("language", "")
    level = request.GET.get("level", "")
    courses = Course.objects.published().with_lesson_counts()
    if language in Language.values:
        courses = courses.filter(language=language)
    if level in Level.values:
        courses = courses.filter(level=level)
    courses = courses.search(query)
    context = {
        "courses": courses,
        "query": query,
        "language": language,
        "level": level,
        "languages": Language.choices,
        "levels": Level.choices,
    }
    template = "courses/catalogue.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    # Authors and staff preview drafts; everyone else sees only what is published.
    can_preview = request.user.has_perm("courses.view_course")
    if not (course.is_published or can_preview):
        raise Http404("No such course.")
    lessons = course.lessons.all()
    if not can_preview:
        lessons = lessons.filter(is_published=True)
    return render(
        request,
        "courses/detail.html",
        {"course": course, "lessons": lessons, "can_preview": can_preview},
    )
