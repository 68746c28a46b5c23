"""Amounts to grams with the food's own portions ("1 medium or regular slice" = 28 g).

Order: a mass unit is exact; a volume unit uses the food's portion of that unit, else the
density of any of its volume portions; amount words ("a slice", "a small bag", "2 eggs") pick the
portion whose description shares most of them; a bare count takes the food's medium/regular
unit; no amount at all takes FNDDS's "Quantity not specified" portion.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import NamedTuple

from app.foods import lexicon
from app.foods.dataset import FoodRecord, Portion
from app.foods.matcher import stem

__all__ = [
    "Amount",
    "Resolved",
    "has_measure",
    "names_portion",
    "number",
    "portion_text",
    "resolve",
]

_NUM_RE = re.compile(r"^\s*(\d+\s+\d+/\d+|\d+/\d+|\d*\.?\d+)\s*")
_WORD_RE = re.compile(r"fl\.? oz|[a-z]+|\d+(?:\.\d+)?")
_PAREN_RE = re.compile(r"\([^)]*\)")
# "1 large rectangular piece or 2 squares": each is a portion of the same weight.
_ALTERNATIVES_RE = re.compile(r" or (?=\d)(?![^(]*\))")
_QNS = "quantity not specified"
# Sizes people leave unsaid: "a bagel" is the medium or regular one.
_DEFAULT_SIZES = frozenset({"medium", "regular"})
# Portion words that say nothing about which portion it is.
_NEUTRAL = frozenset(map(stem, "or of and a the nfs whole each about any size".split()))
_COUNT_WORDS = frozenset({"piece", "item", "each", "serving", "unit", "whole", "fruit"})
# Stemmed, as portion words are ("piece" is read as "piec").
_PIECE_WORDS = frozenset(map(stem, _COUNT_WORDS))
# One cut of a whole, in the words people and portions use for it: "a slice of pie" is FNDDS's
# "1 piece (1/8 of 9" dia)". Below the word said itself, which wins when a food has both.
_CUTS = frozenset(map(stem, ("slice", "piece", "wedge")))
# Amounts of no size of their own ("a handful of chips"): the food's unspecified amount, not
# a count of its bags.
_UNSIZED = frozenset(map(stem, ("handful", "plate", "plateful", "helping")))
_SERVINGS = frozenset(map(stem, ("serving", "portion")))
_OUNCES = frozenset({"oz", "ounce", "ounces"})
_SHARE_RE = re.compile(r"\d/\d+ of ")
# More than one eats at a time: a whole pie, cake or pizza.
_WHOLE_G = 300.0


@dataclass(frozen=True, slots=True)
class Amount:
    """What the text said about how much: ``quantity`` (None when nothing was said), a measure
    unit (``unit``: "g", "cup", ...) and the words of the amount ("small single serving bag")."""

    quantity: float | None
    unit: str | None = None
    words: tuple[str, ...] = ()
    food_words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolved:
    quantity: float
    unit: str
    grams: float


class _P(NamedTuple):  # a tuple: made for every portion of every food read
    text: str
    qty: float
    words: frozenset[str]
    grams: float
    volume_ml: float | None


def portion_text(p: Portion) -> str:
    return p.description or f"{p.amount:g} {p.unit}".strip()


def number(text: str) -> float:
    """ "2", "1.5", "3/4", "1 1/2" (a fraction over 0 is 0)."""
    text = text.strip()
    if " " in text:
        whole, frac = text.split()
        return float(whole) + number(frac)
    if "/" in text:
        a, b = text.split("/")
        return float(a) / float(b) if float(b) else 0.0
    return float(text)


@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(
        "floz" if t.startswith("fl") and t.endswith("oz") else stem(t)
        for t in _WORD_RE.findall(text.lower())
    )


_CACHE: dict[object, tuple[tuple[object, ...], tuple[_P, ...]]] = {}


def _portions(food: FoodRecord) -> tuple[_P, ...]:
    # Keyed by id, checked against the portions: hashing every portion per call cost more.
    hit = _CACHE.get(food.id)
    if hit is not None and (hit[0] is food.portions or hit[0] == food.portions):
        return hit[1]
    out = []
    for p in food.portions:
        if p.grams <= 0:
            continue
        for text in _ALTERNATIVES_RE.split(portion_text(p)):
            qty, words, ml = _read_portion(text)
            out.append(_P(text, qty, words, float(p.grams), ml))
    if len(_CACHE) > 50000:
        _CACHE.clear()
    entry = _CACHE[food.id] = (food.portions, tuple(out))
    return entry[1]


# Portion texts repeat across foods: under 4,000 distinct among 47,000 portions.
@functools.lru_cache(maxsize=8192)
def _read_portion(text: str) -> tuple[float, frozenset[str], float | None]:
    m = _NUM_RE.match(text)
    qty = number(m.group(1)) if m else 1.0
    main = _PAREN_RE.sub(" ", text[m.end() :] if m else text)
    words = frozenset(_tokens(main))
    unit = next((lexicon.VOLUME_CANON[w] for w in _tokens(main) if w in lexicon.VOLUME_CANON), None)
    ml = qty * lexicon.VOLUME_ML[unit] if unit else None
    return qty or 1.0, words, ml


def _density(ps: tuple[_P, ...]) -> float | None:
    return next((p.grams / p.volume_ml for p in ps if p.volume_ml), None)


def _by_words(ps: tuple[_P, ...], said: dict[str, float]) -> tuple[float, _P] | None:
    best: tuple[float, _P] | None = None
    # Of portions that differ only in a size left unsaid ("a can": 8.3, 12 or 16 fl oz), the
    # one FNDDS takes when no amount is known is the usual one; else the medium or regular.
    usual = next((p.grams for p in ps if p.text.lower() == _QNS), None)
    for p in ps:
        if p.text.lower() == _QNS:
            continue
        # fsum: the same sum whatever the set's order (hash seed).
        hit = math.fsum(said.get(w, 0.0) for w in p.words)
        if hit <= 0:
            continue
        s = hit - 0.15 * len(p.words - _NEUTRAL - said.keys())
        if p.words & _DEFAULT_SIZES:
            s += 0.3
        if usual is not None and abs(p.grams / p.qty - usual) < 0.5:
            s += 0.35
        if best is None or s > best[0]:
            best = (s, p)
    return best


def _count_default(
    ps: tuple[_P, ...], food_words: frozenset[str], piece: bool = False
) -> _P | None:
    # "2 bagels", "an apple": the food's own unit ("1 egg"), else its medium or regular one,
    # else a piece; volume portions never.
    ranked = []
    for p in ps:
        if p.text.lower() == _QNS or p.volume_ml:
            continue
        score = 0.0
        if p.words & food_words:
            score += 2
        if p.words & _DEFAULT_SIZES:
            score += 2
        if p.words & _COUNT_WORDS:
            score += 1
        if piece and p.words & _PIECE_WORDS:
            score += 3
        score -= len(p.words - food_words - _DEFAULT_SIZES - _COUNT_WORDS - _NEUTRAL)
        ranked.append((score, p))
    score, best = max(ranked, key=lambda t: t[0], default=(0.0, None))
    return best if score > 0 else None


def _kind(food: FoodRecord) -> frozenset[str]:
    """The food's kind words that end one of its name's words ("omelet" of "Eggs and omelets"
    for a plantain omelet), else all of them: "1 nut" of almonds ("Nuts and seeds")."""
    kind = frozenset(_tokens(str(getattr(food, "category", None) or food.group or "")))
    name = _tokens(food.name)
    own = frozenset(k for k in kind for w in name if w.endswith(k))
    return own or kind


def _shared(p: _P, amount: Amount, ps: tuple[_P, ...], qns: _P | None) -> bool:
    """Whether a bare count ("a meat pie") found a whole made to be shared ("1 pie" = 715 g,
    beside "1 piece (1/6 of pie)"): then one is a share of it, what the food's unspecified
    amount weighs. (Not a calzone: nothing says it is cut in shares.)"""
    return (
        # Not "a large pie" of a food with large pies.
        not p.words & {stem(w) for w in amount.words}
        and qns is not None
        and p.grams / p.qty > max(_WHOLE_G, 2 * qns.grams)
        # Cut in shares: "1/6 of pie", or a piece, slice or wedge named as of this whole ("1
        # piece, medium pizza" beside "1 medium pizza").
        and any(_SHARE_RE.search(s.text) or (s.words & _CUTS and p.words < s.words) for s in ps)
    )


def has_measure(food: FoodRecord, measure: list[str]) -> bool:
    """Whether one of the food's portions is described with a word of ``measure`` (or a piece)."""
    said = set(measure) | (_CUTS if _CUTS.intersection(measure) else set())
    return set(measure) <= _PIECE_WORDS or any(p.words & said for p in _portions(food))


def names_portion(food: FoodRecord, said: list[str]) -> bool:
    """Whether words ("dry packet") are all words of one of the food's portions ("1 packet, dry,
    yields")."""
    want = {stem(w) for w in said}
    return bool(want) and any(want <= p.words for p in _portions(food))


def resolve(food: FoodRecord, amount: Amount) -> Resolved:
    r = _resolve(food, amount)
    # "a serving of fries": a serving is never one fry; when the portion read is a small part
    # of what FNDDS takes for an unknown amount, that amount is the serving.
    if amount.unit is None and {stem(w) for w in amount.words} & _SERVINGS:
        qns = next((p for p in _portions(food) if p.text.lower() == _QNS), None)
        if qns is not None and r.grams < r.quantity * qns.grams / 4:
            return Resolved(r.quantity, qns.text, r.quantity * qns.grams)
    return r


def _resolve(food: FoodRecord, amount: Amount) -> Resolved:
    ps = _portions(food)
    q = amount.quantity if amount.quantity is not None else 1.0
    unit = amount.unit
    if unit in _OUNCES and any("floz" in p.words for p in ps):
        unit = "floz"  # "a 12 oz can of cola": a drink's ounces are fluid ounces
    if unit in lexicon.MASS_G:
        return Resolved(q, unit, q * lexicon.MASS_G[unit])
    food_words = frozenset(amount.food_words)
    # The amount's own words decide ("a piece"); the food's words only break ties ("medium").
    said = {w: 0.1 for w in amount.food_words} | {stem(w): 1.0 for w in amount.words}
    if unit in lexicon.VOLUME_ML:
        canon = lexicon.VOLUME_CANON.get(unit)
        same = [p for p in ps if canon and canon in p.words and p.volume_ml]
        if same:
            hit = _by_words(tuple(same), said)
            p = hit[1] if hit else same[0]
            return Resolved(q, unit, q * p.grams / p.qty)
        dens = _density(ps) or 1.0
        return Resolved(q, unit, q * lexicon.VOLUME_ML[unit] * dens)
    if _CUTS.intersection(map(stem, amount.words)):
        # A cut of the whole ("a slice of brie"), never a volume ("1 cup, sliced").
        said = dict.fromkeys(_CUTS, 0.5) | said
        ps = tuple(p for p in ps if not p.volume_ml)
    hit = _by_words(ps, said)
    qns = next((p for p in ps if p.text.lower() == _QNS), None)
    if hit is not None and (
        hit[1].words & set(amount.words)
        or (
            not amount.words
            and hit[0] > 0
            and amount.quantity is not None
            and not _shared(hit[1], amount, ps, qns)
        )
    ):
        p = hit[1]
        return Resolved(q, p.text, q * p.grams / p.qty)
    for w in amount.words:
        if w in lexicon.VESSEL_ML:
            return Resolved(q, w, q * lexicon.VESSEL_ML[w] * (_density(ps) or 1.0))
    # A measure no portion names ("a slice" of a cake with only whole cakes and cupcakes) is
    # one piece of the food, not a portion that only shares its name ("1 quiche" = 1,212 g).
    said_words = {
        stem(w) for w in amount.words if w not in lexicon.SOFT and stem(w) not in _PIECE_WORDS
    }
    unnamed = (
        bool(said_words)
        and hit is not None
        and not hit[1].words & said_words
        and amount.quantity is not None
    )
    if hit is not None and amount.words and not unnamed and not _shared(hit[1], amount, ps, qns):
        p = hit[1]
        return Resolved(q, p.text, q * p.grams / p.qty)
    if amount.quantity is not None and not (said_words and said_words <= _UNSIZED):
        p_count = _count_default(ps, frozenset() if unnamed else food_words | _kind(food), unnamed)
        if p_count is not None and not _shared(p_count, amount, ps, qns):
            return Resolved(q, p_count.text, q * p_count.grams / p_count.qty)
    if qns is not None:
        return Resolved(q, qns.text, q * qns.grams)
    if ps:
        return Resolved(q, ps[0].text, q * ps[0].grams / ps[0].qty)
    return Resolved(q, "serving", q * 100.0)
