from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .core import VERSION


class ApiVersionMiddleware:
    """Every answer under /api/ says which version of the API gave it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            response["API-Version"] = VERSION
        return response
