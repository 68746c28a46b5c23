"""Which food a name said resolves to (issue #11): made-up sentences, asserted on values."""

from __future__ import annotations

from tests.foods.readings import carbs, items, one


def test_a_counted_dish_said_in_its_own_words_is_kept():
    # Two words, both the dish's, the last its noun: a food, not words to drop.
    sandwich, apple = items("lunch was a tuna sandwich and an apple")
    name = sandwich.food.name.lower()
    assert "tuna" in name and "sandwich" in name
    assert sandwich.quantity == 1 and 100 < sandwich.grams < 300
    assert carbs(sandwich) > 20
    assert "apple" in apple.food.name.lower()


def test_a_counted_dish_said_by_the_word_before_its_noun_is_kept():
    # "wrap" of "... wrap sandwich": the compound's first word said last.
    (wrap,) = items("a chicken wrap")
    assert "wrap" in wrap.food.name.lower() and "chicken" in wrap.food.name.lower()
    assert carbs(wrap) > 15


def test_a_counted_word_that_names_no_food_by_its_head_is_not_one():
    # "added fat" is in a chocolate milk's name, but no milk was said.
    r = items("an omelet with a touch of added fat")
    assert all("milk" not in it.food.name.lower() for it in r)


def test_a_respelling_gives_way_to_a_name_the_data_has_with_the_word_before():
    # "porridge" is oatmeal, but no food is rice oatmeal: "rice porridge" is the one listed so.
    rice = one("a bowl of rice porridge for breakfast")
    assert "congee" in rice.food.name.lower()
    oats = one("a bowl of porridge for breakfast")
    assert "oatmeal" in oats.food.name.lower()
    assert carbs(rice) < carbs(oats)


def test_a_soft_word_that_begins_a_name_is_the_names_said_with_or_without_a_count():
    # "hot" of "hot chocolate" is no warmth of white chocolate; "/" lists names as "or" does.
    for text in ("a hot chocolate", "toast and hot chocolate"):
        drink = items(text)[-1]
        assert drink.food.name.lower().startswith("hot chocolate"), text
        assert drink.grams > 100 and carbs(drink) > 20
