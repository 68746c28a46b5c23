"""FoodIndex.match internals the parser's speed relies on (issue 11)."""

from __future__ import annotations

import numpy as np

from app.foods.parser import default_index


def test_every_head_word_posting_is_a_word_posting():
    # match() scores only foods with a posting of a word said, and counts heads among them:
    # a food whose head has a word must have that word's posting.
    index = default_index()
    for w, heads in index._head_post.items():
        assert np.isin(heads, index._postings[w][0]).all(), w


def test_a_repeated_query_gives_the_same_matches_in_a_list_of_its_own():
    index = default_index()
    first = index.match(["chicken", "breast"], limit=15)
    first_names = [m.food.name for m in first]
    first.reverse()  # a caller reordering its list must not change the next answer
    again = index.match(["chicken", "breast"], limit=15)
    assert [m.food.name for m in again] == first_names
    assert again[0].covered == frozenset({"chicken", "breast"})
    assert len(again) == 15
