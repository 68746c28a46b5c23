"""Gives a user rows in every table a user can own, through the API and the services."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from app.activities import sync
from app.foods.dataset import food_uuid
from app.pipeline import notify
from app.pipeline.service import PipelineContext, schedule_cycle
from tests.admin.helpers import make_admin
from tests.conftest import TestUser
from tests.events.test_insights import consume
from tests.logs.helpers import add_log, set_goal
from tests.pipeline.helpers import run_jobs, today_noon
from tests.training.test_workouts import bench_workout
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
            ctx.sessionmaker,
            notify.default_notifiers(http, client._transport.app.state.resources.net_policy),
            ctx.config,
            now + dt.timedelta(days=1),
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
    # Water, training, measurements, a receipt, a tracker connection, the week's insights.
    await ok(await client.post("/api/v1/water", json={"ml": 300}, headers=h), 201)
    await ok(
        await client.post(
            "/api/v1/exercises",
            json={
                "name": "Landmine Press",
                "equipment": "barbell",
                "primary_muscles": ["shoulders"],
                "secondary_muscles": ["chest"],
            },
            headers=h,
        ),
        201,
    )
    await ok(await client.post("/api/v1/workouts", json=bench_workout(), headers=h), 201)
    await ok(
        await client.post(
            "/api/v1/measurements",
            json={"date": "2024-05-01", "waist_cm": 86.36, "neck_cm": 38.1},
            headers=h,
        ),
        200,
        201,
    )
    await ok(await client.post("/api/v1/programs/generate", json={}, headers=h), 200, 201)
    await ok(
        await client.post("/api/v1/inventory/receipt", json={"text": "2 lb lentils"}, headers=h),
        200,
        201,
    )
    async with app.state.resources.sessionmaker() as s:
        await sync.store_tokens(
            s,
            sync.TokenCipher("populate-" + "k" * 40),
            uuid.UUID(user.id),
            "fitbit",
            sync.Tokens("access", "refresh", now + dt.timedelta(hours=8), "ABC123", "activity"),
        )
    await consume(client)
    # An operator's action mentions them in the audit.
    await make_admin(app, user)
    await ok(await client.get("/api/v1/admin/users", headers=h))
    # ... and so do the shared recipe they add and the packaged one they retire.
    recipe = {"name": "Egg bowl", "meal_types": ["lunch"], "ingredients_text": "2 eggs"}
    await ok(await client.post("/api/v1/admin/recipes", json=recipe, headers=h), 201)
    packaged = await ok(
        await client.get(
            "/api/v1/admin/recipes", params={"source": "packaged", "limit": 1}, headers=h
        )
    )
    rid = packaged["items"][0]["id"]
    await ok(await client.delete(f"/api/v1/admin/recipes/{rid}", headers=h), 204)
