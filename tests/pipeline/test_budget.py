"""The nightly run's LLM budget: one count per run, shared by worker processes through Redis."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.pipeline.budget import MemoryRunBudget, RedisRunBudget, RunBudget
from tests.conftest import BACKEND, TEST_REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
# A worker process asking for LLM calls of one run at once; prints how many it was granted.
TAKER = """
import asyncio, sys
from redis.asyncio import Redis
from app.pipeline.budget import RedisRunBudget

async def main():
    redis = Redis.from_url(sys.argv[1])
    budget = RedisRunBudget(redis)
    got = await asyncio.gather(*(budget.take("cycle:test", 7) for _ in range(10)))
    print(sum(got), flush=True)
    await redis.aclose()

asyncio.run(main())
"""


async def exercise(budget: RunBudget) -> None:
    granted = await asyncio.gather(*(budget.take("cycle:a", 3) for _ in range(5)))
    assert sum(granted) == 3
    assert await budget.take("cycle:b", 3)  # another run, its own budget
    await budget.give_back("cycle:a")  # a call the batch's own limits stopped
    assert await budget.take("cycle:a", 3)
    assert not await budget.take("cycle:a", 3)
    assert await budget.usage(["cycle:a", "cycle:b", "cycle:never"]) == {
        "cycle:a": (3, 3),
        "cycle:b": (1, 0),
    }


async def test_memory_budget():
    await exercise(MemoryRunBudget())


@pytest.mark.skipif(BACKEND != "server", reason="needs Redis (server backend)")
async def test_redis_budget_is_shared_by_processes():
    redis = Redis.from_url(TEST_REDIS_URL)
    await redis.flushdb()
    try:
        await exercise(RedisRunBudget(redis))
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                TAKER,
                TEST_REDIS_URL,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(3)
        ]
        outs = [await p.communicate() for p in procs]
        assert all(p.returncode == 0 for p in procs)
        # 30 requests from three processes at once, a budget of 7: exactly 7 granted.
        assert sum(int(out.decode()) for out, _ in outs) == 7
        assert await RedisRunBudget(redis).usage(["cycle:test"]) == {"cycle:test": (7, 23)}
    finally:
        await redis.flushdb()
        await redis.aclose()
