"""Phrases that join foods with "with", "on" or "and" (issue 11): one food when the data has one
that the whole phrase names, else each food said, each with its own portion; never a food word
dropped without a word. Each checked with the food, its grams (from the food's own portions) and
its carbohydrate.

The sentences are made up for these tests.
"""

from __future__ import annotations

import pytest

from app.foods.dataset import FoodRecord
from app.foods.parser import ParsedItem, parse
from app.foods.units import portion_text


def items(text: str) -> list[ParsedItem]:
    r = parse(text)
    assert not r.unmatched, r.unmatched
    return r.items


def portion_grams(food: FoodRecord, text: str) -> float:
    for p in food.portions:
        if portion_text(p).lower() == text:
            return p.grams
    raise AssertionError(f"{food.name} has no portion {text!r}")


def carbs(item: ParsedItem) -> float:
    return (item.food.nutrients.get("carbs_g") or 0.0) * item.grams / 100


def test_a_food_said_after_with_and_a_possessive_before_any_other_is_logged():
    # Nothing came before "with my toast" for the toast to be a part of.
    toast, juice = items("with my toast I drank a glass of orange juice")
    assert toast.food.name.startswith("Bread") and "toasted" in toast.food.name
    assert toast.grams == portion_grams(toast.food, "quantity not specified")
    assert toast.nutrients["carbs_g"] == pytest.approx(carbs(toast))
    assert 8 < toast.nutrients["carbs_g"] < 20
    assert juice.food.name.startswith("Orange juice")
    assert 200 < juice.grams < 300
    assert juice.nutrients["carbs_g"] == pytest.approx(carbs(juice))
