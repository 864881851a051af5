from __future__ import annotations

from django.http import HttpResponse

from typingtrainer.http import HtmxHttpRequest as HttpRequest
from typingtrainer.http import render_page

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
    return render_page(request, "courses/catalogue.html", context, fragment="results")
