"""How the meal parser reads wording: product names, ordinals, clauses, appositions."""

import pytest

from app.foods.parser import parse
from tests.foods.helpers import food_names, one_item


def test_letters_and_digits_are_one_product_name():
    item = one_item("a 12 fl oz bottle of Gatorade G2")
    assert "G2" in item.food.name
    assert item.nutrients["carbs_g"] < 10
    assert "V8" in one_item("a glass of V8").food.name


def test_a_possessive_brand_is_one_word():
    r = parse("a bag of M&M's")
    assert "M&M's" in r.items[0].food.name
    assert r.unmatched == []


def test_ordinals_are_not_amounts():
    item = one_item("a 3rd Foods jar of strained pears")
    assert item.quantity == 1


def test_fun_size_written_apart_is_a_size():
    assert parse("a fun size Snickers bar").items[0].grams < 25


def test_a_new_clause_ends_the_description():
    names = food_names("a bowl of oatmeal made with milk, and I finished off with a pear")
    assert any(n.startswith("Pears") for n in names)


def test_what_a_food_accompanies_is_eaten_too():
    names = food_names("a glass of milk, which was a great accompaniment to my slice of apple pie")
    assert any(n.startswith("Pie, apple") for n in names)


def test_tender_as_praise_is_not_chicken_tenders():
    item = one_item("a tender grilled chicken breast")
    assert "tenders" not in item.food.name
    assert item.grams > 100
    assert "tenders" in one_item("three chicken tenders").food.name


def test_how_a_food_was_cooked_stays_with_it():
    r = parse("a cup of diced chicken breast that was stewed, alongside a slice of cornbread")
    assert len(r.items) == 2
    assert "stewed" in r.items[0].food.name
    assert r.items[1].food.name.startswith("Bread, cornbread")


def test_a_slice_of_quesadilla_is_one_wedge():
    whole, wedge = one_item("a cheese quesadilla"), one_item("a slice of cheese quesadilla")
    assert 25 <= wedge.grams <= 40
    assert wedge.grams < whole.grams / 4


def test_an_apposition_names_the_food_before():
    names = food_names("a burger, the Whopper from Burger King, and a soda")
    assert len(names) == 2
    assert "WHOPPER" in names[0]


def test_an_apposition_of_a_kind_refines_the_food():
    item = one_item("a muffin, the blueberry kind")
    assert "blueberry" in item.food.name.lower()


def test_a_list_of_the_foods_is_no_apposition():
    assert len(food_names("the soup, the salad and the bread")) == 3


def test_my_counts_one_like_an_article():
    mine = parse("coffee and my glazed doughnut").items[-1]
    assert mine.grams == parse("coffee and a glazed doughnut").items[-1].grams


def test_an_exclamation_mark_inside_a_brand_ends_no_sentence():
    item = one_item("a Chips Ahoy! chocolate chip cookie")
    assert item.food.name.startswith("Cookies, chocolate chip")


def test_an_adjective_after_a_comma_is_said_of_the_food_before():
    item = parse("a peanut butter and jelly sandwich, crustless").items
    assert sum(it.grams for it in item) == pytest.approx(57, abs=1)


def test_sweetened_with_an_adverb_still_names_the_sweetener():
    r = parse("a cup of black tea, sweetened lightly with a packet of Splenda")
    assert r.items[0].nutrients["carbs_g"] < 2


def test_a_measure_given_later_refines_a_serving():
    item = one_item("a serving of cooked rice, measured at one cup")
    assert item.unit == "cup"


def test_a_meal_replacement_drink_is_not_penalised_as_ground_meal():
    assert "SLIMFAST" in one_item("a Slim Fast shake, sugar-free").food.name


def test_a_tray_weight_does_not_reach_back_over_another_amount():
    r = parse("500 g of water along with a 300 g frozen meal of turkey and stuffing")
    assert r.items[0].grams == pytest.approx(500)
    assert sum(it.grams for it in r.items[1:]) == pytest.approx(300, abs=1)


def test_cheesy_means_cheese_flavoured():
    assert "cheese" in one_item("a bag of cheesy popcorn").food.name.lower()


def test_a_size_after_adjectives_is_still_a_size():
    assert one_item("a soft large sugar cookie").grams == one_item("a large sugar cookie").grams


def test_a_participle_before_a_food_is_its_adjective():
    item = one_item("a cup of mixed vegetables")
    assert item.food.name.startswith("Vegetables, mixed")
    r = parse("a cup of rice mixed with peas")
    assert r.items[0].food.name.startswith("Rice")
