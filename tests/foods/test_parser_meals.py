"""Typical eaten portions, containers, brands and composed plates in the meal parser."""

import pytest

from app.foods.parser import parse
from tests.foods.helpers import food_names, one_item


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("one medium oatmeal raisin cookie", 25, 35),
        ("a large sugar cookie", 40, 50),
        ("a glazed donut", 60, 80),
        ("a frosted cinnamon bun", 75, 95),
        ("an extra-large buttermilk pancake", 100, 120),
    ],
)
def test_bakery_items_are_bakery_sized(text, low, high):
    assert low <= one_item(text).grams <= high


def test_bite_sized_is_smaller_than_small():
    bite = one_item("a bite-sized shortbread cookie").grams
    small = one_item("a small shortbread cookie").grams
    assert bite < small


def test_a_small_one_repeats_the_food_just_named():
    items = parse("a small danish with cheese and a small one with fruit").items
    assert len(items) == 2
    assert all(it.food.name.startswith("Danish pastry") for it in items)


@pytest.mark.parametrize(("size", "grams"), [("small", 28), ("medium", 57), ("large", 85)])
def test_snack_bags_by_size(size, grams):
    item = one_item(f"a {size} bag of pretzels")
    assert item.grams == pytest.approx(grams, abs=1)


def test_stated_contents_of_a_container_win():
    item = one_item("a pouch holding 6 fl oz of apple juice")
    assert item.unit == "floz"
    assert item.grams == pytest.approx(6 * 29.57 * 1.04, rel=0.06)


def test_volume_after_a_container_is_the_amount():
    item = one_item("a can of 8 fl oz of tomato juice")
    assert item.quantity == 8
    assert 230 <= item.grams <= 260


def test_brand_written_as_two_words():
    assert "SLIMFAST" in one_item("a bottle of Slim Fast shake").food.name


def test_closing_form_word_is_not_the_food():
    assert "SLIMFAST" in one_item("two scoops of slim fast nutritional powder").food.name


def test_bagel_sandwich_is_not_an_ice_cream_sandwich():
    names = food_names("a bagel sandwich with cream cheese")
    assert not any("ice cream" in n.lower() for n in names)
    assert any(n.startswith("Bagels") for n in names)


def test_plain_pizza_is_a_pizzeria_pizza():
    assert "Pizza Chain" in one_item("a large pizza").food.name


def test_where_a_topping_went_is_not_a_food():
    item = one_item("a baked sweet potato with butter on top")
    assert "potato" in item.food.name.lower()


def test_discarded_peel_is_not_eaten():
    assert len(parse("an orange, peel discarded").items) == 1


def test_a_plain_baked_potato_is_medium():
    assert one_item("a baked potato").grams == pytest.approx(173, abs=5)


def test_weighed_plate_is_shared_between_meat_and_sides():
    items = parse("300 g of grilled chicken with rice and broccoli").items
    assert len(items) == 3
    assert sum(it.grams for it in items) == pytest.approx(300, abs=1)
    assert "chicken" in items[0].food.name.lower()
    assert items[0].grams == pytest.approx(120, abs=1)


def test_unweighed_plate_lists_its_sides():
    names = [n.lower() for n in food_names("roast beef with mashed potatoes and green beans")]
    assert len(names) == 3
    assert any("potato" in n for n in names)


def test_filled_dish_keeps_what_is_inside():
    assert len(parse("a burrito with rice and beans").items) == 1


def test_described_sandwich_is_found_by_its_fillings():
    item = one_item("a sandwich filled with egg, cheese and bacon on a biscuit")
    assert "biscuit" in item.food.name.lower() and "bacon" in item.food.name.lower()


def test_hard_separator_ends_the_list_a_dish_absorbs():
    names = [n.lower() for n in food_names("an omelet with ham and cheese and a side of toast")]
    assert any("toasted" in n for n in names)


def test_brand_words_are_not_amounts():
    item = one_item("a Little Debbie oatmeal cookie")
    assert item.quantity == 1


def test_a_lollipop_is_a_stick_lollipop():
    assert 12 <= one_item("a cherry lollipop").grams <= 22


def test_a_bottle_of_juice_is_single_serve():
    item = one_item("a bottle of grape juice")
    assert item.grams == pytest.approx(355 * 1.05, rel=0.08)


def test_sweetened_with_names_the_sweetener():
    names = [n.lower() for n in food_names("a mug of black tea sweetened with a teaspoon of sugar")]
    assert len(names) == 2
    assert not any("sweetened" in n for n in names)


def test_sugar_free_gum_is_sugarless_gum():
    assert "sugarless" in one_item("a stick of sugar-free gum").food.name.lower()


def test_english_muffin_is_not_a_bakery_muffin():
    assert one_item("a toasted english muffin").grams < 70


def test_vegetables_listed_after_potatoes_are_eaten():
    assert len(parse("meatloaf, potatoes and vegetables").items) == 3


def test_soup_with_chunks_is_one_soup():
    assert len(parse("a bowl of chicken soup with chunks of carrots and noodles").items) == 1


def test_tray_weight_stops_before_a_separately_counted_food():
    items = parse(
        "a 10 oz frozen dinner of meatloaf with gravy and potatoes, along with a slice of rye bread"
    ).items
    bread = [it for it in items if it.food.name.lower().startswith("bread")]
    assert len(bread) == 1 and bread[0].grams < 40


@pytest.mark.parametrize(
    "text",
    [
        "a scoop of chocolate ice cream on its own",
        "a fried chicken leg, fully coated",
        "a yuca fritter, also known as a carimañola",
        "a corn dog, savoring its crispy coating",
        "a glass of iced tea, perfectly brewed",
        "a cheese enchilada made in the Mexican style",
    ],
)
def test_side_remarks_add_no_foods(text):
    assert len(parse(text).items) <= 1


def test_an_article_starts_a_new_food_after_a_description():
    names = food_names("a burrito filled with beans and a cheese quesadilla")
    assert len(names) == 2


def test_finished_off_with_starts_a_new_food():
    assert len(parse("a calzone loaded with sausage, finished off with a brownie").items) == 2


def test_another_counts_as_one_more():
    items = parse("a slice of cheese pizza and another slice of pepperoni pizza").items
    assert len(items) == 2 and items[1].quantity == 1


def test_pair_named_before_a_sandwich_fills_it():
    item = one_item("a 250 g steak and cheese sub")
    assert "submarine" in item.food.name.lower() and item.grams == pytest.approx(250)


def test_filling_pair_is_shared_out():
    names = [n.lower() for n in food_names("an egg and cheese sandwich")]
    assert any(n.startswith("egg") for n in names) and any(n.startswith("cheese") for n in names)


def test_weighed_cheese_sandwich_is_mostly_bread():
    bread = parse("a 100 g grilled cheese sandwich").items[0]
    assert bread.food.name.lower().startswith("bread")
    assert bread.grams == pytest.approx(55, abs=1)


def test_spelling_is_not_corrected_at_the_last_letter_only():
    from app.foods.parser import default_index

    index = default_index()
    assert index.correct("chiken") == "chicken"
    assert index.correct("casabe") is None


def test_two_word_brand_needs_a_rare_half_to_join():
    from app.foods.parser import default_index

    index = default_index()
    assert index.join_split("slim fast shake") == "slimfast shake"
    assert index.join_split("milk shake") == "milk shake"


def test_a_dish_with_a_sauce_is_not_the_sauce():
    names = [n.lower() for n in food_names("a cup of beef enchiladas with red chile sauce")]
    assert not names[0].startswith(("sauce", "pace"))
    assert "sauce" in one_item("a cup of enchilada sauce").food.name.lower()


def test_a_slice_of_cheesecake_is_a_restaurant_slice():
    assert one_item("a slice of cheesecake").grams == pytest.approx(125)


def test_a_count_before_a_colon_announces_the_list():
    items = parse("two tacos: a beef taco and a chicken taco").items
    assert len(items) == 2


def test_fillings_pair_names_one_frankfurter():
    assert len(parse("a beef and pork frankfurter").items) == 1


def test_skin_alone_only_when_asked_for():
    assert "skin (" not in one_item("a cup of diced roasted chicken drumstick").food.name.lower()


def test_refrigerated_dough_is_not_the_baked_roll():
    assert "dough" not in one_item("a cinnamon roll with icing").food.name.lower()


def test_a_container_filled_with_a_drink_is_that_drink():
    item = one_item("a school carton filled with chocolate milk")
    assert item.food.name.startswith("Milk, chocolate")
    assert item.grams == pytest.approx(250, abs=15)  # the half-pint school carton


def test_drink_brand_missing_from_usda_is_its_generic_drink():
    assert "juice drink" in one_item("a Capri Sun pouch").food.name.lower()


def test_macaroni_with_cheese_is_one_dish():
    assert "macaroni and cheese" in one_item("a bowl of macaroni with cheese").food.name.lower()


def test_plain_cottage_cheese_is_creamed():
    assert "creamed" in one_item("a cup of cottage cheese").food.name.lower()


def test_a_cone_of_ice_cream_is_a_filled_cone():
    assert "cone" in one_item("a cone of strawberry ice cream").food.name.lower()


def test_a_snack_container_is_a_four_ounce_cup():
    assert one_item("a container of chocolate pudding").grams == pytest.approx(113, abs=10)
    assert one_item("a container of potato chips").grams == pytest.approx(28, abs=1)


def test_a_container_of_creamer_is_a_small_portion():
    assert one_item("an individual container of coffee creamer").grams < 30


def test_brands_named_in_usda_measures_find_their_food():
    assert one_item("a handful of Triscuits").food.name.startswith("Crackers, whole-wheat")


def test_a_tube_of_yogurt_is_a_squeeze_tube():
    assert one_item("a tube of strawberry yogurt").grams == pytest.approx(64)


def test_excluded_foods_are_not_eaten():
    item = one_item("a slice of pizza with meats other than pepperoni")
    assert "pepperoni" not in item.food.name.lower()


def test_refining_words_keep_long_names_in_the_running():
    assert "Pizza Chain" in one_item("a large pizza").food.name
    assert "meat" in one_item("a slice of pizza with meat").food.name.lower()


def test_a_plain_sandwich_with_a_side_keeps_the_side():
    names = [n.lower() for n in food_names("a sandwich with chips and a pickle")]
    chips = [
        it for it in parse("a sandwich with chips and a pickle").items if "chips" in it.food.name
    ]
    assert any("pickle" in n for n in names)
    assert len(chips) == 1 and chips[0].grams == pytest.approx(28, abs=1)


def test_pizza_toppings_are_on_the_pizza():
    item = one_item("a slice of pizza with pepperoni and mushrooms")
    assert "pepperoni" in item.food.name.lower()


def test_a_weighed_plate_with_one_side_is_split_in_half():
    items = parse("200 g of chicken breast with broccoli").items
    assert [round(it.grams) for it in items] == [100, 100]


def test_a_sausage_is_one_sausage_not_a_whole_rope():
    assert one_item("a link of kielbasa").grams < 150
    assert one_item("a polish sausage").grams < 150


def test_a_heavy_weighed_wrap_holds_one_tortilla():
    items = parse("a 250 g egg salad wrap sandwich").items
    assert items[0].food.name.startswith("Tortillas")
    assert items[0].grams < 80
    assert sum(it.grams for it in items) == pytest.approx(250)
