"""Process-wide resources chosen by configuration and shared through `app.state`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core import metrics
from app.core.cache import Cache, MemoryCache, RedisCache
from app.core.config import Settings
from app.core.db import close_raw_reads, create_engine, create_sessionmaker
from app.core.netguard import OutboundPolicy, policy_from_settings
from app.core.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from app.core.redisbatch import RedisBatch
from app.core.revocation import MemoryRevocations, RedisRevocations, Revocations

log = logging.getLogger("nexfitra")


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    cache: Cache
    limiter: RateLimiter
    redis: Redis | None
    # Where user-supplied URLs (webhooks) may point; replaceable in tests (a stand-in resolver).
    net_policy: OutboundPolicy = field(default_factory=OutboundPolicy)
    # Access tokens refused before they expire (deactivated or deleted accounts).
    revocations: Revocations = field(default_factory=MemoryRevocations)

    @classmethod
    def create(cls, settings: Settings) -> Resources:
        engine = create_engine(settings)
        metrics.track_pool(engine)
        redis: Redis | None = None
        cache: Cache
        limiter: RateLimiter
        if settings.redis_url:
            # Short timeouts: a hung Redis must degrade to "no cache", not stall every request.
            redis = Redis.from_url(
                settings.redis_url,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
                health_check_interval=30,
                max_connections=200,
            )
            # One batch for both: a write's limiter hit and another's cache invalidation of
            # the same moment leave in one script (core/redisbatch.py).
            batch = RedisBatch(redis)
            cache = RedisCache(redis, settings.cache_ttl_seconds, batch=batch)
            limiter = RedisRateLimiter(redis, batch=batch)
        else:
            cache = MemoryCache(settings.cache_ttl_seconds)
            limiter = MemoryRateLimiter()
        revocations: Revocations = (
            RedisRevocations(redis) if redis is not None else MemoryRevocations()
        )
        return cls(
            settings,
            engine,
            create_sessionmaker(engine),
            cache,
            limiter,
            redis,
            policy_from_settings(settings),
            revocations,
        )

    async def close(self) -> None:
        await self.limiter.close()
        await self.cache.close()
        await close_raw_reads(self.engine)
        await self.engine.dispose()
