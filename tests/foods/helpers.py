"""Shared helpers for the meal-parser tests."""

from __future__ import annotations

from app.foods.parser import ParsedItem, parse


def one_item(text: str) -> ParsedItem:
    """The single item `text` parses to (fails, listing them, if there are more or none)."""
    r = parse(text)
    assert len(r.items) == 1, [(it.food.name, it.grams) for it in r.items]
    return r.items[0]


def food_names(text: str) -> list[str]:
    return [it.food.name for it in parse(text).items]
