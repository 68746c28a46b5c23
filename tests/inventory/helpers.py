"""Builders for pantry tests: a stored plan with known recipes, receipts, inventory reads."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import FastAPI

from app.foods.dataset import food_uuid, foods_by_ndb
from app.logs.schemas import NUTRIENT_KEYS
from app.plans import service as plans_service

MACROS = ("kcal", "protein_g", "carbs_g", "fat_g")


def option(name: str, ingredients: list[tuple[str, float]]) -> dict[str, Any]:
    """A plan option made of USDA foods (NDB number, grams), nutrients from SR28."""
    foods = [(foods_by_ndb()[n], g) for n, g in ingredients]
    nutrients = {
        k: round(sum((f.nutrients.get(k) or 0.0) * g / 100 for f, g in foods), 1)
        for k in NUTRIENT_KEYS
    }
    return {
        "recipe_id": str(uuid.uuid4()),
        "name": name,
        "custom": False,
        "servings": 1.0,
        "grams": round(sum(g for _, g in foods), 1),
        "nutrients": nutrients,
        "day_totals": {k: nutrients[k] for k in MACROS},
        "within_tolerance": True,
        "ingredients": [
            {"food_id": str(food_uuid(f.ndb_no or "")), "food": f.name, "grams": g}
            for f, g in foods
        ],
    }


async def store_plan(app: FastAPI, user_id: str, day: dt.date, slots: dict[str, dict]) -> None:
    """Stores a plan through the plans service (as the planner would) with the given options."""
    totals = {k: round(sum(o["nutrients"][k] for o in slots.values()), 1) for k in MACROS}
    plan = {
        "date": day.isoformat(),
        "targets": totals,
        "targets_source": "goal",
        "slots": [{"slot": s, "chosen": 0, "options": [o]} for s, o in slots.items()],
        "snack_options": [],
        "totals": totals,
        "deviations": dict.fromkeys(MACROS, 0.0),
        "met": True,
        "reason": None,
        "solver": "test",
    }
    async with app.state.resources.sessionmaker() as session:
        await plans_service.store_plans(session, uuid.UUID(user_id), [(plan, None, None)])


async def inventory_by_food(client, user) -> dict[str, dict[str, Any]]:
    r = await client.get("/api/v1/inventory", params={"limit": 200}, headers=user.headers)
    assert r.status_code == 200, r.text
    return {i["food_id"]: i for i in r.json()["items"]}


async def ledger(client, user, **params: Any) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/v1/inventory/ledger", params={"limit": 200, **params}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]
