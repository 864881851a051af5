"""Django's Redis cache backend, with three changes: two that matter on the keystroke endpoint,
one for when Redis is down.

- Django's client builds a new `redis.Redis` for every cache call, and each one fills a table
  of ~250 response callbacks (about 0.1 ms of Python, several times a request). Ours keeps one
  client per connection pool (clients are thread-safe; the pool holds the sockets either way).
- `count(key, timeout)`: increment a counter and start its expiry in one round trip, where
  Django's `add` + `incr` take three (`incr` checks the key exists first).
- Redis unreachable (stopped, restarting, a network fault): Django's backend raises on every
  call, and since sessions are read through the cache (`cached_db`), every logged-in request
  was a 500. Ours answers as a cache that has just lost everything: reads miss, writes are
  dropped, counters are 0 (so rate limits let requests through), and a warning is logged at
  most once a minute per kind. Sessions then come from the database; nothing needs a restart
  when Redis is back, as redis-py reconnects on the next call. A key whose deletion failed is
  deleted once Redis answers again: a session ended during the outage (a logout) must not
  come back from a Redis that kept it. `ping()` is the one call that still raises, for the
  readiness check.

django-redis 7.0 with IGNORE_EXCEPTIONS was measured against this with Redis stopped: its `add`
answers None, so allauth's lock waited 1 s and refused every login (429), our rate limit's
add + incr raised TypeError on every keystroke batch (500), and it logged an ERROR with a
traceback for each failed call (600 for 200 requests; 3 lines here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What an unreachable Redis raises; redis-py wraps most socket errors, OSError catches the rest.
# Anything else (a wrong type, an out-of-memory refusal) is a bug or a misconfiguration and is
# raised as before.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY_S = 60.0
MAX_UNDELETED = 10_000  # session keys are ~40 bytes: at most ~0.5 MB remembered per process

READ = "so the cache answers as empty"
WRITE = "so nothing is stored in the cache"
T = TypeVar("T")


class RedisCacheClient(django_redis.RedisCacheClient):
    # Django's own (private) members, which django-stubs leave out.
    _client: Callable[..., Any]
    _get_connection_pool: Callable[[bool], Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def count(self, key: str, timeout: int) -> int:
        pipe = self.get_client(key, write=True).pipeline()
        pipe.incr(key)
        pipe.expire(key, timeout, nx=True)
        value, _ = pipe.execute()
        return int(value)


class RedisCache(django_redis.RedisCache):
    _cache: RedisCacheClient  # a cached property of Django's, built from self._class

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._warned_at: dict[str, float] = {}
        self._undeleted: set[str] = set()

    def _unreachable(self, what: str, exc: BaseException) -> None:
        """Log that Redis is unreachable, once a minute per `what`: an outage must show in the
        log without a line for each of the thousands of calls it fails."""
        now = time.monotonic()
        if now - self._warned_at.get(what, -WARN_EVERY_S) >= WARN_EVERY_S:
            self._warned_at[what] = now
            logger.warning("Redis is unreachable, %s (%s: %s)", what, exc.__class__.__name__, exc)

    def _retry_deletes(self) -> None:
        """Delete what could not be deleted while Redis was unreachable, before anything else
        (a read included) reaches it."""
        keys, self._undeleted = self._undeleted, set()
        try:
            self._cache.delete_many(list(keys))
        except UNREACHABLE:
            self._undeleted |= keys
        else:
            logger.info("Redis answers again; deleted %d keys held over from the outage", len(keys))

    def _guarded(self, what: str, fallback: T, call: Callable[[], T]) -> T:
        if self._undeleted:
            self._retry_deletes()
        try:
            return call()
        except UNREACHABLE as exc:
            self._unreachable(what, exc)
            return fallback

    def ping(self) -> None:
        """Raise unless Redis answers: the readiness check must see what every other call
        hides."""
        self._cache.get_client(write=True).ping()
        if self._undeleted:
            self._retry_deletes()

    def count(self, key: str, timeout: int, version: int | None = None) -> int:
        """Add one to the counter `key` (0 when absent) and return it; a new counter expires
        after `timeout` seconds. 0 while Redis is unreachable: limits fail open."""
        made = self.make_and_validate_key(key, version=version)
        return self._guarded(
            "so rate limits are not enforced", 0, partial(self._cache.count, made, timeout)
        )

    # Django's cache API: a miss for every read, nothing stored for every write.

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guarded(READ, default, partial(super().get, key, default, version))

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        return self._guarded(READ, {}, partial(super().get_many, keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(READ, False, partial(super().has_key, key, version))

    def add(
        self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        """True while Redis is unreachable, as for an absent key: callers use `add` to claim a
        key (allauth's rate-limit lock among them), and False would make allauth wait a second
        and then refuse the login."""
        return self._guarded(WRITE, True, partial(super().add, key, value, timeout, version))

    def set(
        self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._guarded(WRITE, None, partial(super().set, key, value, timeout, version))

    def set_many(
        self,
        data: dict[Any, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[Any]:
        # Django's contract: the keys that were not stored.
        return self._guarded(WRITE, list(data), partial(super().set_many, data, timeout, version))

    def touch(
        self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._guarded(WRITE, False, partial(super().touch, key, timeout, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE as exc:
            self._unreachable(WRITE, exc)
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)") from exc

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._delete([self.make_and_validate_key(key, version=version)]) > 0

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        if made:
            self._delete(made)

    def _delete(self, keys: list[str]) -> int:
        """Delete `keys` (made keys); while Redis is unreachable, remember them for later."""
        if self._undeleted:
            self._retry_deletes()
        try:
            return int(self._cache.get_client(write=True).delete(*keys))
        except UNREACHABLE as exc:
            self._unreachable("so deletions wait until it is back", exc)
            if len(self._undeleted) + len(keys) <= MAX_UNDELETED:
                self._undeleted.update(keys)
            return 0

    def clear(self) -> None:
        self._guarded(WRITE, None, super().clear)
