"""A food log entry on PostgreSQL in one statement, straight on asyncpg.

The same statement `outbox.execute_with_events` builds through SQLAlchemy for
`service.create_entry` (the entry as a data-modifying CTE of its FoodLogged event's outbox
insert, optionally only while the user's zone is the one the entry was dated with), written
out once: building that statement, its cache key, its parameters and its result through
SQLAlchemy cost more CPU per write than everything else the write does. asyncpg prepares it
once per connection. Atomic without BEGIN/COMMIT: a lone statement is its own transaction.

Concurrent writes share a statement (`Inserts`): the entries that arrive in the same turn of
the event loop while statements are in flight go as one INSERT of all their rows and events,
one commit for all of them.

Column lists and types come from the table models, so a new column cannot be forgotten here;
values are stored exactly as SQLAlchemy stores them (`nutrients` None is the JSON `null`, as
`sa.JSON` writes it).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
import weakref
from collections.abc import Coroutine
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.auth.models import User
from app.core.batching import TurnBatcher, fail
from app.core.db import raw_statements
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


_JSON_AT = tuple(i for i, c in enumerate(ENTRY_COLUMNS) if c in _JSON_ENTRY) + tuple(
    len(ENTRY_COLUMNS) + i for i, c in enumerate(EVENT_COLUMNS) if c in _JSON_EVENT
)


def _args(row: dict[str, Any], event: dict[str, Any]) -> list[Any]:
    args = [row.get(c) for c in ENTRY_COLUMNS]
    args += [event[c] for c in EVENT_COLUMNS]
    # JSON as text: SQLAlchemy's codec on these connections sends `json` as is.
    for i in _JSON_AT:
        value = args[i]
        args[i] = "null" if value is None else json.dumps(value)
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


def _many_sql() -> str:
    """Many entries and their events in one statement: one array per column (unnest), plus
    each entry's zone to check (NULL: none), inserting the entries whose zone still holds and
    the events of the entries inserted; answers the ids of the entries inserted."""
    entries, events, users = _table(LogEntry), _table(OutboxEvent), _table(User)
    arrays: list[str] = []
    names: list[str] = []
    n = 0

    def column(table: sa.Table, c: str, alias: str, json_: bool) -> str:
        nonlocal n
        n += 1
        # JSON travels as text, as in the single statement, and is cast back in the SELECT.
        arrays.append(f"${n}::{'TEXT' if json_ else _cast(table.c[c])}[]")
        names.append(alias)
        return f"{alias}::JSON" if json_ else alias

    entry = [column(entries, c, f"e{i}", c in _JSON_ENTRY) for i, c in enumerate(ENTRY_COLUMNS)]
    event = [column(events, c, f"x{i}", c in _JSON_EVENT) for i, c in enumerate(EVENT_COLUMNS)]
    n += 1
    arrays.append(f"${n}::TEXT[]")
    names.append("zone")
    entry_id = f"e{ENTRY_COLUMNS.index('id')}"
    entry_user = f"e{ENTRY_COLUMNS.index('user_id')}"
    cols = ", ".join
    # Table, column and type names come from the models, never from input.
    return (
        f"WITH v AS (SELECT * FROM unnest({cols(arrays)}) AS v({cols(names)})), "  # noqa: S608
        f"change AS (INSERT INTO {entries.name} ({cols(ENTRY_COLUMNS)}) "
        f"SELECT {cols(entry)} FROM v WHERE v.zone IS NULL OR EXISTS "
        f"(SELECT 1 FROM {users.name} u WHERE u.id = v.{entry_user} AND u.timezone = v.zone) "
        f"RETURNING id), "
        f"ev AS (INSERT INTO {events.name} ({cols(EVENT_COLUMNS)}) "
        f"SELECT {cols(event)} FROM v JOIN change ON change.id = v.{entry_id}) "
        f"SELECT id FROM change"
    )


INSERT_MANY_SQL = _many_sql()

_Zone = tuple[uuid.UUID, str] | None
_Item = tuple[dict[str, Any], dict[str, Any], _Zone, "asyncio.Future[bool]"]


def _many_args(batch: list[_Item]) -> list[tuple[Any, ...]]:
    # One tuple per column (asyncpg takes any sized iterable for an array), transposed in C.
    rows = [(*_args(row, event), zone and zone[1]) for row, event, zone, _ in batch]
    return list(zip(*rows, strict=True))


# Statements of `Inserts` in flight at once. Few, so that under load the writes that arrive
# meanwhile queue and leave together (one commit for many rows); a lone write still waits for
# nothing but its own round trip.
MAX_IN_FLIGHT = 2


class Inserts(TurnBatcher[list[_Item]]):
    """`insert` for the writes of many requests at once, each answered on its own.

    Under load, each write's own statement cost this process ~180 µs of asyncpg work and the
    database a commit (a WAL flush) per row. Here a write that finds `MAX_IN_FLIGHT` statements
    out queues; each turn of the event loop sends what queued as one statement
    (INSERT_MANY_SQL), so batches grow with the load. What each request is told stays its own:
    its future resolves only once the statement holding its row returned, so its row is
    committed when it answers. A statement the database refuses writes nothing, so its writes
    are then sent again one by one: a row that breaks a constraint (an account deleted
    meanwhile) fails its own request only. A lost connection fails the writes it carried, as
    it would have failed each of them alone."""

    def __init__(self) -> None:
        super().__init__(list, MAX_IN_FLIGHT)
        # The engine of the latest call, not kept beyond the statements it is needed for: this
        # object lives in a dict keyed weakly by the engine.
        self._engine: Any = None

    def insert(
        self,
        engine: Any,
        row: dict[str, Any],
        event: dict[str, Any],
        zone: tuple[uuid.UUID, str] | None,
    ) -> asyncio.Future[bool]:
        loop = self._queue()
        future: asyncio.Future[bool] = loop.create_future()
        self._engine = engine
        self._pending.append((row, event, zone, future))
        self._schedule(loop)
        return future

    def _send(self, batch: list[_Item]) -> Coroutine[Any, Any, None]:
        engine, self._engine = self._engine, None
        return self._run(engine, batch)

    async def _run(self, engine: Any, batch: list[_Item]) -> None:
        try:
            async with raw_statements(engine) as driver:
                if len(batch) > 1:
                    try:
                        inserted = await driver.fetch(INSERT_MANY_SQL, *_many_args(batch))
                    except asyncpg.PostgresError:
                        pass  # nothing was written: each on its own below
                    else:
                        ids = {r[0] for r in inserted}
                        for row, _, _, future in batch:
                            if not future.done():
                                future.set_result(row["id"] in ids)
                        return
                for row, event, zone, future in batch:
                    try:
                        done = await insert(driver, row, event, zone)
                    except asyncpg.PostgresError as exc:
                        if not future.done():
                            future.set_exception(exc)
                    else:
                        if not future.done():
                            future.set_result(done)
        except BaseException as exc:
            fail((future for *_, future in batch), exc)
            if not isinstance(exc, Exception):
                raise


_inserts: weakref.WeakKeyDictionary[Any, Inserts] = weakref.WeakKeyDictionary()


async def insert_shared(
    engine: Any,
    row: dict[str, Any],
    event: dict[str, Any],
    zone: tuple[uuid.UUID, str] | None = None,
) -> bool:
    """`insert` on a raw connection of `engine` (core/db.raw_statements), in one statement with
    the concurrent writes of other requests (`Inserts`)."""
    inserts = _inserts.get(engine.sync_engine)
    if inserts is None:
        inserts = _inserts[engine.sync_engine] = Inserts()
    return await inserts.insert(engine, row, event, zone)
