"""The meal parser on meals as people outside the US write them: grams and carbs checked
against the USDA records the parser picks. The sentences are written for these tests."""

from __future__ import annotations

import pytest

from app.foods.parser import parse
from tests.foods.readings import carbs, one, portion_grams


@pytest.mark.parametrize(
    ("text", "name"), [("a slice of quiche lorraine", "quiche"), ("one slice of pie", "pie")]
)
def test_a_slice_of_a_whole_dish_is_one_piece_not_the_whole(text: str, name: str) -> None:
    # Neither food has a slice portion; both have whole ones (over a kilogram) and pieces.
    item = one(text)
    assert name in item.food.name.lower()
    assert item.grams == pytest.approx(portion_grams(item.food, "1 piece"))
    assert 100 < item.grams < 250
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert item.nutrients["carbs_g"] < 60


@pytest.mark.parametrize("text", ["2 rotis", "two chapatis"])
def test_a_bread_named_by_one_of_its_alternatives_is_counted(text: str) -> None:
    # "Bread, chapati or roti": either word alone says which bread.
    item = one(text)
    assert "roti" in item.food.name.lower()
    assert item.quantity == 2
    assert 60 < item.grams < 200
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert 25 < item.nutrients["carbs_g"] < 80


def test_a_portion_of_a_food_is_not_a_food_named_with_portion() -> None:
    # "Chicken, fried, ..., frozen meal, large meat portion" has the measure's word in its
    # name; "a portion" says how much chicken, not which.
    item = one("a portion of chicken")
    assert "portion" not in item.food.name.lower() and "frozen" not in item.food.name.lower()
    assert item.food.name.lower().startswith("chicken")
    assert item.grams < 250
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert item.nutrients["carbs_g"] < 5


def test_a_name_the_data_lists_only_as_a_synonym_names_the_food() -> None:
    # "Nigiri" is only an additional description of the "Sushi, topped with ..." foods: said
    # after the fish, it is the sushi, not a piece of smoked salmon.
    item = one("2 pieces of salmon nigiri")
    assert item.food.name.lower().startswith("sushi") and "salmon" in item.food.name.lower()
    assert item.quantity == 2
    assert item.grams == pytest.approx(2 * portion_grams(item.food, "1 piece"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert 5 < item.nutrients["carbs_g"] < 30


@pytest.mark.parametrize("text", ["150 g of kiełbasa", "150 g of KIEŁBASA", "150g kielbasa"])
def test_letters_with_strokes_read_as_their_plain_letter(text: str) -> None:
    # NFKD takes "é" apart into "e" and an accent, but leaves "ł" (and "ø", "æ", "œ") whole.
    item = one(text)
    # FNDDS's Polish sausage lists "Kielbasa": in a meal, that food as eaten.
    assert item.food.name == "Polish sausage"
    assert "kielbasa" in (item.food.additional or "").lower()
    assert item.grams == pytest.approx(150)
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))


def test_accented_words_match_the_data_spelled_without_accents() -> None:
    item = one("a crêpe")
    assert item.food.name.lower().startswith("crepe")
    assert item.grams == pytest.approx(portion_grams(item.food, "quantity not specified"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert 10 < item.nutrients["carbs_g"] < 40


def test_a_count_takes_the_foods_own_unit_said_to_be_of_any_size() -> None:
    # "1 pierogi, any size" is the unit the food is counted in: "any size" says no more about
    # which portion than "1 pierogi" does (not the 100 g unspecified quantity).
    item = one("4 pierogi")
    assert "dumpling" in item.food.name.lower()
    assert item.grams == pytest.approx(4 * portion_grams(item.food, "1 pierogi"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert item.nutrients["carbs_g"] < 70


@pytest.mark.parametrize(
    ("text", "name", "grams"),
    [
        ("50 g of roasted groundnuts", "peanut", 50),
        ("250g boiled maize", "corn", 250),
        ("a mashed swede weighing 120 g", "rutabaga", 120),
    ],
)
def test_names_used_outside_the_us_read_as_the_usda_word(text: str, name: str, grams: int) -> None:
    item = one(text)
    assert name in item.food.name.lower()
    assert item.grams == pytest.approx(grams)
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))


def test_wholemeal_bread_is_whole_wheat_bread_by_the_slice() -> None:
    item = one("two slices of wholemeal bread")
    assert "whole wheat" in item.food.name.lower()
    assert item.grams == pytest.approx(2 * portion_grams(item.food, "medium or regular slice"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert 15 < item.nutrients["carbs_g"] < 45


@pytest.mark.parametrize(("word", "not_this"), [("hoppers", "whopper"), ("elote", "lot")])
def test_an_unknown_word_is_not_read_as_a_food_word_with_another_first_letter(
    word: str, not_this: str
) -> None:
    r = parse(f"2 {word}", context="meal")
    assert not any(not_this in it.food.name.lower() for it in r.items)
    assert r.totals["carbs_g"] == 0
    assert word in r.unmatched


def test_a_word_of_another_language_beside_a_food_leaves_the_food() -> None:
    # "jacket" is one letter from "packet": read so, it named packaged foods.
    r = parse("200 g jacket potato", context="meal")
    assert len(r.items) == 1 and "potato" in r.items[0].food.name.lower()
    assert "packet" not in r.items[0].food.name.lower()
    assert r.items[0].grams == pytest.approx(200)
    assert r.items[0].nutrients["carbs_g"] == pytest.approx(carbs(r.items[0]))
    assert "jacket" in r.unmatched


@pytest.mark.parametrize("text", ["a bottle of beer", "one can of beer"])
def test_a_portion_named_with_an_alternative_is_not_a_worse_fit(text: str) -> None:
    # "1 can or bottle (12 fl oz)", not the 40 fl oz bottle that says only "bottle".
    item = one(text)
    assert item.food.name == "Beer"
    assert item.grams == pytest.approx(portion_grams(item.food, "can or bottle (12"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert item.nutrients["carbs_g"] < 20


def test_a_meal_food_only_sr28_has_is_its_cooked_form_not_the_dry_seeds() -> None:
    # FNDDS has no pigeon peas; SR28's raw mature seeds are dry (63 g carbs per 100 g).
    item = one("120 g of pigeon peas")
    assert item.food.source == "sr28" and "pigeon peas" in item.food.name.lower()
    assert "cooked" in item.food.name.lower()
    assert item.grams == pytest.approx(120)
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert item.nutrients["carbs_g"] < 40


@pytest.mark.parametrize(
    ("text", "kind"), [("a cup of black tea", "black"), ("1 cup green tea", "green")]
)
def test_tea_of_a_colour_is_hot_leaf_tea_as_fndds_codes_plain_tea(text: str, kind: str) -> None:
    # FNDDS codes "tea, NS as to type" as "Tea, hot, leaf, black": hot leaf tea is the usual
    # form, not the (sweetened) bottled iced teas, though more foods are iced.
    item = one(text)
    assert item.food.name.startswith("Tea, hot, leaf") and kind in item.food.name
    assert item.grams == pytest.approx(portion_grams(item.food, "1 cup"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert item.nutrients["carbs_g"] < 2


def test_pieces_of_bread_are_slices_not_a_food_with_a_piece_portion() -> None:
    # "Bread, dough, fried" has "1 piece (8\" dia)" (136 g): a piece says how much of any food,
    # not which one.
    item = one("2 pieces of bread")
    assert item.food.name.startswith("Bread") and "fried" not in item.food.name
    assert item.grams == pytest.approx(2 * portion_grams(item.food, "medium or regular slice"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert item.nutrients["carbs_g"] < 40


def test_fruit_juice_is_the_juice_not_the_fruit_canned_in_juice() -> None:
    # Two foods have both words ("Pineapple, canned, juice pack", "Pineapple juice, 100%"):
    # a tie of kinds names neither by its kind; the noun said last ("juice") decides.
    item = one("a glass of pineapple juice")
    assert item.food.name.startswith("Pineapple juice")
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert 200 < item.grams < 300


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("a plate of arroz con pollo", "Rice with chicken"),
        ("one tortilla de amarillo", "Ripe plantain omelet"),
    ],
)
def test_a_dish_said_by_the_name_fndds_lists_for_it_is_that_dish(text: str, start: str) -> None:
    # Other foods list some of the same words ("Sopa de pollo con arroz"; "Tortilla, NFS"):
    # the food one of whose listed names is exactly what was said is the one named.
    item = one(text)
    assert item.food.name.startswith(start)
    assert item.grams == pytest.approx(portion_grams(item.food, "quantity not specified"))
    assert item.nutrients["carbs_g"] == pytest.approx(carbs(item))
    assert item.nutrients["carbs_g"] > 10
