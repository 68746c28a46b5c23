"""Driving the event machinery by hand: a fresh bus and runtime per test, relay and drain."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa

from app.auth.models import User
from app.core.eventbus import EventBus, MemoryEventBus, RedisEventBus, create_bus
from app.events.config import EventsSettings
from app.events.models import ConsumedEvent, OutboxEvent
from app.events.runtime import EventsRuntime


def app_of(client: httpx.AsyncClient) -> Any:
    return client._transport.app  # type: ignore[attr-defined]


def fresh_runtime(client: httpx.AsyncClient, bus: EventBus | None = None, **cfg: Any) -> Any:
    """A runtime of the client's app with its own bus (memory, or Redis on the test db)."""
    res = app_of(client).state.resources
    if bus is None:
        bus = create_bus(res.settings.redis_url)
    return EventsRuntime(res, bus, EventsSettings(**cfg))


async def outbox_rows(client: httpx.AsyncClient, type_: str | None = None) -> list[OutboxEvent]:
    res = app_of(client).state.resources
    async with res.sessionmaker() as s:
        q = sa.select(OutboxEvent).order_by(OutboxEvent.occurred_at)
        if type_:
            q = q.where(OutboxEvent.type == type_)
        return list(await s.scalars(q))


async def consumed(client: httpx.AsyncClient, consumer: str = "insights") -> list[uuid.UUID]:
    res = app_of(client).state.resources
    async with res.sessionmaker() as s:
        rows = await s.scalars(
            sa.select(ConsumedEvent.event_id).where(ConsumedEvent.consumer == consumer)
        )
        return list(rows)


async def make_admin(client: httpx.AsyncClient, user_id: str) -> None:
    res = app_of(client).state.resources
    async with res.sessionmaker() as s:
        await s.execute(sa.update(User).where(User.id == uuid.UUID(user_id)).values(is_admin=True))
        await s.commit()


def is_redis(bus: EventBus) -> bool:
    return isinstance(bus, RedisEventBus)


def is_memory(bus: EventBus) -> bool:
    return isinstance(bus, MemoryEventBus)
