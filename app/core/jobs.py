"""Background job queue: Redis streams (several worker processes) | in-process asyncio.

One small interface, two implementations, as for the cache and the rate limiter:

- `RedisJobQueue`: one Redis stream read through a consumer group, so any number of worker
  processes on any number of machines share the jobs. Delivery is at-least-once: a job is
  acknowledged (and deleted) after its handler returns; a worker that dies mid-job leaves the
  message pending, and another worker claims it after `claim_idle_s` (XAUTOCLAIM). Handlers
  must therefore be idempotent (the pipeline's are: they re-check the database).
- `MemoryJobQueue`: an asyncio queue inside the API process for the embedded default.

`enqueue` takes a job id; a second enqueue of the same id within `dedup_ttl_s` is dropped
(Redis: SET NX in the same script as XADD, so it is atomic across processes).

Why not arq: its current release pins redis<6 and this project runs redis-py 8. taskiq-redis
would fit, but brings its own worker process model, serialisers and aiohttp for what is here a
hundred lines of well-known stream commands; the pipeline's retry and dedup semantics live in
the database anyway (`plan_runs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger("nexfitra.jobs")

Handler = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Job:
    kind: str
    payload: dict[str, Any]
    job_id: str


class JobQueue(Protocol):
    backend: str

    async def enqueue_many(self, jobs: Sequence[Job]) -> int:
        """Enqueues the jobs whose id was not seen recently; answers how many were new."""

    async def length(self) -> int:
        """Jobs waiting or in flight (the figure to scale workers on)."""

    async def processed(self) -> int:
        """Jobs finished since the queue was created (Redis: since the counter was reset)."""

    async def work(
        self,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 8,
        stop: asyncio.Event | None = None,
        until_empty: bool = False,
    ) -> int:
        """Runs jobs until `stop` is set (or, with `until_empty`, none is left); answers how
        many ran. A handler's exception is logged and the job counts as done: retries are the
        handler's business (it knows what is safe to repeat)."""

    async def close(self) -> None: ...


async def enqueue(queue: JobQueue, kind: str, payload: dict[str, Any], job_id: str) -> bool:
    return await queue.enqueue_many([Job(kind, payload, job_id)]) == 1


async def _run_one(handlers: Mapping[str, Handler], job: Job) -> None:
    handler = handlers.get(job.kind)
    if handler is None:
        log.error("no handler for job kind %r (job %s); dropped", job.kind, job.job_id)
        return
    try:
        await handler(job.payload)
    except Exception:
        log.exception("job %s (%s) failed", job.job_id, job.kind)


class MemoryJobQueue:
    backend = "memory"

    def __init__(self, dedup_ttl_s: float = 86_400) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._seen: dict[str, float] = {}
        self._dedup_ttl = dedup_ttl_s
        self._in_flight = 0
        self._processed = 0

    async def enqueue_many(self, jobs: Sequence[Job]) -> int:
        now = time.monotonic()
        if len(self._seen) > 200_000:
            self._seen = {k: v for k, v in self._seen.items() if v > now}
        new = 0
        for job in jobs:
            if self._seen.get(job.job_id, 0) > now:
                continue
            self._seen[job.job_id] = now + self._dedup_ttl
            self._queue.put_nowait(job)
            new += 1
        return new

    async def length(self) -> int:
        return self._queue.qsize() + self._in_flight

    async def processed(self) -> int:
        return self._processed

    async def work(
        self,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 8,
        stop: asyncio.Event | None = None,
        until_empty: bool = False,
    ) -> int:
        stop = stop or asyncio.Event()
        done = 0

        async def consume() -> None:
            nonlocal done
            while not stop.is_set():
                if until_empty:
                    try:
                        job = self._queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                else:
                    try:
                        job = await asyncio.wait_for(self._queue.get(), timeout=0.5)
                    except TimeoutError:
                        continue
                self._in_flight += 1
                try:
                    await _run_one(handlers, job)
                finally:
                    self._in_flight -= 1
                    self._processed += 1
                    done += 1

        await asyncio.gather(*(consume() for _ in range(max(1, concurrency))))
        return done

    async def close(self) -> None:
        return None


_ENQUEUE = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[2])) then
  redis.call('XADD', KEYS[1], '*', 'job', ARGV[1])
  return 1
end
return 0
"""


class RedisJobQueue:
    backend = "redis"

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "nf:jobs",
        group: str = "workers",
        dedup_ttl_s: int = 86_400,
        claim_idle_s: float = 600,
        block_ms: int = 1000,
    ) -> None:
        self.client = client
        self.stream = prefix
        self.prefix = prefix
        self.group = group
        self.dedup_ttl = dedup_ttl_s
        self.claim_idle_ms = int(claim_idle_s * 1000)
        self.block_ms = block_ms
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._enqueue = client.register_script(_ENQUEUE)
        self._group_ready = False

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> RedisJobQueue:
        # Its own connection pool: blocking stream reads must not share the API's short
        # socket timeouts.
        return cls(Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30), **kw)

    async def enqueue_many(self, jobs: Sequence[Job]) -> int:
        new = 0
        for start in range(0, len(jobs), 500):
            async with self.client.pipeline(transaction=False) as pipe:
                for job in jobs[start : start + 500]:
                    body = json.dumps({"kind": job.kind, "payload": job.payload, "id": job.job_id})
                    await self._enqueue(
                        keys=[self.stream, f"{self.prefix}:id:{job.job_id}"],
                        args=[body, self.dedup_ttl],
                        client=pipe,
                    )
                results = await pipe.execute()
            new += sum(int(r) for r in results)
        return new

    async def length(self) -> int:
        return int(await self.client.xlen(self.stream))

    async def processed(self) -> int:
        return int(await self.client.get(f"{self.prefix}:processed") or 0)

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    @staticmethod
    def _decode(fields: Mapping[Any, Any]) -> Job | None:
        raw = fields.get(b"job") or fields.get("job")
        try:
            data = json.loads(raw or b"")
            return Job(str(data["kind"]), dict(data["payload"]), str(data["id"]))
        except (TypeError, ValueError, KeyError) as exc:
            log.error("undecodable job dropped: %s", exc)
            return None

    async def _claim(self, count: int) -> list[tuple[Any, Any]]:
        """Messages another (dead) consumer left unacknowledged for too long."""
        try:
            res = await self.client.xautoclaim(
                self.stream, self.group, self.consumer, self.claim_idle_ms, "0-0", count=count
            )
        except (RedisError, OSError) as exc:
            log.warning("xautoclaim failed: %s", exc)
            return []
        return list(res[1]) if res and len(res) > 1 else []

    async def work(
        self,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 8,
        stop: asyncio.Event | None = None,
        until_empty: bool = False,
    ) -> int:
        await self._ensure_group()
        stop = stop or asyncio.Event()
        sem = asyncio.Semaphore(max(1, concurrency))
        tasks: set[asyncio.Task[None]] = set()
        done = 0
        last_claim = 0.0

        async def run(msg_id: Any, job: Job | None) -> None:
            nonlocal done
            try:
                if job is not None:
                    await _run_one(handlers, job)
            finally:
                async with self.client.pipeline(transaction=False) as pipe:
                    pipe.xack(self.stream, self.group, msg_id)
                    pipe.xdel(self.stream, msg_id)
                    pipe.incr(f"{self.prefix}:processed")
                    await pipe.execute()
                done += 1
                sem.release()

        while not stop.is_set():
            await sem.acquire()
            # Free slots beyond the one just taken, so one read fills all of them.
            free = 1
            while free < concurrency and not sem.locked():
                await sem.acquire()
                free += 1
            messages: list[tuple[Any, Any]] = []
            if time.monotonic() - last_claim > 30:
                last_claim = time.monotonic()
                messages = await self._claim(free)
            if not messages:
                block = None if until_empty else self.block_ms
                try:
                    res = await self.client.xreadgroup(
                        self.group, self.consumer, {self.stream: ">"}, count=free, block=block
                    )
                except (RedisError, OSError) as exc:
                    # Redis restarted (the group is gone) or is unreachable: keep the worker
                    # alive and try again.
                    for _ in range(free):
                        sem.release()
                    log.warning("job queue read failed, retrying: %s", exc)
                    self._group_ready = False
                    await asyncio.sleep(1)
                    with contextlib.suppress(RedisError, OSError):
                        await self._ensure_group()
                    continue
                messages = _messages(res)
            for _ in range(free - len(messages)):
                sem.release()
            if not messages:
                if until_empty and not tasks:
                    break
                if until_empty:
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                continue
            for msg_id, fields in messages:
                task = asyncio.create_task(run(msg_id, self._decode(fields)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        return done

    async def close(self) -> None:
        await self.client.aclose()


def _messages(res: Any) -> list[tuple[Any, Any]]:
    """XREADGROUP's answer (RESP2 list or RESP3 map) as (id, fields) pairs."""
    if not res:
        return []
    if isinstance(res, dict):
        entries = next(iter(res.values()))
        return list(entries[0] if entries and isinstance(entries[0], list) else entries)
    return list(res[0][1])


def create_queue(redis_url: str | None) -> JobQueue:
    return RedisJobQueue.from_url(redis_url) if redis_url else MemoryJobQueue()
