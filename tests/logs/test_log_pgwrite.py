"""The food log write on PostgreSQL (`app.logs.pgwrite`, raw asyncpg) against the SQLAlchemy
Core write it replaces there (still SQLite's): the same rows, events and answers, and all or
nothing when a statement fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.core.cache import MemoryCache, profile_scope
from app.core.errors import Unauthorized
from app.events.models import OutboxEvent
from app.logs import pgwrite, service
from app.logs.models import LogEntry
from tests.conftest import BACKEND, create_user

pytestmark = pytest.mark.skipif(BACKEND != "server", reason="the PostgreSQL write path")

BODIES: list[dict[str, Any]] = [
    {
        "date": dt.date(2024, 5, 8),
        "consumed_at": None,
        "meal_type": "lunch",
        "description": "typed macros",
        "grams": None,
        "kcal": 500.0,
        "protein_g": 30.0,
        "carbs_g": 50.0,
        "fat_g": 15.0,
        "fiber_g": None,
        "sugars_g": None,
        "sat_fat_g": None,
        "sodium_mg": None,
        "food_id": None,
    },
    {
        "date": None,
        "consumed_at": dt.datetime(2024, 3, 9, 15, 30, tzinfo=dt.UTC),
        "meal_type": "dinner",
        "description": "every field",
        "grams": 250.0,
        "kcal": 410.5,
        "protein_g": 21.25,
        "carbs_g": 40.0,
        "fat_g": 12.0,
        "fiber_g": 6.5,
        "sugars_g": 3.0,
        "sat_fat_g": 2.5,
        "sodium_mg": 720.0,
        "food_id": None,
    },
]
# What differs between two writes of the same body by design.
_OWN = {"id", "user_id", "created_at", "updated_at", "entry_id", "occurred_at"}


async def _user(client: Any, tz: str = "Asia/Tokyo") -> uuid.UUID:
    return uuid.UUID((await create_user(client, tz=tz)).id)


async def _stored(engine: Any, user_id: uuid.UUID) -> tuple[list[dict[str, Any]], list[Any]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(LogEntry.__table__, LogEntry.nutrients.is_(None).label("sql_null"))  # type: ignore[attr-defined]
                .where(LogEntry.user_id == user_id)
                .order_by(LogEntry.created_at)
            )
        ).all()
        events = (
            await conn.execute(
                sa.select(OutboxEvent.__table__).where(OutboxEvent.user_id == user_id)  # type: ignore[attr-defined]
            )
        ).all()
        version = await conn.scalar(sa.select(User.cache_version).where(User.id == user_id))
    return [dict(r._mapping) for r in rows], [[dict(e._mapping) for e in events], version]


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert {k: v for k, v in a.items() if k not in _OWN} == {
        k: v for k, v in b.items() if k not in _OWN
    }


@pytest.mark.parametrize("reliable", [True, False], ids=["memory-cache", "redis-cache"])
async def test_raw_and_core_writes_store_the_same(app, client, reliable):
    res = app.state.resources
    engine = res.engine
    cache = MemoryCache(60) if reliable else res.cache
    raw_user, core_user = await _user(client), await _user(client)
    for body in BODIES:
        raw = await service._create_entry_pg(engine, cache, raw_user, "Asia/Tokyo", dict(body))
        core = await service._create_entry_core(engine, cache, core_user, "Asia/Tokyo", dict(body))
        _same(raw, core)
        assert raw["user_id"] == raw_user and core["user_id"] == core_user
    # 15:30 UTC on the 9th is the 10th in Tokyo.
    assert raw["date"] == dt.date(2024, 3, 10)
    (raw_rows, (raw_events, raw_version)), (core_rows, (core_events, core_version)) = [
        await _stored(engine, u) for u in (raw_user, core_user)
    ]
    assert len(raw_rows) == len(core_rows) == 2
    for r, c in zip(raw_rows, core_rows, strict=True):
        _same(r, c)
        assert r["sql_null"] is False  # `nutrients` None is the JSON null, as SQLAlchemy has it
    assert len(raw_events) == len(core_events) == 2
    for r, c in zip(
        sorted(raw_events, key=lambda e: e["payload"]["description"]),
        sorted(core_events, key=lambda e: e["payload"]["description"]),
        strict=True,
    ):
        _same({**r, "payload": None}, {**c, "payload": None})
        _same(r["payload"], c["payload"])
        assert r["payload"]["entry_id"] in {str(row["id"]) for row in raw_rows}
        assert r["type"] == "FoodLogged" and r["published_at"] is None
    # The cache-version trigger ran for each write on both paths.
    assert raw_version == core_version


async def test_stale_zone_is_dated_again(app, client):
    """With Redis the zone may be stale: nothing is written with it, the entry is dated with the
    stored zone, and the stale one is dropped from the cache."""
    res = app.state.resources
    user = await _user(client)
    await res.cache.put(profile_scope(user), "tz", "America/Los_Angeles", "")
    body = dict(BODIES[1])
    row = await service._create_entry_pg(res.engine, res.cache, user, "America/Los_Angeles", body)
    assert row["date"] == dt.date(2024, 3, 10)
    rows, (events, _) = await _stored(res.engine, user)
    assert [r["date"] for r in rows] == [dt.date(2024, 3, 10)]
    assert [e["payload"]["date"] for e in events] == ["2024-03-10"]
    assert (await res.cache.get(profile_scope(user), "tz"))[0] is None


async def test_gone_user_writes_nothing(app, client):
    res = app.state.resources
    for cache in (MemoryCache(60), res.cache):
        with pytest.raises(Unauthorized):
            await service._create_entry_pg(res.engine, cache, uuid.uuid4(), "UTC", dict(BODIES[0]))
    async with res.engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(LogEntry)) == 0
        assert await conn.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)) == 0


async def test_failed_event_rolls_the_entry_back(app, client):
    """The entry and its event are one statement: an event that cannot be written (here its id
    is taken) leaves no entry behind."""
    res = app.state.resources
    user = await _user(client)
    first = await service._create_entry_pg(res.engine, res.cache, user, "UTC", dict(BODIES[0]))
    (row,) = service._new_rows(user, "UTC", [dict(BODIES[0])])
    event = service._logged_event(row)
    _, (events, _) = await _stored(res.engine, user)
    event["id"] = events[0]["id"]
    async with res.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        with pytest.raises(Exception, match="duplicate key"):
            await pgwrite.insert(driver, row, event)
    rows, (events, _) = await _stored(res.engine, user)
    assert [r["id"] for r in rows] == [first["id"]]
    assert len(events) == 1


async def _xmins(engine: Any, users: list[uuid.UUID]) -> list[int]:
    """The transaction that wrote each of these users' entries."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT xmin::text::bigint FROM log_entries WHERE user_id = ANY(:u)"),
            {"u": users},
        )
        return [int(r[0]) for r in rows]


async def test_concurrent_writes_share_one_statement(app, client):
    """Writes asked for in the same turn go as one statement (one transaction for all their
    rows), and each stores and answers exactly what it would have stored alone."""
    res = app.state.resources
    users = [await _user(client) for _ in range(6)]
    alone = await _user(client)
    rows = await asyncio.gather(
        *(
            service._create_entry_pg(res.engine, res.cache, u, "Asia/Tokyo", dict(BODIES[i % 2]))
            for i, u in enumerate(users)
        )
    )
    assert len(set(await _xmins(res.engine, users))) == 1
    reference = await service._create_entry_pg(
        res.engine, res.cache, alone, "Asia/Tokyo", dict(BODIES[1])
    )
    (ref_row,), (ref_events, ref_version) = await _stored(res.engine, alone)
    for i, (u, row) in enumerate(zip(users, rows, strict=True)):
        assert row["user_id"] == u
        (stored,), (events, version) = await _stored(res.engine, u)
        assert stored["id"] == row["id"]
        assert version == ref_version  # the cache-version trigger ran for the row
        if i % 2:
            _same(row, reference)
            _same(stored, ref_row)
            _same({**events[0], "payload": None}, {**ref_events[0], "payload": None})
            _same(events[0]["payload"], ref_events[0]["payload"])
        assert [e["payload"]["entry_id"] for e in events] == [str(row["id"])]


async def test_a_failing_write_fails_only_its_own_request(app, client):
    """A row the database refuses (an account deleted meanwhile) fails its request alone; the
    other writes of its statement are stored and answered, and a stale zone in the statement is
    dated again for its own request only."""
    res = app.state.resources
    users = [await _user(client) for _ in range(4)]
    stale = await _user(client)
    await res.cache.put(profile_scope(stale), "tz", "America/Los_Angeles", "")
    writes = [
        service._create_entry_pg(res.engine, res.cache, u, "Asia/Tokyo", dict(BODIES[1]))
        for u in users
    ]
    writes.insert(
        2, service._create_entry_pg(res.engine, res.cache, uuid.uuid4(), "UTC", {**BODIES[0]})
    )
    writes.append(
        service._create_entry_pg(
            res.engine, res.cache, stale, "America/Los_Angeles", dict(BODIES[1])
        )
    )
    answers = await asyncio.gather(*writes, return_exceptions=True)
    assert isinstance(answers[2], Unauthorized)
    stored = [a for i, a in enumerate(answers) if i != 2]
    assert all(isinstance(a, dict) for a in stored), answers
    for u, answer in zip([*users, stale], stored, strict=True):
        (row,), (events, _) = await _stored(res.engine, u)
        assert row["id"] == answer["id"] and row["user_id"] == u
        assert [e["payload"]["entry_id"] for e in events] == [str(row["id"])]
        # 15:30 UTC on the 9th is the 10th in Tokyo, where the stale user also lives.
        assert row["date"] == dt.date(2024, 3, 10)
    async with res.engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(LogEntry)) == 5


async def test_one_statement_locks_its_users_in_id_order(app, client):
    """A batched insert locks its users (the cache-version bump) in id order, whatever their
    order on disk or in the batch: two batches sharing users then wait for each other instead
    of deadlocking (each deadlock cost a second, `deadlock_timeout`, and a resend row by row).

    The batch lists its users highest id first, and the users written to disk first get the
    higher ids, so a plan visiting them in the batch's order or in the table's physical order
    would lock the highest first. While another transaction holds that one, the batch must
    already hold every lower one."""
    res = app.state.resources
    # Ids are random: each user kept is written after, and has a lower id than, those before.
    made = [max([await _user(client) for _ in range(3)])]
    while len(made) < 3:
        drawn = await _user(client)
        if drawn < made[-1]:
            made.append(drawn)
    high, *lower = made
    rows = [r for u in made for r in service._new_rows(u, "UTC", [dict(BODIES[0])])]
    batch = [(row, service._logged_event(row), None, None) for row in rows]

    async with res.engine.connect() as holder_conn, res.engine.connect() as batch_conn:
        holder = (await holder_conn.get_raw_connection()).driver_connection
        driver = (await batch_conn.get_raw_connection()).driver_connection
        pid = await driver.fetchval("SELECT pg_backend_pid()")
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", high)
        write = asyncio.create_task(
            driver.fetch(pgwrite.INSERT_MANY_SQL, *pgwrite._many_args(batch))
        )
        try:
            async with res.engine.connect() as probe_conn:
                probe = (await probe_conn.get_raw_connection()).driver_connection
                for _ in range(500):
                    state = await probe.fetchval(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
                    )
                    if state == "Lock":
                        break
                    await asyncio.sleep(0.01)
                assert state == "Lock", "the batch never waited for the held user"
                for low in lower:
                    ptx = probe.transaction()
                    await ptx.start()
                    try:
                        with pytest.raises(asyncpg.LockNotAvailableError):
                            await probe.execute(
                                "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE NOWAIT", low
                            )
                    finally:
                        await ptx.rollback()
        finally:
            await tx.rollback()
            inserted = await write
    assert {r[0] for r in inserted} == {row["id"] for row in rows}
    assert [len((await _stored(res.engine, u))[0]) for u in made] == [1, 1, 1]
