"""FoodIndex.match internals the parser's speed relies on (issue 11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from app.foods.parser import default_index


def test_every_head_word_is_flagged_in_a_word_posting():
    # match() scores only foods with a posting of a word said and counts a food's head words
    # from a flag in those postings: every head word must be one of the food's words, or the
    # food could never have its head named. A head with alternatives ("Frankfurter or hot
    # dog") has a flagged word for each, so more flags than the words it takes to name it.
    index = default_index()
    flagged = np.zeros(len(index.foods))
    for foods, block in index._postings.values():
        np.add.at(flagged, foods, block[4])
    assert (flagged >= index._head_size).all()
    assert (flagged > index._head_size).any()
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


def test_scores_do_not_depend_on_the_hash_seed():
    # Sums over sets of words follow the set's order, which PYTHONHASHSEED changes per process:
    # a plain float sum made confidences differ in the last digit between two API processes.
    code = (
        "from app.foods.parser import default_index, parse\n"
        "i = default_index()\n"
        "print(__import__('hashlib').sha1(i._main_weight.tobytes()).hexdigest())\n"
        "print([it.confidence for it in parse('a bowl of salted buttered popcorn').items])\n"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1, outs
