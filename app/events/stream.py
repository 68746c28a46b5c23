"""The live stream of a user's own events (server-sent events).

Each connection reads the user's stream on the event bus (Redis: `nf:ev:u:<user>`, written by
the relay, so it works across API processes; in-process otherwise). The SSE `id` of each event
is its stream id, so a client that reconnects with `Last-Event-ID` resumes right after the last
event it saw. Open connections per user are capped (Redis: a sorted set of connection leases
shared by every API process, each lease refreshed while the connection lives).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.errors import RateLimited, Unprocessable
from app.core.eventbus import EventBus

STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
LEASE_S = 60.0


class TooManyStreams(RateLimited):
    code, title = "too-many-streams", "Too many open streams"


class BadLastEventId(Unprocessable):
    code, title = "invalid-last-event-id", "Invalid Last-Event-ID"


def check_last_event_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not STREAM_ID.fullmatch(value):
        raise BadLastEventId("Last-Event-ID must be an event id sent by this stream")
    return value


class StreamSlots:
    """Per-user leases on open streams; Redis when configured (every process sees them)."""

    def __init__(self, redis: Redis | None, limit: int) -> None:
        self.redis = redis
        self.limit = limit
        self._local: dict[uuid.UUID, set[str]] = {}

    def _key(self, user_id: uuid.UUID) -> str:
        return f"nf:sse:{user_id}"

    async def acquire(self, user_id: uuid.UUID) -> str:
        lease = uuid.uuid4().hex
        if self.redis is not None:
            key = self._key(user_id)
            now = time.time()
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.zremrangebyscore(key, 0, now)
                    pipe.zcard(key)
                    _, count = await pipe.execute()
                if count < self.limit:
                    await self.redis.zadd(key, {lease: now + LEASE_S})
                    await self.redis.expire(key, int(LEASE_S * 2))
                    return lease
            except (RedisError, OSError):
                pass  # Redis down: fall back to this process's own count
            else:
                raise TooManyStreams(
                    f"At most {self.limit} open streams per user; close one first",
                    headers={"Retry-After": str(int(LEASE_S))},
                )
        held = self._local.setdefault(user_id, set())
        if len(held) >= self.limit:
            raise TooManyStreams(
                f"At most {self.limit} open streams per user; close one first",
                headers={"Retry-After": str(int(LEASE_S))},
            )
        held.add(lease)
        return lease

    async def refresh(self, user_id: uuid.UUID, lease: str) -> None:
        if self.redis is not None and lease not in self._local.get(user_id, set()):
            try:
                await self.redis.zadd(self._key(user_id), {lease: time.time() + LEASE_S}, xx=True)
            except (RedisError, OSError):
                pass

    async def release(self, user_id: uuid.UUID, lease: str) -> None:
        held = self._local.get(user_id)
        if held is not None and lease in held:
            held.discard(lease)
            if not held:
                del self._local[user_id]
            return
        if self.redis is not None:
            try:
                await self.redis.zrem(self._key(user_id), lease)
            except (RedisError, OSError):
                pass


async def events(
    bus: EventBus,
    slots: StreamSlots,
    user_id: uuid.UUID,
    lease: str,
    after: str | None,
    *,
    wait_s: float,
) -> AsyncIterator[dict[str, Any]]:
    """SSE messages for sse-starlette: the user's events after `after`, as they happen."""
    backoff = 0.5
    try:
        # Without Last-Event-ID the stream starts at what exists now: only new events follow.
        last = after or await bus.user_position(str(user_id))
        while True:
            try:
                batch = await bus.user_events(
                    str(user_id), last, block_ms=int(wait_s * 1000), count=100
                )
                backoff = 0.5
            except (RedisError, OSError):
                # The bus is down: keep the connection (pings continue) and retry.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            for entry_id, event in batch:
                last = entry_id
                if event.get("user_id") != str(user_id):
                    continue  # never another user's event, whatever the bus holds
                yield {
                    "id": entry_id,
                    "event": event.get("type", "message"),
                    "data": json.dumps(event, separators=(",", ":")),
                }
            await slots.refresh(user_id, lease)
    finally:
        await slots.release(user_id, lease)
