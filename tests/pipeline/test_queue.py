"""The job queue behind the pipeline: dedup by job id, failures contained, redelivery."""

from __future__ import annotations

import pytest

from app.core.jobs import Job, RedisJobQueue
from tests.conftest import BACKEND, TEST_REDIS_URL
from tests.pipeline.conftest import new_queue


async def test_dedup_and_failures_are_contained(client):
    queue = new_queue()
    try:
        seen: list[str] = []

        async def handler(payload: dict) -> None:
            seen.append(payload["n"])
            if payload["n"] == "boom":
                raise RuntimeError("handler bug")

        jobs = [Job("t", {"n": "a"}, "id-a"), Job("t", {"n": "a"}, "id-a")]
        jobs += [Job("t", {"n": "boom"}, "id-b"), Job("t", {"n": "c"}, "id-c")]
        assert await queue.enqueue_many(jobs) == 3
        assert await queue.enqueue_many([Job("t", {"n": "a"}, "id-a")]) == 0
        assert await queue.length() == 3
        assert await queue.work({"t": handler}, concurrency=2, until_empty=True) == 3
        assert sorted(seen) == ["a", "boom", "c"]
        assert await queue.length() == 0
        assert await queue.processed() == 3
    finally:
        await queue.close()


@pytest.mark.skipif(BACKEND != "server", reason="redelivery is a Redis stream feature")
async def test_a_dead_workers_job_is_claimed_by_another(client):
    dead = RedisJobQueue.from_url(TEST_REDIS_URL)
    alive = RedisJobQueue.from_url(TEST_REDIS_URL, claim_idle_s=0)
    try:
        await dead.enqueue_many([Job("t", {"n": 1}, "x")])
        await dead._ensure_group()
        # The dead worker read the job and never acknowledged it.
        got = await dead.client.xreadgroup(dead.group, "dead", {dead.stream: ">"}, count=1)
        assert got
        ran: list[int] = []

        async def handler(payload: dict) -> None:
            ran.append(payload["n"])

        assert await alive.work({"t": handler}, until_empty=True) == 1
        assert ran == [1] and await alive.length() == 0
    finally:
        await dead.close()
        await alive.close()
