"""Deterministic meal-text parser: "2 eggs n toast" -> USDA foods, grams and nutrients.

Pipeline: normalise the text; cut it into items where an amount starts ("a", "2", "75 g", "some");
read each item's amount (quantity, unit, the words of the measure); match its food words to a food
with :class:`FoodIndex`; words after a joiner ("with", "and", ",", "topped", ...) either make the
match better (then they belong to it: "peanut butter and jelly sandwich"), name a food of their own
(a new item with no amount), or are dropped. Grams come from the food's own portions
(:mod:`app.foods.units`).

Two contexts: a meal prefers USDA FNDDS foods as eaten and their portions, an ingredient (recipes,
inventory, receipts) prefers SR28 raw foods; each falls back to the other source.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import math
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.foods import lexicon
from app.foods.dataset import (
    NUTRIENT_FIELDS,
    FoodRecord,
    NutrientValues,
    load_fndds_foods,
    load_usda_foods,
)
from app.foods.matcher import FoodIndex, Match, participle, stem, unspecified, words
from app.foods.units import Amount, has_measure, names_portion, number, resolve

__all__ = [
    "Context",
    "ExtractedItem",
    "FoodIndex",
    "ParseResult",
    "ParsedItem",
    "default_index",
    "default_index_async",
    "parse",
    "resolve_items",
]

Context = Literal["meal", "ingredient"]
_PREFER: dict[str, str] = {"meal": "fndds", "ingredient": "sr28"}

# A food whose best match scores below this is reported as unmatched rather than guessed.
MIN_SCORE = 0.34
# A phrase with no amount of its own must name a food this well to become an item.
_STANDALONE = 0.8
# How much of a joined phrase's score may be given up for a food that covers both parts.
_JOIN_SLACK = 0.12
# A joined phrase must be covered this well by one food to stay one item.
_JOINED = 0.75
# How much fit a food may give up for having the portion the text names.
_MEASURE_SLACK = 0.15
# How much of a food's name the same food in the other source must cover.
_KIN = 0.6
# How much less of the text the preferred source's food may cover and still be preferred.
_FALLBACK = 0.05
# How much more of its description the preferred source's food may leave unsaid.
_UNSAID_SLACK = 0.5
# Foods within this much of the best score are a tie the food said before may break.
_CONTEXT_TIE = 0.01
# A food is "named" by a phrase when at most this share of its description went unsaid.
_NAMED = 0.4

# "g2", "v8": a number glued after letters is part of a name, not an amount.
_TOKEN_RE = re.compile(
    r"[a-z]+\d+\b|\d+ \d+/\d+|\d+/\d+|\d*\.\d+%?|\d+%?|[a-z]+(?:'[a-z]+)?|[,;.!?:]"
)
_PUNCT = frozenset(",;.!?:")
_UNITS = frozenset(lexicon.MASS_G) | frozenset(lexicon.VOLUME_ML)
_SIZES = frozenset({"inch", "inches", "calorie", "calories", "cm"})
# Words the parser reads as English, never as a food word left unread.
_ENGLISH = frozenset().union(
    lexicon.FILLER, lexicon.SOFT, lexicon.JOINERS, lexicon.MEAL_WORDS, lexicon.NUMBER_WORDS,
    lexicon.WEIGHING, lexicon.PREPOSITIONS, lexicon.VESSEL_ML, _UNITS
)  # fmt: skip
_NEGATIONS = frozenset({"without", "no", "minus", "except"})
_SOFT_NONE = lexicon.SOFT | {None}
_BRACKETS = re.compile(r"\([^)]*\)")
# Letters NFKD does not take apart into a letter and its accent ("kiełbasa", "bœuf", "smør").
_FOLD = str.maketrans({"’": "'", "⁄": "/", "&": " and ", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe"})


@dataclass
class ParsedItem:
    text: str
    food: FoodRecord
    quantity: float
    unit: str
    grams: float
    nutrients: dict[str, float]
    confidence: float
    alternatives: list[FoodRecord] = field(default_factory=list)


@dataclass
class ParseResult:
    text: str
    items: list[ParsedItem]
    unmatched: list[str]
    totals: dict[str, float]


@dataclass
class ExtractedItem:
    food: str
    quantity: float | None = None
    unit: str | None = None


def _all_foods() -> tuple[FoodRecord, ...]:
    return (*load_fndds_foods(), *load_usda_foods())


@functools.cache
def _build_default_index() -> FoodIndex:
    return FoodIndex(_all_foods())


# The API builds the index in the background after it starts answering (a second and more of
# CPU): a caller arriving mid-build waits for that build instead of starting a second one.
_index_lock = threading.Lock()


def default_index() -> FoodIndex:
    with _index_lock:
        return _build_default_index()


async def default_index_async() -> FoodIndex:
    """The index, awaited off the event loop while the start-up build is still running."""
    if _build_default_index.cache_info().currsize:
        return _build_default_index()
    return await asyncio.to_thread(default_index)


# --- text to tokens --------------------------------------------------------------------------


def _normalise(text: str) -> list[str]:
    t = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)  # "ß": "ss"
    t = "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch))
    t = re.sub(r"\bfl(?:uid)?\.? ?(?:oz|ounces?)\b\.?", " floz ", t)
    t = re.sub(r"(\d)\s*-\s*(?=[a-z])", r"\1 ", t)  # "20-ounce", "6-inch"
    t = re.sub(r"(\d)-(?=\d+/\d)", r"\1 ", t)  # "2-3/4": two and three quarters
    t = re.sub(r"(\d)(?=[a-z])", r"\1 ", t)  # "75g"
    t = re.sub(r"(\d+(?:\.\d+)?)\s*(?:-|to)\s*(\d+(?:\.\d+)?)(?![\d/%])", _mid, t)  # "2-3"
    # "chocolate-coated nuts", "meat-filled": a participle glued to a word is an adjective of
    # the food, not a joiner; its stem ("coat") joins nothing and matches the same foods.
    # "a two-patty burger": one burger with twice the part, as "a double" says.
    t = re.sub(r"\b(an?) (two|2|three|3)-(?=[a-z])", _multiple, t)
    t = re.sub(r"(?<=[a-z])-([a-z]+)", lambda m: " " + _unjoined(m[1]), t)
    t = re.sub(r"\b(?:a |one )?half (?:a |an |of an? )", " 0.5 ", t)
    t = re.sub(r"\b(\d+|one|two|three) and a half\b", lambda m: f" {_value(m[1]) + 0.5:g} ", t)
    # "a cup and a half of rice", "a bagel and a half."
    t = re.sub(
        r"\b(an?|one|two|three|\d+) ([a-z]+) and a half\b(?= of\b|\s*[,.;!?]|\s*$)", _and_half, t
    )
    # "three quarters of a cup", "a third of a cup": a fraction of the measure after it.
    t = _FRACTION_RE.sub(_fraction, t)
    return [tok.replace("'s", "").replace("'", "") for tok in _TOKEN_RE.findall(t)]


def _fuse_names(toks: list[str], index: FoodIndex) -> list[str]:
    """ "half and half": a name of the food data made of number words is read as the one word
    the index knows it by, not as numbers. Other words are respelled ("mac": "macaroni")."""
    said, toks = toks, []
    for t in said:
        if t in lexicon.SPELLING and not _said_with(toks[-1:], t, index):
            toks += lexicon.SPELLING[t].split()
        else:
            toks.append(t)
    names = index.number_names
    sizes = sorted({len(n) for n in names}, reverse=True)
    out: list[str] = []
    i = 0
    while i < len(toks):
        if toks[i] in lexicon.NUMBER_WORDS:
            hit = next((n for n in sizes if tuple(toks[i : i + n]) in names), 0)
            if hit:
                out.append(names[tuple(toks[i : i + hit])])
                i += hit
                continue
        out.append(toks[i])
        i += 1
    return out


def _said_with(before: list[str], word: str, index: FoodIndex) -> bool:
    """Whether a food has the word with the word said before it, and none has the respelling
    with it ("rice porridge" is congee, "rice porridge or gruel"; no food is rice oatmeal)."""
    if not before or not before[0].isalpha():
        return False
    b, to = stem(before[0]), lexicon.SPELLING[word].split()
    target = stem(to[-1])
    return (
        index.knows(target)  # a food's word, not English ("n": "and")
        and index.together(b, stem(word))
        and not index.together(b, target)
    )


_MULTIPLES = {"two": "double", "2": "double", "three": "triple", "3": "triple"}


def _multiple(m: re.Match[str]) -> str:
    return f"{m[1]} {_MULTIPLES[m[2]]} "


def _and_half(m: re.Match[str]) -> str:
    return f" {_value(m[1]) + 0.5:g} {m[2]} "


_PARTS = {"third": 3, "quarter": 4, "fourth": 4}
# Before "of" or a unit: "a quarter pounder" is a burger.
_FRACTION_RE = re.compile(
    rf"\b(an?|one|two|three) (third|quarter|fourth)s?"
    rf"(?: of(?: an?\b)?|(?= (?:{'|'.join(sorted(_UNITS))})\b))"
)


def _fraction(m: re.Match[str]) -> str:
    return f" {_value(m[1]) / _PARTS[m[2]]:g} "


def _unjoined(word: str) -> str:
    return stem(word) if word in lexicon.JOINERS and word.endswith("ed") else word


def _mid(m: re.Match[str]) -> str:
    return f"{(float(m[1]) + float(m[2])) / 2:g}"


def _value(tok: str) -> float:
    return float(lexicon.NUMBER_WORDS.get(tok) or number(tok.rstrip("%")))  # no word is 0


def _is_number(tok: str) -> bool:
    # "g2" starts with a letter: a name ("Gatorade G2"), not a number.
    return tok[:1] in "0123456789." and any(c.isdigit() for c in tok) and not tok.endswith("%")


def _is_quantity(tok: str) -> bool:
    return _is_number(tok) or tok in lexicon.NUMBER_WORDS


# A scene opens with an article or one of these ("for my lunch"); after an article, one of them
# or a preposition ends the phrase ("a bagel for breakfast": the scene is "for breakfast").
_ARTICLES = frozenset({"a", "an", "my", "our", "the", "this"})
_SCENE_STARTS = frozenset({"for", "at", "during", "as"})


def _drop_scene(toks: list[str], pairs: frozenset[tuple[str, str]]) -> list[str]:
    """Removes "for breakfast", "as a quick snack", "during my lunch break": when, not what."""
    out: list[str] = []
    i = 0
    while i < len(toks):
        j, ends = i, (_SCENE_STARTS | lexicon.PREPOSITIONS if toks[i] in _ARTICLES else ())
        while j < len(toks) and j - i < 4 and toks[j] not in lexicon.MEAL_WORDS:
            if toks[j] in _PUNCT or _is_number(toks[j]) or toks[j] in ends:
                break
            j += 1
        if (
            j < len(toks)
            and toks[j] in lexicon.MEAL_WORDS
            and (j == 0 or (toks[j - 1], toks[j]) not in pairs)  # "a gelatin dessert": a food
            and (j == i or toks[i] in _ARTICLES or toks[i] in _SCENE_STARTS)
        ):
            k = j + 1
            while k < len(toks) and toks[k] in lexicon.MEAL_WORDS:
                k += 1
            nxt = toks[k] if k < len(toks) else ","
            if nxt in _PUNCT or nxt in lexicon.FILLER or nxt in lexicon.JOINERS or nxt == "i":
                i = k
                continue
        out.append(toks[i])
        i += 1
    return out


_SUMMING = frozenset({"total", "altogether", "overall"})


def _drop_sums(toks: list[str]) -> list[str]:
    """ "..., two fruits in total": a clause ending in a sum restates the foods said before it,
    it adds none."""
    out: list[str] = []
    for i, t in enumerate(toks):
        if t in _SUMMING and (i + 1 == len(toks) or toks[i + 1] in _PUNCT):
            cut = max((k for k, w in enumerate(out) if w in _PUNCT), default=-1)
            if cut > 0 and _has_words(out[:cut]):
                del out[cut:]
                continue
        out.append(t)
    return out


# --- items -----------------------------------------------------------------------------------


@dataclass
class _Piece:
    """A run of words between joiners. ``kind``: "new" starts an item with ``amount``; "cont"
    follows a joiner ("with", ",", "and"): part of the item, a food of its own, or nothing;
    "attach" can only be part of the item before ("from a fast food place", "which is a ...");
    "with" is part of it if one food has both ("... with a waffle cone"), else a food of its own;
    "weight" gives the item before its amount ("..., weighing 120 g")."""

    kind: str
    toks: list[str]
    amount: Amount = field(default_factory=lambda: Amount(None))
    joiner: str | None = None


_COMPOSED = frozenset("made packed filled stuffed prepared topped".split())
# "indulging in", "snacked on": a verb of the scene before a preposition, not a food's part.
_EATING = frozenset(w for w in lexicon.FILLER if w.endswith(("ing", "ed")))


def _bare_measures(toks: list[str], measure_words: frozenset[str]) -> list[str]:
    """ "cup of tea", "glass of milk": a measure said with no number is one of it, read as "a"
    would be read ("a cup of tea")."""
    out: list[str] = []
    for i, t in enumerate(toks):
        if (
            i + 1 < len(toks)
            and toks[i + 1] == "of"
            and t.isalpha()
            and (t in _UNITS or t in lexicon.VESSEL_ML or stem(t) in measure_words)
            and t not in lexicon.NUMBER_WORDS
            # Said as an item of its own (first, after a comma, "and" or a verb), not inside a
            # described measure ("a small single serving bag of") nor as a part ("with chunks of").
            and (
                i == 0
                or toks[i - 1] in _PUNCT
                or toks[i - 1] in {"and", "plus"}
                or toks[i - 1] in lexicon.FILLER
            )
            and not _after_quantity(toks, i)
        ):
            out.append("a")
        out.append(t)
    return out


def _pieces(toks: list[str], containers: frozenset[str] = frozenset()) -> list[_Piece]:
    starts = [i for i, t in enumerate(toks) if _is_quantity(t) and not _after_quantity(toks, i)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    out: list[_Piece] = []
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else len(toks)
        part = toks[s:e]
        if not part:
            continue
        lead = [t for t in toks[max(0, s - 3) : s] if t not in _PUNCT]
        if _is_quantity(part[0]):
            amount, rest = _read_amount(part)
        else:
            amount, rest = Amount(None), part
        chunks = _chunks(rest)
        kind = "new" if amount.quantity is not None else "cont"
        said = [t for t in chunks[0].toks if t.isalpha() and t not in lexicon.FILLER]
        # "a soda in a 12 fl oz can": a measured container after "in" weighs the food before.
        container = amount.unit is not None and lead[-1:] in (["in"], ["from"]) and bool(said)
        if (container and all(stem(t) in containers or t in lexicon.VESSEL_ML for t in said)) or (
            not said
            and (
                any(t in lexicon.WEIGHING for t in lead[-2:])  # "measuring just an ounce"
                # "chicken breast 200 g with rice": a weight right after the food's words.
                or (
                    amount.unit is not None
                    and lead
                    and lead[-1].isalpha()
                    and s > 0
                    and toks[s - 1] == lead[-1]
                    and lead[-1] not in lexicon.JOINERS
                    and lead[-1] not in lexicon.FILLER
                )
            )
        ):
            kind = "weight"
        elif (
            amount.unit is None
            # "on a can of cola" measures a food; "on a bun", "from a fast food place" do not.
            and not [w for w in amount.words if w not in lexicon.SOFT]
            and (
                # "which is a ...", "which included half a breast", "known as": the food before.
                bool({*lead[-2:-1]} & {"which", "that", "known"})
                or (
                    # "a hot dog made with a beef frankfurter": what the food is made of.
                    bool(
                        ({*lead[-1:]} & lexicon.PREPOSITIONS and not {*lead[-2:-1]} & _EATING)
                        or (lead[-1:] == ["with"] and {*lead[-2:-1]} & _COMPOSED)
                    )
                    and part[0] in {"a", "an", "the", "some"}
                    and not any(_is_number(t) for t in part[:4])
                )
            )
        ):
            kind = "attach"
        elif lead[-1:] == ["for"] and part[0] in {"a", "an", "the"} and amount.unit is None:
            # "for a sweet finish", "for an energy boost": why it was eaten, not what.
            kind = "purpose"
        elif kind == "new" and lead[-1:] == ["with"] and not {*lead[-2:-1]} & lexicon.JOINERS:
            # Not after "paired with", "along with": a food of its own.
            kind = "with" if amount.unit is None and not set(amount.words) - lexicon.SOFT else kind
        out.append(_Piece(kind, chunks[0].toks, amount, joiner=lead[-1] if lead else None))
        out += [_Piece("cont", c.toks, joiner=c.joiner) for c in chunks[1:]]
    return out


def _after_quantity(toks: list[str], i: int) -> bool:
    """Whether a number continues an amount already started ("a 20 oz bottle", "a tasty 75 g",
    "209 g of a juice drink")."""
    j = i - 1
    while (
        j >= 0
        and not _is_quantity(toks[j])
        and (toks[j] in lexicon.FILLER or toks[j] in lexicon.SOFT or toks[j] in _UNITS)
    ):
        j -= 1
    return j >= 0 and _is_quantity(toks[j])


def _has_words(toks: list[str]) -> bool:
    return any(t.isalpha() and t not in lexicon.FILLER and t not in _PUNCT for t in toks)


def _read_amount(part: list[str]) -> tuple[Amount, list[str]]:
    i = 0
    nums: list[float] = []
    while i < len(part) and (
        _is_quantity(part[i]) or (nums and (part[i] in lexicon.FILLER or part[i] in lexicon.SOFT))
    ):
        if _is_quantity(part[i]):
            nums.append(_value(part[i]))
        i += 1
    # Size words read between the quantities ("a small 12 oz") are also food words: put back.
    skipped = [t for t in part[:i] if not _is_quantity(t) and t in lexicon.SOFT]
    q = nums[0]
    unit: str | None = None
    words: list[str] = list(skipped)
    if i < len(part) and part[i] in _UNITS:
        if len(nums) > 1:
            # "a 20 fl oz bottle", "two 12 oz cans", "2 100 g cups": the container's size
            # is the amount.
            q, unit = nums[0] * nums[-1], part[i]
        else:
            q, unit = nums[-1], part[i]
        i += 1
    elif i < len(part) and part[i] in _SIZES and len(nums) > 1:
        # "a 10 inch tortilla", "a 100 calorie pack": the number says which size, not how many;
        # the size in calories names a portion ("1 100 calorie package").
        q = math.prod(nums[:-1])
        words += [f"{nums[-1]:g}", part[i]] if part[i].startswith("calorie") else []
        i += 1
    elif len(nums) > 1 and part[1] in _MULTIPLES.values() and i < len(part):
        # "a double cheeseburger", "a triple scoop": one food, said bigger.
        q, words = nums[0], [*words, part[1]]
    elif len(nums) > 1:
        q = nums[-1] if nums[0] == 1 else nums[0] * nums[-1]
    # The measure runs to "of" when one comes soon ("a small single serving bag of").
    j = i
    while j < len(part) and j - i <= 5 and part[j] not in _PUNCT and part[j] not in {"and", "with"}:
        if part[j] == "of":
            words += [t for t in part[i:j] if t not in lexicon.FILLER]
            i = j + 1
            break
        j += 1
    if unit is None:
        unit = next((w for w in words if w in _UNITS and not w[0].isdigit()), None)
    return Amount(q, unit, tuple(words)), part[i:]


def _next_word(toks: list[str], i: int) -> str | None:
    """The word after toks[i], past fillers and adverbs ("sweetened perfectly with")."""
    for t in toks[i + 1 : i + 4]:
        if t not in lexicon.FILLER and not t.endswith("ly"):
            return t
    return None


@dataclass
class _Chunk:
    joiner: str | None
    toks: list[str]


def _chunks(toks: list[str]) -> list[_Chunk]:
    out: list[_Chunk] = [_Chunk(None, [])]
    for i, t in enumerate(toks):
        if t in lexicon.JOINERS and t.endswith("ed") and not out[-1].toks and len(out) == 1:
            out[-1].toks.append(t)  # "2 cups cooked rice": a participle before the food
        elif (
            t in _PUNCT
            or t in lexicon.JOINERS
            or t in _NEGATIONS
            # "tea sweetened with honey": a participle before "with" joins like "topped".
            or (t.endswith("ed") and _next_word(toks, i) == "with")
        ):
            out.append(_Chunk(t, []))
        else:
            out[-1].toks.append(t)
    return [c for c in out if c.toks or c is out[0]]


class _Reader:
    def __init__(self, index: FoodIndex, extra: Sequence[FoodRecord], context: str) -> None:
        self.index = index
        self.extra = extra
        self.prefer = _PREFER.get(context, "fndds")

    def query(self, toks: Sequence[str]) -> tuple[list[str], frozenset[str]]:
        q: list[str] = []
        for t in toks:
            if t in lexicon.FILLER or t in lexicon.NUMBER_WORDS or t in _UNITS or _is_number(t):
                continue
            w = self.index.correct(t) or (stem(t) if self.extra else None)
            if w:
                q.append(w)
        named = self.index.soft_names
        soft = {
            stem(t)
            for i, t in enumerate(toks)
            if t in lexicon.SOFT and tuple(toks[i : i + 2]) not in named
        }
        return q, frozenset(soft)

    def nouns(self, toks: Sequence[str]) -> list[str]:
        return self.query([t for t in toks if not participle(t)])[0]

    def kin(self, food: FoodRecord, measure: list[str]) -> FoodRecord | None:
        """The same food in the other source (found by its name), if it has the measure said."""
        other = "sr28" if getattr(food, "source", "") == "fndds" else "fndds"
        name = re.sub(r"\([^)]*\)", " ", unspecified(food.name)[0])
        for m in self.index.match(words(name), prefer=other, limit=5):
            if (
                getattr(m.food, "source", "") == other
                and m.coverage >= _KIN
                and has_measure(m.food, measure)
            ):
                return m.food
        return None

    def _preferred_first(self, matches: list[Match]) -> list[Match]:
        """The preferred source's best food wins when it covers what was said about as well
        as the other source's; the other source is the fallback, not a competitor."""
        if not matches or getattr(matches[0].food, "source", "custom") == "custom":
            return matches
        if getattr(matches[0].food, "source", "") == self.prefer:
            # ... unless only the other source names it ("sugar": "Sugar, NFS", not brown).
            first = matches[0]
            for k, m in enumerate(matches[1:], 1):
                if (
                    m.named
                    and m.coverage >= first.coverage
                    and m.unsaid <= first.unsaid - _NAMED
                    and m.score >= first.score - 2 * _FALLBACK
                ):
                    return [m, *matches[:k], *matches[k + 1 :]]
            return matches
        top = matches[0].coverage
        for k, m in enumerate(matches):
            if (
                getattr(m.food, "source", "") == self.prefer
                and m.coverage >= top - _FALLBACK
                and m.score >= matches[0].score - 2 * _FALLBACK
                # Not a food that leaves much more unsaid ("milk": dry milk vs "Milk, NFS").
                and m.unsaid <= matches[0].unsaid + _UNSAID_SLACK
            ):
                return [m, *matches[:k], *matches[k + 1 :]]
        return matches

    def measure_first(self, amount: Amount, toks: list[str]) -> tuple[Amount, list[str]]:
        """ "1 head cauliflower", "2 slices bread": measure words said before the food."""
        k = 0
        while k < len(toks) - 1 and (
            stem(toks[k]) in self.index.measure_words or toks[k] in lexicon.VESSEL_ML
        ):
            k += 1
        if not k:
            if amount.words and (amount.words[-1], *toks[:1]) in self.index.soft_names:
                # "a hot chocolate": a soft word that begins the food's name is the name's.
                return Amount(amount.quantity, amount.unit, amount.words[:-1]), [
                    amount.words[-1],
                    *toks,
                ]
            return amount, toks
        return Amount(amount.quantity, amount.unit, (*amount.words, *toks[:k])), toks[k:]

    def best(
        self,
        toks: Sequence[str],
        measure: Sequence[str] = (),
        head: int | None = None,
        context: Sequence[str] = (),
    ) -> list[Match]:
        """The best foods for the words; ``head``: how many of the first words are the food
        the rest describe ("pizza" + "with meat"); by default all. ``context``: the words of
        the food said before, which may break a tie (see _in_context)."""
        q, soft = self.query(toks)
        if not q:
            return []
        # Words that may name the food, the one naming it last: not a participle ("salted",
        # "snacked": how it is, or what was done); the head's after the rest's.
        nouns = None  # the words said, in order (the matcher's default)
        if head is not None or any(map(participle, toks)):
            cut = len(toks) if head is None else head
            nouns = (*self.nouns(toks[cut:]), *self.nouns(toks[:cut]))
        mq, _ = self.query(measure)
        # Words of the measure ("a splash of", "a bottle of", "3 strips of") help a food that
        # has them and cost nothing otherwise: they say how much, the food words say which.
        soft = soft | frozenset(mq) | frozenset(stem(t) for t in measure if t in _UNITS)
        measured = frozenset(w for w in mq if w not in q)
        q += [w for w in mq if w not in q]
        matches = self.index.match(
            q,
            soft=soft,
            measure=measured,
            prefer=self.prefer,
            extra=self.extra,
            limit=15,
            nouns=nouns,
        )
        matches = self._preferred_first(matches)
        matches = _measured_first(matches, [stem(t) for t in measure if t.isalpha()])
        around = {w for w in self.query(context)[0] if w not in q} if context else set()
        return _in_context(matches, around) if around else matches


def _scaled(food: FoodRecord, grams: float) -> dict[str, float]:
    f = grams / 100.0
    if isinstance(food.nutrients, NutrientValues):
        return food.nutrients.scaled(f)  # the same values, without the Mapping protocol
    return {k: (v * f if v is not None else 0.0) for k, v in food.nutrients.items()} | {
        k: 0.0 for k in NUTRIENT_FIELDS if food.nutrients.get(k) is None
    }


def _totals(items: Sequence[ParsedItem]) -> dict[str, float]:
    return {k: sum(it.nutrients.get(k, 0.0) for it in items) for k in NUTRIENT_FIELDS}


def _make(
    text: str, matches: list[Match], amount: Amount, food_toks: list[str], rd: _Reader
) -> ParsedItem:
    best = matches[0]
    food_words = tuple(stem(t) for t in food_toks if t.isalpha())
    full = Amount(amount.quantity, amount.unit, amount.words, food_words)
    r = resolve(best.food, full)
    measure = [stem(t) for t in amount.words if t.isalpha() and t not in _UNITS]
    if measure and amount.unit is None and not has_measure(best.food, measure):
        # "1 head cauliflower": the food as eaten has no head; the same food in the other
        # source may have one (SR28 household measures), and its weight is the head's weight.
        kin = rd.kin(best.food, measure)
        if kin is not None:
            r = resolve(kin, full)
    return ParsedItem(
        text=text,
        food=best.food,
        quantity=r.quantity,
        unit=r.unit,
        grams=r.grams,
        nutrients=_scaled(best.food, r.grams),
        confidence=max(0.0, min(1.0, best.score)),
        alternatives=[m.food for m in matches[1:4]],
    )


def _measured_first(matches: list[Match], measure: list[str]) -> list[Match]:
    """Among foods that fit about as well, the one that has the measure said ("a can of cola":
    the soft drink sold in cans, not the cocktail)."""
    if not matches or not measure:
        return matches
    top = matches[0].score
    for k, m in enumerate(matches):
        if m.score < top - _MEASURE_SLACK:
            break
        if has_measure(m.food, measure):
            return [m, *matches[:k], *matches[k + 1 :]]
    return matches


def _in_context(matches: list[Match], around: set[str]) -> list[Match]:
    """Among foods that fit all but equally, the first whose name has all the words of the
    food said before (two or more): the same food in another form ("vanilla ice cream and a
    waffle cone": the vanilla ice cream waffle cone). Not a word of it: "chocolate" of a candy
    says nothing of the cola after it."""
    if not matches or len(around) < 2 or around <= set(words(matches[0].food.name)):
        return matches
    top = matches[0].score
    for k, m in enumerate(matches[1:], 1):
        if m.score < top - _CONTEXT_TIE:
            break
        if around <= set(words(m.food.name)):
            return [m, *matches[:k], *matches[k + 1 :]]
    return matches


def _unknown(toks: list[str], rd: _Reader, unmatched: list[str]) -> None:
    """Words neither the food data nor the parser's English knows ("brekkie") are reported, so
    a caller can tell a fully read text from a partly read one."""
    for t in toks:
        if (
            t.isalpha()
            and len(t) > 2
            and not t.endswith("ly")  # an adverb ("happily") says how, not what
            and t not in _ENGLISH
            and rd.index.correct(t) is None
            and not (rd.extra and any(t in f.name.lower() for f in rd.extra))
            and t not in unmatched
        ):
            unmatched.append(t)


def _standalone(pc: _Piece, rd: _Reader, first: bool = False) -> bool:
    """Whether words with no amount of their own name a food by themselves ("eggs and toast"):
    after a joiner that lists foods, every word known to the food data ("toast with my jam").
    A possessive begins a noun phrase as an article does, whatever joiner came before ("juice,
    the perfect match to my muffin"); "its", "their" name a part of the food before. The
    first food said follows any joiner ("a meal featuring fried fish": the meal was the scene)."""
    if pc.joiner not in _LISTING and pc.toks[:1] not in (["my"], ["our"], ["your"]) and not first:
        return False
    toks = pc.toks[:-1] if pc.toks[-1] in lexicon.PREPOSITIONS else pc.toks  # "fries from"
    content = [t for t in toks if t.isalpha() and t not in lexicon.FILLER]
    q, soft = rd.query(content)
    return bool(content) and len(q) == len(content) and any(w not in soft for w in q)


_LISTING = frozenset({None, ",", "and", "with", "plus", ";", "alongside"})
_POSSESSIVE = frozenset({"its", "their", "his", "her", "it", "them"})
_LISTING_ONLY = frozenset({"and", ",", "plus", ";"})


class _Item:
    def __init__(self, amount: Amount, toks: list[str], best: list[Match]) -> None:
        self.amount, self.toks, self.best = amount, toks, best
        self.composed = False
        self.described = False  # "a sandwich: bread, ham and cheese": a list of its parts
        self.head: tuple[list[str], Match] | None = None  # its words and food before a join


def _read(pieces: list[_Piece], rd: _Reader, items: list[ParsedItem], unmatched: list[str]) -> None:
    cur: _Item | None = None
    pending: list[str] = []  # words no item took yet: "SPINACH BABY 300 g" weighs them
    # Phrases no item took, with the item they came after: reported as unmatched at the end
    # unless a later weight makes them an item.
    dropped: list[tuple[list[str], _Item | None]] = []
    for pc in pieces:
        if pc.kind == "weight":
            if cur is not None:
                cur.amount = pc.amount
            elif pending:
                dropped = [d for d in dropped if d[0] is not pending]
                cur = _Item(pc.amount, pending, rd.best(pending))
            continue
        if pc.kind == "purpose":
            if cur is not None:
                continue
            pc.kind = "new"  # "I opted for a bagel": the first food, after a verb
        if pc.kind == "cont" and cur is None:
            pending = pc.toks
        _unknown(pc.toks, rd, unmatched)
        if cur is not None and _sizes(pc, cur):
            # "oatmeal made from one dry packet", "from 1 oz dry": the amount of the food
            # before, in one of its portions ("1 packet, dry, yields", "1 oz, dry, yields").
            cur.amount = Amount(pc.amount.quantity, None, tuple(_portion_words(pc)))
            continue
        if pc.kind in ("new", "with") and cur is not None and _restates(pc, cur, rd):
            continue
        if pc.kind == "with" and cur is not None and cur.best and _join(cur, pc, rd, []):
            continue
        if pc.kind == "new" and cur is not None and _weighs(pc, cur, rd):
            # "a juice box containing 6.75 fl oz of fruit juice drink": the food before, said
            # again with its weight and more of its name.
            cur = _Item(pc.amount, pc.toks, rd.best(pc.toks, pc.amount.words))
            continue
        if pc.kind in ("new", "with"):
            _emit(cur, items, unmatched, rd)
            amount, toks = rd.measure_first(pc.amount, pc.toks)
            before = cur.toks if cur is not None else ()
            cur = _Item(amount, toks, rd.best(toks, amount.words, context=before))
            continue
        if not _has_words(pc.toks):
            continue
        if cur is not None and not cur.best and cur.amount.quantity is not None:
            # "a cup of tender, diced chicken": the food comes after the first joiner.
            cur.toks, cur.best = list(pc.toks), rd.best(pc.toks, cur.amount.words)
            if cur.best and items and not {*cur.amount.words, cur.amount.unit} - _SOFT_NONE:
                # "a bottle of Ensure, a creamy and sugar-free nutritional shake": the food
                # before, said again in other words.
                nouns = rd.index.head_nouns(cur.best[0].food)
                cur = None if nouns and nouns == rd.index.head_nouns(items[-1].food) else cur
            continue
        if pc.joiner in _NEGATIONS:
            if cur is not None and cur.best:
                # "a burrito with beans, without meat", "chicken without skin": a food that
                # says the refusal ("skin not eaten", "meatless") or does not name it; never
                # one named with what was refused.
                q, soft = rd.query(pc.toks)
                no = {w for w in q if w not in soft}
                joined = rd.best([*cur.toks, *pc.toks], cur.amount.words, head=len(cur.toks))
                says = [m for m in joined if no & set(words(m.food.name)) - _affirmed(m.food.name)]
                keep = [m for m in cur.best if not no & _affirmed(m.food.name)]
                if says and says[0].coverage >= cur.best[0].coverage - _JOIN_SLACK:
                    cur.best = says
                elif keep and keep[0].coverage >= cur.best[0].coverage:
                    cur.best = keep
            continue
        own = rd.best(pc.toks)
        if cur is not None and pc.joiner == ":":
            cur.composed = cur.described = True
        if cur is not None and cur.best and _join(cur, pc, rd, own):
            continue
        if cur is not None and cur.best and (pc.kind == "attach" or cur.described):
            # "wrapped it in a tortilla": a food named after a preposition was eaten too,
            # unless the food before has it ("a sub in a roll").
            if not (
                pc.joiner in lexicon.PREPOSITIONS - {"from", "at"} | {"with"}
                and own
                and own[0].coverage >= _STANDALONE
                and _names(pc.toks, own[0], rd)
                and not rd.index.head_nouns(own[0].food) & _affirmed(cur.best[0].food.name)
            ):
                dropped.append((pc.toks, cur))
                continue
        if pc.kind == "attach" and pc.amount.quantity is not None:
            _emit(cur, items, unmatched, rd)
            cur = _Item(pc.amount, list(pc.toks), rd.best(pc.toks, pc.amount.words))
            continue
        # With no amount of their own, the words must name the food, not a part of it.
        listed = (
            cur is None  # "with my toast I drank": no food to be a part of
            or ((pc.joiner in _LISTING_ONLY or pc.joiner is None) and not cur.composed)
            # "2 fried eggs with toast": counted foods are whole; what comes with them
            # is a food of its own.
            or (
                pc.joiner == "with"
                and not cur.composed
                and cur.amount.quantity is not None
                and cur.amount.unit is None
                and not cur.amount.words
            )
        )
        if (
            own
            and own[0].coverage >= _STANDALONE
            and (
                _names(pc.toks, own[0], rd, listed=listed)
                # "toast and hot chocolate": listed, in the dish's own words (see _whole).
                or (listed and _whole(pc.toks, own[0], rd))
            )
            and _standalone(pc, rd, first=cur is None)
        ):
            _emit(cur, items, unmatched, rd)
            cur = _Item(Amount(None), list(pc.toks), own)
            continue
        dropped.append((pc.toks, cur))
    _emit(cur, items, unmatched, rd)
    for toks, owner in dropped:
        _unused(toks, owner, rd, unmatched)


def _join(cur: _Item, pc: _Piece, rd: _Reader, own: list[Match]) -> bool:
    """Whether one food covers both parts ("a bierock filled with ground beef and cabbage", "a
    burger on a wheat bun"): the food as eaten, not two foods; then ``cur`` is it. After "and"
    or a comma the words are more likely a food of their own ("eggs and toast"), unless a joiner
    such as "with" or "filled" already began the dish's parts."""
    joined = rd.best([*cur.toks, *pc.toks], cur.amount.words, head=len(cur.toks))
    if pc.joiner == "with" and getattr(cur.best[0].food, "source", "") == rd.prefer == "fndds":
        # "toast with butter" in a meal: a food as eaten with more of it is one too, or two
        # foods; not SR28's one ("Fast foods, french toast with butter"). (Ingredients prefer
        # SR28, which has few dishes: for them FNDDS's dishes stay candidates.)
        joined = [m for m in joined if getattr(m.food, "source", "custom") in (rd.prefer, "custom")]
    own_q, own_soft = rd.query(pc.toks)
    hard_own = [w for w in own_q if w not in own_soft]
    if joined and pc.joiner == "with" and cur.amount.quantity is not None and not cur.amount.unit:
        # "2 rotis with chicken curry": what was counted is a food the joined one must have.
        head_q, head_soft = rd.query(cur.toks)
        if not joined[0].covered & (set(head_q) - head_soft | cur.best[0].covered):
            return False
    listing = pc.joiner in _LISTING_ONLY and not cur.composed
    if not (
        joined
        # "pancakes with syrup" are not pancake syrup: the pancakes say what it is for.
        and not (pc.joiner == "with" and rd.index.made_for(joined[0], rd.nouns(cur.toks), cur.best))
        and joined[0].coverage >= max(_JOINED, cur.best[0].coverage - _JOIN_SLACK)
        and len(joined[0].covered & set(hard_own)) * 2 >= len(hard_own) > 0
        and not (
            listing
            and own
            # "macaroni and cheese": a food named by just these words is the dish.
            and not joined[0].named
            and (
                (joined[0].score < own[0].score - _JOIN_SLACK and joined[0].unsaid > _NAMED)
                # "eggs and toast": a food that fits worse than each part alone is not the
                # two foods said.
                or joined[0].score < min(own[0].score, cur.best[0].score)
            )
        )
    ):
        return False
    cur.head = cur.head or (None if listing else (cur.toks, cur.best[0]))
    cur.toks, cur.best = [*cur.toks, *pc.toks], joined
    cur.composed = cur.composed or not listing
    return True


def _unused(toks: list[str], owner: _Item | None, rd: _Reader, unmatched: list[str]) -> None:
    """Food words of a phrase no item took ("2 eggs n toast" when toast names no food well
    enough) are reported, never silently dropped; words the food before already has ("with its
    peel" of an apple with peel, not "with my toast") are part of that food."""
    if set(toks) & _POSSESSIVE:
        return  # "with its peel": a part of the food before, not a food left out
    have: frozenset[str] = frozenset()
    if owner is not None and owner.best:
        food = owner.best[0].food
        have = _food_words(food.name, getattr(food, "additional", None))
    said = [
        t
        for t in toks
        if t.isalpha()
        and t not in _ENGLISH
        and (w := rd.index.correct(t)) is not None
        and w not in have
        and w not in rd.index.measure_words
    ]
    phrase = " ".join(said)
    if said and not set(said) & set(unmatched) and phrase not in unmatched:
        unmatched.append(phrase)


@functools.lru_cache(maxsize=4096)
def _affirmed(name: str) -> frozenset[str]:
    """The words a food's name says it has: not "filling" of "no filling", "skin" of "skin not
    eaten", "sugar" of "sugar free"."""
    out: set[str] = set()
    for part in re.split(r"[,;]", name):
        ws = words(part)
        out.update(
            w
            for i, w in enumerate(ws)
            if not (i and ws[i - 1] in _NAME_NEGATIONS)
            and not (i + 1 < len(ws) and ws[i + 1] in {"not", "fre"})
        )
    return frozenset(out)


_NAME_NEGATIONS = frozenset({"no", "without", "non"})


def _sizes(pc: _Piece, cur: _Item) -> bool:
    """Whether a counted phrase after "from" is a portion of the food before, said in that
    portion's own words, not another food."""
    return (
        bool(cur.best)
        and pc.joiner == "from"
        and pc.amount.quantity is not None
        and cur.amount.unit is None
        and bool(_content(pc.toks))
        and names_portion(cur.best[0].food, _portion_words(pc))
    )


def _portion_words(pc: _Piece) -> list[str]:
    """ "one dry packet": "dry", "packet"; "1 oz dry": "oz", "dry"."""
    return [*([pc.amount.unit] if pc.amount.unit else []), *_content(pc.toks)]


def _content(toks: list[str]) -> list[str]:
    return [t for t in toks if t.isalpha() and t not in lexicon.FILLER and t not in lexicon.SOFT]


def _restates(pc: _Piece, cur: _Item, rd: _Reader) -> bool:
    """ "a cheeseburger on a wheat bun with a medium patty", "a hot dog made with a beef
    frankfurter": a counted phrase whose every food word the food before already has is a
    part of that food, not another one."""
    if not cur.best or pc.amount.unit is not None:
        return False
    q, soft = rd.query(pc.toks)
    hard = [w for w in q if w not in soft]
    food = cur.best[0].food
    return bool(hard) and set(hard) <= _food_words(food.name, getattr(food, "additional", None))


def _weighs(pc: _Piece, cur: _Item, rd: _Reader) -> bool:
    """Whether a measured phrase after "containing"/"holding" restates the food before: every
    food word of the food before is said again ("a salad with 20 g of salad dressing" is two)."""
    if pc.joiner not in _CONTAINING or pc.amount.unit is None or cur.amount.unit is not None:
        return False
    before, soft = rd.query(cur.toks)
    after, _ = rd.query(pc.toks)
    hard = {w for w in before if w not in soft} - rd.index.measure_words
    return bool(hard) and hard <= set(after)


_CONTAINING = frozenset({"containing", "holding"})


@functools.lru_cache(maxsize=4096)
def _food_words(name: str, additional: str | None) -> frozenset[str]:
    return frozenset(words(f"{name} {additional or ''}"))


def _names(toks: list[str], m: Match, rd: _Reader, listed: bool = False) -> bool:
    """Whether words name the food rather than a part of it or a frame of the sentence ("a
    sweet finish", "melted cheese" of garlic bread): by its description; but for its kind
    ("wheat toast" is "Bread, wheat, toasted", a yeast bread); by one of the names USDA lists
    ("a lollipop" is hard candy)."""
    q, soft = rd.query(toks)
    said = {w for w in q if w not in soft}
    if m.named or m.unsaid <= _NAMED:
        return True
    # "half and half": a whole part of the food's name, one word in the index.
    if said & m.covered & set(rd.index.number_names.values()):
        return True
    # One word names a food by its kind only when it is listed as a food of its own ("eggs and
    # toast"); after "with" it is more often a part of the food before ("with cheese"); and
    # "flaked", "drenched" say what was done to a food, not which.
    content = [t for t in toks if t.isalpha() and t not in lexicon.FILLER]
    if (
        len(said) >= 2 or (listed and not all(map(participle, content)))
    ) and rd.index.named_but_kind(m, _NAMED):
        return True
    also = re.split(r";|\(|\)", getattr(m.food, "additional", None) or "")
    return any(said and set(words(a)) == said for a in also)


def _specific(m: Match, rd: _Reader) -> bool:
    """ "a cola" ("Soft drink, cola"), "a roti" ("Bread, chapati or roti"): the words said are
    the whole of (one alternative of) the part of the description that says which of its kind."""
    parts = _BRACKETS.sub(" ", unspecified(m.food.name)[0]).split(",")
    said = set(m.covered) - rd.index.measure_words
    return len(parts) > 1 and any(said == set(words(a)) for a in parts[1].split(" or "))


def _whole(toks: list[str], m: Match, rd: _Reader) -> bool:
    """ "a tuna sandwich": two or more words said, every one the food's, the last its noun or
    the word that makes its noun a compound ("chicken wrap": "Chicken fillet wrap sandwich")."""
    q, soft = rd.query(toks)
    said = [w for w in q if w not in soft]
    if len(said) < 2 or m.coverage < 1 - 1e-9:
        return False
    nouns = rd.index.head_nouns(m.food)
    head = words(_BRACKETS.sub(" ", m.food.name).split(",")[0])
    compound = any(a == said[-1] and b in nouns for a, b in itertools.pairwise(head))
    return said[-1] in nouns or compound


def _emit(cur: _Item | None, items: list[ParsedItem], unmatched: list[str], rd: _Reader) -> None:
    if cur is None or (
        # "chicken, noodles, and vegetables baby food": the food before, told again.
        cur.amount.quantity is None and cur.best and items and items[-1].food is cur.best[0].food
    ):
        return
    text = " ".join(cur.toks)
    # A bare count ("a", "2") with no measure must be followed by words that name a food.
    # (Words with no amount at all were checked when they became an item.)
    bare = (
        cur.amount.quantity is not None
        and cur.amount.unit is None
        and not set(cur.amount.words) - lexicon.SOFT
    )
    if (
        cur.best
        and cur.best[0].coverage >= MIN_SCORE
        and (
            not bare
            or _names(cur.toks, cur.best[0], rd)
            or _specific(cur.best[0], rd)
            or _whole(cur.toks, cur.best[0], rd)
            # "a burger on a bun": the food the count named, told more of by the words joined
            or (cur.head is not None and _names(*cur.head, rd))
        )
    ):
        items.append(_make(text, cur.best, cur.amount, cur.toks, rd))
    elif (cur.best or (cur.amount.quantity is not None and _has_words(cur.toks))) and not (
        set(cur.toks) & set(unmatched)
    ):
        unmatched.append(text)


def parse(
    text: str,
    index: FoodIndex | None = None,
    extra: Sequence[FoodRecord] = (),
    context: Context = "meal",
) -> ParseResult:
    """Parse a free-text meal description into matched foods with grams and nutrients."""
    rd = _Reader(index or default_index(), extra, context)
    items: list[ParsedItem] = []
    unmatched: list[str] = []
    toks = _fuse_names(_normalise(text[:2000]), rd.index)
    toks = _drop_sums(_drop_scene(toks, rd.index.english_pairs))
    toks = _bare_measures(toks, rd.index.measure_words)
    _read(_pieces(toks, rd.index.container_words), rd, items, unmatched)
    return ParseResult(text=text, items=items, unmatched=unmatched, totals=_totals(items))


def resolve_items(
    items: Sequence[ExtractedItem],
    index: FoodIndex | None = None,
    extra: Sequence[FoodRecord] = (),
    text: str = "",
    context: Context = "meal",
) -> ParseResult:
    """Match items another extractor (e.g. an LLM) produced, with parse()'s matcher and units."""
    rd = _Reader(index or default_index(), extra, context)
    parsed: list[ParsedItem] = []
    unmatched: list[str] = []
    for it in items:
        toks = _fuse_names(_normalise(it.food), rd.index)
        unit_toks = _normalise(it.unit) if it.unit else []
        unit = next((t for t in unit_toks if t in _UNITS), None)
        words = tuple(stem(t) for t in unit_toks if t.isalpha() and t not in _UNITS)
        amount = Amount(it.quantity, unit, words)
        if it.quantity is None and toks and _is_quantity(toks[0]):
            amount, toks = _read_amount(toks)
        _emit(_Item(amount, toks, rd.best(toks, amount.words)), parsed, unmatched, rd)
    return ParseResult(
        text=text or ", ".join(i.food for i in items),
        items=parsed,
        unmatched=unmatched,
        totals=_totals(parsed),
    )
