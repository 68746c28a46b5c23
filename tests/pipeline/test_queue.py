"""The job queue behind the pipeline, on either backend: dedup by job id, failures contained,
counters. The Redis (taskiq) queue's own behaviour is in test_taskiq_queue.py."""

from __future__ import annotations

import asyncio

from app.core.jobs import Job, MemoryJobQueue, create_queue
from app.core.jobs_redis import RedisJobQueue
from tests.conftest import BACKEND
from tests.pipeline.conftest import new_queue


def test_create_queue_picks_the_backend():
    assert isinstance(create_queue(None), MemoryJobQueue)
    assert isinstance(create_queue("redis://127.0.0.1:6379/0"), RedisJobQueue)


async def test_dedup_and_failures_are_contained(client):
    queue = new_queue()
    try:
        assert queue.backend == ("redis" if BACKEND == "server" else "memory")
        seen: list[str] = []

        async def handler(payload: dict) -> None:
            seen.append(payload["n"])
            if payload["n"] == "boom":
                raise RuntimeError("handler bug")

        jobs = [Job("t", {"n": "a"}, "id-a"), Job("t", {"n": "a"}, "id-a")]
        jobs += [Job("t", {"n": "boom"}, "id-b"), Job("t", {"n": "c"}, "id-c")]
        jobs += [Job("unknown", {"n": "x"}, "id-x")]
        assert await queue.enqueue_many(jobs) == 4
        assert await queue.enqueue_many([Job("t", {"n": "a"}, "id-a")]) == 0
        assert await queue.length() == 4
        assert await queue.processed() == 0
        # A job without a handler and one whose handler raises both count as done.
        assert await queue.work({"t": handler}, concurrency=2, until_empty=True) == 4
        assert sorted(seen) == ["a", "boom", "c"]
        assert await queue.length() == 0
        assert await queue.processed() == 4
        assert await queue.work({"t": handler}, until_empty=True) == 0
    finally:
        await queue.close()


async def test_work_runs_until_stopped_and_payloads_round_trip(client):
    queue = new_queue()
    stop = asyncio.Event()
    got: list[dict] = []
    try:

        async def handler(payload: dict) -> None:
            got.append(payload)

        worker = asyncio.create_task(queue.work({"batch": handler}, concurrency=3, stop=stop))
        users = [{"user_id": f"u{i}", "attempt": i} for i in range(3)]
        payload = {"date": "2026-11-20", "users": users, "note": "é ✓"}
        assert await queue.enqueue_many([Job("batch", payload, "b1")]) == 1
        for _ in range(100):
            if await queue.processed() == 1:
                break
            await asyncio.sleep(0.05)
        stop.set()
        assert await asyncio.wait_for(worker, timeout=10) == 1
        assert got == [payload]
        assert await queue.length() == 0
    finally:
        stop.set()
        await queue.close()
