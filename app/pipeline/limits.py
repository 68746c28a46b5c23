"""Per-provider rate limit for external activity provider calls, shared by all workers.

A thin wrapper over the core GCRA limiter keyed by provider: with Redis every worker process
spends from the same budget (the limiter's Lua script uses the server clock)."""

from __future__ import annotations

import asyncio

from app.core.ratelimit import RateLimiter, RateResult


class ProviderRateLimited(Exception):
    def __init__(self, provider: str, retry_after_s: int) -> None:
        super().__init__(f"provider {provider} rate limit: retry in {retry_after_s} s")
        self.provider = provider
        self.retry_after_s = retry_after_s


class ProviderLimiter:
    def __init__(self, limiter: RateLimiter, per_minute: int = 50) -> None:
        self.limiter = limiter
        self.per_minute = per_minute

    async def try_acquire(self, provider: str) -> RateResult:
        return await self.limiter.hit(f"provider:{provider}", self.per_minute)

    async def acquire(self, provider: str, max_wait_s: float = 120.0) -> None:
        """Waits for a slot in the provider's budget; raises ProviderRateLimited past
        `max_wait_s` (the caller then treats the import as failed)."""
        waited = 0.0
        while True:
            result = await self.try_acquire(provider)
            if result.allowed:
                return
            if waited + result.retry_after_s > max_wait_s:
                raise ProviderRateLimited(provider, result.retry_after_s)
            await asyncio.sleep(result.retry_after_s)
            waited += result.retry_after_s
