"""Meal plans: generation against targets, diets, variety, choosing, logging, shopping lists."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.foods.dataset import food_uuid, load_usda_foods
from app.foods.ingredients import facts, grams_factor
from app.plans.models import MealPlan
from app.plans.recipes import food_flags, recipes_by_id
from tests.conftest import assert_problem
from tests.logs.helpers import local_today, set_goal

GOAL = {"kcal": 2200, "protein_g": 130, "carbs_g": 250, "fat_g": 75}
MACROS = ("kcal", "protein_g", "carbs_g", "fat_g")


def within(total: float, target: float, key: str) -> bool:
    band = target * 0.05 if key == "kcal" else max(target * 0.10, 10.0)
    return abs(total - target) <= band + 0.25  # options are rounded to 0.1 each


def first_totals(plan: dict) -> dict[str, float]:
    return {k: sum(s["options"][0]["nutrients"][k] for s in plan["slots"]) for k in MACROS}


def firsts(plan: dict) -> list[str]:
    return [s["options"][0]["recipe_id"] for s in plan["slots"]]


def chosen(plan: dict) -> dict[str, dict]:
    return {s["slot"]: s["options"][s["chosen"]] for s in plan["slots"]}


async def generate(client, user, status: int = 201, **body) -> list[dict]:
    r = await client.post("/api/v1/plans/generate", json=body, headers=user.headers)
    assert r.status_code == status, r.text
    return r.json()["plans"]


async def get_plan(client, user, day) -> dict:
    r = await client.get(f"/api/v1/plans/{day}", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def check_day(plan: dict, targets: dict) -> None:
    assert plan["targets"] == pytest.approx({k: float(v) for k, v in targets.items()})
    assert plan["met"] is True and plan["reason"] is None
    totals = first_totals(plan)
    for k in MACROS:
        assert within(totals[k], targets[k], k), (k, totals[k], targets[k])
        assert plan["totals"][k] == pytest.approx(totals[k], abs=0.01)
    assert plan["chosen_totals"] == plan["totals"]
    for slot in plan["slots"]:
        assert slot["chosen"] == 0 and len(slot["options"]) == 3
        assert len({o["recipe_id"] for o in slot["options"]}) == 3
        for opt in slot["options"]:
            assert opt["servings"] > 0 and (opt["servings"] * 4).is_integer()
            recipe = recipes_by_id().get(uuid.UUID(opt["recipe_id"]))
            if recipe is not None:
                assert slot["slot"] in recipe.meal_types
                kcal = recipe.per_serving["kcal"] * opt["servings"]
                assert opt["nutrients"]["kcal"] == pytest.approx(kcal, abs=0.06)
    assert plan["snack_options"]
    assert plan["text_source"] == "template" and plan["text"]


async def test_three_days_meet_the_goal_without_repeats(client, user):
    await set_goal(client, user, **GOAL)
    plans = await generate(client, user, days=3)
    today = local_today("UTC")
    assert [p["date"] for p in plans] == [str(today + dt.timedelta(days=i)) for i in range(3)]
    for plan in plans:
        assert [s["slot"] for s in plan["slots"]] == ["breakfast", "lunch", "dinner", "snack"]
        assert plan["targets_source"] == "goal"
        check_day(plan, GOAL)
        # Numbers in the words are the plan's own.
        assert f"{round(plan['totals']['kcal']):,} kcal" in plan["text"]
    eaten = [rid for p in plans for rid in firsts(p)]
    assert len(eaten) == len(set(eaten)) == 12  # no recipe twice within the three days

    stored = await get_plan(client, user, today)
    assert stored == plans[0]
    r = await client.get("/api/v1/plans/today", headers=user.headers)
    assert r.status_code == 200 and r.json() == plans[0]


async def test_stored_plans_of_the_last_three_days_are_not_repeated(client, user):
    await set_goal(client, user, **GOAL)
    today = local_today("UTC")
    await generate(client, user, start=str(today))
    # Eat option 2 at breakfast: that recipe, not option 0, is what must not come back.
    r = await client.put(
        f"/api/v1/plans/{today}/slots/breakfast", json={"option": 2}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    eaten = {o["recipe_id"] for o in chosen(r.json()).values()}
    later = await generate(client, user, start=str(today + dt.timedelta(days=1)), days=3)
    for plan in later:
        offered = {o["recipe_id"] for s in plan["slots"] for o in s["options"]}
        offered |= {o["recipe_id"] for o in plan["snack_options"]}
        assert not offered & eaten
    # The fourth day after is outside the window again; regenerating day 0 keeps one row.
    await generate(client, user, start=str(today))
    async with client._transport.app.state.resources.sessionmaker() as session:
        n = await session.scalar(sa.text("SELECT COUNT(*) FROM meal_plans"))
    assert n == 4


async def test_vegetarian_profile_with_allergy_and_exclusions(client, user):
    r = await client.patch(
        "/api/v1/users/me/profile",
        json={
            "dietary_pattern": "vegetarian",
            "allergies": ["peanuts", "nuts"],
            "excluded_foods": ["mushrooms"],
            "meal_slots": ["breakfast", "lunch", "dinner"],
        },
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    targets = {"kcal": 2000, "protein_g": 100, "carbs_g": 240, "fat_g": 70}
    await set_goal(client, user, **targets)
    plans = await generate(client, user, days=3)
    for plan in plans:
        assert [s["slot"] for s in plan["slots"]] == ["breakfast", "lunch", "dinner"]
        check_day(plan, targets)
        options = [o for s in plan["slots"] for o in s["options"]] + plan["snack_options"]
        for opt in options:
            recipe = recipes_by_id()[uuid.UUID(opt["recipe_id"])]
            assert "vegetarian" in recipe.derived_tags
            assert not recipe.allergens & {"peanuts", "nuts"}
            for ing in recipe.ingredients:
                flags = food_flags(ing.group, ing.name)
                assert not flags & {"meat", "fish", "shellfish"}, ing.name
                assert "mushroom" not in ing.name.lower()
    eaten = [rid for p in plans for rid in firsts(p)]
    assert len(eaten) == len(set(eaten))


async def test_complete_profile_gives_the_targets(client, user):
    r = await client.put(
        "/api/v1/users/me/profile",
        json={
            "sex": "female",
            "date_of_birth": "1990-06-01",
            "height_cm": 168,
            "weight_kg": 65,
            "activity_level": "moderate",
            "goal": "maintain",
            "dietary_pattern": "pescatarian",
        },
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/targets", headers=user.headers)
    assert r.status_code == 200, r.text
    t = {k: r.json()[k] for k in MACROS}
    (plan,) = await generate(client, user)
    assert plan["targets_source"] == "profile"
    check_day(plan, t)
    for opt in (o for s in plan["slots"] for o in s["options"]):
        assert "pescatarian" in recipes_by_id()[uuid.UUID(opt["recipe_id"])].derived_tags


async def test_manual_goal_wins_over_the_profile_recommendation(client, user):
    profile = {
        "sex": "male",
        "date_of_birth": "1985-01-15",
        "height_cm": 180,
        "weight_kg": 80,
        "activity_level": "moderate",
        "goal": "maintain",
    }
    r = await client.put("/api/v1/users/me/profile", json=profile, headers=user.headers)
    assert r.status_code == 200, r.text
    await set_goal(client, user, **GOAL, effective_from="2020-01-01")
    (plan,) = await generate(client, user)
    assert plan["targets_source"] == "goal"
    check_day(plan, GOAL)

    r = await client.patch(
        "/api/v1/users/me/profile", json={"goal_mode": "auto"}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    (plan,) = await generate(client, user)
    assert plan["targets_source"] == "profile"


async def test_liked_custom_recipe_and_expiring_inventory_are_preferred(client, user):
    await set_goal(client, user, **GOAL)
    r = await client.post(
        "/api/v1/foods",
        json={
            "name": "Zorblax protein bar",
            "kcal": 380,
            "protein_g": 30,
            "carbs_g": 40,
            "fat_g": 12,
            "portions": [{"amount": 1, "unit": "bar", "grams": 60}],
        },
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/recipes",
        json={
            "name": "Zorblax bar and an apple",
            "meal_types": ["snack"],
            "ingredients_text": "1 zorblax protein bar\n1 apple",
        },
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    custom = r.json()
    r = await client.patch(
        "/api/v1/users/me/profile", json={"liked_foods": ["zorblax"]}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    tofu = str(food_uuid("16126"))  # Tofu, firm, prepared with calcium sulfate and ... (nigari)
    today = local_today("UTC")
    r = await client.post(
        "/api/v1/inventory",
        json={"food_id": tofu, "grams": 400, "expires_on": str(today)},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    (plan,) = await generate(client, user)
    check_day(plan, GOAL)
    snack = plan["slots"][3]["options"][0]
    assert snack["recipe_id"] == custom["id"] and snack["custom"] is True
    assert snack["name"] == "Zorblax bar and an apple"
    first_foods = {i["food_id"] for s in plan["slots"] for i in s["options"][0]["ingredients"]}
    assert tofu in first_foods


async def test_choose_and_log_the_day(client, user):
    await set_goal(client, user, **GOAL)
    today = local_today("UTC")
    (plan,) = await generate(client, user)
    url = f"/api/v1/plans/{today}"
    r = await client.put(f"{url}/slots/lunch", json={"option": 1}, headers=user.headers)
    assert r.status_code == 200, r.text
    after = r.json()
    lunch = after["slots"][1]
    assert lunch["chosen"] == 1
    expect = {k: round(sum(o["nutrients"][k] for o in chosen(after).values()), 1) for k in MACROS}
    assert after["chosen_totals"] == pytest.approx(expect, abs=0.01)
    assert after["totals"] == plan["totals"]
    assert await get_plan(client, user, today) == after  # the cached read was dropped

    for bad, status in (({"option": 3}, 422), ({"option": -1}, 422), ({}, 422)):
        r = await client.put(f"{url}/slots/lunch", json=bad, headers=user.headers)
        assert_problem(r, status)
    r = await client.put(f"{url}/slots/brunch", json={"option": 0}, headers=user.headers)
    assert_problem(r, 404)  # a path parameter that does not parse names no resource

    r = await client.post(f"{url}/log", headers=user.headers)  # no body: every slot
    assert r.status_code == 201, r.text
    entries = r.json()["entries"]
    picks = chosen(after)
    assert [e["meal_type"] for e in entries] == ["breakfast", "lunch", "dinner", "snack"]
    for e in entries:
        opt = picks[e["meal_type"]]
        assert e["source"] == "plan" and e["date"] == str(today)
        assert e["description"].startswith(opt["name"] + " (")
        assert str(opt["servings"]).rstrip("0").rstrip(".") in e["description"]
        for k in (*MACROS, "fiber_g", "sodium_mg"):
            assert e[k] == pytest.approx(opt["nutrients"][k], abs=0.01)
        assert e["grams"] == pytest.approx(opt["grams"], abs=0.01)
        # The full nutrient snapshot, as for an entry logged from a food.
        snap = e["nutrients"]
        assert set(snap) >= {"iron_mg", "calcium_mg", "vitamin_c_mg", "folate_ug", "water_g"}
        assert snap["iron_mg"] > 0 and snap["water_g"] > 0
        for k in MACROS:
            assert snap[k] == pytest.approx(e[k], abs=0.01)
    assert entries[1]["kcal"] == pytest.approx(lunch["options"][1]["nutrients"]["kcal"])

    r = await client.get(
        "/api/v1/summaries/daily", params={"date": str(today)}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    totals = r.json()["totals"]
    for k in MACROS:
        assert totals[k] == pytest.approx(after["chosen_totals"][k], abs=0.05)

    # A slot is logged once: again is a 409 naming it, and nothing is added.
    r = await client.post(f"{url}/log", json={"slots": ["lunch", "snack"]}, headers=user.headers)
    assert_problem(r, 409, "plan-slot-already-logged")
    assert "lunch, snack" in r.json()["detail"]
    r = await client.get("/api/v1/logs", headers=user.headers)
    assert r.json()["total"] == 4
    # Deleting the entry frees the slot.
    snack_id = next(e["id"] for e in entries if e["meal_type"] == "snack")
    r = await client.delete(f"/api/v1/logs/{snack_id}", headers=user.headers)
    assert r.status_code == 204, r.text
    r = await client.post(f"{url}/log", json={"slots": ["snack"]}, headers=user.headers)
    assert r.status_code == 201, r.text
    (snack,) = r.json()["entries"]
    assert snack["kcal"] == pytest.approx(picks["snack"]["nutrients"]["kcal"])
    r = await client.post(f"{url}/log", json={"slots": ["brunch"]}, headers=user.headers)
    assert_problem(r, 422)

    far = today + dt.timedelta(days=5)
    r = await client.post(f"/api/v1/plans/{far}/log", json={}, headers=user.headers)
    assert_problem(r, 404, "plan-not-found")


async def test_a_double_submit_logs_the_day_once(client, user):
    await set_goal(client, user, **GOAL)
    today = local_today("UTC")
    await generate(client, user)
    url = f"/api/v1/plans/{today}/log"
    answers = await asyncio.gather(
        *(client.post(url, json={"slots": ["dinner"]}, headers=user.headers) for _ in range(4))
    )
    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409]
    for r in answers:
        if r.status_code == 409:
            assert_problem(r, 409, "plan-slot-already-logged")
    r = await client.get("/api/v1/logs", headers=user.headers)
    assert [e["meal_type"] for e in r.json()["items"]] == ["dinner"]


async def test_moving_a_logged_slot_onto_a_logged_one_is_a_conflict(client, user):
    await set_goal(client, user, **GOAL)
    today = local_today("UTC")
    await generate(client, user)
    r = await client.post(f"/api/v1/plans/{today}/log", headers=user.headers)
    assert r.status_code == 201, r.text
    lunch = next(e for e in r.json()["entries"] if e["meal_type"] == "lunch")
    r = await client.patch(
        f"/api/v1/logs/{lunch['id']}", json={"meal_type": "dinner"}, headers=user.headers
    )
    assert_problem(r, 409, "plan-slot-already-logged")
    r = await client.get(f"/api/v1/logs/{lunch['id']}", headers=user.headers)
    assert r.json()["meal_type"] == "lunch"
    # Hand-logged entries are not plan slots: any number per meal.
    for _ in range(2):
        body = {"meal_type": "dinner", "description": "extra", "kcal": 100}
        body |= {"protein_g": 1, "carbs_g": 20, "fat_g": 1}
        r = await client.post("/api/v1/logs", json=body, headers=user.headers)
        assert r.status_code == 201, r.text


async def test_logging_a_future_day_is_refused(client, user):
    await set_goal(client, user, **GOAL)
    later = local_today("UTC") + dt.timedelta(days=3)
    await generate(client, user, start=str(later))
    r = await client.post(f"/api/v1/plans/{later}/log", json={}, headers=user.headers)
    assert_problem(r, 422, "invalid-log-date")
    r = await client.get("/api/v1/logs", headers=user.headers)
    assert r.json()["total"] == 0


async def test_shopping_list_sums_chosen_ingredients_minus_inventory(client, user):
    await set_goal(client, user, **GOAL)
    today = local_today("UTC")
    plans = await generate(client, user, days=2)
    r = await client.put(
        f"/api/v1/plans/{today}/slots/dinner", json={"option": 2}, headers=user.headers
    )
    plans[0] = r.json()
    # Expected: per ingredient key, in grams of the first food the plans name for it.
    usda = {str(f.id): facts(f) for f in load_usda_foods()}
    needed: dict[str, float] = defaultdict(float)
    rep: dict[str, str] = {}
    for plan in sorted(plans, key=lambda p: p["date"]):
        for opt in chosen(plan).values():
            for ing in opt["ingredients"]:
                f = usda[ing["food_id"]]
                first = rep.setdefault(f.key, ing["food_id"])
                needed[f.key] += ing["grams"] * grams_factor(f, usda[first])
    # Half of one ingredient in stock, all of another, and an expired item that does not count.
    half, full = sorted(needed, key=lambda k: -needed[k])[:2]
    for key, grams, expires in (
        (half, round(needed[half] / 2, 1), None),
        (full, round(needed[full] + 50, 1), str(today + dt.timedelta(days=2))),
        (half, 5000, str(today - dt.timedelta(days=1))),
    ):
        r = await client.post(
            "/api/v1/inventory",
            json={"food_id": rep[key], "grams": grams, "expires_on": expires},
            headers=user.headers,
        )
        assert r.status_code == 201, r.text

    end = today + dt.timedelta(days=6)
    r = await client.get(
        "/api/v1/plans/shopping-list",
        params={"start": str(today), "end": str(end)},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plans"] == 2
    items = {i["ingredient"]: i for i in body["items"]}
    covered = {i["ingredient"]: i for i in body["covered"]}
    assert set(items) | set(covered) == set(needed) and not set(items) & set(covered)
    assert set(covered) == {full}
    assert covered[full]["grams"] == 0 and covered[full]["inventory_g"] == round(
        needed[full] + 50, 1
    )
    stock = {half: round(needed[half] / 2, 1)}
    for key, item in items.items():
        assert item["food_id"] == rep[key] and item["food"] == usda[rep[key]].name
        assert item["needed_g"] == pytest.approx(needed[key], abs=0.051)
        assert item["inventory_g"] == stock.get(key, 0.0)
        assert item["grams"] == pytest.approx(needed[key] - stock.get(key, 0.0), abs=0.051)
    grams = [i["grams"] for i in body["items"]]
    assert grams == sorted(grams, reverse=True)

    params = {"start": str(today), "end": str(today + dt.timedelta(days=31))}
    r = await client.get("/api/v1/plans/shopping-list", params=params, headers=user.headers)
    assert_problem(r, 422, "invalid-plan-range")
    params = {"start": str(today), "end": str(today - dt.timedelta(days=1))}
    r = await client.get("/api/v1/plans/shopping-list", params=params, headers=user.headers)
    assert_problem(r, 422, "invalid-plan-range")


async def test_plans_are_private(client, make_user):
    owner, other = await make_user(), await make_user()
    await set_goal(client, owner, **GOAL)
    today = local_today("UTC")
    await generate(client, owner)
    url = f"/api/v1/plans/{today}"
    assert_problem(await client.get(url, headers=other.headers), 404, "plan-not-found")
    assert_problem(await client.get("/api/v1/plans/today", headers=other.headers), 404)
    r = await client.put(f"{url}/slots/lunch", json={"option": 1}, headers=other.headers)
    assert_problem(r, 404)
    assert_problem(await client.post(f"{url}/log", json={}, headers=other.headers), 404)
    r = await client.get(
        "/api/v1/plans/shopping-list",
        params={"start": str(today), "end": str(today)},
        headers=other.headers,
    )
    assert r.json()["plans"] == 0 and r.json()["items"] == []
    assert_problem(await client.get(url), 401)
    assert (await get_plan(client, owner, today))["slots"][1]["chosen"] == 0


async def test_infeasible_targets_say_why(client, user):
    await set_goal(client, user, kcal=1500, protein_g=320, carbs_g=20, fat_g=10)
    (plan,) = await generate(client, user)
    assert plan["met"] is False
    assert "protein" in plan["reason"]
    assert plan["text_source"] == "template"
    r = await client.get(f"/api/v1/plans/{plan['date']}", headers=user.headers)
    assert r.json()["met"] is False and r.json()["reason"] == plan["reason"]


async def test_targets_unavailable_and_validation(client, user):
    r = await client.post("/api/v1/plans/generate", json={}, headers=user.headers)
    body = assert_problem(r, 409, "targets-unavailable")
    assert "goal" in body["detail"]
    await set_goal(client, user, **GOAL)
    for bad in ({"days": 0}, {"days": 8}, {"start": "yesterday"}, {"days": 2, "x": 1}):
        r = await client.post("/api/v1/plans/generate", json=bad, headers=user.headers)
        assert_problem(r, 422)
    r = await client.post(
        "/api/v1/plans/generate", json={"start": "2001-01-01"}, headers=user.headers
    )
    assert_problem(r, 422, "invalid-plan-range")
    assert_problem(await client.post("/api/v1/plans/generate", json={}), 401)
    r = await client.get("/api/v1/plans/today", headers=user.headers)
    assert_problem(r, 404, "plan-not-found")


@pytest.mark.parametrize("pattern", ["paleo", "mediterranean", "vegan"])
async def test_patterns_and_excluded_food_groups(client, user, pattern):
    r = await client.patch(
        "/api/v1/users/me/profile",
        json={"dietary_pattern": pattern, "excluded_food_groups": ["dairy", "caffeine"]},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    targets = {"kcal": 2000, "protein_g": 100, "carbs_g": 220, "fat_g": 75}
    await set_goal(client, user, **targets)
    (plan,) = await generate(client, user)
    check_day(plan, targets)
    for opt in [o for s in plan["slots"] for o in s["options"]] + plan["snack_options"]:
        recipe = recipes_by_id()[uuid.UUID(opt["recipe_id"])]
        assert "dairy" not in recipe.allergens
        assert not any("coffee" in i.name.lower() for i in recipe.ingredients)
        if pattern == "paleo":
            groups = {i.group for i in recipe.ingredients}
            assert not groups & {
                "Cereal Grains and Pasta",
                "Baked Products",
                "Legumes and Legume Products",
            }
            assert "gluten" not in recipe.allergens
        if pattern == "vegan":
            assert "vegan" in recipe.derived_tags


async def test_llm_words_never_carry_numbers(client_factory):
    from tests.conftest import create_user
    from tests.llm.fake_openai import FakeOpenAI

    fake = FakeOpenAI(
        content="Enjoy a colourful day of food! The dinner packs 900 kcal of flavour.\n"
        "Tip: cook the rice the night before."
    )
    await fake.start()
    try:
        async with client_factory(
            llm_base_url=fake.base_url, llm_model="fake-model", llm_max_retries=0
        ) as c:
            user = await create_user(c)
            await set_goal(c, user, **GOAL)
            plans = await generate(c, user, days=2)
    finally:
        await fake.close()
    assert len(fake.requests) == 2
    for plan in plans:
        check_day({**plan, "text_source": "template"}, GOAL)
        assert plan["text_source"] == "llm"
        assert "Enjoy a colourful day of food!" in plan["text"]
        assert "Tip: cook the rice the night before." in plan["text"]
        assert "900" not in plan["text"]
        # The template summary with the plan's own figures comes first.
        assert plan["text"].startswith("This day gives you about")


async def test_one_plan_per_user_and_day_even_under_concurrency(client, user):
    await set_goal(client, user, **GOAL)
    today = local_today("UTC")
    results = await asyncio.gather(
        *(generate(client, user, start=str(today), days=2) for _ in range(4))
    )
    assert all(
        [p["date"] for p in plans] == [str(today), str(today + dt.timedelta(days=1))]
        for plans in results
    )
    resources = client._transport.app.state.resources
    async with resources.sessionmaker() as session:
        n = await session.scalar(sa.text("SELECT COUNT(*) FROM meal_plans"))
        assert n == 2
        # The database itself refuses a second row for the same user and day.
        row = await session.scalar(sa.select(MealPlan).limit(1))
        session.add(MealPlan(user_id=row.user_id, date=row.date, plan={}))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_today_is_the_users_local_day(client, make_user):
    user = await make_user(tz="Pacific/Kiritimati")  # UTC+14: often a day ahead of UTC
    await set_goal(client, user, **GOAL)
    (plan,) = await generate(client, user)
    today = local_today("Pacific/Kiritimati")
    assert plan["date"] == str(today)
    r = await client.get("/api/v1/plans/today", headers=user.headers)
    assert r.status_code == 200 and r.json()["date"] == str(today)


async def test_a_day_planned_before_its_neighbours_does_not_repeat_them(client, user):
    await set_goal(client, user, **GOAL)
    today = local_today("UTC")
    (later,) = await generate(client, user, start=str(today + dt.timedelta(days=2)))
    eaten = set(firsts(later))
    (plan,) = await generate(client, user, start=str(today))
    offered = {o["recipe_id"] for s in plan["slots"] for o in s["options"]}
    assert not offered & eaten
    check_day(plan, GOAL)


async def test_batch_generation_equals_one_user_at_a_time(app, client, make_user):
    """The pipeline plans users in batches (set-based reads over all of them); each user's
    plan must be exactly the one the API makes for that user alone."""
    from app.plans import service as plans_service
    from tests.users.helpers import put_profile

    users = [await make_user(tz="UTC") for _ in range(4)]
    day = local_today("UTC") + dt.timedelta(days=1)
    # Different sources of targets: goals, a vegetarian profile, an auto-mode profile and a
    # user with nothing (who gets an error of their own, not the batch's).
    await set_goal(client, users[0], **GOAL)
    await put_profile(client, users[1], dietary_pattern="vegetarian")
    await put_profile(client, users[2], goal_mode="auto", allergies=["peanuts"])
    # A stored plan the day before: its chosen recipes are not repeated.
    await generate(client, users[0], start=str(day - dt.timedelta(days=1)))

    res = app.state.resources
    async with res.sessionmaker() as session:
        batch = await plans_service.generate_many(
            session,
            res.cache,
            [plans_service.PlanRequest(uuid.UUID(u.id), day) for u in users],
            None,
        )
    assert isinstance(batch[uuid.UUID(users[3].id)], plans_service.TargetsUnavailable)
    for u in users[:3]:
        (row,) = batch[uuid.UUID(u.id)]
        assert row.date == day
        alone = (await generate(client, u, start=str(day)))[0]
        assert firsts(alone) == [s["options"][0]["recipe_id"] for s in row.plan["slots"]]
        assert alone["targets"] == row.plan["targets"]
        assert alone["totals"] == row.plan["totals"]
    vegetarian = await get_plan(client, users[1], day)
    assert vegetarian["targets_source"] == "profile"
