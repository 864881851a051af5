"""A fixed-window request counter in the cache, for per-learner limits on our own endpoints
(allauth limits login and signup itself)."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int = 60) -> bool:
    """Count one request under `key`; False once more than `limit` were made this window."""
    bucket = f"ratelimit:{key}:{int(time.time() // window)}"
    if hasattr(cache, "count"):  # Redis (typingtrainer.cache): one round trip
        return bool(cache.count(bucket, window + 1) <= limit)
    if cache.add(bucket, 1, timeout=window + 1):
        return True
    try:
        return cache.incr(bucket) <= limit
    except ValueError:  # the bucket expired between add and incr: this is its first request
        cache.add(bucket, 1, timeout=window + 1)
        return True
