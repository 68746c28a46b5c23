"""Phrases that join foods with "with", "on" or "and" (issue 11): one food when the data has one
that the whole phrase names, else each food said, each with its own portion; never a food word
dropped without a word. Each checked with the food, its grams (from the food's own portions) and
its carbohydrate.

The sentences are made up for these tests.
"""

from __future__ import annotations

import pytest

from tests.foods.readings import carbs, items, portion_named


def test_a_food_said_after_with_and_a_possessive_before_any_other_is_logged():
    # Nothing came before "with my toast" for the toast to be a part of.
    toast, juice = items("with my toast I drank a glass of orange juice")
    assert toast.food.name.startswith("Bread") and "toasted" in toast.food.name
    assert toast.grams == portion_named(toast.food, "quantity not specified")
    assert toast.nutrients["carbs_g"] == pytest.approx(carbs(toast))
    assert 8 < toast.nutrients["carbs_g"] < 20
    assert juice.food.name.startswith("Orange juice")
    assert 200 < juice.grams < 300
    assert juice.nutrients["carbs_g"] == pytest.approx(carbs(juice))


def test_a_counted_food_on_a_bun_with_chili_is_the_one_sandwich_the_data_has():
    # "a frankfurter" names a food; what follows tells which sandwich it is ("with chili, on
    # white bun"), however few words the whole was said in.
    (it,) = items("a frankfurter on a bun with chili")
    assert it.food.name.startswith("Frankfurter or hot dog sandwich") and "chili" in it.food.name
    assert it.grams == portion_named(it.food, "1 frankfurter on bun")
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 25 < it.nutrients["carbs_g"] < 40


@pytest.mark.parametrize(
    ("text", "portion"),
    [("a hot dog on a bun", "1 frankfurter on bun"), ("a burger on a bun", "1 hamburger")],
)
def test_a_counted_food_on_a_bun_is_logged_as_the_sandwich(text, portion):
    (it,) = items(text)
    assert "bun" in it.food.name and ("dog" in it.food.name or "burger" in it.food.name)
    # A burger said with no meat is the plain one of its kind, not a turkey or chicken burger.
    assert "dog" in it.food.name or it.food.name.startswith("Hamburger")
    assert it.grams == portion_named(it.food, portion)
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 18 < it.nutrients["carbs_g"] < 40


def test_a_counted_phrase_after_which_is_the_food_before_said_again():
    # "which had a thin crust": which pizza, not a second food.
    (it,) = items("a slice of cheese pizza, which had a thin crust")
    assert it.food.name.startswith("Pizza, cheese") and "thin crust" in it.food.name
    assert 50 < it.grams < 130
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 12 < it.nutrients["carbs_g"] < 30


def test_a_counted_phrase_after_with_is_the_same_dish_when_one_food_has_both():
    # Not a scoop of ice cream plus a whole chocolate cone dish besides.
    (it,) = items("a scoop of vanilla ice cream with a waffle cone")
    assert it.food.name.startswith("Ice cream cone") and "vanilla" in it.food.name
    assert "waffle cone" in it.food.name
    assert 80 < it.grams < 260
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 20 < it.nutrients["carbs_g"] < 60


def test_a_counted_phrase_after_with_is_a_food_of_its_own_when_none_has_both():
    sandwich, apple = items("a turkey sandwich with an apple")
    assert sandwich.food.name.startswith("Turkey sandwich")
    assert sandwich.grams == portion_named(sandwich.food, "1 sandwich")
    assert apple.food.name == "Apple, raw"
    assert apple.grams == portion_named(apple.food, "1 medium")
    assert apple.nutrients["carbs_g"] == pytest.approx(carbs(apple))


def test_a_counted_phrase_after_along_with_is_always_a_food_of_its_own():
    ice_cream, cone = items("a scoop of vanilla ice cream along with a waffle cone")
    assert ice_cream.food.name == "Ice cream, vanilla"
    assert ice_cream.grams == portion_named(ice_cream.food, "1 scoop")
    assert "waffle cone" in cone.food.name
    assert cone.nutrients["carbs_g"] == pytest.approx(carbs(cone))


def test_toast_with_butter_is_two_foods_as_eaten_not_the_fallback_sources_french_toast():
    toast, butter = items("2 slices of toast with butter")
    assert toast.food.source == "fndds" and "toasted" in toast.food.name
    assert "French" not in toast.food.name
    assert toast.grams == 2 * portion_named(toast.food, "1 medium or regular slice")
    assert toast.nutrients["carbs_g"] == pytest.approx(carbs(toast))
    assert 20 < toast.nutrients["carbs_g"] < 35
    assert butter.food.name.startswith("Butter")
    assert butter.nutrients["carbs_g"] < 1


def test_a_food_said_first_is_not_the_modifier_of_another_kind_of_food():
    # "Pancake syrup" names the pancakes only as what it is for: each food said is logged,
    # with its own portion.
    pancakes, syrup = items("two pancakes with maple syrup")
    assert pancakes.food.name.startswith("Pancakes") and "syrup" in syrup.food.name.lower()
    assert pancakes.grams == pytest.approx(2 * portion_named(pancakes.food, "1 medium pancake"))
    assert 25 < pancakes.nutrients["carbs_g"] < 50 and 8 < syrup.nutrients["carbs_g"] < 30
    for it in (pancakes, syrup):
        assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    # A yogurt-coated granola bar is no yogurt; FNDDS's yogurt "with oats" lists "with granola"
    # among the kinds of its oats.
    (it,) = items("a cup of yogurt with granola")
    assert it.food.name.startswith("Yogurt") and "granola" in (it.food.additional or "")
    assert it.grams == pytest.approx(portion_named(it.food, "1 cup"))
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 30 < it.nutrients["carbs_g"] < 80


@pytest.mark.parametrize(("text", "n"), [("a beef taco", 1), ("2 beef tacos", 2)])
def test_a_kind_the_data_lists_for_a_with_part_names_it(text, n):
    # "Taco or tostada with meat" lists "with beef, steak, pork, sausage, and/or chorizo".
    (it,) = items(text)
    assert it.food.name == "Taco or tostada with meat"
    assert it.grams == pytest.approx(n * portion_named(it.food, "1 medium taco or tostada"))
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 15 * n < it.nutrients["carbs_g"] < 30 * n


def test_a_sub_is_a_submarine_sandwich_with_the_sandwichs_portion():
    (it,) = items("for lunch a turkey sub")
    assert it.food.name.startswith("Turkey submarine sandwich")
    assert it.grams == portion_named(it.food, "1 sandwich")
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 40 < it.nutrients["carbs_g"] < 80


def test_a_respelled_word_beside_a_food_word_is_respelled():
    # "cheese sub" is in a brand's name too, but beside a food word "sub" is the sandwich; only
    # beside a word that is no food's ("Big Mac") does the word stand as said.
    (it,) = items("a steak and cheese sub for dinner")
    assert it.food.name.startswith("Steak and cheese submarine sandwich")
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert it.nutrients["carbs_g"] > 30
    (mac,) = items("a big mac")
    assert mac.food.name.startswith("Big Mac")
