"""Ranks foods for a short food phrase ("chiken brest", "2% milk", "scrambled eggs").

A food's score mixes how much of the query its name covers (IDF-weighted), whether the name's
head (the part before the first comma, "Egg" in "Egg, whole, raw, fresh") is what the query is
about, how many unrelated words the name adds, and priors that favour foods as people eat them
(cooked rice over raw rice, whole eggs over custard mix). The result is deterministic.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

from app.foods import lexicon
from app.foods.dataset import FoodRecord

# Score weights: share of the query covered, the name's head being what was asked for, the
# query's last word (its head noun) in that head, and few unrequested words in the name.
_W_COVER = 0.5
_W_HEAD = 0.18
_W_TAIL = 0.07
_W_EXTRA = 0.25
_EXTRA_HALF = 4.0
_HEAD_NOUN_BOOST = 1.5  # unrequested-word cost at which the name loses half of _W_EXTRA
_PREPARED_FORGIVES = frozenset({"dry mix", "mix", "powder", "dry", "concentrate", "condensed"})
# ... except in these names ("meal replacement" drinks are no ground meal).
_PENALTY_EXCEPT = {"meal": r"(?! replacement)"}
_PENALTY_PATTERNS = [
    (term, pen, re.compile(r"\b" + re.escape(term) + r"\b" + _PENALTY_EXCEPT.get(term, "")))
    for term, pen in lexicon.PENALTY_TERMS.items()
    if pen
]
_MAX_POSTING = 700
_MEASURE_BRAND_RE = re.compile(r"\b[A-Z][A-Za-z'&-]{2,}")
# Capitalised words in measure descriptions that are no brand.
_MEASURE_STOP = frozenset(
    """
    nlea food foods serving strained container yield from cup tbsp patty burger entr nfs
    first second third stage table time baby beginner graduate sum bag biscuit italian florida
    california mini chunk crispy crown rich fudge sugar jigger label
    """.split()
)
# Names that are a sauce or topping for other foods; matched by a refining word alone, they lose.
_TOPPING_WORDS = frozenset({"sauce", "gravy", "dressing", "syrup", "topping", "frosting", "dip"})
_TOPPING_PENALTY = 0.2
# Words that say a food is made for babies: adult foods are then a worse guess.
_BABY_WORDS = frozenset({"babyfood", "infant", "toddler", "teething"})
_NOT_BABY_PENALTY = 0.15
# Split brand words are joined ("slim fast" -> "slimfast") only when one half is this rare.
_JOIN_MAX_DF = 20
_SHORTLIST = 50
# Letters run into digits are one product name ("G2", "V8"), as the parser reads them.
_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?%|[a-z]+\d+\b|[a-z]+|\d+")
# Words that carry no meaning in a food name or a query.
_STOP = frozenset({"and", "or", "with", "of", "the", "a", "an", "in", "on", "to", "s", "for", "by"})
# First segments that name a category rather than the food ("Snacks, potato chips, plain").
_GENERIC_HEADS = lexicon.GENERIC_NAME_HEADS


# Plurals in "-ies" whose singular ends in "-ie", not "-y" (cookies, not "cooky").
_IE_WORDS = frozenset(
    {"cookie", "brownie", "smoothie", "veggie", "pie", "hoagie", "calorie", "pierogie", "wienie"}
)


def stem(word: str) -> str:
    """Crude English plural folding, applied identically to names and queries."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-1] if word[:-1] in _IE_WORDS else word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


_NOT_HEAD = frozenset(stem(w) for w in lexicon.NOT_HEAD_WORDS)


def tokens(text: str) -> list[str]:
    text = text.lower().replace("'s", "").replace("’s", "").replace("-", " ")
    return [stem(t) for t in _TOKEN_RE.findall(text) if t not in _STOP]


def _edit_distance(a: str, b: str, limit: int) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)  # transposition
        prev2, prev = prev, cur
    return prev[-1]


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


@dataclass(frozen=True, slots=True)
class _Term:
    alts: frozenset[str]
    weight: float
    word: str
    optional: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    food: FoodRecord
    order: int  # position in the source table, the final tie-break
    tokw: dict[str, float]  # token -> cost of the token when the query does not mention it
    extra_total: float  # sum of tokw: the cost of a name none of whose words were asked for
    heads: tuple[frozenset[str], ...]  # what the name is about; brands add a second reading
    nouns: frozenset[str]  # first and last word of each head: "Cookies, ..." / "... crackers"
    prior: float
    penalties: tuple[tuple[frozenset[str], float], ...]  # (words that lift it, penalty)
    length: int
    topping: frozenset[str] = frozenset()  # "Sauce, enchilada": the topping or part it is


def _prepare(food: FoodRecord, order: int) -> _Entry:
    name = food.name.lower()
    raw_segments = [s.strip() for s in re.split(r"[,(;]", food.name) if s.strip()]
    tokw: dict[str, float] = {}
    heads: list[frozenset[str]] = []
    nouns: set[str] = set()
    for pos, raw in enumerate(raw_segments):
        seg = raw.lower()
        seg_tokens = tokens(seg)
        weight = max(1.0 - 0.2 * pos, 0.4)
        for t in seg_tokens:
            # Earlier comma segments matter more; descriptive filler words cost little.
            neutral = t in lexicon.NEUTRAL_NAME_WORDS or not t.isalpha()
            tokw.setdefault(t, weight * (0.25 if neutral else 1.0))
        if not seg_tokens or " ".join(seg.replace("-", " ").split()) in _GENERIC_HEADS:
            continue
        if not heads:
            heads.append(frozenset(seg_tokens))
            nouns.update((seg_tokens[0], seg_tokens[-1]))
        elif len(heads) == 1 and raw_segments[pos - 1].isupper():
            # "GENERAL MILLS, HONEY NUT CHEERIOS": after a brand comes the product's name.
            heads.append(frozenset(seg_tokens))
            nouns.update((seg_tokens[0], seg_tokens[-1]))
    for portion in food.portions:
        # USDA names the brands a generic entry stands for in its measures ("crackers,
        # Triscuits", "cup Cheez-its"): those brand words find it too, costing little unasked.
        for word in _MEASURE_BRAND_RE.findall(portion.unit):
            for t in tokens(word):
                if len(t) >= 4 and t not in _MEASURE_STOP:
                    tokw.setdefault(t, 0.05)
    prior = lexicon.GROUP_PRIOR.get(food.group or "", 0.0)
    penalties: list[tuple[frozenset[str], float]] = []
    # "dry mix, prepared with water" is the as-eaten food, not the powder.
    prepared = "prepared with" in name or "reconstituted" in name
    for term, pen, pattern in _PENALTY_PATTERNS:
        if prepared and term in _PREPARED_FORGIVES:
            continue
        if term in name and pattern.search(name):
            penalties.append((frozenset(tokens(term)), pen))
    if (
        food.group == "Breakfast Cereals"
        and not prepared
        and not re.search(r"\b(cooked|prepared)\b", name)
        and not name.startswith("cereals ready-to-eat")
        and any(w in name for w in lexicon.HOT_CEREAL_WORDS)
    ):
        # Hot cereals are eaten cooked: the dry packet is only meant when the eater says so.
        penalties.append((lexicon.DRY_FORM_WORDS, 0.2))
    brands = [r for r in raw_segments if r.isupper() and sum(c.isalpha() for c in r) >= 3]
    if brands:
        # A brand the eater did not name is a worse guess than the generic food.
        penalties.append((frozenset(t for b in brands for t in tokens(b)), 0.05))
    raw_pen = lexicon.RAW_PENALTY_GROUPS.get(food.group or "")
    if raw_pen and re.search(r"\b(raw|uncooked|dry)\b", name):
        penalties.append((frozenset({"raw", "uncooked", "dry"}), raw_pen))
    trig = lexicon.GROUP_TRIGGERS.get(food.group or "")
    if trig and prior < 0:
        penalties.append((frozenset(tokens(" ".join(trig))), -prior))
        prior = 0.0
    # Foods with many household measures are the commonly eaten ones.
    prior += 0.006 * min(len(food.portions), 6)
    named = [r for r in raw_segments if not (r.isupper() and len(r) > 2)][:1]
    head_words = tokens(named[0]) if named else []
    # "Sauce, enchilada, red", "PACE, Enchilada Sauce", "Gravy, turkey" (not "Salisbury steak
    # with gravy", a dish whose gravy is only part of it).
    ends = head_words[:1] + (head_words[-1:] if len(head_words) <= 2 else [])
    topping = frozenset(w for w in ends if w in _TOPPING_WORDS)
    if re.match(r"[a-z ]+, skin\b", name):
        topping = frozenset({"skin"})  # "Chicken, skin (drumsticks and thighs)": skin alone
    return _Entry(
        food,
        order,
        tokw,
        sum(tokw.values()),
        tuple(heads),
        frozenset(nouns),
        prior,
        tuple(penalties),
        len(tokw),
        topping,
    )


def apply_synonyms(words: list[str]) -> list[str]:
    if not words:
        return words
    joined = " ".join(words)
    if joined in lexicon.DEFAULT_FORMS:
        return lexicon.DEFAULT_FORMS[joined].split()
    if joined in lexicon.SYNONYMS:
        return lexicon.SYNONYMS[joined].split()
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            key = " ".join(words[i : i + n])
            if len(words[i : i + n]) == n and key in lexicon.SYNONYMS:
                out.extend(lexicon.SYNONYMS[key].split())
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    rest = " ".join(out[1:])
    if len(out) >= 2 and out[0] in lexicon.COOKING_WORDS and rest in lexicon.DEFAULT_FORMS:
        # "grilled chicken", "boiled potatoes", "grilled chicken breast": the bare name's
        # as-eaten meaning, with the cooking word choosing the form instead of the default one.
        head = lexicon.DEFAULT_FORMS[rest].split()
        out = [out[0], *(w for w in head if w not in lexicon.COOKING_WORDS)]
    return out


def _rewrite(query: str) -> str:
    """Synonyms and as-eaten defaults on the main words; "~" words are left as they are."""
    parts = query.lower().split()
    core = [p for p in parts if not p.startswith("~")]
    return " ".join([*apply_synonyms(core), *(p for p in parts if p.startswith("~"))])


class FoodIndex:
    """Immutable search index over FoodRecords; build once, query many times."""

    def __init__(self, foods: Iterable[FoodRecord]) -> None:
        self._entries = [_prepare(f, i) for i, f in enumerate(foods)]
        self._lengths = [1e-3 * e.length for e in self._entries]
        df: dict[str, int] = defaultdict(int)
        postings: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(self._entries):
            for t in e.tokw:
                df[t] += 1
                postings[t].append(i)
        n = max(len(self._entries), 1)
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._default_idf = math.log(1 + n)
        self._postings = {t: tuple(p) for t, p in postings.items()}
        vocab = set(df)
        for phrase in (*lexicon.SYNONYMS, *lexicon.SYNONYMS.values(), *lexicon.DEFAULT_FORMS):
            vocab.update(tokens(phrase))
        self._vocab = frozenset(vocab)
        self._df = dict(df)
        spell: dict[str, list[str]] = defaultdict(list)
        for word in sorted(df):
            # Three-letter words are targets too ("eggz" -> "egg"), though never corrected.
            if word.isalpha() and len(word) >= 3:
                for d in _deletes(word, 2 if len(word) >= 7 else 1):
                    spell[d].append(word)
        self._spell = {k: tuple(v) for k, v in spell.items()}
        self._cached_search = lru_cache(maxsize=4096)(self._search_uncached)

    @property
    def vocabulary(self) -> frozenset[str]:
        return self._vocab

    def knows(self, word: str) -> bool:
        return stem(word) in self._vocab

    def correct(self, word: str) -> str | None:
        """Closest known word for a misspelling, or None; known words come back unchanged."""
        word = stem(word)
        if word in self._vocab:
            return word
        if not word.isalpha() or len(word) < 4:
            return None
        limit = 2 if len(word) >= 8 else 1
        best: tuple[int, int, str] | None = None
        for d in _deletes(word, limit):
            for cand in self._spell.get(d, ()):
                if cand[0] != word[0]:
                    continue  # people rarely get the first letter wrong; verbs would match foods
                if len(cand) == len(word) and cand[:-1] == word[:-1]:
                    # Only the last letter differs ("casabe" / "casaba", "paste" / "pasta"): a
                    # different word, usually, not a slip of the finger.
                    continue
                dist = _edit_distance(word, cand, limit)
                if dist <= limit:
                    key = (dist, -self._df.get(cand, 0), cand)
                    if best is None or key < best:
                        best = key
        return best[2] if best else None

    def _query_terms(self, query: str, own: frozenset[str] = frozenset()) -> list[_Term]:
        terms: list[_Term] = []
        seen: set[str] = set()
        for part in query.split():
            # "~word" marks a word that may refine the match but must not drive it.
            optional = part.startswith("~")
            for raw in tokens(part.lstrip("~")):
                # Words of the user's own foods are known words too.
                word = raw if raw in self._vocab or raw in own else self.correct(raw)
                if word is None or word in seen:
                    continue
                seen.add(word)
                alts = {word}
                for alt in lexicon.TOKEN_ALTERNATIVES.get(word, ()):
                    alts.update(tokens(alt)[:1])
                weight = self._idf.get(word, self._default_idf) * (0.5 if optional else 1.0)
                terms.append(_Term(frozenset(alts), weight, word, optional))
        core = [i for i, t in enumerate(terms) if not t.optional]
        if len(core) > 1:
            # English puts the food noun last ("whole grain pancake"): it must weigh the most;
            # a closing form word ("... nutritional powder") is not the food.
            named = [i for i in core if terms[i].word not in _NOT_HEAD] or core
            t = terms[named[-1]]
            terms[named[-1]] = _Term(t.alts, t.weight * _HEAD_NOUN_BOOST, t.word, t.optional)
        return terms

    def _score(self, e: _Entry, terms: list[_Term], qwords: frozenset[str]) -> float:
        tokw = e.tokw
        total = 0.0
        matched = 0.0
        hit: set[str] = set()
        for t in terms:
            total += t.weight
            if t.word in tokw:
                matched += t.weight
                hit.add(t.word)
            else:
                found = [a for a in t.alts if a in tokw]
                if found:
                    # An alternative spelling (grilled -> broiled) counts less than the word.
                    matched += t.weight * 0.8
                    hit.update(found)
        if matched == 0.0:
            return 0.0
        extra = e.extra_total
        for tok in hit:
            extra -= tokw[tok]
        extra_pen = extra / (extra + _EXTRA_HALF)
        head = 0.0
        tail = 0.0
        # The last query word is usually the English head noun ("chocolate milk" is milk).
        last = terms[-1].alts
        for t in reversed(terms):
            if not t.optional:
                last = t.alts
                break
        for h in e.heads:
            head = max(head, len(h & hit) / len(h))
            if last & h:
                # Full credit when the asked-for noun is the head's noun ("sandwich" is not the
                # noun of "cheese sandwich crackers").
                tail = 1.0 if last & e.nouns else max(tail, 0.4)
        score = (
            _W_COVER * matched / total
            + _W_HEAD * head
            + _W_TAIL * tail
            + _W_EXTRA * (1.0 - extra_pen)
            + e.prior
        )
        for lift, pen in e.penalties:
            if not (lift & qwords):
                score -= pen
        if qwords & _BABY_WORDS and e.food.group != "Baby Foods":
            score -= _NOT_BABY_PENALTY  # "baby food bananas" are the jarred ones
        if e.topping and not any(e.topping & t.alts for t in terms if not t.optional):
            # "enchiladas ~with ~sauce": a dish that comes with a sauce is not the sauce (nor is
            # a thigh "with skin" the skin).
            score -= _TOPPING_PENALTY
        return max(0.0, min(1.0, score))

    def _together(self, a: str, b: str) -> int:
        """How many food names hold both words."""
        pa = self._postings.get(stem(a), ())
        pb = self._postings.get(stem(b), ())
        return len(set(pa) & set(pb)) if pa and pb else 0

    def join_split(self, query: str) -> str:
        """ "slim fast" -> "slimfast", "cheese burger" -> "cheeseburger": two words that USDA
        spells as one word of a food name."""
        parts = query.split()
        if len(parts) < 2:
            return query
        out: list[str] = []
        i = 0
        while i < len(parts):
            a = parts[i]
            b = parts[i + 1] if i + 1 < len(parts) else ""
            joined = stem(a + b) if b and a.isalpha() and b.isalpha() else ""
            if (
                joined in self._df
                and self._df[joined] > 2 * self._together(a, b)
                and min(self._df.get(stem(a), 0), self._df.get(stem(b), 0)) <= _JOIN_MAX_DF
            ):
                # ... unless USDA as often writes them apart ("milk shake"), or both halves are
                # everyday food words that name other foods too ("cheese burger": the Whopper
                # with cheese is no cheeseburger by name).
                out.append(joined)
                i += 2
                continue
            out.append(a)
            i += 1
        return " ".join(out)

    def _search_uncached(self, query: str, limit: int) -> tuple[tuple[int, float], ...]:
        terms = self._query_terms(self.join_split(_rewrite(query)))
        if not terms:
            return ()
        qwords = frozenset(w for t in terms for w in t.alts)
        core = [t for t in terms if not t.optional] or terms
        # Very common words ("cooked", "raw") only re-rank; candidates come from telling words,
        # and only those covering the most query weight get the full (slower) score.
        acc: dict[int, float] = defaultdict(float)
        for t in core:
            postings = [self._postings.get(a, ()) for a in t.alts]
            if sum(len(p) for p in postings) > _MAX_POSTING:
                continue
            seen: set[int] = set()
            for posting in postings:
                for i in posting:
                    if i not in seen:
                        seen.add(i)
                        acc[i] += t.weight
        if not acc:
            rarest = max(core, key=lambda t: t.weight)
            for a in rarest.alts:
                for i in self._postings.get(a, ()):
                    acc[i] = rarest.weight
        if len(acc) > _SHORTLIST:
            # Refining words ("~fast ~food" after "pizza") rank the shortlist too, so that a
            # long name they point to is not cut for its length.
            for t in terms:
                if not t.optional:
                    continue
                for a in t.alts:
                    posting = self._postings.get(a, ())
                    if len(posting) <= _MAX_POSTING:
                        for i in posting:
                            if i in acc:
                                acc[i] += t.weight
        # Shorter names first among equals: they carry fewer unrequested words.
        for i in acc:
            acc[i] -= self._lengths[i]
        cand = [i for i, _ in heapq.nlargest(_SHORTLIST, acc.items(), key=itemgetter(1))]
        scored = [(self._score(self._entries[i], terms, qwords), i) for i in cand]
        scored.sort(key=lambda x: (-x[0], self._entries[x[1]].length, x[1]))
        return tuple((i, s) for s, i in scored[:limit] if s > 0)

    def search(
        self, query: str, limit: int = 20, extra: Sequence[FoodRecord] = ()
    ) -> list[tuple[FoodRecord, float]]:
        """Foods ranked for ``query`` with scores in 0..1; ``extra`` (a user's foods) join in."""
        results = [(self._entries[i].food, s) for i, s in self._cached_search(query, limit)]
        if extra:
            own = frozenset(t for food in extra for t in tokens(food.name))
            terms = self._query_terms(self.join_split(_rewrite(query)), own)
            qwords = frozenset(w for t in terms for w in t.alts)
            for k, food in enumerate(extra):
                # Users name their own foods the way they type, so they win ties.
                s = self._score(_prepare(food, -1 - k), terms, qwords) if terms else 0.0
                if s > 0:
                    results.append((food, min(1.0, s + 0.02)))
            results.sort(key=lambda x: -x[1])
            results = results[:limit]
        return results
