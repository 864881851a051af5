"""A fixed-window request counter in the cache, for per-learner limits on our own endpoints
(allauth limits login and signup itself; typingtrainer.accounts tells its 429s how long to wait)."""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.utils.translation import ngettext


def retry_after(key: str, *, limit: int, window: int = 60) -> int:
    """Count one request under `key`. 0 while at most `limit` were made this window; after that,
    the whole seconds until the window resets, for a 429's Retry-After and its message."""
    now = time.time()
    index = int(now // window)
    bucket = f"ratelimit:{key}:{index}"
    if _count(bucket, window + 1) <= limit:
        return 0
    return max(1, math.ceil((index + 1) * window - now))


def _count(bucket: str, timeout: int) -> int:
    if hasattr(cache, "count"):  # Redis (typingtrainer.cache): one round trip
        return int(cache.count(bucket, timeout))
    if cache.add(bucket, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(bucket))
    except ValueError:  # the bucket expired between add and incr: this is its first request
        cache.add(bucket, 1, timeout=timeout)
        return 1


def wait_phrase(seconds: int) -> str:
    """How long a limit lasts, for people: "12 seconds", "1 minute", "5 minutes"."""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
