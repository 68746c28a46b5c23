"""Per-user read cache: Redis in production, process memory in the embedded default.

Values are text (usually ready-to-send JSON), so a cache hit skips model validation and
serialisation entirely.

Entries live in one hash per user with a version field. Every write bumps the version and drops
the entries, and a read only stores what it computed if the version it saw before querying is
still current. That closes the race where a slow read would otherwise re-cache rows from before a
write that committed while it ran. A cache outage never fails a request: reads go to the database.

An invalidation sent to Redis can be lost (Redis unreachable for the writer, then back with its
data). So with Redis, per-user keys also carry the user's `users.cache_version`, which the
database bumps inside every write's transaction (triggers, migration 0006_a): a write that
Redis never heard of still moves readers to new keys, and the old entries are never read
again (see `auth.service.cache_state`). The in-process cache cannot miss an invalidation, so
it needs no database read (`reliable_invalidation`).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import Response
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core import metrics
from app.core.redisbatch import RedisBatch

log = logging.getLogger("nexfitra.cache")

_VERSION = "_v"
# Entries one scope's hash may hold before a write starts it afresh from its version. Log writes
# no longer drop a user's hash (readers key their entries by the database's cache version, so
# older entries are unreachable), and without this bound a busy user's hash would only ever grow
# until its TTL.
MAX_FIELDS = 32

_SET_IF_VERSION = """
local cur = redis.call('HGET', KEYS[1], '_v')
if (cur or '') ~= ARGV[1] then return 0 end
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[5]) then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], '_v', ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""


class Cache(Protocol):
    # True when an invalidation can never be lost (the in-process cache); False for Redis,
    # where reads must key entries by the database's per-user cache version.
    reliable_invalidation: bool

    async def get(self, scope: str, key: str) -> tuple[str | None, str]:
        """Cached text (or None) and the scope version to hand back to `put`."""

    async def put(self, scope: str, key: str, value: str, version: str) -> None: ...

    async def invalidate(self, scope: str) -> None: ...

    def redis_location(self, scope: str, key: str) -> tuple[str, str] | None:
        """The (hash key, field) holding an entry in Redis, so a script that already makes a
        round trip (the rate limiter's) can read it too; None when the cache is not Redis."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


async def cached(
    cache: Cache,
    scope: str,
    key: str,
    compute: Callable[[], Awaitable[str | None]],
    *,
    versioned: bool = False,
) -> str | None:
    """Read-through: the cached text, or `compute()`'s, stored unless it is None.

    `versioned`: the key carries the user's `users.cache_version` (auth.service.cache_state),
    so this process may also answer from its own copy (`LocalCopies`)."""
    local, value, version = await _lookup(cache, scope, key, versioned)
    if value is not None:
        return value
    metrics.CACHE_MISS.inc()
    result = await compute()
    if result is not None:
        await cache.put(scope, key, result, version)
        if local is not None:
            local.put(scope, key, result)
    return result


async def cached_hit(cache: Cache, scope: str, key: str, *, versioned: bool = False) -> str | None:
    """The cached text or None, without computing anything on a miss (and without counting
    one: the caller answers a miss the usual way, through `cached`, which counts it)."""
    return (await _lookup(cache, scope, key, versioned))[1]


async def _lookup(
    cache: Cache, scope: str, key: str, versioned: bool
) -> tuple[LocalCopies | None, str | None, str]:
    """This process's copy (for a versioned key), else the cache's entry, copied here on a
    hit; a hit is counted. Answers the process's copies (None when the key is not versioned
    or the cache keeps none), the text or None, and the version to hand `put` on a miss."""
    local: LocalCopies | None = getattr(cache, "local", None) if versioned else None
    if local is not None:
        hit = local.get(scope, key)
        if hit is not None:
            metrics.CACHE_HIT.inc()
            return local, hit, ""
    value, version = await cache.get(scope, key)
    if value is not None:
        metrics.CACHE_HIT.inc()
        if local is not None:
            local.put(scope, key, value)
    return local, value, version


class LocalCopies:
    """This process's copies of Redis entries whose keys carry the user's cache version.

    Such a key names one state of the user's data: every write that could change the entry
    bumps `users.cache_version` in its own transaction (the cache rule in ARCHITECTURE.md), and
    readers then ask for another key. An entry computed after reading version N holds data at
    least as new as N, so serving it to a reader that read N is exactly what Redis would do, and
    this copy needs neither Redis's version check nor its invalidations: a cached read then
    costs the database version read alone, without its Redis round trip. Invalidations this
    process sees still drop its copies, and entries live no longer than Redis's TTL. Bounded:
    least recently used users go first."""

    def __init__(self, ttl_seconds: int, max_scopes: int = 5000, max_keys: int = 64) -> None:
        self.ttl = ttl_seconds
        self.max_scopes = max_scopes
        self.max_keys = max_keys
        self._scopes: OrderedDict[str, dict[str, tuple[float, str]]] = OrderedDict()

    def get(self, scope: str, key: str) -> str | None:
        entries = self._scopes.get(scope)
        if entries is None:
            return None
        entry = entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del entries[key]
            return None
        self._scopes.move_to_end(scope)
        return entry[1]

    def put(self, scope: str, key: str, value: str) -> None:
        entries = self._scopes.get(scope)
        if entries is None:
            entries = self._scopes[scope] = {}
            if len(self._scopes) > self.max_scopes:
                self._scopes.popitem(last=False)
        elif len(entries) >= self.max_keys:
            entries.clear()  # keys of older versions, mostly
        entries[key] = (time.monotonic() + self.ttl, value)

    def drop(self, scope: str) -> None:
        self._scopes.pop(scope, None)

    def clear(self) -> None:
        self._scopes.clear()


class MemoryCache:
    reliable_invalidation = True

    def __init__(self, ttl_seconds: int) -> None:
        self.ttl = ttl_seconds
        self._data: dict[str, tuple[float, dict[str, Any]]] = {}

    def _scope(self, scope: str) -> dict[str, Any] | None:
        entry = self._data.get(scope)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._data[scope]
            return None
        return entry[1]

    async def get(self, scope: str, key: str) -> tuple[str | None, str]:
        data = self._scope(scope)
        if data is None:
            return None, ""
        return data.get(key), str(data.get(_VERSION, ""))

    async def put(self, scope: str, key: str, value: str, version: str) -> None:
        data = self._scope(scope)
        if str((data or {}).get(_VERSION, "")) != version:
            return
        if data is None:
            data = {}
        data[key] = value
        self._data[scope] = (time.monotonic() + self.ttl, data)
        if len(self._data) > 50_000:
            self._evict()

    async def invalidate(self, scope: str) -> None:
        data = self._scope(scope) or {}
        version = int(data.get(_VERSION, 0) or 0) + 1
        self._data[scope] = (time.monotonic() + self.ttl, {_VERSION: version})

    def redis_location(self, scope: str, key: str) -> tuple[str, str] | None:
        return None

    def _evict(self) -> None:
        now = time.monotonic()
        for k in [k for k, (exp, _) in self._data.items() if exp < now]:
            del self._data[k]

    def clear(self) -> None:
        self._data.clear()

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisCache:
    reliable_invalidation = False

    def __init__(
        self,
        client: Redis,
        ttl_seconds: int,
        prefix: str = "nf:c:",
        batch: RedisBatch | None = None,
    ) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.prefix = prefix
        self.local = LocalCopies(ttl_seconds)
        self._set = client.register_script(_SET_IF_VERSION)
        # Invalidations leave with the other Redis work of the same turn, as one Lua script
        # (core/redisbatch.py: bump the version, drop the entries, keep the version).
        self._batch = batch or RedisBatch(client)

    async def get(self, scope: str, key: str) -> tuple[str | None, str]:
        try:
            raw, version = await self.client.hmget(self.prefix + scope, [key, _VERSION])
        except (RedisError, OSError) as exc:
            log.warning("cache read skipped: %s", exc)
            return None, "unavailable"
        value = raw.decode() if isinstance(raw, bytes) else raw
        return value, (version.decode() if isinstance(version, bytes) else (version or ""))

    async def put(self, scope: str, key: str, value: str, version: str) -> None:
        if version == "unavailable":
            return
        try:
            await self._set(
                keys=[self.prefix + scope],
                args=[version, key, value, self.ttl, MAX_FIELDS],
            )
        except (RedisError, OSError) as exc:
            log.warning("cache write skipped: %s", exc)

    async def invalidate(self, scope: str) -> None:
        self.local.drop(scope)
        try:
            await self._batch.invalidate(self.prefix + scope, self.ttl)
        except (RedisError, OSError) as exc:
            # The TTL bounds how long a missed invalidation can be visible.
            log.error("cache invalidation failed for %s: %s", scope, exc)

    def redis_location(self, scope: str, key: str) -> tuple[str, str] | None:
        return self.prefix + scope, key

    async def ping(self) -> None:
        await self.client.ping()

    async def close(self) -> None:
        await self.client.aclose()


def user_scope(user_id: object) -> str:
    """Reads derived from the user's logs and goals; every log or goal write drops them."""
    return f"user:{user_id}"


def profile_scope(user_id: object) -> str:
    """Account settings such as the time zone, read on every write but rarely changed."""
    return f"user:{user_id}:profile"


# The key under `profile_scope` where `auth.service.get_timezone` caches the user's zone.
TIMEZONE_KEY = "tz"


def json_response(text: str) -> Response:
    """Sends already-serialised JSON as is (FastAPI skips response_model work for a Response)."""
    return Response(content=text, media_type="application/json")
