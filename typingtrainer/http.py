"""The HTTP edge: request types for type checking, which part of a page an HTMX request gets,
who sent a request (behind proxies too), and what a JSON body may look like before it is
parsed."""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from .models import User


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it, for type checking views."""

    htmx: HtmxDetails


class LearnerHttpRequest(HtmxHttpRequest):
    """A request to a @login_required view: the user is a logged-in learner."""

    user: User


# --- Whole page or fragment ---------------------------------------------------------------------


def wants_fragment(request: HttpRequest) -> bool:
    """An HTMX request swaps a part of the page (a boosted link wants the whole page)."""
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.boosted


def render_fragment(
    request: HttpRequest,
    template: str,
    fragment: str,
    context: dict[str, Any],
    *,
    status: int | None = None,
) -> HttpResponse:
    """Only the named partial (django-template-partials' `template#fragment`) of `template`."""
    return render(request, f"{template}#{fragment}", context, status=status)


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str,
    status: int | None = None,
) -> HttpResponse:
    """The whole page, or only its `fragment` when an HTMX request swaps that part in: the one
    way every view with a fragment chooses."""
    if wants_fragment(request):
        return render_fragment(request, template, fragment, context, status=status)
    return render(request, template, context, status=status)


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


# --- JSON bodies ---------------------------------------------------------------------------------

_STRUCTURE = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'"[]{}')


class BadJson(ValueError):
    """A request body that is not the JSON an endpoint takes; the message says what is wrong."""


def parse_json(body: bytes, *, max_depth: int) -> Any:
    """Parse a UTF-8 JSON body whose arrays and objects nest at most `max_depth` deep.

    Deeper bodies are refused before parsing: json.loads recurses once per level, and a
    thousand levels (a few kilobytes) end in RecursionError. The check is a few C-level passes
    over the bytes, a fraction of what parsing costs (bench/json_depth.py)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJson("The body must be JSON in UTF-8.") from exc
    structure = body
    if b"\\" in structure:  # escapes live only in strings; \\ and \" would mislead the rest
        structure = structure.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Only quotes and brackets are left, objects' braces as brackets. Dropping each pair of
    # adjacent quotes keeps every other byte inside or outside a string as it was, and empties
    # the strings of a typical batch (one letter each) in one pass.
    structure = structure.translate(_STRUCTURE, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in structure:  # strings with brackets in them: keep what lies between strings
        structure = b"".join(structure.split(b'"')[::2])
    # Each pass removes the innermost level of every nest; well-formed JSON that nests at most
    # max_depth deep is then empty.
    for _ in range(max_depth):
        if b"[]" not in structure:
            break
        structure = structure.replace(b"[]", b"")
    if structure:
        if b"[]" in structure:
            raise BadJson(f"The body must not nest arrays or objects more than {max_depth} deep.")
        raise BadJson("The body must be JSON.")  # unbalanced brackets
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadJson("The body must be JSON.") from exc
