"""Rate limits with GCRA (a token bucket kept as one timestamp per key).

The Redis variant runs as a Lua script using the server's clock (core/redisbatch.py), so
several API processes share a limit exactly; the memory variant is for the embedded
single-process default. If Redis is unreachable the Redis variant falls back to a memory
limiter of its own: the limits keep holding per process (a Redis outage must not open the
door to password guessing), and no request fails because the limiter's store is down.

A hit can also read one hash field on the same Redis server (`also_read`). The write routes need
the user's cached time zone right after the limiter, and fetching both in one script saves a
round trip on every write.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.redisbatch import RedisBatch

log = logging.getLogger("nexfitra.ratelimit")


@dataclass(frozen=True, slots=True)
class RateResult:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int
    reset_s: int
    # The `also_read` field's value: None when it is absent, was not asked for, or the backend
    # cannot read it (memory limiter, Redis down); callers then read it the ordinary way.
    read: str | None = None
    window_s: int = 60

    def headers(self) -> dict[str, str]:
        h = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": f"{self.limit};w={self.window_s}",
        }
        if not self.allowed:
            h["Retry-After"] = str(self.retry_after_s)
        return h


def _result(
    allowed: bool,
    limit: int,
    remaining: float,
    retry_ms: float,
    reset_ms: float,
    read: str | None = None,
    window_s: int = 60,
) -> RateResult:
    retry_after_s = max(1, math.ceil(retry_ms / 1000)) if not allowed else 0
    return RateResult(
        allowed=allowed,
        limit=limit,
        remaining=max(0, int(remaining)),
        retry_after_s=retry_after_s,
        # Refused, the next request is allowed after Retry-After, so RateLimit-Reset (the
        # seconds until quota is available again) says the same; the bucket's full-refill
        # time (what it said before) told clients to wait up to a minute for nothing.
        reset_s=retry_after_s if not allowed else max(0, math.ceil(reset_ms / 1000)),
        read=read,
        window_s=window_s,
    )


class RateLimiter(Protocol):
    async def hit(
        self,
        key: str,
        limit_per_minute: int,
        *,
        also_read: tuple[str, str] | None = None,
        window_s: int = 60,
    ) -> RateResult:
        """Spends one unit of `key`'s budget. `also_read` is a (Redis hash key, field) pair to
        read in the same round trip when the request is allowed; see `RateResult.read`.
        `window_s` stretches the window: then `limit_per_minute` units per `window_s` seconds
        (one-time codes: a few an hour)."""

    async def close(self) -> None: ...


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    async def hit(
        self,
        key: str,
        limit_per_minute: int,
        *,
        also_read: tuple[str, str] | None = None,
        window_s: int = 60,
    ) -> RateResult:
        now = time.monotonic() * 1000
        interval = window_s * 1000 / limit_per_minute
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + interval
        # Equal to new_tat - interval * limit, but without adding and subtracting an interval:
        # with fractional millisecond clocks that rounding made the first hit of a limit of one
        # land just past its own allowance now and then (a flaky 429).
        allow_at = tat - interval * (limit_per_minute - 1)
        if now < allow_at:
            return _result(False, limit_per_minute, 0, allow_at - now, tat - now, None, window_s)
        self._tat[key] = new_tat
        if len(self._tat) > 100_000:
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        remaining = (now - allow_at) // interval
        return _result(True, limit_per_minute, remaining, 0, new_tat - now, None, window_s)

    def clear(self) -> None:
        self._tat.clear()

    async def close(self) -> None:
        return None


class RedisRateLimiter:
    def __init__(
        self, client: Redis, prefix: str = "nf:rl:", batch: RedisBatch | None = None
    ) -> None:
        self.client = client
        self.prefix = prefix
        # Hits leave with the other Redis work of the same turn, as one Lua script
        # (core/redisbatch.py, which holds the GCRA steps); `batch` shared with the cache on
        # the same client puts a write's invalidation and another's hit in one script.
        self._batch = batch or RedisBatch(client)
        # Used only while Redis is unreachable. Budgets spent there are not carried back to
        # Redis: with N processes, the limit during an outage is up to N times the configured
        # one, never unlimited.
        self.fallback = MemoryRateLimiter()

    async def hit(
        self,
        key: str,
        limit_per_minute: int,
        *,
        also_read: tuple[str, str] | None = None,
        window_s: int = 60,
    ) -> RateResult:
        # The script's window is interval * limit, so the interval alone sets its length.
        interval = window_s * 1000 / limit_per_minute
        try:
            reply = await self._batch.hit(self.prefix + key, interval, limit_per_minute, also_read)
        except (RedisError, OSError) as exc:
            log.warning("rate limiter: Redis unavailable, limiting in process memory: %s", exc)
            return await self.fallback.hit(key, limit_per_minute, window_s=window_s)
        allowed, remaining, retry_ms, reset_ms = reply[:4]
        # A denied hit, or a field not set, answers only four values.
        read = reply[4] if len(reply) > 4 else None
        if isinstance(read, bytes):
            read = read.decode()
        return _result(
            bool(allowed), limit_per_minute, remaining, retry_ms, reset_ms, read, window_s
        )

    async def close(self) -> None:
        return None
