from __future__ import annotations

import uuid

from tests.conftest import BACKEND, assert_problem, create_user
from tests.logs.helpers import add_log, local_today, set_goal

LOGS = "/api/v1/logs"
DAY = "2024-03-04"


async def get_json(client, user, url: str, **params) -> dict:
    r = await client.get(url, params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def daily_kcal(client, user) -> float:
    return (await get_json(client, user, "/api/v1/summaries/daily", date=DAY))["totals"]["kcal"]


async def weekly_kcal(client, user) -> float:
    return (await get_json(client, user, "/api/v1/summaries/weekly", start=DAY))["totals"]["kcal"]


async def first_page(client, user) -> list[float]:
    return [e["kcal"] for e in (await get_json(client, user, LOGS))["items"]]


async def write_sequence(client, user, read) -> list:
    """Reads after nothing, a create, a patch and a delete; each read is cached in between."""
    seen = [await read(client, user)]
    entry = await add_log(client, user, date=DAY, kcal=400)
    seen.append(await read(client, user))
    seen.append(await read(client, user))  # served from the cache
    url = f"{LOGS}/{entry['id']}"
    assert (await client.patch(url, json={"kcal": 450}, headers=user.headers)).status_code == 200
    seen.append(await read(client, user))
    assert (await client.delete(url, headers=user.headers)).status_code == 204
    seen.append(await read(client, user))
    return seen


async def test_daily_summary_follows_writes(client, user):
    assert await write_sequence(client, user, daily_kcal) == [0, 400, 400, 450, 0]


async def test_weekly_summary_follows_writes(client, user):
    assert await write_sequence(client, user, weekly_kcal) == [0, 400, 400, 450, 0]


async def test_first_log_page_follows_writes(client, user):
    assert await write_sequence(client, user, first_page) == [[], [400], [400], [450], []]


async def test_current_goal_follows_put(client, user):
    await set_goal(client, user, 2000)
    assert (await get_json(client, user, "/api/v1/goals"))["kcal"] == 2000
    await set_goal(client, user, 2100)
    assert (await get_json(client, user, "/api/v1/goals"))["kcal"] == 2100


async def test_timezone_change_moves_default_day(client, user):
    await get_json(client, user, "/api/v1/summaries/daily")  # caches the zone
    r = await client.patch(
        "/api/v1/users/me", json={"timezone": "Pacific/Kiritimati"}, headers=user.headers
    )
    assert r.status_code == 200
    s = await get_json(client, user, "/api/v1/summaries/daily")
    assert s["date"] == local_today("Pacific/Kiritimati").isoformat()


async def test_one_users_write_leaves_others_cached_reads_correct(client, user, make_user):
    other = await make_user()
    await add_log(client, other, date=DAY, kcal=100)
    assert await daily_kcal(client, other) == 100
    await add_log(client, user, date=DAY, kcal=400)
    assert (await daily_kcal(client, user), await daily_kcal(client, other)) == (400, 100)


async def test_version_guard_drops_a_stale_put(client):
    cache = client._transport.app.state.resources.cache
    scope = f"user:{uuid.uuid4()}"
    value, version = await cache.get(scope, "k")
    assert value is None
    await cache.invalidate(scope)  # a write committed while the read was computing
    await cache.put(scope, "k", "stale", version)
    assert (await cache.get(scope, "k"))[0] is None
    # With the current version the same put is stored, so the guard is what dropped it.
    _, current = await cache.get(scope, "k")
    await cache.put(scope, "k", "fresh", current)
    assert (await cache.get(scope, "k"))[0] == "fresh"
    await cache.invalidate(scope)
    assert (await cache.get(scope, "k"))[0] is None


async def test_api_keeps_working_when_redis_is_down(client_factory):
    async with client_factory(redis_url="redis://127.0.0.1:1/0") as c:
        user = await create_user(c, tz="Asia/Tokyo")
        me = await c.get("/api/v1/users/me", headers=user.headers)
        assert me.json()["timezone"] == "Asia/Tokyo"
        await add_log(c, user, date=DAY, kcal=400)
        assert await daily_kcal(c, user) == 400
        await add_log(c, user, date=DAY, kcal=250)
        assert await daily_kcal(c, user) == 650
        assert await first_page(c, user) == [250, 400]

        r = await c.get("/ready")
        body = assert_problem(r, 503, "unavailable")
        assert body["checks"] == {"database": "ok", "redis": "unavailable"}


async def test_ready_names_the_cache_backend(client):
    r = await client.get("/ready")
    assert r.status_code == 200, r.text
    expected = "ok" if BACKEND == "server" else "not configured (in-process cache)"
    assert r.json() == {"status": "ready", "checks": {"database": "ok", "redis": expected}}
