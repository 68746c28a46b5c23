"""Which food general words name: mechanisms of the matcher's scoring (issue 11), each checked
with the food, its grams (read from the food's own portions) and its carbohydrate.

The sentences are made up for these tests.
"""

from __future__ import annotations

import pytest

from tests.foods.readings import carbs, items, portion_named


def test_a_bare_kind_word_is_the_plain_food_of_that_kind_not_a_brand():
    # "burger" is a word of "Hamburger (Burger King)" and the kind of "Hamburger, NFS".
    (it,) = items("a burger")
    assert it.food.name == "Hamburger, NFS"
    assert it.grams == portion_named(it.food, "quantity not specified")
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 20 < it.nutrients["carbs_g"] < 40


def test_a_brand_said_still_names_its_product():
    (it,) = items("a handful of wheat thins")
    assert "Wheat Thins" in it.food.name
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))


def test_flour_as_an_ingredient_is_wheat_flour_bought_raw_not_soy_flour():
    (it,) = items("2 cups flour", context="ingredient")
    assert it.food.name.startswith("Wheat flour"), it.food.name
    assert it.grams == pytest.approx(2 * portion_named(it.food, "1 cup"))
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert it.nutrients["carbs_g"] > 150  # soy flour's 2 cups had 54 g


def test_an_ingredient_said_raw_is_still_the_raw_form_of_that_food():
    (it,) = items("3 eggs", context="ingredient")
    assert it.food.name == "Egg, whole, raw, fresh"
    assert it.grams == pytest.approx(3 * portion_named(it.food, "1 medium"))


def test_how_a_drink_is_served_that_the_data_does_not_record_still_names_it():
    # No coffee in the data is "black"; the word costs the coffee nothing.
    coffee, milk = items("black coffee with a splash of milk")
    assert coffee.food.name.startswith("Coffee")
    assert coffee.nutrients["carbs_g"] < 1
    assert milk.food.name.startswith("Milk")
    assert milk.nutrients["carbs_g"] == pytest.approx(carbs(milk))


def test_a_word_the_data_has_with_the_food_still_chooses_among_its_kinds():
    (it,) = items("a mug of hot black tea")
    assert it.food.name.startswith("Tea") and "black" in it.food.name.lower()


def test_a_food_measured_in_the_unit_said_is_named_by_it():
    # "Sausage, NFS" has no "patty" in its name, but is measured in patties.
    (it,) = items("a sausage patty")
    assert it.food.name == "Sausage, NFS"
    assert it.grams == portion_named(it.food, "1 patty")
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))


def test_a_size_said_is_not_a_portion_unit_that_names_a_food():
    # The reduced-fat cookie's portions are "1 small", "1 medium": sizes, not what it counts.
    (it,) = items("a medium chocolate chip cookie")
    assert it.food.name == "Cookie, chocolate chip"
    assert it.grams == portion_named(it.food, "1 medium cookie")
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))


def test_a_late_with_part_of_a_meal_food_is_what_is_in_it_not_a_label():
    # "Pizza, cheese, with fruit, medium crust": the fruit is in the pizza; unsaid, it costs
    # as any word of what the food is (it had cost 30%, as "year round average" does).
    (it,) = items("a piece of medium crust cheese pizza")
    assert it.food.name.startswith("Pizza, cheese") and "fruit" not in it.food.name
    assert it.grams == portion_named(it.food, "1 piece, medium pizza")
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 20 < it.nutrients["carbs_g"] < 35


def test_a_name_only_the_other_names_of_a_food_list_names_that_food():
    # FNDDS lists spaghetti only among the other names of "Pasta, cooked" ("macaroni,
    # spaghetti, any shape of pasta") and of pasta dishes; its descriptions name only dishes of it.
    (it,) = items("I had 2 cups of spaghetti")
    assert it.food.name == "Pasta, cooked"
    assert it.grams == pytest.approx(2 * portion_named(it.food, "1 cup, cooked"))
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 70 < it.nutrients["carbs_g"] < 100


def test_a_food_whose_description_names_the_words_wins_over_another_names_list():
    # "buttermilk" is also among the other names of plain pancakes: the milk is named by its
    # own description, so the list does not count.
    (it,) = items("a cup of buttermilk")
    assert it.food.name.startswith("Buttermilk")
    assert it.grams == pytest.approx(portion_named(it.food, "1 cup"))
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 5 < it.nutrients["carbs_g"] < 20


def test_a_kind_word_said_names_the_plain_food_of_its_compound_head():
    # "Hamburger, on white bun, ..." is a burger on a bun as much as "Turkey or chicken burger,
    # on white bun" is: its head is the compound of the kind ("Burgers") alone.
    (it,) = items("one burger on a plain bun")
    assert it.food.name.startswith("Hamburger, on white bun")
    assert it.grams == portion_named(it.food, "1 hamburger")
    assert it.nutrients["carbs_g"] == pytest.approx(carbs(it))
    assert 20 < it.nutrients["carbs_g"] < 40
