"""The Redis queue (taskiq + taskiq-redis's stream broker) against a real Redis: shared
consumption, acknowledgement after the job, redelivery, outages."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.core.jobs import Job
from app.core.jobs_redis import RedisJobQueue
from tests.conftest import BACKEND, TEST_REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
# A worker process whose handler never returns, to be killed mid-job.
STUCK_WORKER = """
import asyncio, sys
from app.core.jobs_redis import RedisJobQueue

async def main():
    queue = RedisJobQueue.from_url(sys.argv[1], block_ms=100)

    async def handler(payload):
        print("started", payload["n"], flush=True)
        await asyncio.sleep(3600)

    await queue.work({"t": handler})

asyncio.run(main())
"""

pytestmark = pytest.mark.skipif(BACKEND != "server", reason="needs Redis (server backend)")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    r = Redis.from_url(TEST_REDIS_URL)
    await r.flushdb()
    yield r
    await r.flushdb()
    await r.aclose()


def make_queue(**kw) -> RedisJobQueue:
    return RedisJobQueue.from_url(TEST_REDIS_URL, block_ms=100, **kw)


async def wait_for(predicate, timeout: float = 10) -> None:
    for _ in range(int(timeout / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_dedup_within_a_batch_across_calls_and_after_the_ttl(redis):
    queue = make_queue(dedup_ttl_s=1)
    try:
        jobs = [Job("t", {"n": i}, f"id-{i % 700}") for i in range(1400)]  # spans two chunks
        assert await queue.enqueue_many(jobs) == 700
        assert await queue.enqueue_many(jobs[:10]) == 0
        assert await queue.length() == 700
        assert await redis.ttl("nf:jobs:id:id-0") == 1
        await asyncio.sleep(1.1)
        assert await queue.enqueue_many(jobs[:10]) == 10
        assert await queue.length() == 710
    finally:
        await queue.close()


async def test_a_failed_kick_frees_the_job_ids(redis):
    queue = make_queue()
    try:
        await redis.set("nf:jobs", "not a stream")  # every XADD now fails
        with pytest.raises(Exception, match="WRONGTYPE"):
            await queue.enqueue_many([Job("t", {}, "a"), Job("t", {}, "b")])
        assert await redis.exists("nf:jobs:id:a", "nf:jobs:id:b") == 0
        await redis.delete("nf:jobs")
        assert await queue.enqueue_many([Job("t", {}, "a"), Job("t", {}, "b")]) == 2
        assert await queue.length() == 2
    finally:
        await queue.close()


async def test_length_counts_jobs_in_flight_until_acknowledged(redis):
    queue = make_queue()
    release = asyncio.Event()
    started: list[int] = []
    try:

        async def handler(payload: dict) -> None:
            started.append(payload["n"])
            await release.wait()

        await queue.enqueue_many([Job("t", {"n": i}, f"j{i}") for i in range(5)])
        worker = asyncio.create_task(queue.work({"t": handler}, concurrency=2, until_empty=True))

        async def two_started() -> bool:
            return len(started) == 2

        await wait_for(two_started)
        # Two running (delivered, not acknowledged) plus three waiting.
        assert await queue.length() == 5
        assert await redis.xpending("nf:jobs", "workers") == {
            "pending": 2,
            "min": (await redis.xpending("nf:jobs", "workers"))["min"],
            "max": (await redis.xpending("nf:jobs", "workers"))["max"],
            "consumers": [{"name": queue.consumer.encode(), "pending": 2}],
        }
        assert await queue.processed() == 0
        release.set()
        assert await asyncio.wait_for(worker, timeout=10) == 5
        assert sorted(started) == [0, 1, 2, 3, 4]
        assert await queue.length() == 0
        assert await queue.processed() == 5
        # Finished entries are gone from the stream, not merely acknowledged.
        assert await redis.xlen("nf:jobs") == 0
    finally:
        release.set()
        await queue.close()


async def test_two_workers_share_the_jobs_and_run_each_once(redis):
    producer, a, b = make_queue(), make_queue(), make_queue()
    runs: list[tuple[str, int]] = []
    try:

        def handler_for(name: str):
            async def handler(payload: dict) -> None:
                runs.append((name, payload["n"]))
                await asyncio.sleep(0.005)

            return handler

        assert await producer.enqueue_many([Job("t", {"n": i}, f"j{i}") for i in range(300)]) == 300
        done_a, done_b = await asyncio.gather(
            a.work({"t": handler_for("a")}, concurrency=4, until_empty=True),
            b.work({"t": handler_for("b")}, concurrency=4, until_empty=True),
        )
        assert sorted(n for _, n in runs) == list(range(300))  # every job once, none twice
        assert done_a + done_b == 300
        assert done_a == sum(1 for w, _ in runs if w == "a") > 0
        assert done_b == sum(1 for w, _ in runs if w == "b") > 0
        assert await producer.processed() == 300
        assert await producer.length() == 0
    finally:
        for q in (producer, a, b):
            await q.close()


async def test_a_failing_handler_does_not_stop_a_long_running_worker(redis):
    queue = make_queue()
    stop = asyncio.Event()
    ran: list[str] = []
    try:

        async def handler(payload: dict) -> None:
            ran.append(payload["n"])
            if payload["n"].startswith("bad"):
                raise ValueError("handler bug")

        worker = asyncio.create_task(queue.work({"t": handler}, concurrency=2, stop=stop))
        await queue.enqueue_many([Job("t", {"n": "bad1"}, "1"), Job("t", {"n": "ok1"}, "2")])

        async def two_done() -> bool:
            return await queue.processed() == 2

        await wait_for(two_done)
        await queue.enqueue_many([Job("t", {"n": "bad2"}, "3"), Job("t", {"n": "ok2"}, "4")])

        async def four_done() -> bool:
            return await queue.processed() == 4

        await wait_for(four_done)
        assert not worker.done()
        stop.set()
        assert await asyncio.wait_for(worker, timeout=10) == 4
        assert sorted(ran) == ["bad1", "bad2", "ok1", "ok2"]
        assert await queue.length() == 0
    finally:
        stop.set()
        await queue.close()


async def test_a_dead_workers_job_is_claimed_by_another(redis):
    dead = make_queue()
    alive = make_queue(claim_idle_s=0.3)
    try:
        await dead.enqueue_many([Job("t", {"n": 1}, "x"), Job("t", {"n": 2}, "y")])
        await redis.xgroup_create("nf:jobs", "workers", id="0")
        # The dead worker read one job and never acknowledged it.
        got = await redis.xreadgroup("workers", "dead", {"nf:jobs": ">"}, count=1)
        assert len(got[0][1]) == 1
        ran: list[int] = []

        async def handler(payload: dict) -> None:
            ran.append(payload["n"])

        # Drain mode waits for the dead worker's job too, then claims it once it is idle.
        assert await asyncio.wait_for(alive.work({"t": handler}, until_empty=True), 10) == 2
        assert sorted(ran) == [1, 2]
        assert await alive.length() == 0
        assert await redis.xpending("nf:jobs", "workers") == {
            "pending": 0,
            "min": None,
            "max": None,
            "consumers": [],
        }
    finally:
        await dead.close()
        await alive.close()


async def test_a_killed_worker_process_job_is_run_by_another(redis):
    alive = make_queue(claim_idle_s=0.5)
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK_WORKER, TEST_REDIS_URL],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        await alive.enqueue_many([Job("t", {"n": 7}, "stuck")])
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
        assert line.split() == ["started", "7"]
        proc.kill()  # SIGKILL: no acknowledgement, no clean-up
        proc.wait(10)
        assert await alive.length() == 1
        ran: list[int] = []

        async def handler(payload: dict) -> None:
            ran.append(payload["n"])

        assert await asyncio.wait_for(alive.work({"t": handler}, until_empty=True), 10) == 1
        assert ran == [7]
        assert await alive.length() == 0
        assert await alive.processed() == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
        await alive.close()


async def test_a_stopped_worker_leaves_no_job_stranded(redis):
    first = make_queue()  # the default claim timeout (10 min): nothing may rely on it
    second = make_queue()
    stop = asyncio.Event()
    ran: list[int] = []
    try:

        async def handler(payload: dict) -> None:
            ran.append(payload["n"])
            if len(ran) == 7:
                stop.set()
            await asyncio.sleep(0.01)

        await first.enqueue_many([Job("t", {"n": i}, f"j{i}") for i in range(40)])
        done_first = await asyncio.wait_for(
            first.work({"t": handler}, concurrency=4, stop=stop), 10
        )
        assert 7 <= done_first < 40
        assert await first.length() == 40 - done_first
        done_second = await asyncio.wait_for(
            second.work({"t": handler}, concurrency=4, until_empty=True), 10
        )
        assert done_first + done_second == 40
        assert sorted(ran) == list(range(40))
        # The stopped worker, holding nothing, left the consumer group.
        names = [c["name"] for c in await redis.xinfo_consumers("nf:jobs", "workers")]
        assert first.consumer.encode() not in names
    finally:
        await first.close()
        await second.close()


async def test_the_worker_survives_redis_losing_the_queue(redis):
    # What a Redis restart without persistence does: stream and consumer group are gone.
    queue = make_queue()
    stop = asyncio.Event()
    ran: list[int] = []
    try:

        async def handler(payload: dict) -> None:
            ran.append(payload["n"])

        worker = asyncio.create_task(queue.work({"t": handler}, stop=stop))
        await queue.enqueue_many([Job("t", {"n": 1}, "a")])

        async def ran_first() -> bool:
            return ran == [1]

        await wait_for(ran_first)
        await redis.flushdb()
        await queue.enqueue_many([Job("t", {"n": 2}, "b")])

        async def ran_second() -> bool:
            return ran == [1, 2]

        await wait_for(ran_second)
        assert not worker.done()
        stop.set()
        assert await asyncio.wait_for(worker, timeout=10) == 2
    finally:
        stop.set()
        await queue.close()


async def test_a_worker_waits_for_an_unreachable_redis_until_stopped():
    queue = RedisJobQueue.from_url("redis://127.0.0.1:1/0")
    stop = asyncio.Event()
    try:
        worker = asyncio.create_task(queue.work({}, stop=stop))
        await asyncio.sleep(1.5)
        assert not worker.done()
        stop.set()
        assert await asyncio.wait_for(worker, timeout=5) == 0
    finally:
        await queue.close()
