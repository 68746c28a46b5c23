"""users.cache_version: bumped by the database in every write's transaction (migration
0006_a's triggers), on both backends; with Redis it is part of every per-user cache key."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import col

from app.auth.models import User
from app.auth.service import engine_cache_state
from app.core.cache import profile_scope
from app.core.errors import Unauthorized
from app.core.types import utcnow
from app.goals.models import Goal
from tests.conftest import BACKEND
from tests.logs.helpers import add_log, set_goal


async def version(app, user) -> int:
    async with app.state.resources.engine.connect() as conn:
        v = await conn.scalar(
            sa.select(col(User.cache_version)).where(col(User.id) == uuid.UUID(user.id))
        )
    return int(v)


async def test_every_write_bumps_the_version_in_its_transaction(client, app, user):
    v0 = await version(app, user)
    entry = await add_log(client, user, date="2024-03-04", kcal=300)
    v1 = await version(app, user)
    assert v1 == v0 + 1
    r = await client.patch(f"/api/v1/logs/{entry['id']}", json={"kcal": 5}, headers=user.headers)
    assert r.status_code == 200
    v2 = await version(app, user)
    assert v2 > v1
    assert (
        await client.delete(f"/api/v1/logs/{entry['id']}", headers=user.headers)
    ).status_code == 204
    v3 = await version(app, user)
    assert v3 > v2
    await set_goal(client, user, kcal=2100)
    v4 = await version(app, user)
    assert v4 > v3
    r = await client.patch(
        "/api/v1/users/me", json={"timezone": "Asia/Tokyo"}, headers=user.headers
    )
    assert r.status_code == 200
    v5 = await version(app, user)
    assert v5 > v4
    # The same zone again changes nothing a cached read depends on.
    r = await client.patch(
        "/api/v1/users/me", json={"timezone": "Asia/Tokyo"}, headers=user.headers
    )
    assert await version(app, user) == v5


async def test_a_rolled_back_write_leaves_the_version(client, app, user):
    v0 = await version(app, user)
    async with app.state.resources.engine.connect() as conn:
        trans = await conn.begin()
        await conn.execute(
            sa.insert(Goal).values(
                id=uuid.uuid4(),
                user_id=uuid.UUID(user.id),
                effective_from=dt.date(2024, 1, 1),
                kcal=1,
                protein_g=1,
                carbs_g=1,
                fat_g=1,
                source="manual",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        inside = await conn.scalar(
            sa.select(col(User.cache_version)).where(col(User.id) == uuid.UUID(user.id))
        )
        assert inside == v0 + 1  # bumped by the same transaction's write
        await trans.rollback()
    assert await version(app, user) == v0


@pytest.mark.skipif(BACKEND != "server", reason="the in-process cache cannot miss a change")
async def test_log_write_with_a_stale_cached_zone_uses_the_real_one(client, app, make_user):
    """With Redis, the zone a log write reads from the cache may predate a change Redis never
    heard of; the INSERT checks it and the entry gets the date of the user's real zone."""
    user = await make_user(tz="Asia/Tokyo")
    cache = app.state.resources.cache
    scope = profile_scope(uuid.UUID(user.id))
    # What a missed invalidation leaves behind: the zone from before the change.
    _, v = await cache.get(scope, "tz")
    await cache.put(scope, "tz", "America/Los_Angeles", v)
    entry = await add_log(client, user, date=..., consumed_at="2024-03-09T15:30:00Z")
    # 15:30 UTC is 00:30 on the 10th in Tokyo (and 07:30 on the 9th in Los Angeles).
    assert entry["date"] == "2024-03-10"
    # The stale hint was dropped, so the next write reads the real zone again.
    assert (await cache.get(scope, "tz"))[0] in (None, "Asia/Tokyo")


@pytest.mark.skipif(BACKEND != "server", reason="PostgreSQL reads it through raw asyncpg")
async def test_concurrent_version_reads_share_statements_and_each_gets_its_own_row(
    client, app, make_user
):
    """The cache-version reads of concurrent requests are merged (core.db.KeyedReads): each
    caller still gets its own user's version and zone, an unknown user is refused, and a read
    made after a write sees that write."""
    res = app.state.resources
    users = [await make_user(tz=tz) for tz in ("Asia/Tokyo", "Europe/Paris", "UTC")]
    ids = [uuid.UUID(u.id) for u in users]
    expected = [
        (f"@{await version(app, u)}", tz)
        for u, tz in zip(users, ("Asia/Tokyo", "Europe/Paris", "UTC"), strict=True)
    ]
    calls = [engine_cache_state(res.engine, res.cache, i) for i in ids * 20]
    calls.append(engine_cache_state(res.engine, res.cache, uuid.uuid4()))
    answers = await asyncio.gather(*calls, return_exceptions=True)
    assert answers[:-1] == expected * 20
    assert isinstance(answers[-1], Unauthorized)
    await add_log(client, users[1], date="2024-03-04", kcal=300)
    after = await asyncio.gather(*(engine_cache_state(res.engine, res.cache, i) for i in ids))
    assert after[1] == (f"@{await version(app, users[1])}", "Europe/Paris")
    assert after[1] != expected[1]
    assert [after[0], after[2]] == [expected[0], expected[2]]


async def test_one_statement_of_several_users_entries_bumps_each_of_them(client, app, make_user):
    """Concurrent log writes leave as one INSERT on PostgreSQL (logs/pgwrite.Inserts), whose
    statement trigger (0017_lw2_log_insert_stmt) bumps every user with a row in it, and only
    them; on SQLite the row triggers do."""
    users = [await make_user() for _ in range(3)]
    before = [await version(app, u) for u in users]
    writes = [add_log(client, users[0], date="2024-03-04", kcal=100 + i) for i in range(3)]
    writes += [add_log(client, users[1], date="2024-03-05", kcal=200 + i) for i in range(2)]
    await asyncio.gather(*writes)
    after = [await version(app, u) for u in users]
    assert after[0] > before[0]
    assert after[1] > before[1]
    assert after[2] == before[2]
    if BACKEND == "server":
        async with app.state.resources.engine.connect() as conn:
            kinds = dict(
                (
                    await conn.execute(
                        sa.text(
                            "SELECT tgname, tgtype & 1 FROM pg_trigger "
                            "WHERE tgrelid = 'log_entries'::regclass AND NOT tgisinternal "
                            "AND tgname LIKE 'log_entries_cache_version%'"
                        )
                    )
                ).all()
            )
        # Bit 1 of tgtype: FOR EACH ROW.
        assert kinds == {"log_entries_cache_version": 1, "log_entries_cache_version_insert": 0}
