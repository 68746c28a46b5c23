"""Matches food words to USDA foods by how much of what was said a food's description covers.

Every food is a bag of word stems from three fields of its source data: the description ("Milk,
whole"), the additional descriptions (FNDDS synonyms and brands, e.g. "3.5% fat milk") and its
category (the WWEIA category or the SR28 food group). A word's weight is its inverse document
frequency, so rare words ("frankfurter") decide and common ones ("with", "cooked") barely count.

score = covered weight of the query / weight of the query
        - UNSAID * unsaid / (unsaid + said), the weights of the description words the user did
          not say and did say (a word said counts in full, even one most of its family carries)
        + small bonuses for generic forms ("NFS", "plain"), for the preferred source and, in a
          meal, for the FNDDS head most foods having all the words said share ("toast": bread).
        - NOUN when the description matched but none of the food's nouns was said ("salt" in
          "Pretzels, salted", "salad" in "Salad dressing"), + LAST_NOUN when the last food word
          said is its noun ("chow mein noodles": the noodles).

Nothing here knows a particular food: the ranking comes from the data.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.foods.dataset import FoodRecord

# numpy is imported where an index is built or queried, not with the app (0.1 s of CPU at every
# start); the server builds its index after start-up.
if TYPE_CHECKING:
    import numpy as np

__all__ = ["FoodIndex", "Match", "participle", "stem", "unspecified", "words"]

# Weight of a query word found only in the additional descriptions / only in the category.
_ADDITIONAL = 0.8
_CATEGORY = 0.4
# Cost of description words the user did not say, relative to the description's weight.
_UNSAID = 0.35
# Generic forms ("Milk, NFS", "Bagel, plain") win ties against specific ones.
_GENERIC_BONUS = 0.08
_GENERIC_WORDS = frozenset({"nfs", "plain", "regular", "ns"})
_SOURCE_BONUS = 0.15
# Bonus of the food whose head most foods that have all the words said share.
_FAMILY = 0.1
# A tie-break for the food FNDDS codes the words said as when nothing more is said ("tea, NFS").
_DEFAULT = 0.02
# Share of its weight a word after a description's second comma costs when unsaid.
_LATE = 0.3
_MEASURED = 0.08
_HEAD_BONUS = 0.1
# Share of an alternative's weight ("noodles" in "Macaroni or noodles") that counts unsaid.
_ALTERNATIVE = 0.2
_INFANT = frozenset({"baby", "babyfood", "infant", "toddler"})
# Cost of matching a food's description with none of its nouns said.
_NOUN = 0.3
# Bonus of a food whose noun is the last food word said.
_LAST_NOUN = 0.15
# Share of the occurrences of the rarer of two words that are the two side by side, from which
# on they are one name ("hot dog", "ice cream").
_TOGETHER = 0.75
# Words after which a name's head has ended ("Chicken or turkey with teriyaki").
_HEAD_ENDS = frozenset("with without in on from made for to at by".split())
_INFANT_PENALTY = 0.3
# A soft word counts this much of its weight when the food has it.
_SOFT = 0.15
# Words that describe how a food is listed rather than what it is; saying nothing about them is
# no evidence against the food.
_LISTING_WORDS = frozenset(
    "nfs ns or and with from made type not specified as to be fat added without w".split()
)
_STOP = frozenset("a an the of and or with in on to for by from at as w".split())
_BRACKETS = re.compile(r"\([^)]*\)")
_WORD_RE = re.compile(r"[a-z]+\d+\b|[a-z]+|\d+(?:\.\d+)?%?")


@functools.cache
def stem(word: str) -> str:
    """A crude plural/singular folding that only needs to agree with itself."""
    w = word.lower()
    if len(w) > 4 and w.endswith(("ies", "ied")):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes", "oes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def participle(word: str) -> bool:
    """ "salted", "breaded", "snacked": what was done to a food (or by the eater), never the
    food, though its stem ("salt", "bread") is one."""
    return len(word) > 4 and word.endswith("ed") and not word.endswith("eed")


@functools.lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in _WORD_RE.findall(text.lower().replace("'", "")))


def words(text: str) -> list[str]:
    return list(_words(text))


# Words for a changed state of the food: never the usual form, however many foods have them.
_STATES = frozenset(
    "dry dried powder dehydrated concentrate condensed evaporated mix frozen canned".split()
)
# The word lists above are compared with stems.
_GENERIC_WORDS = frozenset(map(stem, _GENERIC_WORDS))
_LISTING_WORDS = frozenset(map(stem, _LISTING_WORDS))
_STOP = frozenset(map(stem, _STOP))
_INFANT = frozenset(map(stem, _INFANT))
_STATES = frozenset(map(stem, _STATES))


@dataclass(frozen=True, slots=True)
class Match:
    food: FoodRecord
    score: float
    covered: frozenset[str]  # query stems the food's words cover
    coverage: float = 1.0  # share of the query's weight (without soft words) the food covers
    # Share of the food's description weight the query did not say, a family's common modifiers
    # discounted (what the parser's thresholds use; the score uses the share with said words in
    # full, which is kinder to a long family: "toast" vs "Bread, NS as to major flour, toasted").
    unsaid: float = 0.0
    named: bool = False  # the query said every word of the food's head ("Macaroni and cheese")
    noun: bool = True  # the query said the food's noun ("pretzels"), not only how it is ("salted")


_UNSPECIFIED_RE = re.compile(r"\b(?:NS|not specified) as to [^,;]*|\bNFS\b|\bNS\b", re.IGNORECASE)


def unspecified(text: str) -> tuple[str, bool]:
    """The text without "NS as to fat"/"NFS" (what was not specified is not unsaid), and
    whether there was any: such a food is the generic form of its kind."""
    out, n = _UNSPECIFIED_RE.subn(" ", text)
    return out, n > 0


def _source(food: FoodRecord) -> str:
    src = getattr(food, "source", None)
    if src:
        return str(src)
    return "sr28" if food.ndb_no else "custom"


def _additional(food: FoodRecord) -> str:
    return str(getattr(food, "additional", None) or "")


def _category(food: FoodRecord) -> str:
    return str(getattr(food, "category", None) or food.group or "")


class FoodIndex:
    """An inverted index over foods of every source; built once, then read-only."""

    def __init__(self, foods: Iterable[FoodRecord]) -> None:
        import numpy as np

        self.foods: tuple[FoodRecord, ...] = tuple(foods)
        fields: list[tuple[set[str], set[str], set[str], bool]] = []
        heads: list[frozenset[str]] = []
        alts: list[set[str]] = []
        df: dict[str, int] = defaultdict(int)
        head_words: list[frozenset[str]] = []  # a head's words, either alternative said
        head_sizes: list[int] = []
        nouns: list[frozenset[str]] = []
        together = _collocations(self.foods)
        noun_memo: dict[str, frozenset[str]] = {}
        for food in self.foods:
            name, generic = unspecified(food.name)
            main = set(words(name)) - _STOP
            kind = set(words(_category(food))) - _STOP
            # "Cheeseburger" among "Burgers", "cupcake" among "Cakes": a compound ending in its
            # kind's word is one of that kind, so that word names it as well.
            compound = {n: w for w in main for n in kind if len(n) > 3 and w.endswith(n) and w != n}
            extra = (set(words(unspecified(_additional(food))[0])) | set(compound)) - _STOP - main
            cat = kind - main - extra
            fields.append((main, extra, cat, generic or bool(main & _GENERIC_WORDS)))
            # "Macaroni or noodles with cheese", "Frankfurter or hot dog": the words after "or"
            # (as far as they go together, "hot dog") are an alternative to the word before;
            # saying one of them says the food.
            seq = words(name)
            alt = {b for a, b in itertools.pairwise(seq) if a == "or"}
            alts.append(alt)
            # "Sports drink (Gatorade G)": a brand in brackets says which one, not what it is.
            head = frozenset(words(_BRACKETS.sub(" ", name.split(",")[0]))) - _STOP
            heads.append(head - alt)
            # Named by either alternative, as far as its words go together ("hot dog"): the
            # head's other words and the last word of one of them.
            runs = [_run(seq[k + 1 :], together) for k, a in enumerate(seq) if a == "or"]
            either = head - {w for run in runs for w in run}
            head_words.append(
                either
                | {run[-1] for run in runs if run and run[-1] in head}
                | {n for n, w in compound.items() if w in head}
            )
            head_sizes.append(len(either))
            nouns.append(_nouns(food, together, noun_memo))
            for w in main | extra:
                df[w] += 1
        n = max(1, len(fields))
        self._idf = {w: math.log(1 + n / c) for w, c in df.items()}
        rows: dict[str, tuple[list[int], list[float], list[complex], list[bool]]] = defaultdict(
            lambda: ([], [], [], [])
        )
        main_weight = np.zeros(n)
        # A modifier most foods of the same head carry ("whole" among eggs) is the usual form:
        # leaving it unsaid costs less than leaving unsaid one few of them have ("white" egg).
        family: dict[tuple[frozenset[str], str], int] = defaultdict(int)
        for h, (main, *_rest) in zip(heads, fields, strict=True):
            for w in main - h:
                family[h, w] += 1
        for i, (main, extra, cat, _generic) in enumerate(fields):
            late = _late_words(unspecified(self.foods[i].name)[0])
            unsaid_w = {
                w: self._unsaid_weight(w, alts[i])
                / (1.0 + (math.log(family[heads[i], w]) if w not in heads[i] | _STATES else 0.0))
                * (_LATE if w in late else 1.0)
                for w in main
            }
            for group, f in ((main, 1.0), (extra, _ADDITIONAL), (cat, _CATEGORY)):
                for w in group:
                    idx, fs, us, ns = rows[w]
                    idx.append(i)
                    fs.append(f)
                    # Real part: the word's unsaid weight; imaginary: its whole weight, said
                    # (one complex add at query time sums both).
                    us.append(complex(unsaid_w[w], self._weight(w)) if f == 1.0 else 0j)
                    ns.append(w in nouns[i])
            # fsum: exact whatever the set's order, which PYTHONHASHSEED changes per process.
            main_weight[i] = math.fsum(unsaid_w.values())
        # Postings as arrays: a query adds a few arrays instead of looping over foods in Python.
        self._postings = {
            w: (np.array(i, dtype=np.int32), np.array(f), np.array(u), np.array(n, dtype=float))
            for w, (i, f, u, n) in rows.items()
        }
        self._main_weight = np.where(main_weight > 0, main_weight, 1.0)
        self._generic = np.array([g for *_, g in fields], dtype=bool)
        self._raw = np.array(["raw" in main for main, *_ in fields], dtype=bool)
        # How many SR28 household measures a food has: the forms cooks use are the ones measured
        # in many ways ("1 cup, 1 medium, 1 large"); a by-product has one ("1 skin").
        self._measured = np.log1p(
            [len(f.portions) if _source(f) == "sr28" else 0 for f in self.foods]
        )
        # Foods for infants (WWEIA "Baby food: ...", "Infant formulas") are meant only when the
        # text says so; otherwise their plain names ("Macaroni and cheese, baby food") compete.
        self._infant = np.array(
            [bool(_INFANT & (set(words(_category(f))) | set(words(f.name)))) for f in self.foods],
            dtype=bool,
        )
        # USDA names lead with the food's head ("Rice, white, ..." vs "Rice crackers"): a food
        # whose whole head was said is that thing, not something made with it.
        self._head_size = np.array(head_sizes)
        head_ids: dict[frozenset[str], int] = {}
        self._head_id = np.array([head_ids.setdefault(h, len(head_ids)) for h in heads])
        self._head_post = _postings(head_words)
        # FNDDS says which food it codes an unspecified name as: "Tea, hot, leaf, black" lists
        # "tea, NS as to type", "Apple, raw" lists "apple, NFS". Said in just those words, the
        # name means that food (when the name is of the food's head, not of a part: "bread,
        # NFS" of a cheese sandwich is its bread).
        defaults: dict[frozenset[str], list[int]] = defaultdict(list)
        for i, food in enumerate(self.foods):
            if not _UNSPECIFIED_RE.search(_additional(food)):
                continue
            for part in _additional(food).split(";"):
                rest, n_unspecified = unspecified(part)
                key = frozenset(words(rest)) - _STOP
                if n_unspecified and key and key & head_words[i]:
                    defaults[key].append(i)
        self._defaults = {k: np.array(v, dtype=np.int32) for k, v in defaults.items()}
        self._source = np.array([_source(f) for f in self.foods])
        self._is_source = {str(src): self._source == src for src in set(self._source)}
        self._no_source = np.zeros(n, dtype=bool)
        # What match() reads of each candidate food, one row per food, so one gather fetches
        # it all: a numpy call costs microseconds whatever its size, and a query makes dozens.
        sources = sorted(self._is_source)
        self._source_col = {src: 4 + k for k, src in enumerate(sources)}
        m = len(self.foods)
        self._rows = np.column_stack(
            [
                self._main_weight[:m],
                self._head_size,
                self._generic,
                self._infant,
                *(self._is_source[src] for src in sources),
            ]
        ).astype(float)
        self._vocab = frozenset(self._postings)
        self._corrections: dict[str, str | None] = {}
        # About 5 kB a query (15 matches): 1,024 of them cost at most ~5 MB.
        self._match_cached = functools.lru_cache(maxsize=1024)(  # type: ignore[method-assign]
            self._match_cached
        )
        self._deletes: dict[str, list[str]] = defaultdict(list)
        for w in self._vocab:
            if len(w) >= 4 and w.isalpha():
                for d in _deletes(w):
                    self._deletes[d].append(w)
        self.measure_words, self.container_words = _measure_words(self.foods, df)

    # --- vocabulary -------------------------------------------------------------------------

    def _unsaid_weight(self, w: str, alternatives: set[str]) -> float:
        return self._weight(w) * (_ALTERNATIVE if w in alternatives else 1.0)

    def _weight(self, w: str) -> float:
        if w in _LISTING_WORDS or w in _GENERIC_WORDS:
            return 0.2
        return self._idf.get(w, 0.0)

    def knows(self, word: str) -> bool:
        return stem(word) in self._vocab

    def correct(self, word: str) -> str | None:
        """The known stem one edit away from an unknown word ("chiken" -> "chicken")."""
        hit = self._corrections.get(word, "")
        if hit != "":
            return hit
        found = self._correct(word)
        if len(self._corrections) < 100_000:
            self._corrections[word] = found
        return found

    def _correct(self, word: str) -> str | None:
        s = stem(word)
        if s in self._vocab:
            return s
        raw = word.lower()
        if len(raw) < 5 or not raw.isalpha():
            return None
        found: dict[str, float] = {}
        for form in {s, raw}:
            for d in (form, *_deletes(form)):
                for cand in self._deletes.get(d, ()):
                    if abs(len(cand) - len(form)) <= 1 and _distance(form, cand) <= 1 + (
                        len(form) >= 8
                    ):
                        found[cand] = self._idf.get(cand, 0.0)
                if d in self._vocab and abs(len(d) - len(form)) <= 1:
                    found[d] = self._idf.get(d, 0.0)
        if not found:
            return None
        # The most common of the close words: a typo is likelier of a frequent word.
        return min(found, key=lambda c: (found[c], c))

    # --- matching ---------------------------------------------------------------------------

    def match(
        self,
        query: Sequence[str],
        *,
        soft: frozenset[str] = frozenset(),
        measure: frozenset[str] = frozenset(),
        prefer: str = "fndds",
        extra: Sequence[FoodRecord] = (),
        limit: int = 5,
        nouns: Sequence[str] | None = None,
    ) -> list[Match]:
        """Best foods for query stems, best first. ``soft`` stems (and measure words such as
        "bottle" or "slice") help a food that has them and cost nothing when it does not;
        ``measure`` stems, said only as the amount, never name a food's head. ``nouns``: the
        words said that may name a food (not "salted", "snacked"), the one naming what was
        eaten last; by default every word, the last food word naming it."""
        key: tuple[
            tuple[str, ...], frozenset[str], frozenset[str], str, int, tuple[str, ...] | None
        ] = (
            tuple(query),
            frozenset(soft),
            frozenset(measure),
            prefer,
            limit,
            None if nouns is None else tuple(nouns),
        )
        if extra:
            return self._match(*key, extra)
        # The same words come back (a user's usual foods, "a cup of coffee", a phrase tried
        # alone and then joined): their best foods are kept, a bounded number of them. The
        # caller gets its own list (it may reorder it); Match is immutable.
        return list(self._match_cached(*key))

    def _match_cached(
        self,
        query: tuple[str, ...],
        soft: frozenset[str],
        measure: frozenset[str],
        prefer: str,
        limit: int,
        nouns: tuple[str, ...] | None,
    ) -> tuple[Match, ...]:
        return tuple(self._match(query, soft, measure, prefer, limit, nouns, ()))

    def _match(
        self,
        query: Sequence[str],
        soft: frozenset[str],
        measure: frozenset[str],
        prefer: str,
        limit: int,
        nouns: Sequence[str] | None,
        extra: Sequence[FoodRecord],
    ) -> list[Match]:
        import numpy as np

        q = [w for w in dict.fromkeys(query) if w not in _STOP and self._weight(w) > 0]
        soft = soft | self.measure_words
        if all(w in soft for w in q):
            soft = frozenset()  # "lasagna", "a bowl": then the soft words are all there is
        hard = sum(self._weight(w) for w in q if w not in soft)
        if hard <= 0:
            return []
        # Only foods that have a word said can score: sum the postings of the words said over
        # those few hundred foods (bincount, in query order, as a dense running sum would)
        # instead of over arrays of all 16,000 foods.
        idx_parts: list[np.ndarray] = []
        part_words: list[str] = []
        acc_parts: list[np.ndarray] = []
        hard_parts: list[np.ndarray] = []
        hit_parts: list[np.ndarray] = []
        any_soft = False
        # Any word said may be the noun, a measure too ("a drumstick of fried chicken"), and
        # English names a thing last ("chow mein noodles" are noodles) or as the measure of the
        # rest: the food whose noun that is fits best.
        noun_words = {*(q if nouns is None else nouns), *measure}
        named = [w for w in (q if nouns is None else nouns) if w not in soft and w not in measure]
        last_words = {*named[-1:], *measure}
        noun_parts: list[np.ndarray] = []
        last_parts: list[np.ndarray] = []
        for w in q:
            post = self._postings.get(w)
            if post is None:
                continue
            idx, f, u, is_noun = post
            wt = self._weight(w)
            idx_parts.append(idx)
            part_words.append(w)
            if w in noun_words:
                noun_parts.append(is_noun)
                last_parts.append(is_noun if w in last_words else np.zeros(len(idx)))
            else:
                noun_parts.append(zero := np.zeros(len(idx)))
                last_parts.append(zero)
            if w in soft:
                any_soft = True
                acc_parts.append(_SOFT * wt * f)
                hard_parts.append(np.zeros(len(idx)))
            else:
                acc_parts.append(wt * f)
                hard_parts.append(acc_parts[-1])
            hit_parts.append(u)
        said = np.concatenate(idx_parts) if idx_parts else np.zeros(0, dtype=np.int32)
        # The candidates in food order, and each posting's place among them (a mark and a map
        # over all foods: twice as fast as np.unique here).
        mark = np.zeros(len(self.foods), dtype=bool)
        mark[said] = True
        cand = np.flatnonzero(mark)
        m = len(cand)
        place = np.empty(len(self.foods), dtype=np.intp)
        place[cand] = np.arange(m)
        inv = place[said]
        acc = np.bincount(inv, np.concatenate(acc_parts) if acc_parts else None, m)
        # With no soft word the hard sums are the same sums as acc's.
        hard_hit = np.bincount(inv, np.concatenate(hard_parts), m) if any_soft else acc
        hit_all = np.concatenate(hit_parts) if hit_parts else np.zeros(0, dtype=complex)
        hits_real = np.bincount(inv, hit_all.real, m)
        hits_imag = np.bincount(inv, hit_all.imag, m)
        noun_said = np.bincount(inv, np.concatenate(noun_parts), m) > 0 if noun_parts else acc > 0
        noun_last = np.bincount(inv, np.concatenate(last_parts), m) > 0 if last_parts else acc > 0
        # A head is named by food words, not by a measure ("3 strips of bacon" does not name
        # "Bacon strip, meatless"). A head's words are description words, so every food in a
        # head posting of a word said is a candidate (has a place).
        head_parts = [
            hp for w in q if w not in measure and (hp := self._head_post.get(w)) is not None
        ]
        heads = (
            np.bincount(place[np.concatenate(head_parts)], minlength=m)
            if head_parts
            else np.zeros(m, dtype=np.intp)
        )
        rows = self._rows[cand]
        main_weight, head_size, generic, infant = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
        head_named = heads >= head_size
        default: np.ndarray | float = 0.0
        named_as = self._defaults.get(frozenset(w for w in q if w not in soft))
        if named_as is not None:
            default = np.isin(cand, named_as)
        unsaid = np.maximum(0.0, main_weight - hits_real)
        # Said, a word is as much of the food as any other: the discounts of its unsaid weight
        # are for leaving it unsaid ("toast" says "Bread, toasted" half, not a fifth).
        share = unsaid / np.maximum(unsaid + hits_imag, 1e-9)
        # The usual sense of words is the kind of food most foods that have all of them belong
        # to ("toast": the many toasted breads, not French toast; "cola": the soft drinks, not
        # one cocktail each): a food gains with the size of its family among full matches.
        # Meals and FNDDS only: its names lead with the food as eaten; SR28's often lead with a
        # group ("Snacks, potato chips, salted") that says nothing of the usual sense of "salt".
        fndds_col = self._source_col.get("fndds")
        fam: np.ndarray | None = None
        if prefer == "fndds" and fndds_col is not None:
            full = (hard_hit >= hard - 1e-9) & (rows[:, fndds_col] > 0)
            if full.any():
                fam = np.zeros(m)
                counts = np.bincount(self._head_id[cand[full]])
                of_full = counts[self._head_id[cand[full]]]
                fam[full] = np.log1p(of_full) / math.log1p(counts.max())
                # A word most of whose foods are one kind names that kind ("toast": the
                # toasted breads), though it is not their noun.
                kind = of_full * 2 >= len(of_full)
                noun_said[full] |= kind
                noun_last[full] |= kind
        # The terms in a fixed order (float sums depend on it); a term that is zero for every
        # food is left out, which changes no sum.
        score = acc / hard - _UNSAID * share + _GENERIC_BONUS * generic
        if fam is not None:
            score = score + _FAMILY * fam
        if named_as is not None:
            score = score + _DEFAULT * default
        score = score + _HEAD_BONUS * head_named
        # Matched in its description by words none of which is its noun: "salt" in "Pretzels,
        # salted", "salad" in "Salad dressing" describe another food.
        score = score - _NOUN * ((hits_imag > 0) & ~noun_said) + _LAST_NOUN * noun_last
        src_col = self._source_col.get(prefer)
        if src_col is not None:
            score = score + _SOURCE_BONUS * rows[:, src_col]
        if prefer == "sr28":
            # An ingredient is bought raw unless the text says how it was cooked.
            score = score + (_GENERIC_BONUS * self._raw[cand] + _MEASURED * self._measured[cand])
        if not _for_infants(q):
            score = score - _INFANT_PENALTY * infant
        if len(cand) > limit:
            part = np.argpartition(-score, limit)[:limit]
        else:
            part = np.arange(len(cand))
        order = part[np.argsort(-score[part], kind="stable")]
        top = cand[order]
        # The words said each top food has, read off the postings in query order (a word set
        # per food would cost 10 MB).
        is_top = np.zeros(m, dtype=bool)
        is_top[order] = True
        found = np.flatnonzero(is_top[inv])
        ends = list(itertools.accumulate(len(i) for i in idx_parts))
        have: dict[int, list[str]] = {}
        for k, p in zip(
            inv[found].tolist(),
            np.searchsorted(np.array(ends), found, side="right").tolist(),
            strict=True,
        ):
            have.setdefault(k, []).append(part_words[p])
        # Python floats taken from whole arrays at once: the same values as indexing one by one.
        out = [
            Match(self.foods[i], s, frozenset(have[k]), c, u, n, ns)
            for i, k, s, c, u, n, ns in zip(
                top.tolist(),
                order.tolist(),
                score[order].tolist(),
                (hard_hit[order] / hard).tolist(),
                (unsaid[order] / main_weight[order]).tolist(),
                head_named[order].tolist(),
                noun_said[order].tolist(),
                strict=True,
            )
        ]
        if extra:
            out = sorted(
                [*out, *_match_extra(extra, q, hard, self._weight)], key=lambda m: -m.score
            )
        return out[:limit]

    def named_but_kind(self, m: Match, limit: float) -> bool:
        """Whether the words said name the food but for its kind (the category): "wheat
        toast" names "Bread, wheat, toasted", a yeast bread; "melted cheese" does not name
        "Garlic bread, with melted cheese" (its head, garlic bread, went unsaid)."""
        name = unspecified(m.food.name)[0]
        main = set(words(name)) - _STOP
        kind = set(words(_category(m.food)))
        if not main & m.covered or not set(words(name.split(",")[0])) - _STOP <= m.covered | kind:
            return False  # named by its description, not only by its synonyms or kind
        total = math.fsum(self._weight(w) for w in main) or 1.0
        return math.fsum(self._weight(w) for w in main - m.covered - kind) / total <= limit

    def search(
        self, query: str, limit: int = 20, extra: Sequence[FoodRecord] = ()
    ) -> list[tuple[FoodRecord, float]]:
        q = [self.correct(w) or w for w in words(query)]
        return [(m.food, m.score) for m in self.match(q, extra=extra, limit=limit)]


def _match_extra(
    extra: Sequence[FoodRecord], q: Sequence[str], hard: float, weight: object
) -> list[Match]:
    # A user's own foods are few: scored directly, with a bonus so that a food the user created
    # wins over a USDA food of the same name.
    out = []
    for food in extra:
        have = set(words(food.name))
        got = sum(_w(weight, w) for w in q if w in have)
        if got <= 0:
            continue
        unsaid = math.fsum(_w(weight, w) for w in have - set(q) - _STOP) or 0.0
        total = math.fsum(_w(weight, w) for w in have - _STOP) or 1.0
        s = got / hard - _UNSAID * unsaid / total + _SOURCE_BONUS * 2
        out.append(Match(food, s, frozenset(w for w in q if w in have), got / hard))
    return out


def _w(weight: object, w: str) -> float:
    return weight(w) or 1.0  # type: ignore[operator]


def _postings(rows: Sequence[frozenset[str]]) -> dict[str, np.ndarray]:
    import numpy as np

    out: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        for w in row:
            out[w].append(i)
    return {w: np.array(v, dtype=np.int32) for w, v in out.items()}


def _collocations(foods: Sequence[FoodRecord]) -> frozenset[tuple[str, str]]:
    """Pairs of words that are one name in the food data: the rarer word of the two mostly
    occurs right next to the other ("hot dog", "scrambled egg"; not "turkey soup")."""
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for food in foods:
        for part in _BRACKETS.sub(" ", food.name).split(","):
            seq = words(part)
            for w in seq:
                count[w] += 1
            for pair in itertools.pairwise(seq):
                pairs[pair] += 1
    return frozenset(
        (a, b) for (a, b), n in pairs.items() if n >= _TOGETHER * min(count[a], count[b]) and n > 1
    )


def _run(seq: Sequence[str], together: frozenset[tuple[str, str]]) -> list[str]:
    """The words at the start of seq that go together as one name."""
    k = 1 if seq else 0
    while k < len(seq) and (seq[k - 1], seq[k]) in together:
        k += 1
    return list(seq[:k])


def _nouns(
    food: FoodRecord, together: frozenset[tuple[str, str]], memo: dict[str, frozenset[str]]
) -> frozenset[str]:
    """What the food is: the last word of its head ("Salad dressing": dressing), of each of
    its alternatives ("Cake or cupcake"), or of what they share ("Chicken or turkey soup":
    soup; "Frankfurter or hot dog sandwich": sandwich). ``memo``: the nouns of each phrase
    read so far (heads and kinds repeat across foods)."""
    name = unspecified(food.name)[0]
    parts = _BRACKETS.sub(" ", name).split(",")
    kind = _BRACKETS.sub(" ", _category(food)).replace("/", " and ")
    # SR28 names often lead with the group ("Snacks, pretzels", "Spices, pepper"): then the
    # food is named after it.
    lead = 2 if _source(food) == "sr28" and set(words(parts[0])) <= set(words(kind)) else 1
    out: set[str] = set()
    # Its kind is what it is too ("Lettuce, salad with ...": "Lettuce and lettuce salads"), and
    # so is a product name in brackets ("Crackers, wheat (Wheat Thins)").
    for part in [*parts[:lead], kind, *(b[1:-1] for b in _BRACKETS.findall(name))]:
        got = memo.get(part)
        if got is None:
            got = memo[part] = _phrase_nouns(part, together)
        out |= got
    return frozenset(out)


def _phrase_nouns(part: str, together: frozenset[tuple[str, str]]) -> frozenset[str]:
    raw = _WORD_RE.findall(part.lower().replace("'", ""))
    seq = [stem(w) for w in raw]
    cut = next((k for k, w in enumerate(seq) if w in _HEAD_ENDS and k), len(seq))
    conjuncts: list[list[str]] = [[]]
    for w, r in zip(seq[:cut], raw, strict=False):
        if w in ("and", "or"):
            conjuncts.append([])
        elif w not in _STOP and not participle(r):  # "lightly salted" names no food
            conjuncts[-1].append(w)
    conjuncts = [c for c in conjuncts if c]
    if not conjuncts:
        return frozenset()
    last = conjuncts[-1]
    if len(conjuncts) > 1 and len(_run(last, together)) < len(last):
        return frozenset({last[-1]})  # "(Chicken or turkey) soup"
    return frozenset(c[-1] for c in conjuncts)


def _late_words(name: str) -> frozenset[str]:
    """Words that first occur after the second comma: USDA descriptions go from what the food
    is to how it was graded or labelled ("Tomatoes, red, ripe, raw, year round average")."""
    parts = name.split(",")
    early = {w for p in parts[:2] for w in words(p)}
    return frozenset(w for p in parts[2:] for w in words(p)) - early


def _for_infants(q: Sequence[str]) -> bool:
    said = set(q)
    return bool(said & {"infant", "toddler", "babyfood"}) or {"baby", "food"} <= said


def _measure_words(
    foods: Sequence[FoodRecord], df: dict[str, int]
) -> tuple[frozenset[str], frozenset[str]]:
    """Words the portions use more than the food names ("slice", "can", "serving"): they say
    how much, rarely which food. And the words portions use more often than names do at all
    ("bottle", "bar"): in "a 12 oz bottle" they are the container."""
    pdf: dict[str, int] = defaultdict(int)
    for food in foods:
        for w in {w for p in food.portions for w in words(getattr(p, "description", "") or p.unit)}:
            pdf[w] += 1

    def common(k: int) -> frozenset[str]:
        return frozenset(
            w for w, n in pdf.items() if n >= 10 and n > k * df.get(w, 0) and w.isalpha()
        )

    return common(4), common(1)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Edits between two words, a swap of neighbours counting as one ("braed" -> "bread")."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    prev = d[-1]
    return prev[-1]
