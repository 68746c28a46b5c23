"""Healthier swaps for a logged food: same category, same portion, checked numbers."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import sqlalchemy as sa

from app.foods import swaps as swaps_service
from app.foods.models import Food
from app.logs import service as logs_service
from tests.conftest import assert_problem
from tests.logs.helpers import add_log
from tests.users.helpers import PROFILE

GREEK_FRUIT = "Yogurt, Greek, whole milk, fruit"


async def log_food(client, user, name: str, grams: float) -> tuple[dict, SimpleNamespace]:
    res = client._transport.app.state.resources
    async with res.sessionmaker() as s:
        food = await s.scalar(sa.select(Food).where(Food.name == name, Food.source == "fndds"))
        assert food is not None, name
        f = grams / 100
        row = {
            "meal_type": "snack",
            "description": name,
            "food_id": food.id,
            "grams": grams,
            **{
                k: round(getattr(food, k) * f, 2) for k in ("kcal", "protein_g", "carbs_g", "fat_g")
            },
            "date": None,
        }
        # Plain values: the ORM row does not outlive the entry's transaction.
        snap = SimpleNamespace(
            id=food.id,
            food_group=food.food_group,
            **{k: getattr(food, k) for k in ("kcal", "sat_fat_g", "sodium_mg", "sugars_g",
                                              "protein_g", "fiber_g")},
        )  # fmt: skip
        (entry,) = await logs_service.create_entries(s, res.cache, uuid.UUID(user.id), "UTC", [row])
    return entry, snap


async def test_swaps_are_healthier_foods_of_the_same_category(client, user):
    entry, food = await log_food(client, user, GREEK_FRUIT, 170)
    r = await client.get(f"/api/v1/logs/{entry['id']}/swaps", headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["food"]["name"] == GREEK_FRUIT and body["grams"] == 170
    swaps = body["swaps"]
    assert 1 <= len(swaps) <= 5
    names = [s["food"]["name"] for s in swaps]
    assert "Yogurt, Greek, low fat milk, fruit" in names
    res = client._transport.app.state.resources
    async with res.sessionmaker() as s:
        for swap in swaps:
            cand = (
                await s.execute(
                    sa.select(Food.__table__).where(
                        Food.__table__.c.id == uuid.UUID(swap["food"]["id"])
                    )
                )
            ).one()
            assert (cand.food_group, food.food_group) == ("Yogurt, Greek", "Yogurt, Greek")
            # Differences are per 170 g portion, from the two foods' USDA values.
            for k in ("kcal", "sat_fat_g", "sodium_mg", "sugars_g", "protein_g", "fiber_g"):
                expected = round((getattr(cand, k) - getattr(food, k)) * 1.7, 2)
                assert abs(swap["differences"][k] - expected) <= 0.011, (k, swap)
            assert swap["kcal"] == round(cand.kcal * 1.7, 1)
            assert swap["benefit_pct_dv"] >= 2.0 and swap["improves"]
    distances = [s["distance"] for s in swaps]
    assert distances == sorted(distances)


async def test_swaps_respect_allergies_and_diet(client, user):
    entry, _ = await log_food(client, user, GREEK_FRUIT, 170)
    r = await client.patch(PROFILE, json={"allergies": ["dairy"]}, headers=user.headers)
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/v1/logs/{entry['id']}/swaps", headers=user.headers)
    assert r.json()["swaps"] == []  # every Greek yogurt is dairy
    r = await client.patch(
        PROFILE, json={"allergies": [], "excluded_foods": ["low fat"]}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/v1/logs/{entry['id']}/swaps", headers=user.headers)
    names = [s["food"]["name"] for s in r.json()["swaps"]]
    assert names and not any("low fat" in n for n in names)


async def test_no_swaps_for_typed_entries_or_other_users(client, user, make_user):
    typed = await add_log(client, user)
    r = await client.get(f"/api/v1/logs/{typed['id']}/swaps", headers=user.headers)
    assert_problem(r, 422, "swaps-unavailable")
    entry, _ = await log_food(client, user, GREEK_FRUIT, 100)
    other = await make_user()
    r = await client.get(f"/api/v1/logs/{entry['id']}/swaps", headers=other.headers)
    assert_problem(r, 404)
    r = await client.get(f"/api/v1/logs/{uuid.uuid4()}/swaps", headers=user.headers)
    assert_problem(r, 404)


def test_compare_thresholds():
    base = Food(name="a", kcal=200, protein_g=5, carbs_g=20, fat_g=10, fiber_g=1, sugars_g=10,
                sat_fat_g=6, sodium_mg=300)  # fmt: skip
    leaner = Food(name="b", kcal=120, protein_g=6, carbs_g=20, fat_g=3, fiber_g=1, sugars_g=10,
                  sat_fat_g=2, sodium_mg=300)  # fmt: skip
    saltier = Food(name="c", kcal=100, protein_g=5, carbs_g=20, fat_g=2, fiber_g=1, sugars_g=10,
                   sat_fat_g=1, sodium_mg=600)  # fmt: skip
    swap = swaps_service.compare(base, leaner, 100)
    assert swap is not None
    assert swap.differences == {
        "kcal": -80.0, "sat_fat_g": -4.0, "sodium_mg": 0.0, "sugars_g": 0.0,
        "protein_g": 1.0, "fiber_g": 0.0,
    }  # fmt: skip
    # 80/2000 + 4/20 + 1/50 = 0.26 of daily values
    assert round(swap.benefit, 4) == 0.26
    assert swap.improves == ["kcal", "sat_fat_g", "protein_g"]
    # 300 mg more sodium is 13% of its DV: too much worse, whatever else improves.
    assert swaps_service.compare(base, saltier, 100) is None
    assert swaps_service.compare(leaner, base, 100) is None
