"""Food names the meal parser maps to their USDA equivalents, with typical sizes."""

import pytest

from app.foods.parser import parse
from tests.foods.helpers import one_item


def test_a_junior_burger_is_the_smaller_size():
    full, junior = one_item("a Whopper"), one_item("a Whopper Jr.")
    assert junior.food.name == full.food.name
    assert junior.grams == pytest.approx(full.grams / 2, rel=0.05)
    assert "single, regular patty" in one_item("a jr cheeseburger").food.name


def test_a_cornmeal_fritter_is_a_hush_puppy():
    item = one_item("two corn fritters")
    assert item.food.name.startswith("Hush puppies")
    assert item.grams == pytest.approx(44, abs=2)


def test_a_gordita_is_a_thick_corn_cake():
    item = one_item("a gordita shell")
    assert "corn" in item.food.name.lower() and "Tortillas" in item.food.name
    assert item.grams == pytest.approx(50)


@pytest.mark.parametrize(("word", "agent"), [("Splenda", "sucralose"), ("aspartame", "aspartame")])
def test_a_sweetener_packet_is_a_tabletop_sweetener(word, agent):
    item = one_item(f"a packet of {word}")
    assert agent in item.food.name.lower()
    assert item.grams < 2


def test_strawberry_milk_is_sweetened_milk():
    item = one_item("a glass of strawberry milk")
    assert "Strawberry" in item.food.name and "milk" in item.food.name
    assert item.nutrients["carbs_g"] > 25


def test_baby_food_brands_and_words_mean_jarred_baby_food():
    assert one_item("a jar of Gerber pears").food.group == "Baby Foods"
    assert one_item("a spoonful of baby food bananas").food.group == "Baby Foods"
    assert one_item("a handful of baby carrots").food.group != "Baby Foods"


def test_a_weight_said_of_the_food_before_is_its_weight():
    r = parse("a pork chop that weighed 6 ounces after cooking, bone removed, and a cup of rice")
    assert len(r.items) == 2
    assert r.items[0].grams == pytest.approx(170, abs=1)
    assert r.items[1].food.name.startswith("Rice")


def test_a_frozen_meal_brand_names_the_tray_not_a_food():
    r = parse("a 10 oz Stouffer's meal of meatloaf and mashed potatoes")
    assert r.unmatched == []
    assert sum(it.grams for it in r.items) == pytest.approx(283.5, abs=1)
    assert not any("STOUFFER" in it.food.name for it in r.items)


def test_a_food_named_by_its_shape_is_the_one_measured_so():
    item = one_item("a hash brown patty")
    assert item.unit == "patty"
    assert 40 <= item.grams <= 70


def test_a_crustless_sandwich_is_a_sealed_two_ounce_one():
    items = parse("a frozen crustless peanut butter and jelly sandwich").items
    assert sum(it.grams for it in items) == pytest.approx(57, abs=1)
    assert 20 <= sum(it.nutrients["carbs_g"] for it in items) <= 32


def test_an_ice_cream_bar_is_the_chocolate_coated_stick():
    item = one_item("an ice cream bar")
    assert item.food.name == "Ice cream, bar or stick, chocolate covered"
    assert item.grams == pytest.approx(50)


def test_fruit_cocktail_is_canned_in_light_syrup_unless_said():
    assert "light syrup" in one_item("a cup of fruit cocktail").food.name
    assert "heavy syrup" in one_item("a cup of fruit cocktail in heavy syrup").food.name


def test_canned_fruit_in_syrup_is_the_light_syrup_pack():
    item = one_item("a cup of canned peaches in syrup")
    assert "light syrup" in item.food.name and "solids and liquids" in item.food.name
    assert parse("pancakes in syrup").items[0].food.name.startswith("Pancakes")


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("a cup of grapes", "Grapes, red or green"),
        ("a handful of peanuts", "Peanuts, all types, oil-roasted"),
        ("a cup of boiled peanuts", "Peanuts, all types, cooked, boiled"),
        ("a dinner roll", "Rolls, dinner, plain"),
        ("a pita", "Bread, pita"),
        ("a rice krispie treat", "Snacks, KELLOGG, KELLOGG'S RICE KRISPIES TREATS"),
        ("a glass of sweet tea", "Beverages, tea, black, ready-to-drink, lemon, sweetened"),
    ],
)
def test_everyday_names_mean_the_everyday_food(text, start):
    assert one_item(text).food.name.startswith(start)


@pytest.mark.parametrize(
    ("text", "start", "low", "high"),
    [
        ("a fruit cup", "Fruit cocktail", 100, 130),
        ("a pudding cup", "Puddings, vanilla, ready-to-eat", 95, 120),
        ("an applesauce cup", "Applesauce", 100, 130),
        ("a salmon fillet", "Fish, salmon", 100, 200),
        ("a string cheese", "Cheese, mozzarella, part skim", 25, 30),
        ("a breakfast sandwich", "Fast foods, english muffin, with egg", 100, 160),
        ("a cup of chicken and rice soup", "Soup, chicken rice", 200, 260),
        ("a milkshake", "Milk shakes", 200, 400),
        ("a smoothie", "Fast foods, strawberry banana smoothie", 200, 400),
    ],
)
def test_common_single_foods_are_recognised(text, start, low, high):
    item = one_item(text)
    assert item.food.name.startswith(start)
    assert low <= item.grams <= high


def test_a_flavour_keeps_its_pudding():
    assert "chocolate" in one_item("a cup of chocolate pudding").food.name


def test_a_miniature_piece_of_candy_is_its_miniature():
    assert one_item("a miniature piece of milk chocolate").grams == pytest.approx(7)


def test_chocolate_is_no_cola():
    # Drink sizes: a large chocolate milk is no 30 fl oz fountain soda.
    assert one_item("a large chocolate milk").grams < 550


def test_nonfat_soy_milk_is_the_plain_nonfat_one():
    item = one_item("a cup of nonfat soy milk")
    assert "nonfat" in item.food.name and "chocolate" not in item.food.name


def test_baby_food_junior_is_a_stage_not_a_size():
    item = one_item("a jar of apple junior baby food")
    assert item.food.group == "Baby Foods"
    assert item.grams > 100


def test_soy_sauce_is_soy_sauce_not_a_sauce_containing_it():
    item = one_item("a tablespoon of soy sauce")
    assert item.food.name.startswith("Soy sauce made from soy and wheat")
    assert item.nutrients["fat_g"] < 0.5  # the peanut sauce it used to match is 16% fat
    assert one_item("a splash of tamari").food.name == "Soy sauce made from soy (tamari)"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("2 slices of multigrain bread", "Bread, multi-grain (includes whole-grain)"),
        ("multigrain toast", "Bread, multi-grain, toasted (includes whole-grain)"),
        ("a slice of rye toast", "Bread, rye, toasted"),
        ("sourdough toast", "Bread, french or vienna, toasted (includes sourdough)"),
        ("cinnamon raisin toast", "Bread, raisin, enriched, toasted"),
    ],
)
def test_bread_toast_is_that_bread_toasted(text, name):
    item = one_item(text)
    assert item.food.name == name
    # USDA's slice of that bread: not a 5 g melba cracker, not a slice of French toast
    assert 20 <= item.grams / item.quantity <= 60
    assert item.nutrients["fat_g"] / item.grams < 0.06


def test_a_cooking_word_picks_the_form_of_an_egg():
    # A bare egg stays USDA's whole egg: recipes and receipts parse ingredients with the same
    # parser, and a boiled egg differs from a raw one by under 10% in every macro.
    assert one_item("3 large eggs").food.name == "Egg, whole, raw, fresh"
    assert one_item("a hard-boiled egg").food.name == "Egg, whole, cooked, hard-boiled"
    assert one_item("2 poached eggs").food.name == "Egg, whole, cooked, poached"
    assert one_item("a fried egg").food.name == "Egg, whole, cooked, fried"
