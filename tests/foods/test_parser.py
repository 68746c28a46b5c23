"""The meal parser: general behaviour, with grams and nutrients checked against the USDA data.

Every expected number is read from the packaged FNDDS/SR28 records (the food's own portions and
its nutrients per 100 g), so a test fails when the parser picks another portion or scales wrongly.
The sentences are written for these tests.
"""

from __future__ import annotations

import uuid

import pytest

from app.foods.cli_parse import to_jsonl_dict
from app.foods.parser import ExtractedItem, ParsedItem, parse, resolve_items
from app.foods.units import portion_text
from tests.foods.readings import items, one, portion_grams


def assert_scaled(item: ParsedItem) -> None:
    for key in ("kcal", "carbs_g", "protein_g", "fat_g"):
        per_100 = item.food.nutrients.get(key) or 0.0
        assert item.nutrients[key] == pytest.approx(per_100 * item.grams / 100)


def test_a_slice_is_one_slice_of_that_bread():
    item = one("1 slice of white bread")
    assert item.food.source == "fndds" and "bread" in item.food.name.lower()
    # No size said: the medium or regular slice.
    assert item.grams == pytest.approx(portion_grams(item.food, "medium", "slice"))
    assert 20 < item.grams < 50
    assert_scaled(item)


def test_a_measure_the_food_as_eaten_lacks_comes_from_sr28():
    # FNDDS cauliflower has no "head" portion; SR28's household measures do.
    item = one("1 head cauliflower")
    assert "cauliflower" in item.food.name.lower()
    assert 300 < item.grams < 1200


def test_a_slice_of_a_food_only_sr28_names_is_still_one_slice():
    item = one("1 slice sourdough bread")
    assert 20 < item.grams < 80


def test_mass_units_are_exact():
    item = one("150 g of cooked white rice")
    assert item.grams == pytest.approx(150)
    assert_scaled(item)
    assert one("4 oz of grilled salmon").grams == pytest.approx(4 * 28.3495)
    assert one("half a pound of ground beef").grams == pytest.approx(0.5 * 453.592)


def test_volume_uses_the_foods_cup():
    item = one("2 cups of whole milk")
    assert item.food.name == "Milk, whole"
    assert item.grams == pytest.approx(2 * portion_grams(item.food, "cup"))


def test_tablespoons_use_the_foods_tablespoon():
    item = one("3 tablespoons of peanut butter")
    assert item.grams == pytest.approx(3 * portion_grams(item.food, "1 tablespoon"))


def test_a_volume_the_food_has_no_portion_for_goes_through_its_density():
    item = one("500 ml of whole milk")
    cup = next(p for p in item.food.portions if portion_text(p) == "1 cup")
    assert item.grams == pytest.approx(500 * cup.grams / 236.588, rel=0.01)


def test_no_amount_is_the_quantity_not_specified_portion():
    item = one("I had oatmeal")
    assert item.food.source == "fndds" and "oatmeal" in item.food.name.lower()
    assert item.grams == pytest.approx(portion_grams(item.food, "quantity not specified"))


def test_a_count_uses_the_foods_own_unit():
    item = one("3 boiled eggs")
    assert item.food.name.startswith("Egg")
    assert item.grams == pytest.approx(3 * portion_grams(item.food, "1 egg"))
    bagels = one("2 bagels")
    assert bagels.grams == pytest.approx(2 * portion_grams(bagels.food, "1 regular"))


def test_size_words_pick_the_sized_portion():
    small = one("a small apple")
    large = one("a large apple")
    assert small.food == large.food
    assert small.grams == pytest.approx(portion_grams(small.food, "1 small"))
    assert large.grams == pytest.approx(portion_grams(large.food, "1 large"))
    assert small.grams < large.grams


def test_a_container_word_picks_the_food_sold_in_it():
    item = one("a can of cola")
    assert item.food.name.startswith("Soft drink, cola")
    assert item.grams == pytest.approx(portion_grams(item.food, "can"))


def test_a_list_of_foods_without_amounts():
    r = parse("scrambled eggs and wheat toast")
    names = [it.food.name.lower() for it in r.items]
    assert len(names) == 2 and "egg" in names[0], names
    # Named but for its kind: "Bread, wheat ..., toasted" is a yeast bread.
    assert names[1].startswith("bread, wheat") and "toasted" in names[1], names
    r = parse("2 eggs and hash browns")
    assert [it.food.name for it in r.items][1] == "Potato, hash brown, NFS"


def test_eggs_and_toast_logs_both_foods():
    # The README's own example: "toast" is toasted bread, one medium slice.
    r = parse("2 eggs n toast")
    egg, toast = r.items
    assert egg.food.name == "Egg, whole, cooked, NS as to cooking method"
    assert egg.grams == pytest.approx(2 * portion_grams(egg.food, "1 egg"))
    assert toast.food.name == "Bread, NS as to major flour, toasted"
    # No amount: the survey's "Quantity not specified" portion (here a medium slice, 25 g).
    assert toast.grams == pytest.approx(portion_grams(toast.food, "quantity not specified"))
    assert r.unmatched == []
    assert_scaled(toast)


@pytest.mark.parametrize(
    ("text", "portion"), [("toast", "quantity not specified"), ("a slice of toast", "medium")]
)
def test_toast_is_toasted_bread_not_french_toast(text, portion):
    item = one(text)
    assert item.food.name == "Bread, NS as to major flour, toasted"
    assert item.grams == pytest.approx(portion_grams(item.food, portion))
    assert 20 < item.grams < 30


def test_food_words_no_item_took_are_reported():
    # An unknown word, and a known word that names no food by itself: never silently dropped.
    r = parse("2 eggs n zorblax")
    assert [it.food.name for it in r.items] == ["Egg, whole, cooked, NS as to cooking method"]
    assert r.unmatched == ["zorblax"]
    r = parse("2 eggs and crust")
    assert len(r.items) == 1 and r.unmatched == ["crust"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # The usual sense: the family most foods with the word belong to, not one cocktail.
        ("cola", "Soft drink, cola"),
        ("a glass of cola", "Soft drink, cola"),
        # The food FNDDS codes an unspecified "tea" as, not bottled iced tea.
        ("tea", "Tea, hot, leaf, black"),
        ("a cup of tea", "Tea, hot, leaf, black"),
        # A measure does not name a food's head: not "Bacon strip, meatless".
        ("3 strips of bacon", "Bacon, NS as to type of meat, cooked"),
        ("bacon", "Bacon, NS as to type of meat, cooked"),
        # The plain NFS form, not dry milk or green tomatoes.
        ("a glass of milk", "Milk, NFS"),
        ("tomatoes", "Tomatoes, NS as to form, cooked"),
    ],
)
def test_bare_names_are_the_plain_usual_food(text, name):
    assert one(text).food.name == name


def test_a_single_food_is_not_a_dish_made_with_it():
    # "scrambled eggs" are eggs, not a scrambled egg sandwich.
    item = one("scrambled eggs")
    assert item.food.name.startswith("Egg omelet or scrambled egg"), item.food.name
    assert item.nutrients["carbs_g"] < 2


def test_words_with_no_amount_that_do_not_name_a_food_are_not_items():
    # Part of a dish, or a frame of the sentence: not foods of their own.
    r = parse("a cup of nachos with melted cheese, for a sweet finish")
    assert [it.food.name for it in r.items] == ["Nachos with cheese"]


def test_a_part_the_food_already_has_is_not_a_second_food():
    r = parse("a cheeseburger on a white bun with a medium patty")
    assert [it.food.name for it in r.items] == ["Cheeseburger, on white bun, 1 medium patty"]


def test_a_container_size_is_the_amount():
    item = one("a 20 fl oz bottle of orange juice")
    assert item.food.name.startswith("Orange juice")
    assert item.grams == pytest.approx(20 * portion_grams(item.food, "1 fl oz"))
    # A digit glued to letters is a name ("G2"), not a second amount.
    r = parse("a 32 fl oz bottle of Gatorade G2")
    assert len(r.items) == 1 and "G2" in r.items[0].food.name
    # A count of weighed containers is the count times the weight, in grams as in ounces.
    assert one("3 150 g cups of plain yogurt").grams == pytest.approx(450)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("3 potatoes", "Potatoes, flesh and skin, raw"),
        ("2 cups whole milk", "Milk, whole, 3.25% milkfat, with added vitamin D"),
        ("1 tsp salt", "Salt, table"),
        ("1 cup all-purpose flour", "Wheat flour, white, all-purpose, unenriched"),
        ("2 carrots", "Carrots, raw"),
        ("1 onion", "Onions, raw"),
        ("3 eggs", "Egg, whole, raw, fresh"),
    ],
)
def test_ingredients_are_the_plain_raw_base_food(text, name):
    # Not the skin of a potato, buttermilk, salt pork: the base food, raw, as bought.
    item = one(text, context="ingredient")
    assert (item.food.name, item.food.source) == (name, "sr28")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("1/2 cup sugar", "Sugar, NFS"),  # no SR28 food is plain sugar by name; FNDDS's is
        ("2 tbsp peanut butter", "Peanut butter"),
    ],
)
def test_an_ingredient_the_other_source_names_falls_back_to_it(text, name):
    item = one(text, context="ingredient")
    assert (item.food.name, item.food.source) == (name, "fndds")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("a glass of whole milk", "Milk, whole"),
        ("2 potatoes", "Potato, NFS"),
        ("a baked potato", "Potato, baked, NFS"),
        ("a cup of rice", "Rice, cooked, NFS"),
        ("an apple", "Apple, raw"),
        ("a can of cola", "Soft drink, cola"),
        ("an avocado", "Avocado, raw"),
    ],
)
def test_meal_foods_are_the_foods_as_eaten(text, name):
    item = one(text)
    assert (item.food.name, item.food.source) == (name, "fndds")


def test_a_bare_count_of_a_fruit_is_the_whole_fruit():
    item = one("an avocado")
    assert item.grams == pytest.approx(portion_grams(item.food, "1 fruit"))


def test_a_dish_named_with_and_stays_one_food():
    item = one("a bowl of macaroni and cheese")
    assert "macaroni" in item.food.name.lower() and "cheese" in item.food.name.lower()


def test_the_parts_after_with_can_name_the_dish():
    item = one("a turnover filled with ground beef and cabbage")
    assert "beef" in item.food.name.lower() and "cabbage" in item.food.name.lower()


def test_what_a_food_is_made_with_is_not_a_second_food():
    r = parse("a hot dog sandwich made with a plain beef frankfurter on a white bun")
    assert [it.food.name for it in r.items] == [
        "Frankfurter or hot dog sandwich, beef, plain, on white bun"
    ]


def test_adjectives_in_a_list_belong_to_the_noun_after_them():
    item = one("126 g of sweet, ripe banana")
    assert item.food.name == "Banana, raw" and item.grams == pytest.approx(126)


def test_a_weight_said_after_the_food_is_its_weight():
    item = one("a pork chop weighing 150 g")
    assert "pork chop" in item.food.name.lower()
    assert item.grams == pytest.approx(150)


def test_scene_and_praise_words_are_not_foods():
    r = parse("For breakfast this morning I happily enjoyed a delicious cup of black coffee.")
    assert [it.food.name.split(",")[0] for it in r.items] == ["Coffee"]
    assert r.unmatched == []


def test_typos_are_forgiven():
    item = one("2 slices of whole wheat braed")
    assert item.food.name == "Bread, whole wheat"


def test_unknown_words_are_reported_not_guessed():
    r = parse("2 zorblax")
    assert r.items == [] and r.unmatched == ["zorblax"]


def test_contexts_prefer_their_source_and_fall_back_to_the_other():
    meal = one("a cup of rice")
    ingredient = one("1 cup of rice", context="ingredient")
    assert meal.food.source == "fndds"
    assert ingredient.food.source == "sr28" and "raw" in ingredient.food.name.lower()
    # A food only SR28 has is still found in a meal.
    assert one("100 g of PEPPERIDGE FARM sourdough bread").food.source == "sr28"


def test_weights_in_words_and_ranges():
    assert one("one and a half cups of orange juice").quantity == pytest.approx(1.5)
    assert one("2-3 cups of orange juice").quantity == pytest.approx(2.5)
    assert one("a couple of cups of orange juice").quantity == pytest.approx(2)


def test_resolve_items_uses_the_same_matcher_and_portions():
    r = resolve_items([ExtractedItem("eggs", 2), ExtractedItem("whole milk", 1, "cup")])
    egg, milk = r.items
    assert egg.grams == pytest.approx(2 * portion_grams(egg.food, "1 egg"))
    assert milk.grams == pytest.approx(portion_grams(milk.food, "cup"))
    assert r.totals["kcal"] == pytest.approx(egg.nutrients["kcal"] + milk.nutrients["kcal"])


def test_items_have_alternatives_and_confidence():
    item = one("a banana")
    assert 0 < item.confidence <= 1
    assert 1 <= len(item.alternatives) <= 3
    assert item.food not in item.alternatives


def test_jsonl_dict_shape():
    d = to_jsonl_dict(parse("2 eggs n wheat toast"))
    assert d["text"] == "2 eggs n wheat toast"
    assert set(d["totals"]) == {"kcal", "protein_g", "carbs_g", "fat_g"}
    item = d["items"][0]  # type: ignore[index]
    assert set(item) == {
        "food_id",
        "food",
        "quantity",
        "unit",
        "grams",
        "kcal",
        "protein_g",
        "carbs_g",
        "fat_g",
        "confidence",
    }
    assert uuid.UUID(item["food_id"])


def test_hostile_text_is_bounded():
    r = parse("9" * 5000 + " g of rice " + "and " * 2000)
    assert all(it.grams >= 0 for it in r.items)
    assert parse("\x00\x01 ;;; ,,, !!!").items == []


@pytest.mark.parametrize(
    ("text", "food", "unit", "grams"),
    [
        ("cup of tea", "Tea, hot, leaf, black", "cup", 240.0),
        ("glass of milk", "Milk, NFS", "glass", 244.0),
        ("bowl of rice", "Rice, cooked, NFS", "bowl", 237.0),
    ],
)
def test_a_measure_with_no_number_is_one_of_it(text: str, food: str, unit: str, grams: float):
    # The same reading as with the article ("a cup of tea"), not the words left unmatched.
    r = parse(text)
    assert r.unmatched == []
    assert [(i.food.name, i.quantity, i.unit) for i in r.items] == [(food, 1.0, unit)]
    assert r.items[0].grams == pytest.approx(grams)
    a = parse(f"a {text}")
    assert [(i.food.name, i.grams) for i in a.items] == [(food, r.items[0].grams)]


def test_a_bare_measure_after_and_is_an_item_of_its_own():
    r = parse("toast and cup of coffee")
    assert r.unmatched == []
    assert [(i.food.name, i.unit) for i in r.items] == [
        ("Bread, NS as to major flour, toasted", "Quantity not specified"),
        ("Coffee, NS as to type", "cup"),
    ]


def test_a_measure_inside_a_described_amount_is_not_split():
    # "serving" is part of "a small single serving bag of": one bag, not a serving and a bag.
    r = parse("a small single serving bag of potato chips")
    assert [(i.food.name, i.quantity) for i in r.items] == [("Potato chips, NFS", 1.0)]
    assert r.items[0].grams == pytest.approx(28.0)


@pytest.mark.parametrize(
    ("text", "food"),
    [("a coffee", "Coffee, NS as to type"), ("an apple", "Apple, raw")],
)
def test_an_article_before_one_food_word_counts_one(text: str, food: str):
    r = parse(text)
    assert r.unmatched == []
    assert [(i.food.name, i.quantity) for i in r.items] == [(food, 1.0)]
    assert r.items[0].grams > 0


def test_a_participle_glued_by_a_hyphen_describes_the_food():
    # "-covered" is part of the food's name here, not a joiner that starts another phrase.
    item = one("85 g of chocolate-covered peanuts")
    assert item.food.name == "Peanuts, chocolate covered"
    assert item.grams == pytest.approx(85)
    assert item.nutrients["carbs_g"] == pytest.approx(item.food.nutrients["carbs_g"] * 0.85)


def test_packed_with_lists_the_parts_of_the_dish():
    r = parse("a 300 g burrito packed with beef, beans and rice")
    assert [it.food.name for it in r.items] == ["Burrito with meat, beans, and rice"]
    assert r.items[0].grams == pytest.approx(300)
    assert r.totals["carbs_g"] == pytest.approx(r.items[0].food.nutrients["carbs_g"] * 3)


def test_a_brand_in_brackets_is_not_part_of_the_food_s_head():
    # "Cereal (Kellogg's Frosted Flakes)" is a cereal: saying "cereal" names its head.
    item = one("30 g of frosted flakes cereal")
    assert item.food.name == "Cereal (Kellogg's Frosted Flakes)"
    assert item.nutrients["carbs_g"] == pytest.approx(item.food.nutrients["carbs_g"] * 0.3)


def test_a_participle_before_with_joins_the_next_food():
    # "sweetened with": the sugar is a food of its own, not a sweetened tea.
    r = parse("a mug of hot black tea sweetened with a teaspoon of sugar")
    assert [it.food.name for it in r.items] == ["Tea, hot, leaf, black", "Sugar, NFS"]
    sugar = r.items[1]
    assert sugar.grams == pytest.approx(portion_grams(sugar.food, "teaspoon"))
    assert r.totals["carbs_g"] < 8


def test_a_measured_container_after_in_weighs_the_food_before():
    # "in a 20 oz bottle" says how much cola, not a second food (nor bottled water).
    r = parse("a cola in a 20 oz bottle and a plain bagel")
    assert [it.food.name for it in r.items] == ["Soft drink, cola", "Bagel"]
    cola = r.items[0]
    # A drink's ounces are fluid ounces: FNDDS's 20 fl oz bottle.
    assert cola.grams == pytest.approx(portion_grams(cola.food, "bottle (20 fl oz)"))
    assert cola.nutrients["carbs_g"] == pytest.approx(
        cola.food.nutrients["carbs_g"] * cola.grams / 100
    )


def test_flavor_as_a_noun_names_no_food():
    r = parse("a banana and a medium apple for a nice mix of flavors")
    assert [it.food.name for it in r.items] == ["Banana, raw", "Apple, raw"]
    assert r.totals["carbs_g"] == pytest.approx(sum(it.nutrients["carbs_g"] for it in r.items))
    assert r.totals["carbs_g"] < 60


def test_for_a_phrase_after_a_food_says_why_not_what():
    r = parse("a donut for a sugar rush")
    assert [it.food.name for it in r.items] == ["Doughnut, NFS"]
    assert r.unmatched == []
    assert r.totals["carbs_g"] == pytest.approx(r.items[0].nutrients["carbs_g"])
    # Before any food, "for a" follows a verb: "I opted for a bagel" is the bagel.
    first = one("I opted for a plain bagel")
    assert first.food.name == "Bagel"
    assert first.grams == pytest.approx(portion_grams(first.food, "regular"))


def test_a_weight_after_weighing_and_a_filler_is_the_food_s_weight():
    r = parse("a cola, measuring just an ounce, and a banana")
    assert [it.food.name for it in r.items] == ["Soft drink, cola", "Banana, raw"]
    # A drink's ounce is a fluid ounce.
    assert r.items[0].grams == pytest.approx(portion_grams(r.items[0].food, "1 fl oz (nfs)"))
    assert r.unmatched == []
    assert r.items[0].nutrients["carbs_g"] == pytest.approx(
        r.items[0].food.nutrients["carbs_g"] * r.items[0].grams / 100
    )


def test_a_food_restated_with_its_weight_after_containing_is_one_food():
    r = parse("a juice box containing 200 ml of apple juice")
    assert [it.food.name for it in r.items] == ["Apple juice, 100%"]
    juice = r.items[0]
    assert juice.unit == "ml" and 195 < juice.grams < 215
    assert r.totals["carbs_g"] == pytest.approx(juice.food.nutrients["carbs_g"] * juice.grams / 100)


def test_each_alternative_of_a_portion_weighs_the_portion():
    # FNDDS: "1 large rectangular piece or 2 squares or 4 small rectangular pieces".
    item = one("2 squares of graham crackers")
    assert item.food.name == "Graham crackers"
    assert item.grams == pytest.approx(portion_grams(item.food, "2 squares"))
    assert item.unit == "2 squares"
    assert_scaled(item)


def test_a_participle_and_adverb_before_with_also_join():
    r = parse("a small cup of hot black tea, sweetened perfectly with one packet of sugar")
    assert [it.food.name for it in r.items] == ["Tea, hot, leaf, black", "Sugar, NFS"]
    assert r.items[1].grams == pytest.approx(portion_grams(r.items[1].food, "packet"))
    assert r.totals["carbs_g"] < 6


def test_a_list_after_a_colon_describes_the_food_before():
    # The parts after the colon are the burrito's, not foods of their own.
    r = parse("a burrito: beans, rice and cheese")
    assert [it.food.name for it in r.items] == [
        "Burrito with beans, rice, and sour cream, meatless"
    ]
    burrito = r.items[0]
    assert burrito.grams == pytest.approx(portion_grams(burrito.food, "medium"))
    assert r.totals["carbs_g"] == pytest.approx(burrito.nutrients["carbs_g"])


def test_a_count_of_the_word_that_says_which_of_its_kind_names_the_food():
    # "Soft drink, cola": "cola" is the part of the name that says which soft drink.
    r = parse("a cola and a plain bagel")
    assert [it.food.name for it in r.items] == ["Soft drink, cola", "Bagel"]
    cola = r.items[0]
    assert cola.grams == pytest.approx(portion_grams(cola.food, "medium"))
    assert r.unmatched == []
    assert_scaled(cola)


def test_a_word_that_only_describes_foods_names_the_food_it_is_the_noun_of():
    # FNDDS has no plain salt: "salt" is in "Pretzels, salted" only as how the pretzels are.
    # The food whose noun was said (SR28's table salt) wins over foods it only describes.
    salt = one("2 teaspoons of salt")
    assert (salt.food.name, salt.food.source) == ("Salt, table", "sr28")
    assert salt.grams == pytest.approx(2 * portion_grams(salt.food, "tsp"))
    assert salt.nutrients["carbs_g"] == 0.0
    # Said as a participle, the same word still describes: salted peanuts are peanuts.
    nuts = one("salted peanuts")
    assert nuts.food.name == "Peanuts, roasted, salted"
    assert_scaled(nuts)


def test_either_alternative_of_a_name_names_the_food():
    # "Frankfurter or hot dog": "hot dog" (two words that go together) names it as well as
    # "frankfurter"; a beef frankfurter is not the frankfurter sandwich.
    for text, name in [
        ("two hot dogs", "Frankfurter or hot dog, NFS"),
        ("a turkey frankfurter", "Frankfurter or hot dog, turkey"),
    ]:
        item = one(text)
        assert item.food.name == name
        assert item.grams == pytest.approx(item.quantity * portion_grams(item.food, "frankfurter"))
        assert item.nutrients["carbs_g"] == pytest.approx(
            item.food.nutrients["carbs_g"] * item.grams / 100
        )
        assert item.nutrients["carbs_g"] < 5


def test_the_last_word_said_is_the_noun_of_the_food():
    # "chow mein noodles" are noodles, not the chow mein dish with noodles; "a drumstick of
    # roasted chicken" is a drumstick, weighed as one.
    noodles = one("80 g of crispy chow mein noodles")
    assert noodles.food.name == "Noodles, chow mein"
    assert noodles.grams == 80
    assert noodles.nutrients["carbs_g"] == pytest.approx(noodles.food.nutrients["carbs_g"] * 0.8)
    drumstick = one("a drumstick of roasted chicken")
    assert drumstick.food.name.startswith("Chicken drumstick, baked, broiled, or roasted")
    assert drumstick.grams == pytest.approx(portion_grams(drumstick.food, "medium drumstick"))
    assert drumstick.grams < 150
    assert_scaled(drumstick)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("a cup of steaming black tea", "Tea, hot, leaf, black"),
        ("a cup of warm green tea", "Tea, hot, leaf, green"),
    ],
)
def test_warm_words_say_hot_not_iced(text: str, name: str):
    # USDA says "hot" ("Tea, hot, leaf, black"); "steaming" and "warm" say the same, so the
    # iced, sweetened bottled teas are not what was drunk.
    tea = one(text)
    assert tea.food.name == name
    assert tea.grams == pytest.approx(portion_grams(tea.food, "cup"))
    assert tea.nutrients["carbs_g"] < 2
    assert_scaled(tea)


def test_a_compound_of_its_kind_s_word_is_named_by_that_word():
    # "Hamburger" is one of FNDDS's "Burgers": "a burger" names a hamburger (it was unmatched),
    # while "a chicken burger" still names the chicken burger.
    burgers = one("two burgers")
    assert burgers.food.name.startswith("Hamburger")
    assert burgers.food.category.startswith("Burgers")
    assert burgers.quantity == 2
    assert burgers.grams == pytest.approx(2 * portion_grams(burgers.food, "hamburger"))
    assert burgers.nutrients["carbs_g"] == pytest.approx(
        burgers.food.nutrients["carbs_g"] * burgers.grams / 100
    )
    assert one("a chicken burger").food.name.startswith("Turkey or chicken burger")


def test_a_measure_the_food_has_no_portion_for_is_one_piece_not_the_whole_food():
    # The unspecified cake's portions are cupcakes, a piece and a whole 1-layer cake (392 g);
    # none is a slice. "A slice" is one piece of it, not the portion that only repeats "cake".
    cake = one("after the party I had a slice of cake")
    assert cake.food.name == "Cake or cupcake, NS as to type"
    assert cake.grams == pytest.approx(portion_grams(cake.food, "piece"))
    assert cake.grams < 100
    assert cake.nutrients["carbs_g"] == pytest.approx(
        cake.food.nutrients["carbs_g"] * cake.grams / 100
    )
    assert 10 < cake.nutrients["carbs_g"] < 40
    assert_scaled(cake)
    # A food's own unit said by its name still counts ("a calzone": the calzone).
    calzone = one("a warm calzone")
    assert calzone.grams == pytest.approx(portion_grams(calzone.food, "calzone"))


def test_a_food_named_with_number_words_is_not_read_as_numbers():
    # "Cream, half and half": the data names a food with number words; read as numbers it
    # was "one half" of "and half" and no cream at all.
    r = parse("a mug of coffee with two tablespoons of half and half")
    assert [it.food.name for it in r.items][1:] == ["Cream, half and half"]
    cream = r.items[1]
    assert cream.quantity == 2
    # No tablespoon portion: by the density of its cup (a tablespoon is 1/16 cup).
    assert cream.grams == pytest.approx(2 * portion_grams(cream.food, "1 cup") / 16, rel=1e-3)
    assert cream.nutrients["carbs_g"] == pytest.approx(
        cream.food.nutrients["carbs_g"] * cream.grams / 100
    )
    assert 0.5 < cream.nutrients["carbs_g"] < 3
    assert_scaled(cream)
    alone = one("half and half")
    assert alone.food.name == "Cream, half and half"
    assert alone.grams == pytest.approx(portion_grams(alone.food, "quantity not specified"))
    # The numbers themselves still read as numbers.
    rice = one("one and a half cups of rice")
    assert rice.quantity == 1.5


def test_a_bare_name_only_sr28_has_takes_its_usual_kind():
    # No food as eaten is flour; among SR28's flours the usual one is wheat flour (most of
    # them), not potato flour (one food, fewer words unsaid).
    flour = one("2 cups of flour")
    assert flour.food.name.startswith("Wheat flour, white")
    assert flour.grams == pytest.approx(2 * portion_grams(flour.food, "cup"))
    assert flour.nutrients["carbs_g"] == pytest.approx(
        flour.food.nutrients["carbs_g"] * flour.grams / 100
    )
    assert 130 < flour.nutrients["carbs_g"] < 230
    assert_scaled(flour)


def test_a_possessive_does_not_hide_a_listed_food():
    # "my" says whose, not that the words are a part of the food before.
    r = parse("rice with my eggs")
    assert [it.food.name.split(",")[0] for it in r.items] == ["Rice", "Egg"]
    assert r.unmatched == []
    for it in r.items:
        assert_scaled(it)


def test_a_meal_heading_with_a_colon_loses_no_food():
    # "Supper:" says when; the list after its colon is what was eaten, every food of it.
    # A first food with no amount was lost: the colon read as listing a dropped food's parts.
    for text, plain_text in [
        ("supper: toast and a banana", "toast and a banana"),
        ("breakfast: oatmeal with 2 eggs", "oatmeal with 2 eggs"),
    ]:
        heading, plain = parse(text), parse(plain_text)
        assert [(it.food.name, it.grams) for it in heading.items] == [
            (it.food.name, it.grams) for it in plain.items
        ]
        assert len(heading.items) == 2 and heading.unmatched == []
        assert heading.totals["carbs_g"] == pytest.approx(plain.totals["carbs_g"])
    toast, banana = parse("supper: toast and a banana").items
    assert "toasted" in toast.food.name and banana.food.name == "Banana, raw"
    assert toast.grams == pytest.approx(portion_grams(toast.food, "quantity not specified"))
    assert_scaled(toast)


def test_a_food_after_a_possessive_is_a_food_whatever_joiner_came_before():
    # "which is a nice side to my ...": "to" lists nothing, but "my" begins a food of its own.
    r = parse("a mug of cocoa, which is a nice side to my cinnamon roll")
    cocoa, roll = r.items
    assert "cocoa" in cocoa.food.name.lower()
    assert "cinnamon" in roll.food.name.lower() and roll.food.name.startswith("Roll, sweet")
    assert roll.grams == pytest.approx(portion_grams(roll.food, "quantity not specified"))
    assert 30 < roll.nutrients["carbs_g"] < 60
    assert r.unmatched == []
    assert_scaled(roll)
    # "its" names a part of the food before, not another food.
    r = parse("an apple with its peel")
    assert [it.food.name for it in r.items] == ["Apple, raw"]


@pytest.mark.parametrize(
    ("text", "said", "refused"),
    [
        # The refusal is not joined into the food as an ingredient: the food as eaten says it
        # ("skin not eaten", "meatless") or does not name it.
        ("a chicken breast without skin", "skin not eaten", None),
        ("a burrito with beans and rice, without meat", "meatless", "meat,"),
        ("coffee with no sugar", None, "sugar"),
    ],
)
def test_what_was_refused_is_not_in_the_food(text, said, refused):
    r = parse(text)
    (item,) = r.items
    name = item.food.name.lower()
    if said:
        assert said in name, name
    if refused:
        assert refused not in name, name
    assert_scaled(item)


def test_coffee_without_sugar_has_no_sugar_carbs():
    item = one("a cup of coffee with no sugar")
    assert item.food.name.startswith("Coffee")
    assert item.nutrients["carbs_g"] < 2


def test_a_portion_word_is_not_a_typo_of_a_food_word():
    # "pouch" is how the data counts portions, one letter from "poach": never corrected into
    # a cooking method the user did not say.
    (tuna,) = parse("a pouch of tuna").items
    assert "tuna" in tuna.food.name.lower() and "poach" not in tuna.food.name.lower()
    assert_scaled(tuna)
    # Typos of food words are still corrected.
    (chicken,) = parse("chiken brest").items
    assert chicken.food.name.startswith("Chicken breast")


def test_a_word_the_data_spells_as_two_is_read_as_both():
    # "milkshake": FNDDS writes "Milk shake"; the glued word finds the same food as the two.
    glued = one("I had a strawberry milkshake after the gym")
    apart = one("I had a strawberry milk shake after the gym")
    assert glued.food.name == apart.food.name
    assert glued.food.name.lower().startswith("milk shake")
    assert glued.grams == pytest.approx(apart.grams)
    assert glued.grams > 200
    assert glued.nutrients["carbs_g"] == pytest.approx(
        glued.food.nutrients["carbs_g"] * glued.grams / 100
    )
    assert glued.nutrients["carbs_g"] > 20


def test_a_portion_of_the_food_said_after_from_is_its_amount():
    it = one("a big bowl of plain instant oatmeal made with water, made from 2 dry packets")
    assert it.grams == pytest.approx(2 * portion_grams(it.food, "packet", "dry"))


def test_a_place_word_after_where_the_food_came_from_is_not_a_food_word():
    it = one("90 g of french fries from a fast food place")
    assert "fast food" in it.food.name.lower() and it.grams == 90


def test_a_count_stays_with_the_food_it_counts_when_another_is_joined_with_with():
    roti, curry = items("3 rotis with chicken curry")
    assert "roti" in roti.food.name.lower() and roti.quantity == 3
    assert "curry" in curry.food.name.lower() and curry.quantity == 1


def test_a_counted_dish_made_whole_to_be_shared_is_one_share():
    it = one("two meat pies")
    assert it.grams == pytest.approx(2 * portion_grams(it.food, "quantity not specified"))
    assert it.grams < portion_grams(it.food, "1 pie")
    warm = one("a warm meat pie")  # a word of how it was, not of which portion
    assert warm.grams == portion_grams(warm.food, "quantity not specified")


def test_a_handful_is_the_foods_unspecified_amount_not_a_bag():
    it = one("two handfuls of plain potato chips")
    assert it.grams == pytest.approx(2 * portion_grams(it.food, "quantity not specified"))


def test_a_size_in_inches_or_calories_is_not_a_count():
    tortilla = one("a 10 inch flour tortilla")
    assert tortilla.quantity == 1 and tortilla.grams < 100
    popcorn = one("a 100 calorie bag of popcorn")
    assert popcorn.grams == portion_grams(popcorn.food, "100 calorie")


def test_a_whole_number_dashed_to_a_fraction_is_one_mixed_number():
    assert one("2-1/2 cups of cooked white rice").quantity == 2.5


@pytest.mark.parametrize(
    ("text", "cups"),
    [
        ("three quarters of a cup of cooked white rice", 0.75),
        ("a third of a cup of cooked white rice", 1 / 3),
        ("a cup and a half of cooked white rice", 1.5),
    ],
)
def test_fractions_in_words_are_the_amount(text, cups):
    assert one(text).quantity == pytest.approx(cups, rel=1e-3)


def test_a_number_word_that_begins_a_foods_name_names_it_not_a_count():
    it = one("a double cheeseburger")
    assert it.quantity == 1 and it.food.name.lower().startswith("double cheeseburger")


def test_a_food_said_with_counted_foods_is_a_food_of_its_own():
    eggs, toast = items("2 fried eggs with toast")
    assert eggs.quantity == 2 and "egg" in eggs.food.name.lower()
    assert "toast" in toast.food.name.lower()


def test_a_hint_of_is_a_tiny_amount():
    tea, honey = items("a mug of black tea with a hint of honey")
    assert "tea" in tea.food.name.lower()
    assert honey.grams < 2


def test_a_dry_weight_after_from_is_the_cooked_foods_amount():
    it = one("a bowl of plain instant oatmeal made with water, made from 2 oz dry")
    assert it.grams == pytest.approx(2 * portion_grams(it.food, "1 oz, dry"))


def test_a_count_of_small_things_is_that_many_of_one_not_servings():
    it = one("12 roasted cashews")
    assert it.grams == pytest.approx(12 * portion_grams(it.food, "1 nut"))


def test_an_any_size_portion_is_the_count_of_the_food():
    it = one("two potatoes")
    assert it.grams == pytest.approx(2 * portion_grams(it.food, "any size"))


def test_a_container_of_unsaid_size_is_the_usual_one():
    # Bags of 28, 57 and 85 g: the one FNDDS takes when no amount is known, not the medium.
    item = one("a bag of potato chips from the vending machine")
    assert item.grams == pytest.approx(portion_grams(item.food, "small", "bag"))
    # Cans of several sizes: the usual can.
    can = one("a can of energy drink")
    assert can.grams == pytest.approx(portion_grams(can.food, "quantity", "specified"))


def test_ounces_of_a_drink_are_fluid_ounces():
    item = one("a 16 oz bottle of orange juice")
    assert item.grams == pytest.approx(16 * portion_grams(item.food, "1 fl oz"), rel=0.02)
    # A solid food's ounces stay a weight.
    assert one("a 6 oz steak").grams == pytest.approx(6 * 28.3495)


def test_a_clause_summing_the_foods_adds_none():
    r = parse("I had an orange and two plums, three fruits in total.")
    assert [(it.food.name, it.quantity) for it in r.items] == [
        ("Orange, raw", 1.0),
        ("Plum, raw", 2.0),
    ]
    # A sum said as the amount is read ("a total of"), not dropped.
    assert len(parse("For dinner, I ate a total of two tacos.").items) == 1


def test_a_serving_is_never_one_small_piece():
    item = one("a serving of curly fries")
    assert item.grams == pytest.approx(portion_grams(item.food, "quantity not specified"))
    assert item.grams > 50
    # A measured serving keeps its measure.
    juice = one("an 8 fl oz serving of apple juice")
    assert juice.grams == pytest.approx(8 * portion_grams(juice.food, "fl oz"), rel=0.05)


def test_a_bare_pizza_is_a_share_not_the_whole():
    # Pieces are named as of the whole ("1 piece, medium pizza"): a whole is cut to share.
    item = one("my brother and I split a cheese pizza")
    assert item.grams == pytest.approx(portion_grams(item.food, "quantity not specified"))
    assert item.grams < portion_grams(item.food, "1 medium pizza")
    # A size said is that whole.
    large = one("a large cheese pizza")
    assert large.grams == pytest.approx(portion_grams(large.food, "1 large pizza"))


def test_a_two_part_food_is_one_food():
    # "a two-patty burger", "a double cheeseburger": one burger, not two.
    for text in ("a three-scoop sundae", "a two-patty hamburger", "a double cheeseburger"):
        r = parse(text)
        assert [it.quantity for it in r.items] == [1.0], text
    assert one("a couple of plums").quantity == 2.0


def test_a_food_after_a_verb_and_a_preposition_is_a_food_of_its_own():
    # "rolled ... in a tortilla": the tortilla was eaten too, not only a frame of the sentence.
    r = parse("a glass of lemonade, then I rolled my leftovers in a large corn tortilla")
    tortilla = r.items[-1]
    assert "tortilla" in tortilla.food.name.lower()
    assert tortilla.grams == pytest.approx(portion_grams(tortilla.food, "large"))
    # ... unless the food before already has it ("a sub in a roll" is the sub's roll).
    sub = parse("a 250 g steak and cheese sub, all tucked in a soft roll")
    assert [it.grams for it in sub.items] == [250]
    # ... and a place it came from is no food ("Restaurant, Chinese, ..." is SR28's).
    assert len(parse("a chicken burrito from a restaurant").items) == 1


def test_a_name_that_opens_with_a_list_is_named_by_its_noun():
    # "Turkey, ham, and roast beef club sandwich": the list is the head, not "Turkey" alone.
    item = one("a club sandwich")
    assert "club sandwich" in item.food.name.lower()
    assert item.grams == pytest.approx(portion_grams(item.food, "1 sandwich"))


def test_a_plural_of_a_word_in_ie_is_that_word():
    # "cookies" must find FNDDS's "Cookie, ...", as "cookie" does, and count cookies, not
    # servings of three.
    two = one("two chocolate chip cookies")
    single = one("a chocolate chip cookie")
    assert two.food.id == single.food.id
    assert two.grams == pytest.approx(2 * single.grams)


def test_a_kind_fndds_lists_for_a_food_is_that_food_with_its_description_words():
    # "Pasta, cooked" lists "spaghetti" among its names: "cooked spaghetti" is that pasta, not
    # "Spaghetti squash, cooked".
    item = one("a cup of cooked spaghetti")
    assert item.food.name == one("a cup of spaghetti").food.name
    assert "squash" not in item.food.name.lower()


def test_a_food_said_again_in_other_words_is_counted_once():
    # "..., a creamy and sugar-free nutritional shake": the bottle before, described.
    r = parse("an 8 fl oz bottle of Ensure, a creamy and sugar-free nutritional shake")
    assert len(r.items) == 1 and r.items[0].grams == pytest.approx(
        8 * portion_grams(r.items[0].food, "fl oz"), rel=0.05
    )
    # Another food after the same words is a food of its own.
    assert len(parse("an 8 fl oz bottle of Ensure, a warm and fluffy blueberry pancake").items) == 2


def test_a_measure_word_that_ends_a_foods_name_names_it():
    # "flakes" measures other foods ("1 cup, flakes"); "corn flakes" is the cereal, not corn.
    item = one("a cup of corn flakes")
    assert "cereal" in item.food.name.lower()
    assert item.grams == pytest.approx(portion_grams(item.food, "1 cup"))


def test_a_changed_state_left_unsaid_costs_in_full_however_late_in_the_name():
    # "Soft drink, fruit flavored, caffeine free": "free" says the caffeine is gone; with
    # caffeine said, the drink that has it.
    item = one("a bottle of orange soft drink with caffeine")
    assert "caffeine containing" in item.food.name
