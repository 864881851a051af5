from __future__ import annotations

from django.http import HttpResponse

from typingtrainer.http import HtmxHttpRequest as HttpRequest
from typingtrainer.http import render_page

from .models import Course, Language, Level


def catalogue(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    language = request.GET.get("language", "")
    level = request.GET.get("level", "")
    courses = Course.objects.catalogue(query=query, language=language, level=level)
    if not query:  # a search is ordered by how well courses match
        courses = courses.language_first(request)
    context = {
        "courses": courses,
        "query": query,
        "language": language,
        "level": level,
        "languages": Language.choices,
        "levels": Level.choices,
    }
    return render_page(request, "courses/catalogue.html", context, fragment="results")
