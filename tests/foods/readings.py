"""What the parser tests check a reading with: the one food (or the foods) a made-up sentence
gives, a portion's grams from the food's own portions, and the carbohydrate its nutrients per
100 g give for the grams, so a test fails when another food or portion is picked."""

from __future__ import annotations

from app.foods.dataset import FoodRecord
from app.foods.parser import ParsedItem, parse
from app.foods.units import portion_text


def one(text: str, context: str = "meal") -> ParsedItem:
    r = parse(text, context=context)  # type: ignore[arg-type]
    assert len(r.items) == 1, ([(it.food.name, it.grams) for it in r.items], r.unmatched)
    return r.items[0]


def items(text: str, context: str = "meal") -> list[ParsedItem]:
    r = parse(text, context=context)  # type: ignore[arg-type]
    assert not r.unmatched, r.unmatched
    return r.items


def portion_grams(food: FoodRecord, *words: str) -> float:
    """Grams of the food's first portion whose description has all ``words``."""
    for p in food.portions:
        text = portion_text(p).lower()
        if all(w in text for w in words):
            return p.grams
    raise AssertionError(f"{food.name} has no portion with {words}")


def portion_named(food: FoodRecord, text: str) -> float:
    """Grams of the food's portion described exactly as ``text``."""
    for p in food.portions:
        if portion_text(p).lower() == text:
            return p.grams
    raise AssertionError(f"{food.name} has no portion {text!r}")


def carbs(item: ParsedItem) -> float:
    return (item.food.nutrients.get("carbs_g") or 0.0) * item.grams / 100
