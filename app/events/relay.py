"""The outbox relay: committed events -> the event bus, each published once.

A batch is read oldest first (on PostgreSQL with FOR UPDATE SKIP LOCKED, so relays in several
processes share the work), published, then stamped `published_at` in the same transaction. If
Redis is down the publish raises, the transaction rolls back and the rows wait for the next try;
writes never depend on it. If the process dies between publishing and committing the stamp, the
next relay publishes the batch again and the bus drops every event it has already seen (its
publish is idempotent by event id), so nothing reaches consumers twice from the relay.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from app.core.eventbus import EventBus
from app.core.types import utcnow
from app.events.models import OutboxEvent
from app.events.outbox import envelope

log = logging.getLogger("nexfitra.events")

BATCH = 500
_OUTBOX: sa.Table = OutboxEvent.__table__  # type: ignore[attr-defined]
RETENTION = dt.timedelta(days=7)
_STAMP_PG = (
    sa.update(_OUTBOX)
    .where(_OUTBOX.c.id == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Uuid()))))
    .values(published_at=sa.bindparam("now", type_=_OUTBOX.c.published_at.type))
)

# The batch taken and stamped in one statement: its rows are locked (SKIP LOCKED, as the
# SELECT ... FOR UPDATE of the general path) and stamped until the transaction ends; a publish
# that fails rolls the stamps back. The database also renders the batch as the bus's text
# (`EventBus.publish_lines`), oldest first, in the shape `outbox.envelope` gives: the relay's
# Python work was decoding each row and its payload, building the envelope and encoding it
# again, then redis-py packing three arguments per event, 30-50 us of the API process per
# event. Each body is compact JSON spelled out by concatenation (every column is NOT NULL;
# uuids and integers need no escaping, the type goes through to_json, the payload is stored
# JSON): json_build_object worked out each value's JSON category on every row, about 3 us of
# PostgreSQL per event of the ~20 a take costs. Table and column names come from the model.
_TAKE_PG = (
    f"WITH taken AS (UPDATE {_OUTBOX.name} SET published_at = $1 WHERE id IN "  # noqa: S608
    f"(SELECT id FROM {_OUTBOX.name} WHERE published_at IS NULL "
    f"ORDER BY occurred_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) "
    f"RETURNING id, type, version, user_id, occurred_at, payload) "
    "SELECT count(*)::int, coalesce(string_agg(id::text || chr(31) || user_id::text || chr(31) || "
    '\'{"id":"\' || id::text || \'","type":\' || to_json(type)::text || '
    "',\"version\":' || coalesce(version, 1)::text || "
    '\',"user_id":"\' || user_id::text || \'","occurred_at":"\' || '
    "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || "
    "'+00:00\",\"payload\":' || payload::text || '}', chr(30) ORDER BY occurred_at, id), '') "
    "FROM taken"
)


async def _relay_once_pg(engine: AsyncEngine, bus: EventBus, batch: int) -> int:
    """`relay_once` on PostgreSQL, straight on the pool connection's asyncpg driver: BEGIN,
    one UPDATE ... RETURNING, the publish, COMMIT. Through a session the same work took a
    SELECT and an UPDATE, and SQLAlchemy's statement and row handling cost the API process
    more per relayed event than asyncpg's (benchmarks/overhead.py: 30+ µs per log write).
    The rows are stamped with the time they were taken, just before their publish."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        try:
            async with driver.transaction():
                count, lines = await driver.fetchrow(_TAKE_PG, utcnow(), batch)
                if not count:
                    return 0
                await bus.publish_lines(lines)
        except BaseException:
            # SQLAlchemy does not know of this transaction, so its reset on return would not
            # end one left open (a cancellation during the rollback): such a connection is
            # closed instead of going back to the pool.
            if not driver.is_closed() and driver.is_in_transaction():
                await conn.invalidate()
            raise
        return int(count)


async def relay_once(
    sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus, *, batch: int = BATCH
) -> int:
    """Publishes up to `batch` waiting events; answers how many were stamped published."""
    bind = sessionmaker.kw.get("bind")
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql":
        return await _relay_once_pg(bind, bus, batch)
    # Core rows and a Core UPDATE, not ORM objects: loading a batch into the identity map, and
    # the ORM UPDATE then evaluating its IN list against every object it holds (quadratic in
    # the batch), cost more CPU than the writes whose events these are.
    async with sessionmaker() as session:
        query = (
            sa.select(*_OUTBOX.columns)
            .where(_OUTBOX.c.published_at.is_(None))
            .order_by(_OUTBOX.c.occurred_at, _OUTBOX.c.id)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await session.execute(query)).mappings().all()
        if not rows:
            return 0
        await bus.publish([envelope(r) for r in rows])
        now = utcnow()
        ids = [r["id"] for r in rows]
        if session.get_bind().dialect.name == "postgresql":
            # One array parameter, not an IN list of one parameter per row: the IN list was a
            # new statement text for every batch size (parsed and planned again by PostgreSQL,
            # rendered again by SQLAlchemy, prepared again by asyncpg), and each id a bind.
            await session.execute(_STAMP_PG, {"ids": ids, "now": now})
        else:
            await session.execute(
                sa.update(_OUTBOX).where(_OUTBOX.c.id.in_(ids)).values(published_at=now)
            )
        await session.commit()
        return len(rows)


async def relay_all(
    sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus, *, batch: int = BATCH
) -> int:
    total = 0
    while n := await relay_once(sessionmaker, bus, batch=batch):
        total += n
        if n < batch:
            break
    return total


async def unpublished(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        n = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxEvent)
            .where(col(OutboxEvent.published_at).is_(None))
        )
        return int(n or 0)


async def purge(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Deletes events published more than RETENTION ago (consumers have long read them)."""
    async with sessionmaker() as session:
        result = await session.execute(
            sa.delete(OutboxEvent).where(col(OutboxEvent.published_at) < utcnow() - RETENTION)
        )
        await session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
