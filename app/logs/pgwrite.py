"""A food log entry on PostgreSQL in one statement, straight on asyncpg.

The same statement `outbox.execute_with_events` builds through SQLAlchemy for
`service.create_entry` (the entry as a data-modifying CTE of its FoodLogged event's outbox
insert, optionally only while the user's zone is the one the entry was dated with), written
out once: building that statement, its cache key, its parameters and its result through
SQLAlchemy cost more CPU per write than everything else the write does. asyncpg prepares it
once per connection. Atomic without BEGIN/COMMIT: a lone statement is its own transaction.

Column lists and types come from the table models, so a new column cannot be forgotten here;
values are stored exactly as SQLAlchemy stores them (`nutrients` None is the JSON `null`, as
`sa.JSON` writes it).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.auth.models import User
from app.events.models import OutboxEvent
from app.logs.models import LogEntry

_PG = postgresql.dialect()


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _cast(column: sa.Column[Any]) -> str:
    # Without the length: a cast to VARCHAR(n) would cut a long value silently, where the
    # column itself refuses it, as it does for SQLAlchemy's untyped parameters.
    return re.sub(r"\(\d+\)$", "", str(column.type.compile(dialect=_PG)))


ENTRY_COLUMNS = tuple(c.key for c in _table(LogEntry).columns)
EVENT_COLUMNS = tuple(c.key for c in _table(OutboxEvent).columns)
_JSON_ENTRY = frozenset(c.key for c in _table(LogEntry).columns if isinstance(c.type, sa.JSON))
_JSON_EVENT = frozenset(c.key for c in _table(OutboxEvent).columns if isinstance(c.type, sa.JSON))


def _sql(zone_checked: bool) -> str:
    entries, events, users = _table(LogEntry), _table(OutboxEvent), _table(User)
    n = 0

    def params(table: sa.Table, columns: tuple[str, ...]) -> str:
        nonlocal n
        out = []
        for c in columns:
            n += 1
            out.append(f"${n}::{_cast(table.c[c])}")
        return ", ".join(out)

    entry = params(entries, ENTRY_COLUMNS)
    event = params(events, EVENT_COLUMNS)
    where = ""
    if zone_checked:
        where = (
            f" WHERE EXISTS (SELECT 1 FROM {users.name} WHERE id = ${n + 1}::uuid "  # noqa: S608
            f"AND timezone = ${n + 2}::text)"
        )
    names = ", ".join
    # Table, column and type names come from the models, never from input.
    return (
        f"WITH change AS (INSERT INTO {entries.name} ({names(ENTRY_COLUMNS)}) "  # noqa: S608
        f"SELECT {entry}{where} RETURNING 1) "
        f"INSERT INTO {events.name} ({names(EVENT_COLUMNS)}) SELECT {event} FROM change"
    )


INSERT_SQL = _sql(zone_checked=False)
# Only while the user's zone is still `zone`: with Redis the zone may come from a cache that
# missed a change (see `service.create_entry`).
INSERT_IF_ZONE_SQL = _sql(zone_checked=True)


def _args(row: dict[str, Any], event: dict[str, Any]) -> list[Any]:
    # JSON as text: SQLAlchemy's codec on these connections sends `json` as is.
    args = [json.dumps(row.get(c)) if c in _JSON_ENTRY else row.get(c) for c in ENTRY_COLUMNS]
    args += [json.dumps(event[c]) if c in _JSON_EVENT else event[c] for c in EVENT_COLUMNS]
    return args


async def insert(
    driver: Any,
    row: dict[str, Any],
    event: dict[str, Any],
    zone: tuple[uuid.UUID, str] | None = None,
) -> bool:
    """Inserts the entry and its event, or nothing when `zone` (user id, zone) is given and is
    no longer the user's; answers whether they were inserted."""
    if zone is None:
        status = await driver.execute(INSERT_SQL, *_args(row, event))
    else:
        status = await driver.execute(INSERT_IF_ZONE_SQL, *_args(row, event), *zone)
    # "INSERT 0 <rows>": the events inserted, one exactly when the entry was.
    return str(status).rsplit(" ", 1)[-1] != "0"
