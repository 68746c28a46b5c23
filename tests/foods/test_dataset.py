import uuid

import pytest

from app.foods.dataset import (
    COLUMN_FIELDS,
    FNDDS_NAMESPACE,
    MACRO_FIELDS,
    NUTRIENT_FIELDS,
    USDA_NAMESPACE,
    FoodRecord,
    Portion,
    fndds_by_code,
    fndds_uuid,
    food_uuid,
    foods_by_ndb,
    load_fndds_foods,
    load_usda_foods,
    packaged_by_id,
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
    assert len(NUTRIENT_FIELDS) == 68
    assert len(set(NUTRIENT_FIELDS)) == 68
    assert COLUMN_FIELDS == NUTRIENT_FIELDS[:16]
    assert all(f.rsplit("_", 1)[-1] in {"g", "mg", "ug"} for f in NUTRIENT_FIELDS[1:])
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


def test_sr28_carries_the_full_nutrient_set():
    egg = foods_by_ndb()["01123"]
    # SR28 NUT_DATA for 01123 (nutrients 304, 309, 430, 435, 421, 255, 645, 646).
    assert egg.nutrients["magnesium_mg"] == pytest.approx(12)
    assert egg.nutrients["zinc_mg"] == pytest.approx(1.29)
    assert egg.nutrients["vitamin_k_ug"] == pytest.approx(0.3)
    assert egg.nutrients["folate_ug"] == pytest.approx(47)
    assert egg.nutrients["choline_mg"] == pytest.approx(293.8)
    assert egg.nutrients["water_g"] == pytest.approx(76.15)
    assert egg.nutrients["mono_fat_g"] == pytest.approx(3.658)
    assert egg.nutrients["poly_fat_g"] == pytest.approx(1.911)
    assert egg.source == "sr28" and egg.code == "01123"
    assert egg.portions[0].description == "1 large"


def test_fndds_foods_and_portions_are_packaged():
    foods = load_fndds_foods()
    assert len(foods) == 7083
    assert load_fndds_foods() is foods
    # Generic portions only: 32,614 rows less the 848 that belong to a subcode.
    assert sum(len(f.portions) for f in foods) == 32614 - 848
    assert [f.code for f in foods] == sorted(f.code or "" for f in foods)
    assert all(f.source == "fndds" and f.ndb_no is None for f in foods)
    # FNDDS publishes every one of its 65 nutrients for every food; SR28-only ones stay None.
    sr28_only = {"trans_fat_g", "manganese_mg", "pantothenic_acid_mg"}
    for f in foods:
        assert all(f.nutrients[k] is not None for k in NUTRIENT_FIELDS if k not in sr28_only)
        assert all(f.nutrients[k] is None for k in sr28_only)


def test_fndds_spot_checks_match_the_readme():
    egg = fndds_by_code()["31101010"]
    assert egg.name == "Egg, whole, raw"
    assert (egg.group, egg.category, egg.category_code) == (
        "Eggs and omelets",
        "Eggs and omelets",
        "2502",
    )
    assert egg.nutrients["kcal"] == 143 and egg.nutrients["protein_g"] == 12.56
    assert Portion(seq=1, amount=1.0, unit="1 egg", grams=50.0) in egg.portions
    bread = fndds_by_code()["51101000"]
    assert bread.nutrients["kcal"] == 270 and bread.nutrients["sodium_mg"] == 477
    slice_ = next(p for p in bread.portions if p.description.startswith("1 medium or regular"))
    assert slice_.grams == 28
    cola = fndds_by_code()["92410310"]
    assert next(p.grams for p in cola.portions if p.description == "1 can (12 fl oz)") == 372
    assert cola.nutrients["kcal"] == 42
    assert any(p.description == "Quantity not specified" for p in cola.portions)


def test_fndds_ids_are_stable_and_apart_from_sr28():
    egg = fndds_by_code()["31101010"]
    assert egg.id == fndds_uuid("31101010") == uuid.uuid5(FNDDS_NAMESPACE, "fndds:31101010")
    assert FNDDS_NAMESPACE == uuid.UUID("02ee2303-9520-59ae-b496-c2dd145690f5")
    assert len(packaged_by_id()) == 8789 + 7083
    assert packaged_by_id()[egg.id] is egg
    assert packaged_by_id()[food_uuid("01123")] is foods_by_ndb()["01123"]
