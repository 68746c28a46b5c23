"""The per-provider limiter: one budget per provider, shared by every worker."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from app.core.ratelimit import RedisRateLimiter
from app.pipeline.config import PipelineSettings
from app.pipeline.limits import ProviderLimiter, ProviderRateLimited
from tests.conftest import BACKEND, TEST_REDIS_URL


def test_default_is_50_per_minute():
    assert PipelineSettings().provider_limit_per_minute == 50


async def test_budget_per_provider(client, app):
    limiter = ProviderLimiter(app.state.resources.limiter, per_minute=3)
    assert [(await limiter.try_acquire("garmin")).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert (await limiter.try_acquire("strava")).allowed
    with pytest.raises(ProviderRateLimited) as info:
        await limiter.acquire("garmin", max_wait_s=0)
    assert info.value.retry_after_s >= 1


@pytest.mark.skipif(BACKEND != "server", reason="several processes share a limit through Redis")
async def test_workers_share_the_budget(client):
    # Two workers: two Redis connections, one budget.
    a, b = Redis.from_url(TEST_REDIS_URL), Redis.from_url(TEST_REDIS_URL)
    try:
        la = ProviderLimiter(RedisRateLimiter(a), per_minute=4)
        lb = ProviderLimiter(RedisRateLimiter(b), per_minute=4)
        results = [(await (la if i % 2 else lb).try_acquire("fitbit")).allowed for i in range(6)]
        assert results == [True] * 4 + [False] * 2
    finally:
        await a.aclose()
        await b.aclose()
