"""The API object, its one error shape, Bearer authentication, limits per token and pagination.

Every error the API answers with is `{"error": {"code", "message", "fields"}}`: the handlers below
turn ninja's validation errors, `HttpError`s, `Http404`s and our `ApiError` into it, so a router
never builds an error body itself."""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Sequence
from typing import Any, cast

import jwt
from allauth.headless.contrib.ninja.security import JWTTokenAuth
from allauth.headless.tokens.strategies.jwt import internal as jwt_internal
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser
from ninja.throttling import BaseThrottle
from pydantic import Field

from typingtrainer.http import BadJson, client_ip, parse_json
from typingtrainer.ratelimit import retry_after

from .routers.auth import AUTH_ENDPOINTS

logger = logging.getLogger(__name__)

VERSION = "1"

STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
}


class ApiError(Exception):
    """An answer other than success: `code` is stable for programs, `message` is for people."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or STATUS_CODES.get(status, "error")
        self.fields = fields or {}
        self.headers = headers or {}


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# --- Request bodies ------------------------------------------------------------------------------

# No request of the API nests deeper than a batch's keys (an object of arrays of arrays).
BODY_DEPTH = 8


class BodyParser(Parser):
    """JSON bodies as the widget's are read: depth-bounded before parsing, and refused when a
    string holds NUL, which PostgreSQL cannot store (the site's middleware catches raw NUL bytes;
    JSON spells it `\\u0000`)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = parse_json(request.body, max_depth=BODY_DEPTH)
        except BadJson as exc:
            refusal = str(exc)
        else:
            if not _holds_nul(data):
                return cast(dict[str, Any], data)
            refusal = "A value holds a NUL character (\\u0000); nothing accepts one."
        # ninja turns any parser exception into a 400 "Cannot parse request body"; the handler
        # of that 400 reads the reason from here.
        request.body_refusal = refusal  # type: ignore[attr-defined]
        raise ValueError(refusal)


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


# --- Authentication ------------------------------------------------------------------------------


class BearerAuth(JWTTokenAuth):
    """allauth headless's access token in `Authorization: Bearer …`; sets `request.user`.

    A refused token says why, so a client knows whether to refresh (expired) or log in again.
    The OpenAPI document describes it as HTTP Bearer: allauth's class says "apiKey" without the
    header name such a scheme needs, which makes the document invalid (schemathesis refuses it)."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "JWT"

    def __call__(self, request: HttpRequest) -> Any:
        payload = super().__call__(request)
        if payload is None and request.headers.get("Authorization"):
            raise AuthenticationError(401, _refusal(request.headers["Authorization"]))
        return payload


def _refusal(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "Send the access token as “Authorization: Bearer <token>”."
    config = jwt_internal._get_jwt_config()
    try:
        jwt.decode(token.strip(), key=config.verifying_key, algorithms=[config.algorithm])
    except jwt.ExpiredSignatureError:
        return "The access token has expired: refresh it."
    except jwt.PyJWTError:
        return "The access token is not valid."
    return "The access token's session has ended: log in again."


bearer = BearerAuth()


# --- Limits per token ----------------------------------------------------------------------------


class TokenThrottle(BaseThrottle):
    """Requests a minute per login session (the `sid` every access and refresh token of one login
    shares, so refreshing does not reset the count); per client address without a token. The
    site's fixed-window counter (one Redis round trip); ninja's own throttles keep per-request
    state on a shared object, which threads would mix up."""

    def __init__(self) -> None:
        self._wait = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        auth = getattr(request, "auth", None)
        # Each token encrypts the session key with its own IV: compare the keys, not the sids.
        sid = auth.get("sid") if isinstance(auth, dict) else None
        session_key = jwt_internal.session_key_from_sid(sid) if sid else None
        if session_key:
            who = "login:" + hashlib.sha256(session_key.encode()).hexdigest()[:32]
        else:
            who = f"ip:{client_ip(request)}"
        self._wait.seconds = retry_after(f"api:{who}", limit=settings.API_REQUESTS_PER_MINUTE)
        return not self._wait.seconds

    def wait(self) -> float | None:
        return getattr(self._wait, "seconds", None)


DESCRIPTION = (
    "The JSON API of TypingTrainer, for the mobile app and scripts. Send the access token as "
    "`Authorization: Bearer <token>`. Every error is "
    '`{"error": {"code", "message", "fields"}}`; lists take `page` and `page_size`.\n\n'
    "Accounts and tokens are allauth headless's app client (JWT access tokens, refresh tokens "
    "that rotate on every use):\n\n"
    + "\n".join(f"- `{ours}` → `{theirs}`" for ours, theirs in AUTH_ENDPOINTS.items())
)

api = NinjaAPI(
    title="TypingTrainer API",
    version=VERSION,
    description=DESCRIPTION,
    urls_namespace="api",
    auth=bearer,
    throttle=TokenThrottle(),
    parser=BodyParser(),
)


# --- Errors --------------------------------------------------------------------------------------


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.fields, exc.headers)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location: Sequence[Any] = error.get("loc", ())
        # ninja's locations start with where the value came from (body, query, path), then, for a
        # body, the view's parameter name: neither is a field the client sent.
        name = ".".join(str(part) for part in location[2 if location[:1] == ("body",) else 1 :])
        name = name or str(location[0] if location else "body")
        fields.setdefault(name, []).append(str(error.get("msg", "Not valid.")))
    return error_response(request, 422, "invalid", "Some values are not valid.", fields)


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = max(1, math.ceil(exc.wait or 1))
    return error_response(
        request,
        429,
        "rate_limited",
        f"Too many requests: try again in {wait} s.",
        headers={"Retry-After": str(wait)},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    if status == 400 and hasattr(request, "body_refusal"):
        return error_response(request, 400, "bad_json", request.body_refusal)
    return error_response(request, status, STATUS_CODES.get(status, "error"), str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(request, 413, "too_large", f"The body is over {limit} bytes.")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return error_response(request, 400, "bad_request", "The request is malformed.")


@api.exception_handler(DataError)
def _data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # A value the schema let through but the database cannot store (out of range, say).
    logger.warning("api: value refused by the database on %s: %s", request.path, exc)
    return error_response(request, 400, "bad_request", "A value is out of range.")


@api.exception_handler(DatabaseError)
def _database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    logger.exception("api: database unavailable on %s", request.path)
    return error_response(
        request,
        503,
        "unavailable",
        "The service is briefly unavailable: try again.",
        headers={"Retry-After": "5"},
    )


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("api: unhandled error on %s", request.path)
    return error_response(request, 500, "server_error", "Something went wrong on our side.")


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/: the API's 404, not the site's HTML page. CSRF-exempt as the
    API's own views are: else a POST to, say, /lessons/-1/start (no route takes a negative id)
    got the CSRF failure page, a 403 in HTML."""
    return error_response(request, 404, "not_found", f"No endpoint at {request.path}.")


# --- Pagination ----------------------------------------------------------------------------------


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


def paginate(items: Any, query: PageQuery) -> dict[str, Any]:
    """One page of a QuerySet (or list): `items`, `total`, `page`, `page_size`. A page past the
    end is empty, not an error, so a client can stop when `items` is."""
    total = len(items) if isinstance(items, list) else items.count()
    start = (query.page - 1) * query.page_size
    return {
        "items": list(items[start : start + query.page_size]),
        "total": total,
        "page": query.page,
        "page_size": query.page_size,
    }


# --- Routers -------------------------------------------------------------------------------------

from .routers import ai, auth, courses, lessons, payments, stats, users  # noqa: E402

api.add_router("/auth", auth.router)
api.add_router("/users", users.router)
api.add_router("/users", stats.me_router)
api.add_router("/courses", courses.router)
api.add_router("/lessons", lessons.router)
api.add_router("/stats", stats.router)
api.add_router("/ai", ai.router)
api.add_router("/payments", payments.router)
