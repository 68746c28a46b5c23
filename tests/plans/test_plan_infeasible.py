"""A plan no recipe can fill is refused with the constraint that made it impossible."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.plans.models import MealPlan
from tests.conftest import assert_problem
from tests.logs.helpers import set_goal
from tests.users.helpers import patch_profile, put_profile

GOAL = {"kcal": 2200, "protein_g": 130, "carbs_g": 60, "fat_g": 160}


async def impossible_user(client, user) -> None:
    # No built-in recipe can be breakfast for a keto diet without dairy, eggs and nuts.
    await put_profile(client, user)
    await patch_profile(client, user, dietary_pattern="keto", allergies=["dairy", "egg", "nuts"])
    await set_goal(client, user, **GOAL)


async def test_generate_answers_422_naming_the_constraint(client, user, app):
    await impossible_user(client, user)
    r = await client.post("/api/v1/plans/generate", json={"days": 2}, headers=user.headers)
    body = assert_problem(r, 422, "plan-infeasible")
    assert body["reason"] == (
        "no feasible keto, dairy-free, egg-free and nut-free recipes for breakfast"
    )
    assert body["detail"] == f"No plan for {body['date']}: {body['reason']}"
    # Nothing was stored: no empty plan to read back.
    async with app.state.resources.sessionmaker() as s:
        assert await s.scalar(sa.select(sa.func.count()).select_from(MealPlan)) == 0
    r = await client.get("/api/v1/plans/today", headers=user.headers)
    assert_problem(r, 404, "plan-not-found")


async def test_dropping_the_constraint_plans_again(client, user):
    await impossible_user(client, user)
    await patch_profile(client, user, allergies=["dairy", "nuts"])
    r = await client.post("/api/v1/plans/generate", json={}, headers=user.headers)
    assert r.status_code == 201, r.text
    (plan,) = r.json()["plans"]
    assert all(slot["options"] for slot in plan["slots"])
    assert dt.date.fromisoformat(plan["date"])
