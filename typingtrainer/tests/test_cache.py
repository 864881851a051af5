"""The Redis cache backend (typingtrainer.cache) against a real Redis."""

from __future__ import annotations

import os
import socket

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError

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


@pytest.fixture
def stopped_redis_cache(own_redis):
    """Our backend on a Redis of its own that has been stopped."""
    cache = RedisCache(own_redis.url, {"KEY_PREFIX": "cache-test"})
    cache.set("kept", "value")
    own_redis.stop()
    return cache


def test_a_stopped_redis_answers_every_read_as_a_miss(stopped_redis_cache):
    assert stopped_redis_cache.get("kept") is None
    assert stopped_redis_cache.get("kept", "fallback") == "fallback"
    assert stopped_redis_cache.get_many(["kept", "other"]) == {}
    assert stopped_redis_cache.has_key("kept") is False
    assert stopped_redis_cache.get_or_set("computed", lambda: 42) == 42


def test_a_stopped_redis_stores_nothing_and_says_so(stopped_redis_cache):
    stopped_redis_cache.set("a", 1)
    assert stopped_redis_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # not stored
    assert stopped_redis_cache.touch("a") is False
    assert stopped_redis_cache.delete("a") is False
    stopped_redis_cache.delete_many(["a", "b"])
    stopped_redis_cache.clear()
    with pytest.raises(ValueError, match="not found"):
        stopped_redis_cache.incr("a")


def test_add_claims_the_key_while_redis_is_stopped(stopped_redis_cache):
    # allauth's rate-limit lock is an add: False would refuse every login.
    assert stopped_redis_cache.add("lock", True) is True


def test_a_counter_is_zero_while_redis_is_stopped_so_limits_fail_open(
    stopped_redis_cache, monkeypatch
):
    monkeypatch.setattr(ratelimit, "cache", stopped_redis_cache)
    assert stopped_redis_cache.count("hits", 60) == 0
    assert [ratelimit.retry_after("typist:7", limit=1) for _ in range(3)] == [0, 0, 0]


def test_ping_raises_while_redis_is_stopped(stopped_redis_cache):
    with pytest.raises(RedisConnectionError):
        stopped_redis_cache.ping()


def test_an_outage_is_logged_once_a_minute_per_kind_not_once_a_call(stopped_redis_cache, caplog):
    for _ in range(50):
        stopped_redis_cache.get("kept")
        stopped_redis_cache.set("kept", "value")
        stopped_redis_cache.count("hits", 60)

    lines = [r.getMessage() for r in caplog.records if r.name == "typingtrainer.cache"]
    assert len(lines) == 3
    assert all(line.startswith("Redis is unreachable") for line in lines)
    assert "Connection refused" in lines[0]


def test_the_cache_works_again_when_redis_is_back(stopped_redis_cache, own_redis):
    assert stopped_redis_cache.get("kept") is None

    own_redis.start()

    stopped_redis_cache.ping()
    assert stopped_redis_cache.get("kept") == "value"  # kept in its append-only file
    stopped_redis_cache.set("new", 1)
    assert stopped_redis_cache.get("new") == 1


def test_a_key_deleted_while_redis_is_stopped_is_gone_when_it_is_back(
    stopped_redis_cache, own_redis
):
    stopped_redis_cache.delete("kept")

    own_redis.start()

    assert stopped_redis_cache.get("kept") is None
    raw = redis.Redis.from_url(own_redis.url)
    assert raw.exists(stopped_redis_cache.make_and_validate_key("kept")) == 0
