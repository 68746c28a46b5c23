import uuid

import pytest

from app.foods.dataset import (
    MACRO_FIELDS,
    NUTRIENT_FIELDS,
    USDA_NAMESPACE,
    FoodRecord,
    Portion,
    food_uuid,
    foods_by_ndb,
    load_usda_foods,
)


def test_all_foods_and_measures_are_packaged():
    foods = load_usda_foods()
    assert len(foods) == 8789
    assert sum(len(f.portions) for f in foods) == 15438
    assert len(foods_by_ndb()) == 8789


def test_loading_is_cached():
    assert load_usda_foods() is load_usda_foods()
    assert foods_by_ndb() is foods_by_ndb()


def test_egg_values_match_sr28():
    egg = foods_by_ndb()["01123"]
    assert isinstance(egg, FoodRecord)
    assert egg.name == "Egg, whole, raw, fresh"
    assert egg.group == "Dairy and Egg Products"
    assert egg.nutrients["kcal"] == pytest.approx(143)
    assert egg.nutrients["protein_g"] == pytest.approx(12.56)
    assert egg.nutrients["fat_g"] == pytest.approx(9.51)
    assert egg.nutrients["carbs_g"] == pytest.approx(0.72)
    assert set(egg.nutrients) == set(NUTRIENT_FIELDS)
    assert egg.portions[0] == Portion(seq=1, amount=1.0, unit="large", grams=50.0)
    assert Portion(seq=6, amount=1.0, unit="medium", grams=44.0) in egg.portions


def test_missing_values_are_none_not_zero():
    foods = load_usda_foods()
    assert any(f.nutrients["vitamin_d_ug"] is None for f in foods)
    assert all(isinstance(f.nutrients["kcal"], float) for f in foods)


def test_field_lists():
    assert len(NUTRIENT_FIELDS) == 16
    assert MACRO_FIELDS == ("kcal", "protein_g", "carbs_g", "fat_g")
    assert set(MACRO_FIELDS) <= set(NUTRIENT_FIELDS)


def test_food_ids_are_stable_uuid5():
    egg = foods_by_ndb()["01123"]
    assert egg.id == food_uuid("01123") == uuid.uuid5(USDA_NAMESPACE, "01123")
    assert USDA_NAMESPACE == uuid.UUID("4be233f0-43c5-5268-8586-8095c05a6216")
    assert len({f.id for f in load_usda_foods()}) == 8789


def test_portions_with_amounts_other_than_one():
    fries = foods_by_ndb()["11359"]
    strip = next(p for p in fries.portions if p.unit == "strip")
    assert (strip.amount, strip.grams) == (10.0, 82.0)
