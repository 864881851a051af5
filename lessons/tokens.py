"""The practice write token (DESIGN §3): what lets a request write to one practice session.

`start` hands it out with the session; the keystroke and completion endpoints take it in the
`X-Practice-Token` header and read neither a cookie nor the user. It is signed with Django's
signing (SECRET_KEY, and SECRET_KEY_FALLBACKS while a key is rotated), names the session, its
owner (the user's id, or a hash of a visitor's guest key — never the key itself), the session's
start time (the pace bound counts from it) and when it expires."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

SALT = "lessons.practice-token"
HEADER = "X-Practice-Token"
META_HEADER = "HTTP_X_PRACTICE_TOKEN"


class TokenError(Exception):
    """The token is missing, invalid or expired; `code` says which (the 401's "code")."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Token:
    session: str  # the session's id, as text
    owner: str  # "u<user id>" or "g<hash of the guest key>"
    started: float  # the session's start, epoch seconds
    expires: int  # epoch seconds

    @property
    def user_id(self) -> int | None:
        """The owner's user id; None for a guest."""
        return int(self.owner[1:]) if self.owner.startswith("u") else None


def lifetime() -> int:
    return int(getattr(settings, "PRACTICE_TOKEN_SECONDS", 1800))


def grace() -> int:
    return int(getattr(settings, "PRACTICE_TOKEN_GRACE_SECONDS", 3600))


def owner_of(*, user_id: int | None, guest_key: str) -> str:
    if user_id is not None:
        return f"u{user_id}"
    digest = hashlib.sha256(f"{SALT}:{guest_key}".encode()).hexdigest()[:32]
    return f"g{digest}"


def issue(*, session: Any, user_id: int | None, guest_key: str, started: float) -> Token:
    return Token(
        session=str(session),
        owner=owner_of(user_id=user_id, guest_key=guest_key),
        started=round(started, 3),
        expires=int(time.time()) + lifetime(),
    )


def for_session(session: Any) -> Token:
    """A fresh token for a PracticeSession."""
    return issue(
        session=session.pk,
        user_id=session.user_id,
        guest_key=session.guest_key,
        started=session.started_at.timestamp(),
    )


def grant(session: Any) -> dict[str, Any]:
    """What starting and renewing answer: a fresh signed token for the session and its expiry."""
    token = for_session(session)
    return {"token": sign(token), "expires": token.expires}


def sign(token: Token) -> str:
    payload = {"s": token.session, "o": token.owner, "t": token.started, "e": token.expires}
    return signing.dumps(payload, salt=SALT, compress=False)


def verify(value: str | None, session: Any, *, grace_seconds: int = 0) -> Token:
    """The token in `value` when it is for `session` and has not expired (more than
    `grace_seconds` ago); raises TokenError otherwise."""
    if not value:
        raise TokenError(
            "token_missing", f"The request needs the session's token in the {HEADER} header."
        )
    try:
        payload = signing.loads(value, salt=SALT)
        token = Token(
            session=str(payload["s"]),
            owner=str(payload["o"]),
            started=float(payload["t"]),
            expires=int(payload["e"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise TokenError("token_invalid", "The practice token is not valid.") from None
    if token.session != str(session):
        raise TokenError("token_invalid", "The practice token is for another session.")
    if token.expires + grace_seconds < time.time():
        raise TokenError(
            "token_expired", "The practice token has expired; renew it and send again."
        )
    return token
