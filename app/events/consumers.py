"""Running consumers over the event bus: at-least-once delivery, exactly-once effect.

Each consumer is a consumer group. For every delivered event the runner opens a transaction,
records (consumer, event id) in `event_consumed` and, only if that row is new, lets the handler
make its changes; both commit together. A redelivered event (a consumer died after committing
but before acknowledging, or the relay's bus saw a retry) finds its row and changes nothing.
A delivery that fails is left pending and retried when reclaimed; after `max_attempts` it is
parked in `event_parked` (visible to admins) and acknowledged, so one poison event cannot block
the others or be retried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import dialect_insert
from app.core.eventbus import Delivery, EventBus
from app.events.models import ConsumedEvent, ParkedEvent

log = logging.getLogger("nexfitra.events")

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Consumer:
    name: str  # the consumer group; also the key of its consumed-event rows
    types: frozenset[str]
    handle: Handler
    # Optional: applies many events in one transaction (e.g. one recomputation per user and
    # week instead of one per event). Used for whole batches; a batch that fails is retried
    # event by event, so one poison event cannot hold the others back.
    handle_batch: BatchHandler | None = None


def instance_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class ConsumerRunner:
    sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    consumer: Consumer
    name: str = ""
    max_attempts: int = 5
    claim_idle_ms: int = 30_000
    batch: int = 100
    block_ms: int = 1000
    # Called after an event's changes committed (e.g. to drop cached reads they affect).
    after_commit: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        self.name = self.name or instance_name()
        self.processed = 0
        self.parked = 0

    async def _mark(self, session: AsyncSession, event_id: uuid.UUID) -> bool:
        stmt = (
            dialect_insert(session)(ConsumedEvent)
            .values(consumer=self.consumer.name, event_id=event_id)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        )
        result = await session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    async def _mark_many(self, session: AsyncSession, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Marks the events consumed in one statement; answers the ids that were new."""
        stmt = (
            dialect_insert(session)(ConsumedEvent)
            .values([{"consumer": self.consumer.name, "event_id": i} for i in dict.fromkeys(ids)])
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(ConsumedEvent.event_id)
        )
        return set((await session.execute(stmt)).scalars())

    async def _park(self, d: Delivery, error: str) -> None:
        ev = d.event
        try:
            event_id = uuid.UUID(str(ev.get("id")))
        except ValueError:
            event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"nexfitra:bad-event:{d.entry_id}")
        user: uuid.UUID | None
        try:
            user = uuid.UUID(str(ev.get("user_id")))
        except ValueError:
            user = None
        async with self.sessionmaker() as session:
            await session.execute(
                dialect_insert(session)(ParkedEvent)
                .values(
                    id=uuid.uuid4(),
                    consumer=self.consumer.name,
                    event_id=event_id,
                    type=str(ev.get("type"))[:40],
                    user_id=user,
                    attempts=d.deliveries,
                    error=error[:500],
                    event=ev,
                )
                .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            )
            await session.commit()
        self.parked += 1
        log.error("event %s parked by %s: %s", event_id, self.consumer.name, error)

    async def apply(self, d: Delivery) -> bool:
        """Handles one delivery; True when it may be acknowledged."""
        ev = d.event
        if ev.get("type") not in self.consumer.types:
            return True
        try:
            event_id = uuid.UUID(str(ev["id"]))
            async with self.sessionmaker() as session:
                applied = await self._mark(session, event_id)
                if applied:
                    await self.consumer.handle(session, ev)
                await session.commit()
        except Exception as exc:
            if d.deliveries >= self.max_attempts:
                await self._park(d, f"{type(exc).__name__}: {exc}")
                return True
            log.warning(
                "event %s failed in %s (delivery %d): %s",
                ev.get("id"),
                self.consumer.name,
                d.deliveries,
                exc,
            )
            return False
        self.processed += 1
        if applied and self.after_commit is not None:
            try:
                await self.after_commit(ev)
            except Exception as exc:
                log.warning("after-commit hook of %s failed: %s", self.consumer.name, exc)
        return True

    async def _apply_batch(self, deliveries: Sequence[Delivery]) -> bool:
        """All wanted deliveries in one transaction; False (nothing applied) if it failed."""
        assert self.consumer.handle_batch is not None
        wanted = [d for d in deliveries if d.event.get("type") in self.consumer.types]
        if not wanted:
            return True
        try:
            async with self.sessionmaker() as session:
                ids = [uuid.UUID(str(d.event["id"])) for d in wanted]
                new_ids = await self._mark_many(session, ids)
                fresh = [d.event for d, i in zip(wanted, ids, strict=True) if i in new_ids]
                if fresh:
                    await self.consumer.handle_batch(session, fresh)
                await session.commit()
        except Exception as exc:
            log.warning("batch of %d failed in %s: %s", len(wanted), self.consumer.name, exc)
            return False
        self.processed += len(wanted)
        if self.after_commit is not None:
            for ev in fresh:
                try:
                    await self.after_commit(ev)
                except Exception as exc:
                    log.warning("after-commit hook of %s failed: %s", self.consumer.name, exc)
        return True

    async def process(self, deliveries: Sequence[Delivery]) -> int:
        if self.consumer.handle_batch is not None and len(deliveries) > 1:
            if await self._apply_batch(deliveries):
                await self.bus.ack(self.consumer.name, [d.entry_id for d in deliveries])
                return len(deliveries)
        done = [d.entry_id for d in deliveries if await self.apply(d)]
        await self.bus.ack(self.consumer.name, done)
        return len(done)

    async def step(self, *, reclaim: bool = False, block_ms: int | None = None) -> int:
        """One read (and optionally one reclaim) and its processing; answers deliveries seen."""
        group = self.consumer.name
        seen = 0
        if reclaim:
            stale = await self.bus.reclaim(
                group, self.name, min_idle_ms=self.claim_idle_ms, count=self.batch
            )
            seen += len(stale)
            await self.process(stale)
        fresh = await self.bus.read(
            group,
            self.name,
            count=self.batch,
            block_ms=self.block_ms if block_ms is None else block_ms,
        )
        seen += len(fresh)
        await self.process(fresh)
        return seen

    async def drain(self) -> int:
        """Processes everything available now (tests, benchmarks); answers deliveries seen."""
        await self.bus.ensure_group(self.consumer.name)
        total = 0
        first = True
        while n := await self.step(reclaim=first, block_ms=0):
            total += n
            first = False
        return total

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        ready = False
        last_reclaim = 0.0
        while not stop.is_set():
            try:
                if not ready:
                    await self.bus.ensure_group(self.consumer.name)
                    ready = True
                now = time.monotonic()
                reclaim = now - last_reclaim >= self.claim_idle_ms / 2000
                if reclaim:
                    last_reclaim = now
                await self.step(reclaim=reclaim)
                backoff = 0.5
            except (RedisError, OSError) as exc:
                log.warning("consumer %s: event bus unavailable: %s", self.consumer.name, exc)
                ready = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception:
                log.exception("consumer %s: iteration failed", self.consumer.name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
