"""The Redis cache backend (typingtrainer.cache) against a real Redis."""

from __future__ import annotations

import os
import socket

import pytest

from typingtrainer import ratelimit
from typingtrainer.cache import RedisCache

# CI sets REDIS_URL (and so runs every test on this backend); locally the default Redis.
URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"


@pytest.fixture
def redis_cache():
    if not os.environ.get("REDIS_URL"):
        try:
            socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        except OSError:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
    cache = RedisCache(URL, {"KEY_PREFIX": "cache-test"})
    cache.clear()
    yield cache
    cache.clear()


def test_the_django_cache_api_still_works(redis_cache):
    redis_cache.set("greeting", {"text": "hello"}, 30)
    assert redis_cache.get("greeting") == {"text": "hello"}
    assert redis_cache.add("greeting", "other") is False
    with pytest.raises(ValueError, match="not found"):
        redis_cache.incr("missing")
    redis_cache.set("n", 1)
    assert redis_cache.incr("n") == 2
    redis_cache.delete("greeting")
    assert redis_cache.get("greeting") is None


def test_one_redis_client_serves_every_call(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    redis_cache.set("a", 1)
    assert redis_cache._cache.get_client() is client
    assert redis_cache._cache.get_client(write=True) is client


def test_count_starts_at_one_and_keeps_its_first_expiry(redis_cache):
    assert [redis_cache.count("hits", 100) for _ in range(3)] == [1, 2, 3]
    redis_cache.count("hits", 5)  # a later, shorter timeout does not move the window's end
    raw = redis_cache._cache.get_client()
    ttl = raw.ttl(redis_cache.make_and_validate_key("hits"))
    assert 90 < ttl <= 100
    assert redis_cache.get("hits") == 4


def test_rate_limit_on_redis_allows_the_limit_then_refuses(redis_cache, monkeypatch):
    monkeypatch.setattr(ratelimit, "cache", redis_cache)
    waits = [ratelimit.retry_after("typist:7", limit=3) for _ in range(4)]
    assert waits[:3] == [0, 0, 0]
    assert 1 <= waits[3] <= 60  # refused until the minute's window ends
    assert ratelimit.retry_after("typist:8", limit=3) == 0  # others are counted apart
