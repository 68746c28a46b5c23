"""The event pipeline's figures for /metrics: outbox backlog, each consumer's lag, parked events."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.events.models import OutboxEvent, ParkedEvent

log = logging.getLogger("nexfitra.events")


def _lines(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> list[str]:
    return [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"] + [
        f"{name}{labels} {int(v)}" for labels, v in samples
    ]


async def render(runtime: Any, session: AsyncSession) -> str:
    unpublished = await session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxEvent)
        .where(col(OutboxEvent.published_at).is_(None))
    )
    parked = (
        await session.execute(
            sa.select(col(ParkedEvent.consumer), sa.func.count()).group_by(
                col(ParkedEvent.consumer)
            )
        )
    ).all()
    lines = _lines(
        "nexfitra_events_outbox_unpublished",
        "gauge",
        "Committed events the relay has not published yet (Redis down or relay behind).",
        [("", int(unpublished or 0))],
    )
    pending: list[tuple[str, float]] = []
    lag: list[tuple[str, float]] = []
    if runtime is not None:
        for consumer in runtime.consumers:
            try:
                state = await runtime.bus.lag(consumer.name)
            except Exception as exc:  # the bus is down: report nothing rather than fail the scrape
                log.warning("events metrics: bus unavailable: %s", exc)
                continue
            label = f'{{consumer="{consumer.name}"}}'
            pending.append((label, state["pending"]))
            lag.append((label, state["lag"]))
    lines += _lines(
        "nexfitra_events_consumer_pending",
        "gauge",
        "Events delivered to a consumer group and not yet acknowledged.",
        pending,
    )
    lines += _lines(
        "nexfitra_events_consumer_lag",
        "gauge",
        "Published events not yet delivered to a consumer group.",
        lag,
    )
    lines += _lines(
        "nexfitra_events_parked",
        "gauge",
        "Events a consumer gave up on (see GET /api/v1/admin/events).",
        [(f'{{consumer="{c}"}}', n) for c, n in parked],
    )
    return "\n".join(lines) + "\n"
