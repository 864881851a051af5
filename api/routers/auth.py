"""Who the token belongs to. Register, login, logout, refresh and the password reset are allauth
headless's own endpoints (the "app" client, JWT strategy), mapped in `AUTH_ENDPOINTS`."""

from __future__ import annotations

from ninja import Router

from ..schemas import AUTH_ERRORS, UserOut

router = Router(tags=["auth"])

# The original design's /auth/* → where allauth headless serves it.
AUTH_ENDPOINTS = {
    "POST /auth/register": "POST /_allauth/app/v1/auth/signup",
    "POST /auth/login": "POST /_allauth/app/v1/auth/login",
    "POST /auth/logout": "DELETE /_allauth/app/v1/auth/session",
    "POST /auth/refresh": "POST /_allauth/app/v1/tokens/refresh",
    "POST /auth/forgot-password": "POST /_allauth/app/v1/auth/password/request",
    "POST /auth/reset-password": "POST /_allauth/app/v1/auth/password/reset",
    "GET /auth/me": "GET /api/v1/auth/me (the same as GET /api/v1/users/me)",
}


@router.get("/me", response={200: UserOut, **AUTH_ERRORS}, summary="The learner of the token")
def me(request):
    return UserOut.of(request.user)
