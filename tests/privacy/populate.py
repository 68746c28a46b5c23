"""Gives a user rows in every table a user can own, through the API and the services."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from app.foods.dataset import food_uuid
from app.pipeline import notify
from app.pipeline.service import PipelineContext, schedule_cycle
from tests.admin.helpers import make_admin
from tests.conftest import TestUser
from tests.logs.helpers import add_log, set_goal
from tests.pipeline.helpers import run_jobs, today_noon
from tests.users.helpers import PROFILE, add_weight, profile_body

EGG = str(food_uuid("01123"))
# Nothing listens here: the delivery attempt fails fast and is logged all the same.
DEAD_HOOK = "http://127.0.0.1:18502/hook"


async def ok(r: httpx.Response, *codes: int) -> dict:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json() if r.content else {}


async def populate(app, client: httpx.AsyncClient, ctx: PipelineContext, user: TestUser) -> None:
    h = user.headers
    now = today_noon()
    await ok(await client.put(PROFILE, json=profile_body(), headers=h))
    await add_weight(client, user, 80.5)
    await set_goal(client, user, effective_from=str(now.date() - dt.timedelta(days=3)))
    await add_log(client, user)
    await ok(
        await client.post(
            "/api/v1/activities",
            json={"date": "2024-05-01", "activity_type": "running", "duration_min": 30},
            headers=h,
        )
    )
    food = await ok(
        await client.post(
            "/api/v1/foods",
            json={
                "name": "Private bar",
                "kcal": 380,
                "protein_g": 30,
                "carbs_g": 40,
                "fat_g": 12,
                "portions": [{"amount": 1, "unit": "bar", "grams": 60}],
            },
            headers=h,
        )
    )
    await ok(
        await client.post(
            "/api/v1/inventory", json={"food_id": food["id"], "grams": 120}, headers=h
        )
    )
    await ok(await client.post("/api/v1/inventory", json={"food_id": EGG, "grams": 600}, headers=h))
    await ok(
        await client.post(
            "/api/v1/recipes",
            json={
                "name": "Bar and egg",
                "meal_types": ["breakfast"],
                "servings": 1,
                "ingredients": [
                    {"food_id": food["id"], "grams": 60},
                    {"food_id": EGG, "grams": 50},
                ],
            },
            headers=h,
        )
    )
    await ok(await client.put("/api/v1/notifications/webhook", json={"url": DEAD_HOOK}, headers=h))
    # The nightly pipeline: a plan run, the stored plan, a notification and its delivery.
    await schedule_cycle(ctx, now)
    await run_jobs(ctx)
    async with ctx.sessionmaker() as s:
        await notify.schedule_plan_ready(
            s, uuid.UUID(user.id), now.date(), "UTC", "07:00", now, fallback=False
        )
    async with httpx.AsyncClient(timeout=2) as http:
        await notify.dispatch_due(
            ctx.sessionmaker, notify.default_notifiers(http), ctx.config, now + dt.timedelta(days=1)
        )
    r = await client.post("/api/v1/plans/generate", json={}, headers=h)
    day = (await ok(r, 201))["plans"][0]["date"]
    r = await client.post(
        f"/api/v1/plans/{day}/feedback",
        json={"rating": 2, "slot": "dinner", "comment": "not again"},
        headers=h,
    )
    await ok(r, 201)
    await ok(
        await client.post("/api/v1/auth/password-reset/request", json={"email": user.email}), 202
    )
    # An operator's action mentions them in the audit.
    await make_admin(app, user)
    await ok(await client.get("/api/v1/admin/users", headers=h))
