"""The project's URLs plus the ceiling endpoint `POST /bench/bare/<uuid>`.

Mounted only by `bench.settings` (ROOT_URLCONF), never in production. The bare endpoint parses
the same JSON body as the real keystrokes endpoint and inserts one packed KeystrokeBatch row with
no checks at all: no authentication, no CSRF, no validation, no ownership lookup. It is the floor
of what storing a batch can cost through this stack (gunicorn, the middleware, the ORM, the pool).
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from lessons.models import KeystrokeBatch


@csrf_exempt
def bare(request: HttpRequest, session_id: uuid.UUID) -> JsonResponse:
    payload = json.loads(request.body)
    KeystrokeBatch.objects.create(session_id=session_id, seq=payload["seq"], keys=payload["keys"])
    return JsonResponse({"seq": payload["seq"], "stored": True}, status=201)


urlpatterns = [
    path("bench/bare/<uuid:session_id>", bare, name="bench_bare"),
    path("", include("typingtrainer.urls")),
]
