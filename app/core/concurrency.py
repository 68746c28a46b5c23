"""Bounded concurrency for fan-out over a batch (one cache call per user, ...)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")

# Below the Redis pool's size with room for the API's own requests: a batch job fanning out
# one call per user must not exhaust the pool (the calls would then fail, not wait).
DEFAULT_LIMIT = 16


async def gather_limited(aws: Iterable[Awaitable[T]], limit: int = DEFAULT_LIMIT) -> list[T]:
    """`asyncio.gather` with at most `limit` awaitables running at once; results in order."""
    sem = asyncio.Semaphore(limit)

    async def one(aw: Awaitable[T]) -> T:
        async with sem:
            return await aw

    return list(await asyncio.gather(*(one(aw) for aw in aws)))
