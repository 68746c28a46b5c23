"""Ingredient identity: which foods are the same ingredient in another preparation.

Inventory, recipes and the shopping list compare foods by an ingredient key, so "Lentils,
mature seeds, cooked, boiled, with salt" (what "2 lb lentils" reads as), "Lentils, raw" and
the recipes' "Lentils, mature seeds, cooked, boiled, without salt" are one ingredient.

The key is derived from USDA SR28's own naming, not from a hand-made word list. SR28 writes a
description as "<food>, <variety ...>, <state>, <method ...>, <salt>", with the state word
"raw" or "cooked". From the whole table this module learns:

- preparation segments: those that follow the state word in at least `_MIN_AFTER_STATE`
  descriptions ("boiled", "drained", "dry heat", "flesh and skin", "with salt" ...), and the
  words they are made of;
- generic descriptors: segments used with at least `_MIN_LEADS` different leading foods of
  one USDA group ("mature seeds", "meat only", "canned" ...) and never a food of their own;
- cooking methods: segments that directly follow "cooked" (to tell cooked foods from raw).

- varieties: a segment SR28 inserts into an otherwise identical description of the same food
  ("Potatoes, russet, flesh and skin, raw" beside "Potatoes, flesh and skin, raw"), where
  every such pair agrees in energy within `_VARIETY_KCAL` and in protein, fat and carbs
  within `_VARIETY_MACRO` (or `_VARIETY_MACRO_G` g per 100 g). Russet, red and white
  potatoes, savoy cabbage or the wine grapes pass; chicken breast does not (leaner than the
  bird's meat and skin it would stand in for), nor red cabbage, sweet or welsh onions. The
  rule is nutritional because the pantry lets grams of one food stand in for grams of
  another of the same key: that is only honest where the plan's figures stay about the same.
  Foods SR28 names apart from the start ("Sweet potato" and "Potatoes") never meet, since a
  variety is only ever dropped from under the same leading food.

A key is the leading food and at most `_KEY_SEGMENTS - 1` further segments that are none of
those, cut at the state word, with plural words made singular ("broiler or fryers" and
"broilers or fryers" are the same birds in SR28).

Grams convert between a raw and a cooked form by the cooked/raw yield SR28 gives in its
portions ("piece, cooked (yield from 1 lb raw meat)") where it gives one, else by energy:
cooking adds or removes water, not energy, so kcal per 100 g scale inversely with the yield.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.foods.dataset import FoodRecord, Portion, load_usda_foods

_STATES = ("raw", "cooked")  # SR28's two state words
_MIN_AFTER_STATE = 5
_MIN_LEADS = 10
_MIN_METHOD = 3
_KEY_SEGMENTS = 3
# How close a variety's nutrients must be to the plain food's (per 100 g).
_VARIETY_KCAL = 0.15
_VARIETY_MACRO = 0.20
_VARIETY_MACRO_G = 1.0
_MACROS = ("protein_g", "fat_g", "carbs_g")
# A yield outside this range is a data error (or refuse), not cooking.
_MIN_YIELD, _MAX_YIELD = 0.2, 5.0
_LB_G = 453.592
_WORD = re.compile(r"[a-z0-9%.\"/-]+")
_YIELD = re.compile(r"yield from\s*(?:(1)\s*lb|([\d.]+)\s*g)\s+raw meat(?!.*refuse)", re.IGNORECASE)


def _segments(name: str) -> list[str]:
    return [s.strip() for s in name.lower().split(",") if s.strip()]


def _words(segment: str) -> list[str]:
    return _WORD.findall(segment)


def _is_state(segment: str) -> bool:
    words = _words(segment)
    return bool(words) and words[0] in _STATES


@dataclass(frozen=True)
class Vocabulary:
    prep_segments: frozenset[str]
    prep_words: frozenset[str]
    generic: frozenset[str]
    methods: frozenset[str]
    # (leading food, segment) pairs: the segment names a variety of that food.
    varieties: frozenset[tuple[str, str]] = frozenset()


def learn_vocabulary(names: Iterable[tuple[str, str | None]]) -> Vocabulary:
    """The preparation vocabulary of a food table given as (description, group) pairs."""
    after: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    leads: dict[str, dict[str | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    firsts: set[str] = set()
    for name, group in names:
        segs = _segments(name)
        if not segs:
            continue
        firsts.add(segs[0])
        for s in segs[1:]:
            leads[s][group].add(segs[0])
        for i, s in enumerate(segs[1:], start=1):
            if _is_state(s):
                after.update(segs[i + 1 :])
                if _words(s)[0] == "cooked" and i + 1 < len(segs):
                    methods[segs[i + 1]] += 1
                break
    prep = frozenset(s for s, n in after.items() if n >= _MIN_AFTER_STATE)
    return Vocabulary(
        prep_segments=prep,
        prep_words=frozenset(w for s in prep for w in _words(s)),
        generic=frozenset(
            s
            for s, by_group in leads.items()
            if s not in firsts and max(len(v) for v in by_group.values()) >= _MIN_LEADS
        ),
        methods=frozenset(s for s, n in methods.items() if n >= _MIN_METHOD),
    )


def _alike(a: Mapping[str, float | None], b: Mapping[str, float | None]) -> bool:
    ka, kb = a.get("kcal"), b.get("kcal")
    if not ka or not kb or abs(ka - kb) > _VARIETY_KCAL * max(ka, kb):
        return False
    for key in _MACROS:
        x, y = a.get(key) or 0.0, b.get(key) or 0.0
        if abs(x - y) > max(_VARIETY_MACRO_G, _VARIETY_MACRO * max(x, y)):
            return False
    return True


def learn_varieties(
    foods: Iterable[tuple[str, str | None, Mapping[str, float | None]]],
) -> frozenset[tuple[str, str]]:
    """(leading food, segment) pairs where the segment names a variety: SR28 has the food
    with and without it, otherwise identical, and every such pair is nutritionally alike."""
    table = {(tuple(_segments(name)), group): nutrients for name, group, nutrients in foods}
    verdict: dict[tuple[str, str], bool] = {}
    for (segs, group), nutrients in table.items():
        for i in range(1, len(segs)):
            if _is_state(segs[i]):
                break
            plain = table.get((segs[:i] + segs[i + 1 :], group))
            if plain is None:
                continue
            pair = (segs[0], segs[i])
            verdict[pair] = verdict.get(pair, True) and _alike(nutrients, plain)
    return frozenset(pair for pair, alike in verdict.items() if alike)


@functools.cache
def vocabulary() -> Vocabulary:
    foods = load_usda_foods()
    vocab = learn_vocabulary((f.name, f.group) for f in foods)
    return dataclasses.replace(
        vocab, varieties=learn_varieties((f.name, f.group, f.nutrients) for f in foods)
    )


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("oes", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1]


def _is_prep(segment: str, vocab: Vocabulary) -> bool:
    words = _words(segment)
    return (
        segment in vocab.prep_segments
        or segment in vocab.generic
        or "salt" in words
        or (bool(words) and all(w in vocab.prep_words for w in words))
    )


def ingredient_key(name: str) -> str:
    """The ingredient a food description names, e.g. "lentil" or "chicken, broiler or fryer,
    breast"; the same for every preparation, state and salt level of it."""
    vocab = vocabulary()
    segs = _segments(name)
    if not segs:
        return ""
    kept = [segs[0]]
    for s in segs[1:]:
        if _is_state(s):
            break
        if not _is_prep(s, vocab) and (segs[0], s) not in vocab.varieties:
            kept.append(s)
    kept = kept[:_KEY_SEGMENTS]
    return ", ".join(" ".join(_singular(w) for w in s.split()) for s in kept)


def is_cooked(name: str) -> bool:
    vocab = vocabulary()
    for s in _segments(name)[1:]:
        if _words(s)[:1] == ["cooked"] or s in vocab.methods:
            return True
        if _words(s)[:1] == ["raw"]:
            return False
    return False


@dataclass(frozen=True)
class FoodFacts:
    """What conversion needs to know about one food."""

    id: uuid.UUID
    name: str
    kcal: float | None
    portions: tuple[Portion, ...] = ()

    @property
    def key(self) -> str:
        return ingredient_key(self.name)

    @property
    def cooked(self) -> bool:
        return is_cooked(self.name)


def facts(record: FoodRecord) -> FoodFacts:
    return FoodFacts(record.id, record.name, record.nutrients.get("kcal"), record.portions)


def stated_yield(cooked: FoodFacts) -> float | None:
    """Grams cooked per gram raw, from an SR28 portion such as "piece, cooked (yield from 1 lb
    raw meat)" or "roast (yield from 714 g raw meat)"; None where SR28 gives none."""
    for p in cooked.portions:
        m = _YIELD.search(p.unit)
        if m is None or p.grams <= 0 or p.amount <= 0:
            continue
        raw_g = _LB_G if m.group(1) else float(m.group(2))
        if raw_g > 0:
            y = p.grams / p.amount / raw_g
            if _MIN_YIELD <= y <= _MAX_YIELD:
                return y
    return None


def cooked_yield(raw: FoodFacts, cooked: FoodFacts) -> float:
    """Grams of the cooked form one gram of the raw form becomes."""
    y = stated_yield(cooked)
    if y is not None:
        return y
    if raw.kcal and cooked.kcal and raw.kcal > 0 and cooked.kcal > 0:
        return min(max(raw.kcal / cooked.kcal, _MIN_YIELD), _MAX_YIELD)
    return 1.0


def grams_factor(src: FoodFacts, dst: FoodFacts) -> float:
    """Grams of `dst` that one gram of `src` (the same ingredient) amounts to."""
    if src.id == dst.id or src.cooked == dst.cooked:
        return 1.0
    if not src.cooked:
        return cooked_yield(src, dst)
    return 1.0 / cooked_yield(dst, src)


@functools.cache
def _usda_by_key() -> Mapping[str, tuple[FoodRecord, ...]]:
    out: dict[str, list[FoodRecord]] = defaultdict(list)
    for f in load_usda_foods():
        out[ingredient_key(f.name)].append(f)
    return {k: tuple(v) for k, v in out.items()}


def as_bought(record: FoodRecord) -> FoodRecord:
    """The form a shop sells an ingredient in: the raw (uncooked, unsalted) USDA food of the
    same key when there is one, else the food itself. A receipt's "2 lb lentils" are dry
    lentils, whatever cooked form the food parser matched."""
    if not is_cooked(record.name) and not _salted(record.name):
        return record
    same = [
        f for f in _usda_by_key().get(ingredient_key(record.name), ()) if f.group == record.group
    ]
    raw = [f for f in same if not is_cooked(f.name) and not _salted(f.name)]
    if not raw:
        return record
    # Prefer an explicitly raw food with nothing after its state word ("Potatoes, flesh and
    # skin, raw" rather than "Potatoes, raw, skin"), then the shortest description.
    return min(raw, key=lambda f: (*_plainness(f.name), len(f.name), f.name))


def _plainness(name: str) -> tuple[bool, int]:
    segs = _segments(name)
    for i, s in enumerate(segs[1:], start=1):
        if _is_state(s):
            return _words(s)[0] != "raw", len(segs) - i - 1
    return True, 0


def _salted(name: str) -> bool:
    for seg in _segments(name):
        words = _words(seg)
        if "salt" in words and words[0] not in ("without", "no") and "not" not in words:
            return True
    return False


def group_by_key(foods: Sequence[FoodFacts]) -> dict[str, list[FoodFacts]]:
    out: dict[str, list[FoodFacts]] = defaultdict(list)
    for f in foods:
        out[f.key].append(f)
    return dict(out)
