"""Running the event machinery: the outbox relay and the consumers.

- API process: always a bus (the live stream reads it) and, unless EVENTS_IN_PROCESS=false (or
  ENVIRONMENT=test), the relay, woken by each write so events go out at once. Without Redis the
  consumers run here too, on the in-process bus.
- `nexfitra worker` (Redis): the relay and the consumers. Relays in several processes share the
  outbox (SKIP LOCKED); consumers in several processes share each group's entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

import app.models  # noqa: F401  (consumers write rows whose foreign keys name every table)
from app.core.cache import user_scope
from app.core.eventbus import EventBus, create_bus
from app.core.resources import Resources
from app.events import insights, outbox, relay
from app.events.config import EventsSettings, get_events_settings
from app.events.consumers import Consumer, ConsumerRunner

log = logging.getLogger("nexfitra.events")

PURGE_EVERY_S = 3600.0


def all_consumers() -> list[Consumer]:
    return [insights.CONSUMER]


@dataclass
class EventsRuntime:
    resources: Resources
    bus: EventBus
    config: EventsSettings
    consumers: list[Consumer] = field(default_factory=all_consumers)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    runners: list[ConsumerRunner] = field(default_factory=list)
    published: int = 0

    def runner(self, consumer: Consumer, name: str = "") -> ConsumerRunner:
        cache = self.resources.cache

        async def invalidate(event: dict[str, Any]) -> None:
            await cache.invalidate(user_scope(uuid.UUID(event["user_id"])))

        return ConsumerRunner(
            self.resources.sessionmaker,
            self.bus,
            consumer,
            name=name,
            max_attempts=self.config.max_attempts,
            claim_idle_ms=int(self.config.claim_idle_s * 1000),
            batch=self.config.batch,
            after_commit=invalidate,
        )

    def start(self, *, relay_loop: bool, consume: bool) -> None:
        if relay_loop:
            outbox.subscribe_wakeup(self.wake)
            self.tasks.append(asyncio.create_task(self._relay_loop()))
        if consume:
            for consumer in self.consumers:
                r = self.runner(consumer)
                self.runners.append(r)
                self.tasks.append(asyncio.create_task(r.run(self.stop)))

    async def relay_now(self) -> int:
        n = await relay.relay_all(self.resources.sessionmaker, self.bus, batch=self.config.batch)
        self.published += n
        return n

    def _next_window(self, window: float, published: int) -> float:
        """The coalescing window after a pass that published `published` events: doubled
        while passes keep finding several (sustained load), up to relay_coalesce_max_s; the
        configured one after a pass that found one or none, so a lone write goes out promptly."""
        base = self.config.relay_coalesce_s
        if published <= 1 or not base:
            return base
        return max(base, min(window * 2, self.config.relay_coalesce_max_s))

    async def _relay_loop(self) -> None:
        backoff = self.config.relay_interval_s
        last_purge = time.monotonic()
        window = self.config.relay_coalesce_s
        while not self.stop.is_set():
            self.wake.clear()
            try:
                window = self._next_window(window, await self.relay_now())
                backoff = self.config.relay_interval_s
                if time.monotonic() - last_purge > PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    await relay.purge(self.resources.sessionmaker)
            except (RedisError, OSError) as exc:
                # Events stay in the outbox; writes are unaffected.
                log.warning("event relay: bus unavailable, events wait in the outbox: %s", exc)
                backoff = min(backoff * 2, 30.0)
            except Exception:
                log.exception("event relay iteration failed")
            with contextlib.suppress(TimeoutError):
                waits = [
                    asyncio.ensure_future(self.stop.wait()),
                    asyncio.ensure_future(self.wake.wait()),
                ]
                try:
                    await asyncio.wait(waits, timeout=backoff, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for w in waits:
                        w.cancel()
            if self.wake.is_set() and not self.stop.is_set() and window:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), window)

    async def close(self) -> None:
        self.stop.set()
        outbox.unsubscribe_wakeup(self.wake)
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.bus.close()


def create_runtime(resources: Resources) -> EventsRuntime:
    return EventsRuntime(resources, create_bus(resources.settings.redis_url), get_events_settings())


async def start_for_app(resources: Resources) -> EventsRuntime:
    runtime = create_runtime(resources)
    in_process = runtime.config.in_process
    if in_process is None:
        in_process = resources.settings.environment != "test"
    if in_process:
        runtime.start(relay_loop=True, consume=not resources.settings.redis_url)
    return runtime
