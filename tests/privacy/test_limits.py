"""Rate limits on the account routes of issue 15 that had no test of their own: the data
export (per user per hour), erasure and password change (the per-client auth budget, which
stops password guessing with a stolen token) and plan feedback (the per-user write budget).
Each limit is per user or per client: another user's budget is untouched."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import assert_problem, create_user
from tests.logs.helpers import set_goal

EXPORT = "/api/v1/users/me/export"


async def test_export_is_limited_per_user_per_hour(client_factory):
    async with client_factory(rate_limit_export_per_hour=2) as c:
        user, other = await create_user(c), await create_user(c)
        for _ in range(2):
            r = await c.get(EXPORT, headers=user.headers)
            assert r.status_code == 200 and r.json()["user_id"] == user.id
        r = await c.get(EXPORT, headers=user.headers)
        body = assert_problem(r, 429, "rate-limited")
        assert "exports" in body["detail"]
        assert r.headers["RateLimit-Policy"] == "2;w=3600" and int(r.headers["Retry-After"]) > 60
        r = await c.get(EXPORT, headers=other.headers)
        assert r.status_code == 200 and r.json()["user_id"] == other.id


async def test_password_guessing_through_erasure_and_change_is_limited(client_factory):
    # Signup and login spend one unit each of the same per-client budget.
    async with client_factory(rate_limit_auth_per_minute=4) as c:
        user = await create_user(c)
        bad = {"password": "not-it"}
        assert_problem(
            await c.request("DELETE", "/api/v1/users/me", json=bad, headers=user.headers), 401
        )
        change = {"current_password": "not-it", "new_password": "another-pass-1"}
        r = await c.post("/api/v1/users/me/password", json=change, headers=user.headers)
        assert_problem(r, 401)
        # Budget spent: refused before the password is even checked, the right one included.
        r = await c.request(
            "DELETE", "/api/v1/users/me", json={"password": user.password}, headers=user.headers
        )
        assert_problem(r, 429, "rate-limited")
        assert int(r.headers["Retry-After"]) >= 1
        good = {"current_password": user.password, "new_password": "another-pass-1"}
        r = await c.post("/api/v1/users/me/password", json=good, headers=user.headers)
        assert_problem(r, 429)
        # Nothing happened: the account is there with its password.
        r = await c.get("/api/v1/users/me", headers=user.headers)
        assert r.status_code == 200 and r.json()["email"] == user.email


async def _planned_day(c, user) -> str:
    await set_goal(c, user, kcal=2200, protein_g=130, carbs_g=250, fat_g=75)
    r = await c.post("/api/v1/plans/generate", json={}, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()["plans"][0]["date"]


async def test_plan_feedback_is_limited_per_user(client_factory):
    async with client_factory(rate_limit_log_writes_per_minute=5) as c:
        user, other = await create_user(c, tz="UTC"), await create_user(c, tz="UTC")
        day, other_day = await _planned_day(c, user), await _planned_day(c, other)
        url = f"/api/v1/plans/{day}/feedback"
        r = await c.post(url, json={"rating": 4}, headers=user.headers)
        assert r.status_code == 201, r.text
        left = int(r.headers["RateLimit-Remaining"])
        for _ in range(left):
            assert (await c.post(url, json={"rating": 4}, headers=user.headers)).status_code == 201
        r = await c.post(url, json={"rating": 1, "comment": "one too many"}, headers=user.headers)
        assert_problem(r, 429, "rate-limited")
        # The refused rating was not stored.
        rows = (await c.get(EXPORT, headers=user.headers)).json()["tables"]["plan_feedback"]
        assert len(rows) == left + 1 and {f["rating"] for f in rows} == {4}
        # Another user's budget is their own.
        r = await c.post(
            f"/api/v1/plans/{other_day}/feedback", json={"rating": 5}, headers=other.headers
        )
        assert r.status_code == 201, r.text


async def test_every_account_route_of_the_issue_spends_the_client_budget(client_factory):
    """Sign-up by code, its verification and both reset steps share the per-client budget:
    once it is spent, each answers 429 before doing anything."""
    async with client_factory(rate_limit_auth_per_minute=1) as c:
        r = await c.post("/api/v1/auth/otp/request", json={"phone": "+12025550143"})
        assert r.status_code == 202, r.text
        calls = [
            ("/api/v1/auth/otp/request", {"phone": "+12025550144"}),
            ("/api/v1/auth/otp/verify", {"phone": "+12025550143", "code": "123456"}),
            ("/api/v1/auth/password-reset/request", {"email": "a@example.com"}),
            (
                "/api/v1/auth/password-reset/confirm",
                {"token": "x" * 43, "new_password": "another-pass-1"},
            ),
            ("/api/v1/auth/signup", {"email": "b@example.com", "password": "pass-word-1"}),
        ]
        for url, body in calls:
            r = await c.post(url, json=body)
            assert_problem(r, 429, "rate-limited")
            assert r.headers["RateLimit-Remaining"] == "0", url
        # Nothing was created by the refused sign-ups.
        async with c.app.state.resources.engine.connect() as conn:
            assert await conn.scalar(sa.text("SELECT count(*) FROM users")) == 0
