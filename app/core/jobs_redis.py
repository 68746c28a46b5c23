"""The Redis side of the job queue (`app.core.jobs`): taskiq with taskiq-redis's stream broker.

In its own module so that an API on the embedded queue never imports taskiq; see
`app.core.jobs` for the design.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from taskiq import AckableMessage, TaskiqMessage
from taskiq.acks import AcknowledgeType
from taskiq.receiver import Receiver
from taskiq_redis import RedisStreamBroker

from app.core.jobs import TASK_NAME, Handler, Job, run_job

log = logging.getLogger("nexfitra.jobs")

# taskiq logs the start of every task at INFO: a line per job (a hundred thousand a night) that
# says nothing our handlers' own logs do not. Left alone if the operator configured it.
_receiver_log = logging.getLogger("taskiq.receiver.receiver")
if _receiver_log.level == logging.NOTSET:
    _receiver_log.setLevel(logging.WARNING)


class _StreamBroker(RedisStreamBroker):
    """taskiq-redis's stream broker, changed where its 1.2 release falls short for us:

    - Acknowledging also deletes the entry and counts it (one MULTI). XACK alone leaves every
      finished job in the stream for ever: memory grows by the night, and XLEN could not tell
      operators how many jobs are left.
    - `listen` outlives Redis: when Redis is unreachable or restarted (the consumer group is
      gone with the data) it waits, declares the group again and goes on, where the library's
      generator would raise and end the worker.
    - A dead consumer's messages are reclaimed (XAUTOCLAIM) on a timer. The library reclaims
      only after a read that returned new messages, so on a quiet queue a job whose worker died
      would wait for the next night's jobs, and a draining worker (`until_empty`) would never
      see the queue empty.
    - Messages read but not yet handed to the receiver when the worker stops are put back at
      once, not left pending until `idle_timeout` runs out.
    """

    def __init__(self, url: str, *, processed_key: str, **kw: Any) -> None:
        super().__init__(url, **kw)
        self.processed_key = processed_key
        # One client for all acknowledgements: building a `Redis` object per message, as the
        # library does, costs more than the round trip itself.
        self.client = Redis(connection_pool=self.connection_pool)
        self.stopping = asyncio.Event()
        # Reclaim often enough that a short idle timeout (tests) is honoured, rarely enough to
        # cost nothing with the production one.
        self.claim_every_s = min(max(self.idle_timeout / 4000, 0.05), 30.0)

    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            try:
                async with self.client.pipeline(transaction=True) as pipe:
                    pipe.xack(queue_name, self.consumer_group_name, id)
                    pipe.xdel(queue_name, id)
                    pipe.incr(self.processed_key)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                # The entry stays pending and another worker runs the job again after
                # `idle_timeout`: at-least-once, as promised.
                log.warning("could not acknowledge job message %r: %s", id, exc)

        return ack

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        # Ends by itself once `stopping` is set, between two reads: taskiq's receiver would
        # otherwise cancel the read in the middle of a Redis command, which (Python 3.11's
        # wait_for inside redis-py) can leave the worker hanging instead of exiting.
        cursor: Any = "0-0"
        last_claim = 0.0
        while not self.stopping.is_set():
            entries: list[tuple[Any, Any]] = []
            try:
                if time.monotonic() - last_claim >= self.claim_every_s:
                    last_claim = time.monotonic()
                    claimed = await self.client.xautoclaim(
                        self.queue_name,
                        self.consumer_group_name,
                        self.consumer_name,
                        min_idle_time=self.idle_timeout,
                        start_id=cursor,
                        count=self.unacknowledged_batch_size,
                    )
                    # The cursor walks the whole pending list over successive rounds.
                    cursor, entries = claimed[0], list(claimed[1])
                if not entries:
                    entries = _entries(
                        await self.client.xreadgroup(
                            self.consumer_group_name,
                            self.consumer_name,
                            {self.queue_name: ">"},
                            block=self.block,
                            count=self.count,
                        )
                    )
            except (RedisError, OSError) as exc:
                log.warning("job queue read failed, retrying in 1 s: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=1)
                with contextlib.suppress(RedisError, OSError):
                    await self._declare_consumer_group()
                continue
            for i, (msg_id, fields) in enumerate(entries):
                if self.stopping.is_set():
                    await self._put_back(entries[i:])
                    return
                ack = self._ack_generator(id=msg_id, queue_name=self.queue_name)
                data = (fields or {}).get(b"data")
                if data is None:  # not a taskiq message (or trimmed): drop it
                    log.error("job message %r without data dropped", msg_id)
                    await ack()
                    continue
                try:
                    yield AckableMessage(data=data, ack=ack)
                except GeneratorExit:
                    await self._put_back(entries[i + 1 :])
                    raise

    async def _put_back(self, entries: Sequence[tuple[Any, Any]]) -> None:
        """Streams have no "nack": re-add the copies and retire the originals, atomically."""
        if not entries:
            return
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                for msg_id, fields in entries:
                    pipe.xadd(self.queue_name, fields)
                    pipe.xack(self.queue_name, self.consumer_group_name, msg_id)
                    pipe.xdel(self.queue_name, msg_id)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("%d read jobs left pending until reclaimed: %s", len(entries), exc)


class RedisJobQueue:
    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "nf:jobs",
        group: str = "workers",
        dedup_ttl_s: int = 86_400,
        claim_idle_s: float = 600,
        block_ms: int = 1000,
    ) -> None:
        self.stream = prefix
        self.prefix = prefix
        self.group = group
        self.dedup_ttl = dedup_ttl_s
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.broker = _StreamBroker(
            url,
            processed_key=f"{prefix}:processed",
            queue_name=prefix,
            consumer_group_name=group,
            consumer_name=self.consumer,
            # "0", not taskiq's "$": jobs enqueued before the first worker ever started (the
            # benchmark, a fresh deployment) must be delivered too. Finished entries are deleted,
            # so everything the group has not delivered is work to do.
            consumer_id="0",
            xread_block=block_ms,
            idle_timeout=int(claim_idle_s * 1000),
            socket_connect_timeout=2,
            health_check_interval=30,
        )
        # Own pool (the broker's): blocking stream reads must not share the API's short
        # socket timeouts.
        self.client = self.broker.client
        self._handlers: Mapping[str, Handler] = {}
        self._ran = 0

        async def job(kind: str, payload: dict[str, Any], job_id: str) -> None:
            try:
                await run_job(self._handlers, Job(kind, payload, job_id))
            finally:
                self._ran += 1

        self.broker.register_task(job, task_name=TASK_NAME)

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> RedisJobQueue:
        return cls(url, **kw)

    def _message(self, job: Job) -> bytes:
        message = TaskiqMessage(
            task_id=job.job_id,
            task_name=TASK_NAME,
            labels={},
            labels_types={},
            args=[],
            kwargs={"kind": job.kind, "payload": job.payload, "job_id": job.job_id},
        )
        return self.broker.formatter.dumps(message).message

    async def enqueue_many(self, jobs: Sequence[Job]) -> int:
        """SET NX claims each id, then the new jobs go in as taskiq messages. Built with the
        broker's own formatter but added with pipelined XADDs, not `kiq()`/`kick()`: taskiq
        kicks one message per round trip, and a night's cycle enqueues up to 100,000 jobs."""
        new = 0
        for start in range(0, len(jobs), 500):
            chunk = jobs[start : start + 500]
            async with self.client.pipeline(transaction=False) as pipe:
                for job in chunk:
                    pipe.set(self._id_key(job.job_id), 1, nx=True, ex=self.dedup_ttl)
                claimed = await pipe.execute()
            fresh = [job for job, ok in zip(chunk, claimed, strict=True) if ok]
            if not fresh:
                continue
            try:
                async with self.client.pipeline(transaction=True) as pipe:
                    for job in fresh:
                        pipe.xadd(self.stream, {b"data": self._message(job)})
                    await pipe.execute()
            except BaseException:
                # Free the ids, or the jobs could not be enqueued again for a day.
                with contextlib.suppress(RedisError, OSError):
                    await self.client.delete(*(self._id_key(job.job_id) for job in fresh))
                raise
            new += len(fresh)
        return new

    def _id_key(self, job_id: str) -> str:
        return f"{self.prefix}:id:{job_id}"

    async def length(self) -> int:
        # Finished entries are deleted on acknowledgement, so the stream holds exactly the jobs
        # waiting plus those in flight (delivered, not yet acknowledged).
        return int(await self.client.xlen(self.stream))

    async def processed(self) -> int:
        return int(await self.client.get(f"{self.prefix}:processed") or 0)

    async def work(
        self,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 8,
        stop: asyncio.Event | None = None,
        until_empty: bool = False,
    ) -> int:
        stop = stop or asyncio.Event()
        concurrency = max(1, concurrency)
        while not stop.is_set():
            try:
                await self.broker.startup()  # declares the consumer group
                break
            except (RedisError, OSError) as exc:
                log.warning("job queue unavailable, retrying in 1 s: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1)
        if stop.is_set():
            return 0
        self._handlers = handlers
        # One read (or reclaim) fills every free slot; more would only hold messages in our
        # buffer while their idle time runs on.
        self.broker.count = concurrency
        self.broker.unacknowledged_batch_size = concurrency
        receiver = Receiver(
            self.broker,
            max_async_tasks=concurrency,
            run_startup=False,
            # Our task takes plain JSON; taskiq's per-argument pydantic validation would only
            # add per-job cost.
            validate_params=False,
            ack_type=AcknowledgeType.WHEN_EXECUTED,
        )
        ran_before = self._ran
        self.broker.stopping.clear()
        finish = asyncio.Event()
        watcher = asyncio.create_task(self._watch(stop, finish, until_empty))
        try:
            await receiver.listen(finish)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await self._forget_consumer()
        return self._ran - ran_before

    async def _watch(self, stop: asyncio.Event, finish: asyncio.Event, until_empty: bool) -> None:
        """Stops taking jobs on `stop`, or in drain mode once nothing waits or runs anywhere
        (so a draining worker also waits for jobs other workers hold); the receiver then
        finishes the jobs it holds and returns."""
        while not stop.is_set():
            if until_empty:
                with contextlib.suppress(RedisError, OSError):
                    if await self.length() == 0:
                        break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.1 if until_empty else None)
        self.broker.stopping.set()
        # The listener notices within one blocking read; should a read hang on a dead
        # connection, the receiver's own (cancelling) stop still ends the worker.
        await asyncio.sleep(self.broker.block / 1000 + 5)
        finish.set()

    async def _forget_consumer(self) -> None:
        """Each worker start registers a consumer name in the group; drop ours when it holds
        nothing, so the group does not list every process that ever ran. One that still
        holds messages stays: deleting it would lose them."""
        with contextlib.suppress(RedisError, OSError):
            held = await self.client.xpending_range(
                self.stream, self.group, "-", "+", 1, consumername=self.consumer
            )
            if not held:
                await self.client.xgroup_delconsumer(self.stream, self.group, self.consumer)

    async def close(self) -> None:
        await self.broker.shutdown()


def _entries(res: Any) -> list[tuple[Any, Any]]:
    """XREADGROUP's answer (RESP2 list or RESP3 map) as (id, fields) pairs."""
    if not res:
        return []
    if isinstance(res, dict):
        entries = next(iter(res.values()))
        return list(entries[0] if entries and isinstance(entries[0], list) else entries)
    return list(res[0][1])
