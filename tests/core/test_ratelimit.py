from __future__ import annotations

import asyncio
import uuid

from tests.conftest import BACKEND, assert_problem, create_user
from tests.logs.helpers import log_body

LOGS = "/api/v1/logs"


async def test_log_writes_are_limited_per_user(client_factory):
    async with client_factory(rate_limit_log_writes_per_minute=3) as c:
        user = await create_user(c)
        remaining = []
        for _ in range(3):
            r = await c.post(LOGS, json=log_body(), headers=user.headers)
            assert r.status_code == 201, r.text
            assert r.headers["RateLimit-Limit"] == "3"
            remaining.append(int(r.headers["RateLimit-Remaining"]))
        assert remaining == [2, 1, 0]

        r = await c.post(LOGS, json=log_body(kcal=1), headers=user.headers)
        body = assert_problem(r, 429, "rate-limited")
        assert int(r.headers["Retry-After"]) >= 1
        assert r.headers["RateLimit-Remaining"] == "0"
        assert "3 requests per minute" in body["detail"]

        page = (await c.get(LOGS, headers=user.headers)).json()
        assert page["total"] == 3
        assert 1 not in [e["kcal"] for e in page["items"]]

        # Reads are not limited, and another user has a budget of their own.
        other = await create_user(c)
        r = await c.post(LOGS, json=log_body(), headers=other.headers)
        assert r.status_code == 201
        assert r.headers["RateLimit-Remaining"] == "2"


async def test_patch_and_delete_spend_the_same_budget(client_factory):
    async with client_factory(rate_limit_log_writes_per_minute=2) as c:
        user = await create_user(c)
        entry = (await c.post(LOGS, json=log_body(), headers=user.headers)).json()
        url = f"{LOGS}/{entry['id']}"
        assert (await c.patch(url, json={"kcal": 5}, headers=user.headers)).status_code == 200
        assert_problem(await c.delete(url, headers=user.headers), 429, "rate-limited")
        assert (await c.get(url, headers=user.headers)).json()["kcal"] == 5


async def test_auth_requests_are_limited_per_client(client, client_factory):
    async with client_factory(rate_limit_auth_per_minute=2) as limited:
        user = await create_user(client)  # through the unlimited app, same database
        creds = {"email": user.email, "password": user.password}
        for _ in range(2):
            r = await limited.post("/api/v1/auth/login", json=creds)
            assert r.status_code == 200, r.text
        r = await limited.post("/api/v1/auth/login", json=creds)
        assert_problem(r, 429, "rate-limited")
        assert int(r.headers["Retry-After"]) >= 1
        r = await limited.post("/api/v1/auth/token", data={"username": user.email, "password": "x"})
        assert_problem(r, 429, "rate-limited")


async def test_limiter_is_atomic_under_concurrency(client):
    limiter = client._transport.app.state.resources.limiter
    key = f"test:{uuid.uuid4()}"
    results = await asyncio.gather(*(limiter.hit(key, 5) for _ in range(20)))
    assert sum(r.allowed for r in results) == 5
    assert sorted(r.remaining for r in results if r.allowed) == [0, 1, 2, 3, 4]
    denied = [r for r in results if not r.allowed]
    assert all(r.retry_after_s >= 1 and "Retry-After" in r.headers() for r in denied)


async def test_limiter_reads_a_field_alongside_an_allowed_hit(client):
    res = client._transport.app.state.resources
    key, scope = f"test:{uuid.uuid4()}", f"user:{uuid.uuid4()}:profile"
    _, version = await res.cache.get(scope, "tz")
    await res.cache.put(scope, "tz", "Asia/Tokyo", version)
    location = res.cache.redis_location(scope, "tz")
    first = await res.limiter.hit(key, 2, also_read=location)
    missing = await res.limiter.hit(key, 2, also_read=res.cache.redis_location(scope, "nope"))
    denied = await res.limiter.hit(key, 2, also_read=location)
    assert (first.allowed, missing.allowed, denied.allowed) == (True, True, False)
    assert (first.remaining, missing.remaining) == (1, 0)
    assert denied.headers()["Retry-After"] == "30"
    if BACKEND == "server":
        assert location is not None
        assert (first.read, missing.read, denied.read) == ("Asia/Tokyo", None, None)
    else:
        # The memory cache has no Redis location, so callers read the zone the usual way.
        assert location is None
        assert (first.read, missing.read, denied.read) == (None, None, None)


async def test_limiter_falls_back_to_process_memory_when_redis_is_down(client_factory):
    """With Redis unreachable the limits still hold, per process (issue 14: they used to fail
    open, so a Redis outage opened the door to password guessing)."""
    async with client_factory(
        redis_url="redis://127.0.0.1:1/0", rate_limit_log_writes_per_minute=1
    ) as c:
        user = await create_user(c)
        r = await c.post(LOGS, json=log_body(kcal=100), headers=user.headers)
        assert r.status_code == 201, r.text
        assert r.headers["RateLimit-Remaining"] == "0"
        r = await c.post(LOGS, json=log_body(kcal=200), headers=user.headers)
        assert_problem(r, 429, "rate-limited")
        assert int(r.headers["Retry-After"]) >= 1
        page = (await c.get(LOGS, headers=user.headers)).json()
        assert sorted(e["kcal"] for e in page["items"]) == [100]


async def test_wrong_passwords_are_limited_while_redis_is_down(client, client_factory):
    user = await create_user(client)
    async with client_factory(
        redis_url="redis://127.0.0.1:1/0", rate_limit_auth_per_minute=10
    ) as c:
        statuses = []
        for _ in range(15):
            r = await c.post("/api/v1/auth/login", json={"email": user.email, "password": "nope"})
            statuses.append(r.status_code)
        assert statuses == [401] * 10 + [429] * 5
        body = assert_problem(r, 429, "rate-limited")
        assert int(r.headers["Retry-After"]) >= 1
        assert "10 requests per minute" in body["detail"]
        # The right password does not get past the limit either.
        r = await c.post(
            "/api/v1/auth/login", json={"email": user.email, "password": user.password}
        )
        assert_problem(r, 429, "rate-limited")
