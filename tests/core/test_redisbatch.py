"""Concurrent rate-limit hits and cache invalidations share Redis round trips
(core/redisbatch.py) without changing what each of them does or answers."""

from __future__ import annotations

import asyncio
import uuid

from tests.conftest import BACKEND, create_user
from tests.logs.helpers import log_body

LOGS = "/api/v1/logs"
DAY = "2024-03-04"


async def test_operations_of_one_turn_run_in_the_order_asked(client):
    res = client._transport.app.state.resources
    key, scope = f"test:{uuid.uuid4()}", f"user:{uuid.uuid4()}:profile"
    _, version = await res.cache.get(scope, "tz")
    await res.cache.put(scope, "tz", "Asia/Tokyo", version)
    location = res.cache.redis_location(scope, "tz")
    # Asked in one turn: on Redis one script, whose invalidation lands between the two reads.
    before, _, after, other = await asyncio.gather(
        res.limiter.hit(key, 5, also_read=location),
        res.cache.invalidate(scope),
        res.limiter.hit(key, 5, also_read=location),
        res.limiter.hit(f"{key}:other", 5),
    )
    assert (before.remaining, after.remaining, other.remaining) == (4, 3, 4)
    assert before.allowed and after.allowed and other.allowed
    expected = ("Asia/Tokyo", None) if BACKEND == "server" else (None, None)
    assert (before.read, after.read) == expected
    assert (await res.cache.get(scope, "tz"))[0] is None


async def test_many_operations_in_one_turn_each_get_their_own_answer(client):
    limiter = client._transport.app.state.resources.limiter
    keys = [f"test:{uuid.uuid4()}" for _ in range(4)]
    results = await asyncio.gather(*(limiter.hit(k, 3) for k in keys for _ in range(5)))
    for i in range(4):
        mine = results[5 * i : 5 * i + 5]
        assert [r.allowed for r in mine] == [True, True, True, False, False]
        assert [r.remaining for r in mine] == [2, 1, 0, 0, 0]
        assert all(int(r.headers()["Retry-After"]) >= 1 for r in mine[3:])


async def test_concurrent_writes_are_limited_and_all_visible_at_once(client_factory):
    async with client_factory(rate_limit_log_writes_per_minute=12) as c:
        user = await create_user(c)
        summary = f"/api/v1/summaries/daily?date={DAY}"
        assert (await c.get(summary, headers=user.headers)).json()["totals"]["kcal"] == 0
        answers = await asyncio.gather(
            *(
                c.post(LOGS, json=log_body(date=DAY, kcal=100 + i), headers=user.headers)
                for i in range(20)
            )
        )
        created = [r.json()["kcal"] for r in answers if r.status_code == 201]
        refused = [r for r in answers if r.status_code == 429]
        assert len(created) == 12 and len(refused) == 8
        # Each allowed write saw its own place in the budget.
        remaining = [int(r.headers["RateLimit-Remaining"]) for r in answers if r.status_code == 201]
        assert sorted(remaining) == list(range(12))
        # The summary read right after the answers (it was cached before them) has every row.
        day = (await c.get(summary, headers=user.headers)).json()
        assert day["totals"]["kcal"] == sum(created)
        page = (await c.get(LOGS, headers=user.headers)).json()
        assert sorted(e["kcal"] for e in page["items"]) == sorted(created)
