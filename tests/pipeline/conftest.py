"""A pipeline context over the test app's database and cache, with its own job queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import FastAPI

from app.core.jobs import JobQueue, MemoryJobQueue
from app.core.jobs_redis import RedisJobQueue
from app.pipeline.budget import MemoryRunBudget, RedisRunBudget
from app.pipeline.config import PipelineSettings
from app.pipeline.limits import ProviderLimiter
from app.pipeline.service import PipelineContext
from tests.conftest import BACKEND, TEST_REDIS_URL

CONFIG = PipelineSettings(in_process=False, max_attempts=3, retry_base_s=600, concurrency=4)


def new_queue() -> JobQueue:
    if BACKEND == "server":
        return RedisJobQueue.from_url(TEST_REDIS_URL, block_ms=100)
    return MemoryJobQueue()


@pytest.fixture
async def make_ctx(client, app: FastAPI) -> AsyncIterator[Callable[..., PipelineContext]]:
    """Contexts sharing the app's database, cache and limiter; each gets its own queue
    object (on the server backend they all read the same Redis stream)."""
    res = app.state.resources
    made: list[PipelineContext] = []
    shared_memory = MemoryJobQueue()
    # One run budget for all contexts: in memory the object itself (one process), with Redis
    # a separate object per context over the shared hash, as separate workers would have.
    shared_budget = MemoryRunBudget()

    def factory(**overrides: Any) -> PipelineContext:
        queue = overrides.pop("queue", None) or (
            new_queue() if BACKEND == "server" else shared_memory
        )
        config = CONFIG.model_copy(update=overrides.pop("config", {}))
        ctx = PipelineContext(
            sessionmaker=res.sessionmaker,
            cache=res.cache,
            queue=queue,
            limiter=ProviderLimiter(res.limiter, config.provider_limit_per_minute),
            config=config,
            budget=overrides.pop("budget", None)
            or (RedisRunBudget(res.redis) if res.redis is not None else shared_budget),
            **overrides,
        )
        made.append(ctx)
        return ctx

    yield factory
    for ctx in made:
        if isinstance(ctx.queue, RedisJobQueue):
            await ctx.queue.close()


@pytest.fixture
def ctx(make_ctx: Callable[..., PipelineContext]) -> PipelineContext:
    return make_ctx()
