"""The access-token revocation list: entries, their lifetime, and (with Redis) how another API
process learns of a revocation."""

from __future__ import annotations

import time
import uuid

import pytest
from redis.asyncio import Redis

from app.core.revocation import FOREVER, MemoryRevocations, RedisRevocations
from tests.conftest import BACKEND, TEST_REDIS_URL


async def test_memory_entries():
    rev = MemoryRevocations()
    uid, other = uuid.uuid4(), uuid.uuid4()
    now = time.time()
    assert not await rev.is_revoked(uid, now)
    await rev.revoke(uid, FOREVER, ttl_s=60)
    assert await rev.is_revoked(uid, now) and await rev.is_revoked(uid, now + 30)
    assert not await rev.is_revoked(other, now)
    # A later entry replaces the earlier one: tokens from second N on are accepted.
    await rev.revoke(uid, 1000.0, ttl_s=60)
    assert await rev.is_revoked(uid, 999.0) and not await rev.is_revoked(uid, 1000.0)
    # Entries die with their lifetime (by then every token they refused has expired).
    await rev.revoke(uid, FOREVER, ttl_s=0)
    assert not await rev.is_revoked(uid, now)


@pytest.mark.skipif(BACKEND != "server", reason="two processes share the list through Redis")
async def test_redis_list_is_shared_between_processes():
    client = Redis.from_url(TEST_REDIS_URL)
    key = f"nf:test-revoked:{uuid.uuid4().hex}"
    a, b = RedisRevocations(client, key), RedisRevocations(client, key)
    uid = uuid.uuid4()
    try:
        assert not await b.is_revoked(uid, time.time())  # b has read the (empty) list
        await a.revoke(uid, FOREVER, ttl_s=60)
        assert await a.is_revoked(uid, time.time())  # at once where it was revoked
        assert 0 < await client.ttl(key) <= 60
        b._loaded_at -= 2  # a second later, b reads the list again
        assert await b.is_revoked(uid, time.time())
        await a.revoke(uid, 0.0, ttl_s=60)  # lifted
        b._loaded_at -= 2
        assert not await b.is_revoked(uid, time.time())
        # Expired entries are dropped from the hash by the next reader.
        await client.hset(key, "stale", f"{FOREVER}|{time.time() - 1}")
        b._loaded_at -= 2
        await b.is_revoked(uid, time.time())
        assert not await client.hexists(key, "stale")
    finally:
        await client.delete(key)
        await client.aclose()
