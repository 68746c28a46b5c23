"""Ingredient identity and raw/cooked conversion, derived from the SR28 table."""

from __future__ import annotations

import pytest

from app.foods.dataset import foods_by_ndb
from app.foods.ingredients import (
    as_bought,
    facts,
    grams_factor,
    ingredient_key,
    is_cooked,
    stated_yield,
    vocabulary,
)


def name(ndb: str) -> str:
    return foods_by_ndb()[ndb].name


def test_preparation_and_salt_do_not_change_the_ingredient():
    # Lentils: raw, cooked without salt (the recipes'), cooked with salt (what "lentils" reads as).
    assert {ingredient_key(name(n)) for n in ("16069", "16070", "16370")} == {"lentil"}
    # Potatoes baked and boiled, with and without salt, and raw.
    potatoes = ("11352", "11365", "11674", "11828", "11831")
    assert {ingredient_key(name(n)) for n in potatoes} == {"potato"}
    # Chicken breast raw and roasted (SR28 spells the raw one "broiler or fryers").
    assert ingredient_key(name("05062")) == ingredient_key(name("05064"))
    assert ingredient_key(name("05064")) == "chicken, broiler or fryer, breast"


def test_different_foods_stay_different():
    keys = {ingredient_key(name(n)) for n in ("05064", "05066", "01123", "01124", "16144")}
    assert len(keys) == 5  # breast, thigh, whole egg, egg white, red lentils
    assert ingredient_key(name("20044")) != ingredient_key(name("20050"))  # long vs medium grain


def test_vocabulary_is_learnt_from_the_table():
    vocab = vocabulary()
    for word in ("boiled", "roasted", "with salt", "without salt", "drained"):
        assert word in vocab.prep_segments
    assert "mature seeds" in vocab.generic
    assert {"boiled", "roasted", "baked"} <= vocab.methods
    # Varieties are not preparation.
    assert not {"breast", "cheddar", "russet"} & (vocab.prep_segments | vocab.generic)


def test_cooked_and_as_bought():
    assert is_cooked(name("16070")) and not is_cooked(name("16069"))
    assert as_bought(foods_by_ndb()["16370"]).ndb_no == "16069"  # Lentils, raw
    assert as_bought(foods_by_ndb()["11828"]).ndb_no == "11352"  # Potatoes, flesh and skin, raw
    assert as_bought(foods_by_ndb()["09040"]).ndb_no == "09040"  # bananas stay bananas


def test_grams_convert_by_yield():
    raw, cooked = facts(foods_by_ndb()["16069"]), facts(foods_by_ndb()["16070"])
    # No stated yield for lentils: energy is conserved, 352 kcal/100 g dry -> 116 cooked.
    assert stated_yield(cooked) is None
    assert grams_factor(raw, cooked) == pytest.approx(352 / 116)
    assert grams_factor(cooked, raw) == pytest.approx(116 / 352)
    salted = facts(foods_by_ndb()["16370"])
    assert grams_factor(salted, cooked) == 1.0  # same state: grams are grams
    # Venison: SR28 states "piece, cooked (yield from 1 lb raw meat)" = 340 g.
    deer_cooked, deer_raw = facts(foods_by_ndb()["17165"]), facts(foods_by_ndb()["17164"])
    assert stated_yield(deer_cooked) == pytest.approx(340 / 453.592)
    assert grams_factor(deer_raw, deer_cooked) == pytest.approx(340 / 453.592)


def test_varieties_are_learnt_from_names_and_nutrients():
    vocab = vocabulary()
    # SR28 lists "Potatoes, russet, flesh and skin, raw" beside "Potatoes, flesh and skin,
    # raw" with nearly the same nutrients (79 vs 77 kcal): russet is a variety.
    assert {("potatoes", "russet"), ("potatoes", "red"), ("potatoes", "white")} <= vocab.varieties
    assert ("cabbage", "savoy") in vocab.varieties
    # Inserted the same way, but nutritionally apart: red cabbage 31 vs 25 kcal, chicken
    # breast with skin 172 vs 215 kcal for the bird's meat and skin.
    assert ("cabbage", "red") not in vocab.varieties
    assert ("chicken", "breast") not in vocab.varieties
    potatoes = ("11352", "11353", "11354", "11355", "11356", "11357", "11358", "11365")
    assert {ingredient_key(name(n)) for n in potatoes} == {"potato"}
    assert ingredient_key(name("11507")) == "sweet potato"  # "Sweet potato, raw, unprepared"
    assert ingredient_key(name("11114")) == "cabbage" != ingredient_key(name("11112"))
    breast, thigh = ingredient_key(name("05057")), ingredient_key(name("05091"))
    assert breast == "chicken, broiler or fryer, breast"
    # A thigh is nutritionally the bird's meat and skin (221 vs 215 kcal), so it counts as
    # chicken; breast stays its own ingredient.
    assert thigh == "chicken, broiler or fryer" != breast
    # Cultivars after the state word were already dropped.
    assert ingredient_key(name("09502")) == ingredient_key(name("09003")) == "apple"


def test_learn_varieties_needs_the_plain_food_and_alike_nutrients():
    from app.foods.ingredients import learn_varieties

    n = {"kcal": 100.0, "protein_g": 2.0, "fat_g": 0.1, "carbs_g": 20.0}
    far = {**n, "kcal": 130.0}
    got = learn_varieties(
        [
            ("Roots, flesh, raw", "Veg", n),
            ("Roots, golden, flesh, raw", "Veg", {**n, "kcal": 104.0}),
            ("Roots, purple, flesh, raw", "Veg", far),  # 30 % more energy: another food
            ("Roots, striped, flesh, raw", "Other group", n),  # the plain one is not its group
        ]
    )
    assert got == {("roots", "golden")}
