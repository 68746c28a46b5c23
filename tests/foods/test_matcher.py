"""FoodIndex.match internals the parser's speed relies on (issue 11)."""

from __future__ import annotations

import numpy as np

from app.foods.parser import default_index


def test_every_head_word_is_flagged_in_a_word_posting():
    # match() scores only foods with a posting of a word said and counts a food's head words
    # from a flag in those postings: every head word must be one of the food's description
    # words, or the food could never have its head named.
    index = default_index()
    flagged = np.zeros(len(index.foods))
    for foods, block in index._postings.values():
        np.add.at(flagged, foods, block[4])
    assert (flagged == index._head_size).all()
    assert index._head_size.sum() > len(index.foods)  # heads of one word and of several


def test_a_repeated_query_gives_the_same_matches_in_a_list_of_its_own():
    index = default_index()
    first = index.match(["chicken", "breast"], limit=15)
    first_names = [m.food.name for m in first]
    first.reverse()  # a caller reordering its list must not change the next answer
    again = index.match(["chicken", "breast"], limit=15)
    assert [m.food.name for m in again] == first_names
    assert again[0].covered == frozenset({"chicken", "breast"})
    assert len(again) == 15
