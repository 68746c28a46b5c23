"""The built-in recipe library: data integrity, nutrients from SR28 and honest tags."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from importlib import resources
from typing import Any

import pytest

from app.foods.dataset import NUTRIENT_FIELDS, foods_by_ndb
from app.plans.recipes import (
    ALL_TAGS,
    ALLERGENS,
    MEAL_TYPES,
    RecipeDataError,
    check_tags,
    derive_tags,
    food_flags,
    load_recipes,
    recipe_from_dict,
    recipe_uuid,
    recipes_by_slug,
)


def _raw() -> list[dict[str, Any]]:
    text = resources.files("app.plans").joinpath("data", "recipes.json").read_text("utf-8")
    recipes: list[dict[str, Any]] = json.loads(text)["recipes"]
    return recipes


def test_library_size_and_meal_coverage() -> None:
    recipes = load_recipes()
    assert len(recipes) >= 150
    per_meal = Counter(m for r in recipes for m in r.meal_types)
    assert per_meal["breakfast"] >= 40
    assert per_meal["lunch"] >= 40
    assert per_meal["dinner"] >= 45
    assert per_meal["snack"] >= 30
    cuisines = {r.cuisine for r in recipes}
    for c in (
        "Mediterranean",
        "Mexican",
        "Indian",
        "Japanese",
        "Chinese",
        "Thai",
        "American",
        "Middle Eastern",
        "Italian",
    ):
        assert c in cuisines


def test_enough_options_for_every_diet_and_meal() -> None:
    recipes = load_recipes()
    for diet in ("vegan", "vegetarian", "pescatarian", "keto", "high-protein", "low-carb"):
        for meal in MEAL_TYPES:
            n = sum(1 for r in recipes if diet in r.derived_tags and meal in r.meal_types)
            assert n >= 3, (diet, meal, n)


def test_raw_data_shape_and_every_ndb_resolves() -> None:
    foods = foods_by_ndb()
    slugs = set()
    for r in _raw():
        assert set(r) <= {
            "slug",
            "name",
            "meal_types",
            "cuisine",
            "servings",
            "prep_minutes",
            "steps",
            "ingredients",
            "tags",
        }, "nutrients must never be stored with recipes"
        assert r["slug"] not in slugs
        slugs.add(r["slug"])
        assert 2 <= len(r["steps"]) <= 5, r["slug"]
        assert r["servings"] >= 1 and r["prep_minutes"] >= 0
        assert set(r["meal_types"]) <= set(MEAL_TYPES) and r["meal_types"]
        assert set(r["tags"]) <= ALL_TAGS
        assert r["ingredients"]
        for ing in r["ingredients"]:
            assert ing["ndb_no"] in foods, (r["slug"], ing["ndb_no"])
            assert 0 < ing["grams"] <= 1000, (r["slug"], ing)


def test_recipe_ids_are_uuid5_of_slug_and_stable() -> None:
    for r in load_recipes():
        assert r.id == recipe_uuid(r.slug)
    # Frozen: stored plans and histories refer to these ids.
    assert recipe_uuid("shakshuka") == uuid.uuid5(
        uuid.UUID("0c9f6a53-5d8e-5a51-9a55-3f1d2c7b8e11"), "shakshuka"
    )


def test_ingredients_carry_food_identity() -> None:
    foods = foods_by_ndb()
    r = recipes_by_slug()["greek-yogurt-honey"]
    assert [(i.ndb_no, i.grams) for i in r.ingredients] == [("01256", 170.0), ("19296", 10.0)]
    for i in r.ingredients:
        assert i.food_id == foods[i.ndb_no].id
        assert i.name == foods[i.ndb_no].name
    assert r.food_ids == {foods["01256"].id, foods["19296"].id}
    assert r.food_groups == {"Dairy and Egg Products", "Sweets"}


def test_per_serving_nutrients_by_hand() -> None:
    f = foods_by_ndb()
    # Greek yogurt with honey: 170 g nonfat Greek yogurt (59 kcal/100 g) + 10 g honey (304).
    r = recipes_by_slug()["greek-yogurt-honey"]
    assert r.servings == 1
    assert r.per_serving["kcal"] == pytest.approx(1.7 * 59.0 + 0.1 * 304.0)
    assert f["01256"].nutrients["protein_g"] == 10.19
    assert r.per_serving["protein_g"] == pytest.approx(1.7 * 10.19 + 0.1 * 0.3)
    assert r.per_serving["carbs_g"] == pytest.approx(1.7 * 3.6 + 0.1 * 82.4)

    # Shakshuka serves 2: totals from seven ingredients, halved.
    r = recipes_by_slug()["shakshuka"]
    assert r.servings == 2
    grams = {"01123": 200, "11531": 400, "11282": 80, "11821": 100, "04053": 14}
    grams |= {"02014": 2, "02028": 2}
    assert {i.ndb_no: i.grams for i in r.ingredients} == grams
    for key in NUTRIENT_FIELDS:
        total = sum((f[n].nutrients[key] or 0.0) * g / 100 for n, g in grams.items())
        assert r.per_serving[key] == pytest.approx(total / 2), key
    # 200 g egg = 286 kcal, 400 g tomatoes = 64, 80 g onion = 32, 100 g pepper = 31,
    # 14 g olive oil = 123.76, 2 g cumin = 7.5, 2 g paprika = 5.64 -> 549.9 / 2
    assert r.per_serving["kcal"] == pytest.approx(274.95)


def test_every_stored_tag_holds() -> None:
    for r in load_recipes():
        assert check_tags(r) == [], r.slug
        # The generator writes exactly the derived tags; a drift means stale JSON.
        assert r.tags == r.derived_tags == derive_tags(r), r.slug


def test_allergens_are_derived_from_ingredients() -> None:
    by = recipes_by_slug()
    assert by["shrimp-pad-thai"].allergens >= {"shellfish", "egg", "peanuts", "fish"}
    assert "gluten" not in by["shrimp-pad-thai"].allergens  # rice noodles
    assert by["chicken-pesto-pasta"].allergens >= {"gluten", "dairy", "nuts"}
    assert by["tofu-poke-bowl"].allergens == {"soy", "gluten", "sesame"}  # shoyu has wheat
    assert by["tempeh-sticks"].allergens == {"soy"}  # tamari is wheat-free
    assert by["hummus-crudites"].allergens == {"sesame"}
    assert by["beef-and-broccoli"].allergens >= {"shellfish"}  # oyster sauce
    assert "vegan" not in by["greek-yogurt-honey"].tags
    assert "vegetarian" not in by["thai-beef-larb"].tags
    assert "vegetarian" not in by["kai-jeow-rice"].tags  # fish sauce
    assert "vegan" in by["coconut-mango-chia-pudding"].tags
    for r in load_recipes():
        assert r.allergens <= set(ALLERGENS)


@pytest.mark.parametrize(
    ("group", "name", "present", "absent"),
    [
        ("Vegetables and Vegetable Products", "Eggplant, raw", set(), {"egg"}),
        ("Legumes and Legume Products", "Peanut butter, smooth style", {"peanuts"}, {"dairy"}),
        ("Vegetables and Vegetable Products", "Squash, winter, butternut", set(), {"dairy"}),
        ("Cereal Grains and Pasta", "Buckwheat groats, roasted, cooked", set(), {"gluten"}),
        ("Cereal Grains and Pasta", "Rice noodles, cooked", set(), {"gluten"}),
        ("Nut and Seed Products", "Nuts, coconut milk, canned", set(), {"dairy", "nuts"}),
        ("Beverages", "Beverages, almond milk, unsweetened", {"nuts"}, {"dairy"}),
        ("Legumes and Legume Products", "Soy sauce from soy and wheat", {"soy", "gluten"}, set()),
        ("Legumes and Legume Products", "Soy sauce made from soy (tamari)", {"soy"}, {"gluten"}),
        ("Soups, Sauces, and Gravies", "Sauce, fish, ready-to-serve", {"fish"}, {"meat"}),
        ("Soups, Sauces, and Gravies", "Sauce, oyster, ready-to-serve", {"shellfish"}, set()),
        ("Beverages", "Beverages, Protein powder whey based", {"dairy"}, set()),
        ("Sweets", "Honey", {"honey"}, {"meat"}),
        ("Fats and Oils", "Salad dressing, mayonnaise, regular", {"egg"}, {"dairy"}),
        ("Baked Products", "Tortillas, ready-to-bake or -fry, corn", set(), {"gluten"}),
        ("Baked Products", "Tortillas, ready-to-bake or -fry, flour", {"gluten"}, set()),
        ("Legumes and Legume Products", "Chickpeas, cooked", set(), {"meat", "gluten"}),
        ("Legumes and Legume Products", "Chickpea flour (besan)", set(), {"gluten"}),
        ("Legumes and Legume Products", "Hummus, commercial", {"sesame"}, set()),
        ("Dairy and Egg Products", "Egg, whole, raw, fresh", {"egg"}, {"dairy"}),
        ("Dairy and Egg Products", "Cheese, feta", {"dairy"}, {"egg"}),
        ("Cereal Grains and Pasta", "Noodles, egg, cooked", {"egg", "gluten"}, set()),
        ("Sweets", "Gelatin desserts, dry mix", {"gelatin"}, set()),
        ("Breakfast Cereals", "Cereals, oats, regular and quick, dry", {"gluten"}, set()),
        ("Finfish and Shellfish Products", "Crustaceans, shrimp, cooked", {"shellfish"}, {"fish"}),
        ("Finfish and Shellfish Products", "Fish, cod, Atlantic, cooked", {"fish"}, set()),
        ("Sausages and Luncheon Meats", "Honey roll sausage, beef", {"meat"}, set()),
    ],
)
def test_food_flags(group: str, name: str, present: set[str], absent: set[str]) -> None:
    flags = food_flags(group, name)
    assert present <= flags, flags
    assert not (absent & flags), flags


def _synthetic(ingredients: list[tuple[str, float]], tags: list[str]) -> dict[str, Any]:
    return {
        "slug": "synthetic",
        "name": "Synthetic",
        "meal_types": ["breakfast"],
        "cuisine": "Test",
        "servings": 1,
        "prep_minutes": 1,
        "steps": ["Mix.", "Serve."],
        "ingredients": [{"ndb_no": n, "grams": g} for n, g in ingredients],
        "tags": tags,
    }


def test_checker_rejects_vegan_recipe_with_milk() -> None:
    bad = recipe_from_dict(_synthetic([("08120", 50), ("01077", 240)], ["vegan", "vegetarian"]))
    problems = check_tags(bad)
    assert len(problems) == 1
    assert "'vegan'" in problems[0] and "Milk, whole" in problems[0]
    assert "dairy" in bad.allergens


@pytest.mark.parametrize(
    ("ingredients", "tag", "culprit"),
    [
        ([("18075", 64)], "gluten-free", "Bread, whole-wheat"),
        ([("09003", 150), ("14091", 200)], "nut-free", "almond milk"),
        ([("20045", 150), ("06179", 10)], "vegetarian", "Sauce, fish"),
        ([("20045", 150), ("16123", 10)], "soy-free", "Soy sauce"),
        ([("18075", 64), ("04025", 15)], "egg-free", "mayonnaise"),
        ([("15151", 100)], "vegetarian", "shrimp"),
        ([("05064", 100)], "pescatarian", "Chicken"),
        ([("01256", 100)], "keto", ""),
        ([("09040", 120)], "high-protein", ""),
    ],
)
def test_checker_rejects_false_tags(
    ingredients: list[tuple[str, float]], tag: str, culprit: str
) -> None:
    r = recipe_from_dict(_synthetic(ingredients, [tag]))
    problems = check_tags(r)
    assert len(problems) == 1 and f"'{tag}'" in problems[0]
    assert culprit in problems[0]


def test_checker_accepts_true_tags() -> None:
    r = recipe_from_dict(_synthetic([("09040", 120), ("12061", 20)], ["vegan", "gluten-free"]))
    assert check_tags(r) == []


def test_bad_recipe_data_is_rejected() -> None:
    with pytest.raises(RecipeDataError, match="unknown NDB"):
        recipe_from_dict(_synthetic([("99999", 10)], []))
    with pytest.raises(RecipeDataError, match="unknown tags"):
        recipe_from_dict(_synthetic([("09040", 10)], ["paleo"]))
    with pytest.raises(RecipeDataError, match="grams"):
        recipe_from_dict(_synthetic([("09040", 0)], []))
