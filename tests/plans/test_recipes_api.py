"""Recipe library listing and detail, and private custom recipes."""

from __future__ import annotations

import uuid

import pytest

from app.foods.dataset import food_uuid, foods_by_ndb
from app.plans.recipes import load_recipes, recipes_by_slug
from tests.conftest import assert_problem

OATS = foods_by_ndb()["08120"]  # Cereals, oats, regular and quick, not fortified, dry
MILK = foods_by_ndb()["01077"]  # Milk, whole, 3.25% milkfat, with added vitamin D
BANANA = foods_by_ndb()["09040"]  # Bananas, raw


async def page(client, user, **params):
    r = await client.get("/api/v1/recipes", params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_list_is_paginated_with_total(client, user):
    library = load_recipes()
    first = await page(client, user, limit=10)
    assert first["total"] == len(library)
    assert len(first["items"]) == 10 and first["next_offset"] == 10
    names = [i["name"] for i in first["items"]]
    assert names == sorted(names, key=str.lower)
    rest = await page(client, user, limit=100, offset=10)
    ids = {i["id"] for i in first["items"]} | {i["id"] for i in rest["items"]}
    assert len(ids) == min(110, len(library))
    last = await page(client, user, limit=10, offset=len(library) - 3)
    assert len(last["items"]) == 3 and last["next_offset"] is None
    assert all(not i["custom"] for i in first["items"])


async def test_filters_by_tag_meal_and_text(client, user):
    vegan_breakfasts = [
        r for r in load_recipes() if "vegan" in r.derived_tags and "breakfast" in r.meal_types
    ]
    body = await page(client, user, tag="vegan", meal_type="breakfast", limit=100)
    assert body["total"] == len(vegan_breakfasts) > 0
    assert {i["id"] for i in body["items"]} == {str(r.id) for r in vegan_breakfasts}
    assert all("vegan" in i["tags"] and "breakfast" in i["meal_types"] for i in body["items"])

    both = await page(client, user, tag=["vegan", "gluten-free"], limit=100)
    expected = [r for r in load_recipes() if {"vegan", "gluten-free"} <= r.derived_tags]
    assert both["total"] == len(expected)

    found = await page(client, user, q="salmon", limit=100)
    assert found["total"] > 0
    for item in found["items"]:
        r = await client.get(f"/api/v1/recipes/{item['id']}", headers=user.headers)
        detail = r.json()
        text = " ".join([detail["name"], *(i["food"] for i in detail["ingredients"])]).lower()
        assert "salmon" in text
    assert (await page(client, user, q="zzzqqq"))["total"] == 0

    r = await client.get("/api/v1/recipes", params={"tag": "carnivore"}, headers=user.headers)
    assert_problem(r, 422)
    r = await client.get("/api/v1/recipes", params={"limit": 101}, headers=user.headers)
    assert_problem(r, 422)
    assert_problem(await client.get("/api/v1/recipes"), 401)


async def test_detail_values_come_from_the_ingredients(client, user):
    recipe = load_recipes()[0]
    r = await client.get(f"/api/v1/recipes/{recipe.id}", headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == recipe.name and body["servings"] == recipe.servings
    assert body["steps"] == list(recipe.steps) and body["steps"]
    assert [(i["food_id"], i["grams"]) for i in body["ingredients"]] == [
        (str(i.food_id), i.grams) for i in recipe.ingredients
    ]
    expected_kcal = (
        sum(foods_by_ndb()[i.ndb_no].nutrients["kcal"] * i.grams / 100 for i in recipe.ingredients)
        / recipe.servings
    )
    assert body["per_serving"]["kcal"] == pytest.approx(expected_kcal, abs=0.06)
    assert body["ingredients"][0]["food"] == recipe.ingredients[0].name
    assert body["tags"] == sorted(recipe.derived_tags)

    r = await client.get(f"/api/v1/recipes/{uuid.uuid4()}", headers=user.headers)
    assert_problem(r, 404, "recipe-not-found")


async def test_feasible_flag_follows_the_profile(client, user):
    r = await client.patch(
        "/api/v1/users/me/profile",
        json={"dietary_pattern": "vegan", "allergies": ["soy"]},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    body = await page(client, user, feasible="true", limit=100)
    expected = [r for r in load_recipes() if "vegan" in r.derived_tags and "soy" not in r.allergens]
    assert body["total"] == len(expected) > 0
    assert all("vegan" in i["tags"] and "soy-free" in i["tags"] for i in body["items"])


async def test_custom_recipe_from_food_ids(client, make_user):
    owner, other = await make_user(), await make_user()
    body = {
        "name": "Banana oat porridge",
        "meal_types": ["breakfast"],
        "servings": 2,
        "prep_minutes": 10,
        "steps": ["Simmer the oats in the milk.", "Top with banana."],
        "ingredients": [
            {"food_id": str(OATS.id), "grams": 80},
            {"food_id": str(MILK.id), "grams": 400},
            {"food_id": str(BANANA.id), "grams": 120},
        ],
        "tags": ["vegetarian"],
    }
    r = await client.post("/api/v1/recipes", json=body, headers=owner.headers)
    assert r.status_code == 201, r.text
    recipe = r.json()
    assert recipe["custom"] is True and recipe["servings"] == 2
    kcal = (
        OATS.nutrients["kcal"] * 0.8 + MILK.nutrients["kcal"] * 4 + BANANA.nutrients["kcal"] * 1.2
    ) / 2
    protein = (
        OATS.nutrients["protein_g"] * 0.8
        + MILK.nutrients["protein_g"] * 4
        + BANANA.nutrients["protein_g"] * 1.2
    ) / 2
    assert recipe["per_serving"]["kcal"] == pytest.approx(kcal, abs=0.06)
    assert recipe["per_serving"]["protein_g"] == pytest.approx(protein, abs=0.06)
    assert [i["food"] for i in recipe["ingredients"]] == [OATS.name, MILK.name, BANANA.name]
    assert recipe["ingredients"][1]["grams_per_serving"] == 200.0
    # Tags are derived: milk makes it vegetarian but neither vegan nor dairy-free.
    assert "vegetarian" in recipe["tags"] and "vegan" not in recipe["tags"]
    assert "dairy-free" not in recipe["tags"] and "dairy" in recipe["allergens"]

    # Listed for the owner only, and private.
    mine = await page(client, owner, q="banana oat porridge")
    assert [i["id"] for i in mine["items"]] == [recipe["id"]] and mine["items"][0]["custom"]
    assert (await page(client, other, q="banana oat porridge"))["total"] == 0
    url = f"/api/v1/recipes/{recipe['id']}"
    assert_problem(await client.get(url, headers=other.headers), 404, "recipe-not-found")
    r = await client.patch(url, json={"servings": 4}, headers=other.headers)
    assert_problem(r, 404)
    assert_problem(await client.delete(url, headers=other.headers), 404)

    r = await client.patch(url, json={"servings": 4}, headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["per_serving"]["kcal"] == pytest.approx(kcal / 2, abs=0.06)
    assert r.json()["name"] == body["name"]

    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert_problem(await client.get(url, headers=owner.headers), 404)


async def test_custom_recipe_from_text(client, user):
    body = {
        "name": "Egg fried rice",
        "meal_types": ["lunch", "dinner"],
        "servings": 2,
        "ingredients_text": "2 cups cooked white rice\n3 eggs\n1 tbsp olive oil\n",
    }
    r = await client.post("/api/v1/recipes", json=body, headers=user.headers)
    assert r.status_code == 201, r.text
    recipe = r.json()
    assert len(recipe["ingredients"]) == 3
    foods = [i["food"].lower() for i in recipe["ingredients"]]
    assert "rice" in foods[0] and foods[1].startswith("egg") and "olive" in foods[2]
    egg = foods_by_ndb()["01123"]
    assert recipe["ingredients"][1]["food_id"] == str(food_uuid("01123"))
    # Three eggs of no stated size: three of SR28's medium eggs.
    medium = next(p.grams for p in egg.portions if p.unit == "medium")
    assert recipe["ingredients"][1]["grams"] == pytest.approx(3 * medium)
    total = sum(
        foods_by_ndb_by_id()[uuid.UUID(i["food_id"])].nutrients["kcal"] * i["grams"] / 100
        for i in recipe["ingredients"]
    )
    assert recipe["per_serving"]["kcal"] == pytest.approx(total / 2, abs=0.06)
    assert egg.nutrients["kcal"] == 143.0
    assert "vegetarian" in recipe["tags"] and "egg-free" not in recipe["tags"]
    assert "egg" in recipe["allergens"]

    # Custom recipes are candidates for the owner's lists by meal type.
    found = await page(client, user, meal_type="dinner", q="egg fried rice", limit=100)
    assert recipe["id"] in [i["id"] for i in found["items"] if i["custom"]]
    breakfast = await page(client, user, meal_type="breakfast", q="egg fried rice", limit=100)
    assert recipe["id"] not in [i["id"] for i in breakfast["items"]]

    # New text replaces the ingredients.
    r = await client.patch(
        f"/api/v1/recipes/{recipe['id']}",
        json={"ingredients_text": "200 g cooked white rice"},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["ingredients"]) == 1 and "vegan" in r.json()["tags"]


def foods_by_ndb_by_id():
    return {f.id: f for f in foods_by_ndb().values()}


async def test_unrecognised_lines_and_false_tags_are_refused(client, user):
    body = {
        "name": "Mystery stew",
        "meal_types": ["dinner"],
        "ingredients_text": "200 g potatoes\nzorblax flux\n1 carrot\nqwxyz 3 cups",
    }
    r = await client.post("/api/v1/recipes", json=body, headers=user.headers)
    problem = assert_problem(r, 422, "unrecognised-ingredients")
    assert problem["unrecognised"] == ["zorblax flux", "qwxyz 3 cups"]
    assert "zorblax flux" in problem["detail"]

    vegan_with_milk = {
        "name": "Not vegan shake",
        "meal_types": ["snack"],
        "ingredients": [
            {"food_id": str(MILK.id), "grams": 250},
            {"food_id": str(BANANA.id), "grams": 100},
        ],
        "tags": ["vegan"],
    }
    r = await client.post("/api/v1/recipes", json=vegan_with_milk, headers=user.headers)
    problem = assert_problem(r, 422, "tags-not-supported")
    assert "vegan" in problem["detail"] and MILK.name in problem["detail"]

    r = await client.post(
        "/api/v1/recipes",
        json={
            **vegan_with_milk,
            "tags": [],
            "ingredients": [{"food_id": str(uuid.uuid4()), "grams": 10}],
        },
        headers=user.headers,
    )
    assert_problem(r, 422, "unknown-food")

    both = {**vegan_with_milk, "tags": [], "ingredients_text": "1 banana"}
    body422 = assert_problem(
        await client.post("/api/v1/recipes", json=both, headers=user.headers), 422
    )
    assert "either" in body422["detail"] or any("either" in e["message"] for e in body422["errors"])
    neither = {"name": "Nothing", "meal_types": ["snack"]}
    assert_problem(await client.post("/api/v1/recipes", json=neither, headers=user.headers), 422)
    bad = {**vegan_with_milk, "tags": [], "servings": 0, "meal_types": ["brunch"]}
    r = await client.post("/api/v1/recipes", json=bad, headers=user.headers)
    assert {e["field"] for e in assert_problem(r, 422)["errors"]} == {"servings", "meal_types.0"}


async def test_builtin_recipes_cannot_be_changed(client, user):
    recipe = recipes_by_slug()[load_recipes()[0].slug]
    r = await client.patch(
        f"/api/v1/recipes/{recipe.id}", json={"servings": 3}, headers=user.headers
    )
    assert_problem(r, 404)
    assert_problem(await client.delete(f"/api/v1/recipes/{recipe.id}", headers=user.headers), 404)


async def test_custom_recipe_survives_its_custom_food_being_deleted(client, user):
    r = await client.post(
        "/api/v1/foods",
        json={"name": "Zorblax granola", "kcal": 450, "protein_g": 10, "carbs_g": 60, "fat_g": 18},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    granola = r.json()["id"]
    r = await client.post(
        "/api/v1/recipes",
        json={
            "name": "Granola and milk",
            "meal_types": ["breakfast"],
            "ingredients": [
                {"food_id": granola, "grams": 60},
                {"food_id": str(MILK.id), "grams": 200},
            ],
        },
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    recipe = r.json()
    assert recipe["per_serving"]["kcal"] == pytest.approx(
        270 + MILK.nutrients["kcal"] * 2, abs=0.06
    )
    assert recipe["ingredients"][0]["food"] == "Zorblax granola"
    assert (
        await client.delete(f"/api/v1/foods/{granola}", headers=user.headers)
    ).status_code == 204
    r = await client.get(f"/api/v1/recipes/{recipe['id']}", headers=user.headers)
    assert r.status_code == 200 and r.json()["per_serving"] == recipe["per_serving"]
    # Once deleted, the food can no longer be used in a new recipe.
    r = await client.patch(
        f"/api/v1/recipes/{recipe['id']}",
        json={"ingredients": [{"food_id": granola, "grams": 60}]},
        headers=user.headers,
    )
    assert_problem(r, 422, "unknown-food")
