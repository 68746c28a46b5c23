"""Everyday defaults of the meal parser: as-eaten foods, household portions, drink sizes."""

import pytest

from app.foods.parser import parse
from tests.foods.helpers import one_item


@pytest.mark.parametrize(
    ("text", "head"),
    [
        ("some pork", "Pork, fresh, loin"),
        ("beef for dinner", "Beef, ground"),
        ("baked fish", "Fish, cod"),
    ],
)
def test_bare_meat_words_mean_plain_cooked_cuts(text, head):
    item = one_item(text)
    assert item.food.name.startswith(head)
    assert "pickled" not in item.food.name and "cured" not in item.food.name


def test_a_bare_meat_serving_is_three_ounces():
    item = one_item("some pork")
    assert item.grams == pytest.approx(85, abs=1)


def test_meatless_foods_only_when_asked():
    assert "meatless" not in one_item("a plate of teriyaki chicken").food.name.lower()
    assert "meatless" in one_item("a meatless chicken patty").food.name.lower()


def test_counter_drink_sizes_leave_room_for_ice():
    # 24 fl oz of drink in a large cup, not the 32 fl oz cup USDA lists.
    assert one_item("a large iced coffee").grams < 24 * 29.57 * 1.15


def test_fountain_soft_drinks_come_in_chain_cup_sizes():
    small, large = one_item("a small root beer"), one_item("a large cola")
    # 16 and 30 fl oz: the fountain cup sizes, counted in full as USDA FNDDS portions are.
    assert small.grams == pytest.approx(473 * 1.04, rel=0.03)
    assert large.grams == pytest.approx(887 * 1.04, rel=0.03)


def test_latte_is_mostly_milk():
    item = one_item("a latte")
    assert item.food.name.startswith("Milk, reduced fat")
    assert item.nutrients["carbs_g"] == pytest.approx(11.7, abs=1.5)


def test_pretzel_rod_is_one_rod():
    item = one_item("two pretzel rods")
    assert "pretzels, hard" in item.food.name.lower()
    assert item.grams == pytest.approx(22)


def test_a_single_piece_is_not_the_handful_serving():
    one = one_item("one gumdrop")
    some = one_item("some gumdrops")
    assert one.grams == pytest.approx(3.6)
    assert some.grams == pytest.approx(36)


def test_a_piece_of_chocolate_is_a_bite_not_the_bar():
    item = one_item("a small piece of dark chocolate")
    assert item.grams < 15


def test_a_piece_of_fried_chicken_is_one_piece():
    item = one_item("a piece of fried chicken")
    assert 60 <= item.grams <= 150


def test_ice_cream_cone_is_a_filled_cone():
    item = one_item("an ice cream cone")
    assert "cone" in item.food.name.lower()
    assert 90 <= item.grams <= 150
    assert item.nutrients["carbs_g"] > 20


def test_corn_and_fruit_snacks_are_snack_foods():
    corn = one_item("a bag of cheese corn snacks")
    assert corn.food.name.startswith("Snacks, corn-based")
    fruit = one_item("a pouch of fruit snacks")
    assert "fruit snacks" in fruit.food.name.lower()
    assert fruit.grams < 50


def test_mac_and_cheese_stays_one_dish():
    item = one_item("a cup of mac n cheese")
    assert item.food.name.lower().startswith("macaroni and cheese")


def test_cheese_sandwich_is_not_a_fish_sandwich():
    r = parse("a cheese sandwich")
    assert all("fish" not in it.food.name.lower() for it in r.items)
    assert any(it.food.name.startswith("Bread") for it in r.items)


def test_filling_on_a_roll_is_a_sandwich():
    r = parse("an egg on a bagel")
    names = [it.food.name for it in r.items]
    assert any(n.startswith("Bagels") for n in names)
    assert any(n.startswith("Egg") for n in names)


def test_weight_after_the_bun_is_the_whole_burgers():
    item = one_item("a cheeseburger on a sesame bun weighing 150g")
    assert "cheeseburger" in item.food.name.lower()
    assert item.grams == pytest.approx(150)


def test_peanut_butter_and_jelly_sandwich_has_both_spreads():
    r = parse("a peanut butter and jelly sandwich")
    names = " | ".join(it.food.name for it in r.items)
    assert "Peanut butter" in names and "Jams" in names and "Bread" in names


def test_left_out_parts_are_not_eaten():
    r = parse("a cup of rice and beans without any sauce")
    assert all("sauce" not in it.food.name.lower() for it in r.items)
    item = one_item("a roasted chicken thigh without the skin")
    assert "skin" not in item.food.name.lower() or "meat only" in item.food.name.lower()


def test_recap_of_single_foods_is_not_counted_twice():
    r = parse("Snack: a pear and a peach; one fruit and one peach in total.")
    assert [it.food.name.split(",")[0] for it in r.items] == ["Pears", "Peaches"]


def test_misspelt_plural_finds_short_word():
    item = one_item("3 eggz")
    assert item.food.name.startswith("Egg, whole")
    assert item.grams == pytest.approx(150)


def test_sweetener_packet_weighs_a_gram():
    item = one_item("a packet of stevia sweetener")
    assert item.grams == pytest.approx(1)


def test_half_and_half_in_coffee_is_its_own_spoonful():
    r = parse("coffee with half and half")
    assert len(r.items) == 2
    cream = r.items[1]
    assert cream.food.name.startswith("Cream, fluid, half and half")
    assert cream.grams < 40


def test_burrito_is_a_served_burrito():
    item = one_item("300 g burrito with beans and beef")
    assert item.food.name.startswith("Fast foods, burrito")
    assert item.nutrients["carbs_g"] / item.grams < 0.25


def test_medium_order_of_popcorn_is_a_theater_tub():
    item = one_item("a medium order of popcorn")
    assert item.grams == pytest.approx(100)
    assert "oil-popped" in item.food.name


@pytest.mark.parametrize(("size", "grams"), [("small", 130), ("medium", 230), ("large", 340)])
def test_a_sized_cup_of_ice_cream_is_a_shop_cup(size, grams):
    assert one_item(f"a {size} cup of vanilla ice cream").grams == pytest.approx(grams)
    assert one_item(f"a {size} ice cream cup").grams == pytest.approx(grams)


def test_a_cup_of_ice_cream_is_a_measuring_cup():
    assert one_item("a cup of vanilla ice cream").grams < 150


def test_a_packaged_ice_cream_cone_is_the_chocolate_coated_kind():
    item = one_item("a packaged ice cream cone")
    assert item.food.name.startswith("Ice cream cone, chocolate covered")
    assert item.grams == pytest.approx(96)


def test_energy_drink_cans_come_in_their_brand_sizes():
    assert one_item("a can of Monster energy drink").grams == pytest.approx(473 * 1.0, rel=0.05)


def test_a_bottle_of_drinkable_yogurt_is_a_small_probiotic_bottle():
    assert 90 <= one_item("a bottle of drinkable yogurt").grams <= 110


def test_an_order_is_served_by_a_restaurant():
    item = one_item("a small order of french fries")
    assert item.food.name.startswith("Fast foods")


def test_plain_french_fries_are_restaurant_fries():
    fries = one_item("a side of french fries")
    assert fries.food.name.startswith("Fast foods, potato, french fried")
    assert "Sweet" in one_item("sweet potato fries").food.name


def test_a_cup_weighs_what_a_cup_of_foods_named_alike_does():
    # USDA lists no cup of meat lasagna, but cups of cheese and vegetable lasagna (~225 g).
    item = one_item("a cup of lasagna with meat sauce")
    assert item.food.name.startswith("Lasagna")
    assert item.grams == pytest.approx(226, abs=5)


def test_category_named_foods_keep_their_group_density():
    assert one_item("a cup of potato chips").grams < 40


@pytest.mark.parametrize("size", ["small", "fun size"])
def test_a_small_drink_box_holds_four_ounces(size):
    assert one_item(f"a {size} box of apple juice").grams == pytest.approx(125 * 1.05, rel=0.05)


def test_a_teething_cookie_is_a_baby_biscuit():
    item = one_item("a teething cookie")
    assert item.food.group == "Baby Foods"


def test_a_spread_only_named_is_eaten_at_its_usual_amount():
    items = parse("a bagel with cream cheese").items
    assert [it.food.name.split(",")[0] for it in items] == ["Bagels", "Cheese"]
    assert items[1].grams == pytest.approx(29, abs=1)  # 2 tbsp, the label serving


def test_butter_on_toast_is_a_pat_per_slice():
    items = parse("two slices of toast with butter").items
    assert items[1].food.name.startswith("Butter")
    assert items[1].grams == pytest.approx(10, abs=1)


def test_coffee_with_cream_and_sugar_adds_both():
    items = parse("a cup of coffee with cream and sugar").items
    names = [it.food.name for it in items]
    assert any(n.startswith("Cream, fluid, half and half") for n in names)
    assert any(n.startswith("Sugars, granulated") for n in names)
    assert sum(it.nutrients["carbs_g"] for it in items) == pytest.approx(4.9, abs=1)


def test_a_weighed_bread_keeps_its_spread_inside_the_weight():
    assert len(parse("100 g of toast with butter").items) == 1


def test_a_sauce_served_on_the_side_is_its_listed_quarter_cup():
    items = parse("a plate of meatloaf with gravy and mashed potatoes").items
    gravy = [it for it in items if it.food.name.startswith("Gravy")]
    assert not gravy or gravy[0].grams < 80
    assert one_item("some cheese sauce").grams == pytest.approx(63, abs=1)


def test_a_fruit_roll_up_is_a_small_roll_of_fruit_leather():
    item = one_item("a fruit roll-up")
    assert item.food.name.startswith("Snacks, fruit leather, rolls")
    assert item.grams == pytest.approx(14)
