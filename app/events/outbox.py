"""Writing domain events: a row in `event_outbox`, in the transaction of the change itself.

Every event has the same envelope (README, "Events"):
`{"id", "type", "version", "user_id", "occurred_at", "payload"}`; `version` is the version of
that type's payload schema and rises when a field changes meaning or goes away (adding a field
does not). The relay (`app.events.relay`) publishes rows after they commit, so an event exists
if and only if its change does, whether or not Redis is up at the time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.dml import Insert

from app.core.ids import uuid7
from app.core.types import utcnow
from app.events.models import OutboxEvent

FOOD_LOGGED = "FoodLogged"
FOOD_LOG_UPDATED = "FoodLogUpdated"
FOOD_LOG_DELETED = "FoodLogDeleted"
WEIGHT_LOGGED = "WeightLogged"
WORKOUT_LOGGED = "WorkoutLogged"
PLAN_READY = "PlanReady"
INSIGHTS_UPDATED = "InsightsUpdated"

# The payload schema version of each type. Consumers check it before reading a payload.
VERSIONS: Mapping[str, int] = {
    FOOD_LOGGED: 1,
    FOOD_LOG_UPDATED: 1,
    FOOD_LOG_DELETED: 1,
    WEIGHT_LOGGED: 1,
    WORKOUT_LOGGED: 1,
    PLAN_READY: 1,
    INSIGHTS_UPDATED: 1,
}

_INSERT = sa.insert(OutboxEvent)

# Relays in this process wait on these; a write sets them so its events go out at once instead
# of at the relay's next poll.
_wakeups: set[asyncio.Event] = set()


def subscribe_wakeup(event: asyncio.Event) -> None:
    _wakeups.add(event)


def unsubscribe_wakeup(event: asyncio.Event) -> None:
    _wakeups.discard(event)


def nudge() -> None:
    for e in _wakeups:
        e.set()


def event_row(
    type_: str,
    user_id: uuid.UUID,
    payload: Mapping[str, Any],
    *,
    occurred_at: dt.datetime | None = None,
) -> dict[str, Any]:
    if type_ not in VERSIONS:
        raise ValueError(f"unknown event type {type_!r}")
    return {
        # Time-ordered: the outbox keeps a week of events, and each write's event goes to the
        # right edge of its primary key rather than a random leaf (app/core/ids.py).
        "id": uuid7(),
        "type": type_,
        "version": VERSIONS[type_],
        "user_id": user_id,
        "occurred_at": occurred_at or utcnow(),
        "payload": _jsonable(payload),
        "published_at": None,
    }


# Values that are already JSON as they are. The usual types are checked first, by exact type:
# the Mapping check below (an ABC) and the unions after it cost a food log write's event 40-90
# µs of the API process for its dozen values, about a third of that now; other types (and
# subclasses) take the general checks as before.
_PLAIN = frozenset((str, int, float, bool, type(None)))


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is uuid.UUID:
        return str(value)
    if kind is dt.date or kind is dt.datetime:
        return value.isoformat()
    if kind is dict or isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID | dt.date | dt.datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    return value


def envelope(row: Any) -> dict[str, Any]:
    """The published form of an outbox row (a mapping or an OutboxEvent)."""
    get = row.get if isinstance(row, Mapping) else lambda k: getattr(row, k)
    occurred = get("occurred_at")
    return {
        "id": str(get("id")),
        "type": get("type"),
        "version": int(get("version") or 1),
        "user_id": str(get("user_id")),
        "occurred_at": occurred.isoformat() if isinstance(occurred, dt.datetime) else occurred,
        "payload": get("payload"),
    }


async def add(session: AsyncSession | AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Stages the events in the caller's transaction; they exist once it commits."""
    if rows:
        await session.execute(_INSERT, list(rows))


async def execute_with_events(
    engine: AsyncEngine,
    statement: Insert,
    params: Mapping[str, Any],
    rows: Sequence[dict[str, Any]],
) -> bool:
    """Runs a single-row INSERT (which may insert nothing, e.g. INSERT ... SELECT ... WHERE)
    and writes its events only if it inserted its row, atomically and in as few round trips as
    the dialect allows: on PostgreSQL one statement (the change as a data-modifying CTE of the
    outbox insert, which selects from it, so no BEGIN/COMMIT round trips on the API's hottest
    path), on SQLite a short local transaction. Answers whether the row was inserted."""
    if engine.dialect.name == "postgresql":
        change = statement.returning(sa.literal_column("1").label("one")).cte("change")
        columns = [c.key for c in OutboxEvent.__table__.columns]  # type: ignore[attr-defined]
        table_cols = OutboxEvent.__table__.columns  # type: ignore[attr-defined]
        selects = [
            sa.select(*[sa.literal(r[c], type_=table_cols[c].type) for c in columns]).select_from(
                change
            )
            for r in rows
        ]
        source = selects[0] if len(selects) == 1 else sa.union_all(*selects)
        stmt = sa.insert(OutboxEvent).from_select(columns, source)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            result = await conn.execute(stmt, dict(params))
        return int(getattr(result, "rowcount", 0) or 0) > 0
    async with engine.begin() as conn:
        result = await conn.execute(statement, dict(params))
        if not getattr(result, "rowcount", 0):
            return False
        await add(conn, rows)
    return True
