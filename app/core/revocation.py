"""Access tokens refused before they expire: a small per-user "not before" list.

Access tokens are stateless JWTs checked without a database read, so deactivating an account
would otherwise leave its access tokens working for up to ACCESS_TOKEN_MINUTES. Each entry says
"tokens of this user issued before second N are refused" (N infinite while the account is
disabled) and only needs to live as long as an access token does: after that every token it
could refuse has expired on its own, and an inactive account cannot obtain new ones.

The Redis variant keeps the list in one hash shared by every API process. Reading Redis on every
request would add a round trip to the hottest routes, so each process holds a copy, refreshed at
most once a second when a request needs it; the process that revokes applies it at once.
If Redis is unreachable the last copy is used.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("nexfitra.revocation")

FOREVER = math.inf
_REFRESH_S = 1.0


class Revocations(Protocol):
    async def revoke(self, user_id: uuid.UUID, not_before: float, ttl_s: int) -> None:
        """Refuses the user's tokens issued before `not_before` (Unix seconds; FOREVER for
        all) during the next `ttl_s` seconds. A later call replaces an earlier one."""

    async def is_revoked(self, user_id: uuid.UUID, issued_at: float) -> bool: ...

    def clear(self) -> None:
        """Forgets this process's entries (tests; Redis entries are dropped with the DB)."""


def _encode(not_before: float, expires_at: float) -> str:
    return f"{not_before}|{expires_at}"


def _decode(raw: str) -> tuple[float, float]:
    nb, exp = raw.split("|", 1)
    return float(nb), float(exp)


class MemoryRevocations:
    def __init__(self) -> None:
        self._entries: dict[uuid.UUID, tuple[float, float]] = {}

    async def revoke(self, user_id: uuid.UUID, not_before: float, ttl_s: int) -> None:
        now = time.time()
        self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
        self._entries[user_id] = (not_before, now + ttl_s)

    async def is_revoked(self, user_id: uuid.UUID, issued_at: float) -> bool:
        entry = self._entries.get(user_id)
        return entry is not None and entry[1] > time.time() and issued_at < entry[0]

    def clear(self) -> None:
        self._entries.clear()


class RedisRevocations:
    def __init__(self, client: Redis, key: str = "nf:revoked") -> None:
        self.client = client
        self.key = key
        self._copy: dict[str, tuple[float, float]] = {}
        self._loaded_at = -math.inf
        self._lock = asyncio.Lock()

    async def revoke(self, user_id: uuid.UUID, not_before: float, ttl_s: int) -> None:
        expires_at = time.time() + ttl_s
        self._copy[str(user_id)] = (not_before, expires_at)
        # Errors propagate: a revocation that did not reach the other processes must not look
        # successful to the admin who asked for it.
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self.key, str(user_id), _encode(not_before, expires_at))
            # Every entry has the same lifetime, so the newest one bounds the hash's.
            pipe.expire(self.key, ttl_s)
            await pipe.execute()

    async def _refresh(self) -> None:
        if self._lock.locked():
            return  # another request is refreshing; this one uses the copy it has
        async with self._lock:
            now = time.time()
            try:
                raw = await self.client.hgetall(self.key)
            except (RedisError, OSError) as exc:
                log.warning("revocation list not refreshed: %s", exc)
                self._loaded_at = time.monotonic()
                return
            copy: dict[str, tuple[float, float]] = {}
            stale: list[str] = []
            for k, v in raw.items():
                name = k.decode() if isinstance(k, bytes) else k
                entry = _decode(v.decode() if isinstance(v, bytes) else v)
                if entry[1] > now:
                    copy[name] = entry
                else:
                    stale.append(name)
            if stale:
                try:
                    await self.client.hdel(self.key, *stale)
                except (RedisError, OSError):
                    pass
            self._copy = copy
            self._loaded_at = time.monotonic()

    async def is_revoked(self, user_id: uuid.UUID, issued_at: float) -> bool:
        if time.monotonic() - self._loaded_at > _REFRESH_S:
            await self._refresh()
        if not self._copy:
            return False  # the usual case: no key to spell out for the lookup
        entry = self._copy.get(str(user_id))
        return entry is not None and entry[1] > time.time() and issued_at < entry[0]

    def clear(self) -> None:
        self._copy.clear()
        self._loaded_at = -math.inf
