"""Single foods said the way people say them: the food, its grams and its carbs.

Sentences written for these tests; expected grams come from the food's own FNDDS portions and
carbs from its nutrients per 100 g, so a test fails when another food or portion is picked.
"""

from __future__ import annotations

import pytest

from app.foods.parser import parse
from tests.foods.readings import carbs, items, one, portion_grams


def test_a_respelled_word_beside_the_word_a_food_name_has_with_it_is_that_name():
    # "mac" is macaroni, but not in "Big Mac", a name of the data itself.
    item = one("for lunch I grabbed a Big Mac")
    assert item.food.name == "Big Mac (McDonalds)"
    assert item.grams == pytest.approx(portion_grams(item.food, "big mac"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 40 < carbs(item) < 50
    item = one("a cup of mac and cheese")
    assert item.food.name == "Macaroni or noodles with cheese"
    assert item.grams == pytest.approx(portion_grams(item.food, "1 cup"))


def test_a_slice_is_the_piece_the_portions_name():
    # FNDDS cuts pies in "pieces"; people say "slice". The pie is the usual two-crust one, not
    # the fried hand pie, whose only portion is a whole pie.
    item = one("I finished dinner with a slice of cherry pie")
    assert item.food.name == "Pie, cherry, two crust"
    assert item.grams == pytest.approx(portion_grams(item.food, "1 piece"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 50 < carbs(item) < 70
    two = one("2 slices of apple pie")
    assert two.food.name.startswith("Pie, apple, two crust")
    assert two.grams == pytest.approx(2 * portion_grams(two.food, "1 piece"))


def test_a_slice_of_cheese_is_not_a_cup_of_sliced_cheese():
    item = one("a wedge of brie")
    assert item.food.name == "Cheese, Brie"
    assert not item.unit.startswith("1 cup") and item.grams < 50


def test_a_brand_said_alone_is_the_food_that_lists_it_as_a_whole_name():
    # Every cola lists "Coke" in some name ("Diet Coke", "Cherry Coke"); the regular one lists
    # just "Coke".
    item = one("a can of coke with lunch")
    assert item.food.name == "Soft drink, cola"
    assert item.grams == pytest.approx(portion_grams(item.food, "1 can"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 30 < carbs(item) < 45
    diet = one("a can of diet coke")
    assert diet.food.name == "Soft drink, cola, diet"
    assert diet.nutrients["carbs_g"] < 3


def test_a_meal_word_a_food_is_named_with_is_that_food_not_the_scene():
    # "a quick snack" sets the scene; "a gelatin dessert" is a food.
    item = one("as a quick snack I had a cup of gelatin dessert")
    assert item.food.name == "Gelatin dessert"
    assert item.grams == pytest.approx(portion_grams(item.food, "1 cup"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 30 < carbs(item) < 40
    assert one("for dessert, a gelatin dessert").food.name == "Gelatin dessert"


def test_a_food_before_a_place_is_logged():
    # The preposition before "a fast food place" is the place's, not an unknown food word.
    r = parse("fries from a fast food place")
    assert [it.food.name.split(",")[:2] for it in r.items] == [["Potato", " french fries"]]
    item = r.items[0]
    assert item.grams == pytest.approx(portion_grams(item.food, "quantity not specified"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 15 < carbs(item) < 50


def test_a_kind_of_tea_is_the_tea_fndds_codes_tea_as_when_it_is_that_kind():
    # "tea, NS as to type" is "Tea, hot, leaf, black": "black tea" is that one, not the
    # bottled sweet iced tea (38 g of carbs in a bottle).
    item = one("a cup of black tea")
    assert item.food.name == "Tea, hot, leaf, black"
    assert item.grams == pytest.approx(portion_grams(item.food, "1 cup"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and carbs(item) < 2


def test_a_name_fndds_lists_for_a_food_says_what_the_food_is():
    # "fruit flavored soda, all types" is a name of the fruit soft drink: "soda" is what it is,
    # not only a word of "Ice cream soda, flavors other than chocolate"; "Dr. Pepper" is the
    # pepper-type soft drink, not a raw pepper.
    item = one("a 20 fl oz bottle of fruit-flavored soda")
    assert item.food.name == "Soft drink, fruit flavored, caffeine free"
    assert item.grams == pytest.approx(20 * portion_grams(item.food, "1 fl oz (no ice)"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 55 < carbs(item) < 70
    pepper = one("a can of dr pepper")
    assert pepper.food.name == "Soft drink, pepper type"
    assert pepper.grams == pytest.approx(portion_grams(pepper.food, "1 can"))


def test_a_dish_is_named_by_its_head_before_with():
    # "Taco or tostada with meat" is a taco; "Beef taco filling" is a filling, not a taco.
    for text in ("a beef taco", "a taco with beef"):
        item = one(text)
        assert item.food.name == "Taco or tostada with meat"
        assert item.grams == pytest.approx(portion_grams(item.food, "1 medium taco"))
        assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 15 < carbs(item) < 30


def test_the_food_before_the_meal_it_was_eaten_at_is_logged():
    # "for breakfast" is the scene, "a bagel" before it the food (it logged nothing).
    item = one("I had a bagel for breakfast")
    assert item.food.name == "Bagel"
    assert item.grams == pytest.approx(portion_grams(item.food, "1 regular"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 45 < carbs(item) < 65
    assert one("my sandwich at lunch").food.name == "Sandwich, NFS"
    # ... and "a quick snack" is still only the scene.
    assert one("as a quick snack, a bagel").food.name == "Bagel"


def test_a_listed_name_does_not_outrank_the_food_fndds_codes_the_words_as():
    # "lemonade, freshly squeezed" is listed for the juice drink, but "lemonade, NFS" is coded
    # as the fruit-flavored one.
    item = one("a cup of lemonade")
    assert item.food.name == "Lemonade, fruit flavored drink"
    assert item.grams == pytest.approx(8 * portion_grams(item.food, "1 fl oz (no ice)"), rel=0.01)
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 10 < carbs(item) < 25


def test_a_dish_said_in_the_words_fndds_codes_as_a_fuller_dish_is_that_dish():
    # "beef stew, NFS" is coded as the stew with potatoes and vegetables, not stew meat;
    # "chicken or turkey soup, NFS" as the noodle soup, either alternative said.
    item = one("we had a bowl of beef stew for supper")
    assert item.food.name.startswith("Beef stew with potatoes and vegetables")
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and carbs(item) > 20
    for text in ("a cup of turkey soup", "a cup of chicken soup"):
        item = one(text)
        assert item.food.name == "Chicken or turkey noodle soup, canned or ready-to-serve"
        assert item.grams == pytest.approx(portion_grams(item.food, "1 cup"))
    # "chili, NFS" is chili con carne with beans, though its noun is "carne".
    assert one("a bowl of chili").food.name == "Chili con carne with beans"
    # A food whose description is just the words said stays that food.
    assert one("a bowl of beef goulash").food.name == "Beef goulash"


def test_a_tie_is_broken_by_the_food_said_before_when_it_is_all_of_it():
    # The scooped waffle cones differ only by flavor: the vanilla one after vanilla ice cream,
    # the chocolate one after chocolate ice cream.
    first, cone = items("2 scoops of vanilla ice cream and a waffle cone")
    assert first.food.name == "Ice cream, vanilla"
    assert cone.food.name == "Ice cream cone, scooped, vanilla, waffle cone"
    assert cone.grams == pytest.approx(portion_grams(cone.food, "1 cone"))
    assert cone.nutrients["carbs_g"] == pytest.approx(carbs(cone))
    _, cone = items("a scoop of chocolate ice cream and a waffle cone")
    assert cone.food.name == "Ice cream cone, scooped, chocolate, waffle cone"


def test_a_brand_in_capitals_names_no_food():
    # "CARRABBA'S ITALIAN GRILL, lasagne" is lasagne: "grilled" salmon names no grill.
    salmon, rice = items("grilled salmon with rice")
    assert salmon.food.name.startswith("Salmon, cooked")
    assert rice.food.name == "Rice, cooked, NFS"
    assert salmon.nutrients["carbs_g"] == pytest.approx(carbs(salmon)) and carbs(salmon) < 1


def test_the_first_food_said_after_a_framing_joiner_is_the_food():
    # "a frozen meal" is the scene; the food it features is what was eaten.
    item = one("a frozen meal featuring fried chicken with potatoes and vegetables")
    assert item.food.name == "Chicken, fried, with potatoes, vegetable, frozen meal"
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and carbs(item) > 30
    fish, fries = items("a meal featuring fried fish with french fries")
    assert fish.food.name.startswith("Fish, NS as to type, coated, fried")
    assert fries.food.name.startswith("Potato, french fries")


def test_a_food_free_of_something_is_not_the_usual_form():
    # "Cookie, sugar or plain, sugar free" says "sugar" and "plain", but a sugar cookie is the
    # usual one.
    item = one("a big sugar cookie")
    assert item.food.name == "Cookie, butter or sugar"
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and carbs(item) > 10


def test_a_listed_name_with_a_soft_word_in_it_names_its_food():
    # "Hot Pockets Pepperoni Pizza" is listed for a turnover; "hot" is a soft word.
    item = one("for dinner I microwaved a hot pockets pepperoni pizza")
    assert item.food.name == "Turnover, meat- and cheese-filled, tomato-based sauce"
    assert item.grams == pytest.approx(portion_grams(item.food, "hot pockets"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 30 < carbs(item) < 60


def test_the_place_a_food_came_from_does_not_choose_the_food():
    # FNDDS lists "homemade or other place" for a chicken fillet biscuit; a biscuit from a fast
    # food place is the fast food biscuit.
    item = one("a biscuit from a fast food place")
    assert item.food.name == "Biscuit, from fast food / restaurant"
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and 15 < carbs(item) < 40


def test_a_food_after_a_verb_and_a_preposition_is_a_food_of_its_own():
    # "indulging in a turnover": the turnover was eaten, it is no part of the water.
    water, turnover = items("a glass of tap water while indulging in a meat-filled turnover")
    assert water.food.name == "Water, tap"
    assert turnover.food.name.startswith("Turnover, meat")
    assert turnover.nutrients["carbs_g"] == pytest.approx(carbs(turnover)) and carbs(turnover) > 15


def test_a_one_word_name_only_fndds_lists_names_its_food():
    # FNDDS lists "risotto" for a rice dish; SR28's only risotto is a frozen brand's, unprepared.
    item = one("a bowl of risotto")
    assert item.food.name == "Rice, white, with cheese and/or cream based sauce, fat added"
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and carbs(item) > 30


def test_a_soft_word_that_begins_a_food_name_is_part_of_the_name():
    # "hot" says how a food felt, but "hot chocolate" is a drink (it was white chocolate).
    item = one("a mug of hot chocolate")
    assert item.food.name.startswith("Hot chocolate / Cocoa")
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item)) and carbs(item) > 15
