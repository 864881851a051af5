"""The HTTP edge: request types for type checking, and who sent a request (behind proxies too)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from .models import User


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it, for type checking views."""

    htmx: HtmxDetails


class LearnerHttpRequest(HtmxHttpRequest):
    """A request to a @login_required view: the user is a logged-in learner."""

    user: User


# --- Who sent the request ------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request`: what rate limits count and logs show.

    With TRUSTED_PROXY_COUNT = 0 it is the peer (REMOTE_ADDR) and X-Forwarded-For is ignored,
    since any client can send one. Behind N proxies of ours it is the N-th address from the right
    of X-Forwarded-For: each proxy appends the address it saw, so everything left of that came
    from the client and proves nothing."""
    return forwarded_client(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXY_COUNT,
    )


def forwarded_client(remote_addr: str, forwarded_for: str, trusted_proxies: int) -> str:
    """`client_ip` from its parts, for callers without a Django request (gunicorn's access log)."""
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    hops = forwarded_for.split(",")
    # Fewer hops than proxies: the request skipped an outer proxy; the first hop is the farthest
    # address one of ours saw.
    hop = hops[-trusted_proxies] if len(hops) >= trusted_proxies else hops[0]
    return _address(hop) or remote_addr


def _address(hop: str) -> str | None:
    """The IP address in one X-Forwarded-For hop ("203.0.113.7", "203.0.113.7:5120",
    "[2001:db8::1]:443"), or None for anything else."""
    hop = hop.strip()
    for candidate in (hop, hop.rpartition(":")[0].strip("[]")):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
