"""Food search for `GET /foods`: ranks packaged USDA foods (FNDDS and SR28) and database foods
(custom and imported) for a short query, tolerating typos ("chiken brest").

The meal parser has its own matcher (matcher.py); this index serves people browsing the
database, so it answers every match with a total and pages through them. Scoring is general,
with no per-food rules:

- coverage: the share of the query's (IDF-weighted) words the name covers; typo and prefix
  matches count a little less; words found only in FNDDS's additional descriptions (synonyms and
  brands: "Coke" for "Soft drink, cola") count less, unless one whole synonym is what was asked;
- head: the query's words in the name's first segment (what the food is: "Chicken breast, ..."),
  and a bonus when that segment holds nothing else ("Pizza, cheese" over "Pizza rolls");
- unsaid words: every name word the query did not ask for costs, rarer words more
  ("deli", "prepackaged"), so whole, plain foods beat processed ones for bare names;
- plain: FNDDS's own markers of the generic form ("NFS", "NS as to ...", a synonym "apple, NFS")
  cost nothing and earn a small bonus.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.foods.dataset import FoodRecord, load_fndds_foods, load_usda_foods

_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?%?|[a-z]+")
_STOP = frozenset(
    {"and", "or", "with", "of", "the", "a", "an", "in", "on", "to", "for", "by", "as", "s"}
)
# FNDDS spells "not further specified" two ways; such segments describe the generic form.
_PLAIN_SEGMENT_RE = re.compile(r"^(?:ns as to\b|nfs$|not further specified)")

_W_COVER = 0.55
_W_HEAD = 0.12
_W_WHOLE_HEAD = 0.08  # every head word was asked: the food is what was named, not a dish of it
_W_PLAIN = 0.03
_W_UNSAID = 0.22
_UNSAID_SCALE = 0.35  # unsaid cost at which the name keeps half of _W_UNSAID is 1/_UNSAID_SCALE
_HEAD_COST = 1.5  # an unsaid word in the head ("Apple *juice*") changes what the food is
_FUZZY = 0.85
_PREFIX = 0.9
_SYNONYM = 0.6  # a query word found only among the additional descriptions
_MIN_COVER = 0.5  # with no food covering every word, foods covering this share still answer
_MAX_EXPANSIONS = 30
_PREFIX_BELOW = 50  # a last word this rare may be unfinished ("chick" for chicken)


def fold(text: str) -> str:
    text = text.lower()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Plural folding applied identically to names and queries."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    text = fold(text).replace("'s", "").replace("’s", "")
    return [stem(t) for t in _TOKEN_RE.findall(text) if t not in _STOP]


def _segments(name: str) -> list[tuple[str, list[str]]]:
    """The name's comma segments, each with its tokens (one regex pass over the name)."""
    text = fold(name).replace("'s", "").replace("’s", "")
    out: list[tuple[str, list[str]]] = []
    for seg in text.split(","):
        seg = seg.strip()
        out.append((seg, [stem(t) for t in _TOKEN_RE.findall(seg) if t not in _STOP]))
    return out


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _deletes(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass(frozen=True, slots=True)
class Doc:
    """What scoring needs of one food. Kept small: there is one for each of 16,000 foods."""

    food: FoodRecord
    idx: int  # position in the index (its additional-description postings), -1 outside it
    rank: int  # tie-break: FNDDS before SR28, then the source's order
    cost: dict[str, float]  # name token -> cost when the query does not ask for it
    head: frozenset[str]  # tokens of the first comma segment
    total_cost: float
    plain: bool  # the name says it is the generic form (NFS / NS as to ...)
    extra: frozenset[str] = frozenset()  # additional words (brand) of a food outside the index


@dataclass(frozen=True, slots=True)
class Hit:
    food: FoodRecord
    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class _Term:
    word: str
    weight: float
    alts: dict[str, float]  # indexed word -> match quality


class SearchIndex:
    """Immutable index over food records; build once, query many times."""

    def __init__(self, foods: Iterable[FoodRecord]) -> None:
        records = list(foods)
        segmented = [_segments(f.name) for f in records]
        df: dict[str, int] = defaultdict(int)
        names: dict[str, list[int]] = defaultdict(list)
        extras: dict[str, list[int]] = defaultdict(list)
        for i, (f, segs) in enumerate(zip(records, segmented, strict=True)):
            words = {t for _, toks in segs for t in toks}
            for t in words:
                df[t] += 1
                names[t].append(i)
            if f.additional:
                for t in set(tokens(f.additional)) - words:
                    extras[t].append(i)
        self._n = max(len(records), 1)
        self._df = dict(df)
        self._max_idf = math.log(self._n + 1)
        self._costs: dict[str, float] = {}
        self.docs = [
            self.make_doc(f, i, segs)
            for i, (f, segs) in enumerate(zip(records, segmented, strict=True))
        ]
        self._names = {t: frozenset(ids) for t, ids in names.items()}
        self._extras = {t: frozenset(ids) for t, ids in extras.items()}
        self._vocab = sorted(self._names.keys() | self._extras.keys())
        deletes: dict[str, list[str]] = defaultdict(list)
        for w in self._vocab:
            if len(w) >= 4 and w.isalpha():
                for d in _deletes(w):
                    deletes[d].append(w)
        self._deletes = dict(deletes)

    def idf(self, token: str) -> float:
        return math.log((self._n + 1) / (self._df.get(token, 0) + 1)) + 0.1

    def _word_cost(self, token: str) -> float:
        # Common words ("cooked", "raw", "fat") say little; rare ones ("deli") change the food.
        c = self._costs.get(token)
        if c is None:
            c = self._costs[token] = 0.3 + 0.7 * min(self.idf(token) / self._max_idf, 1.0)
        return c

    def make_doc(
        self, food: FoodRecord, order: int, segs: list[tuple[str, list[str]]] | None = None
    ) -> Doc:
        outside = segs is None  # a database food scored against the index's statistics
        segs = segs if segs is not None else _segments(food.name)
        segments = [seg for seg, _ in segs]
        cost: dict[str, float] = {}
        plain = False
        head: frozenset[str] = frozenset()
        generic_until = -1
        for k, seg in enumerate(segments):
            if _PLAIN_SEGMENT_RE.match(seg):
                plain = True
                generic_until = k
                # "NS as to regular, quick, or instant": the list runs to its "or ..." item.
                for j in range(k + 1, len(segments)):
                    if segments[j].startswith("or "):
                        generic_until = j
                        break
            toks = segs[k][1]
            if k == 0:
                head = frozenset(toks)
            for t in toks:
                c = 0.0 if k <= generic_until or t == "nfs" else self._word_cost(t)
                if k == 0:
                    c *= _HEAD_COST
                cost[t] = max(cost.get(t, 0.0), c)
        plain |= "nfs" in cost
        return Doc(
            food=food,
            idx=-1 if outside else order,
            rank=(0 if food.source == "fndds" else 1 if food.source == "sr28" else 2) * 100_000
            + order,
            cost=cost,
            head=head,
            total_cost=sum(cost.values()),
            plain=plain,
            extra=frozenset(tokens(food.additional or "")) if outside else frozenset(),
        )

    def in_extra(self, word: str, doc: Doc) -> bool:
        if doc.idx < 0:
            return word in doc.extra
        return doc.idx in self._extras.get(word, ())

    def _named(self, words: set[str]) -> bool:
        """Whether some FNDDS food's name holds all of `words`. FNDDS's synonyms are written
        against its own names; SR28's brand names ("... water, PEPSI, AQUAFINA") do not say
        that a synonym ("Pepsi" for "Soft drink, cola") names another food."""
        postings = [self._names.get(w, frozenset()) for w in words]
        return any(self.docs[i].food.source == "fndds" for i in frozenset.intersection(*postings))

    def posting_size(self, word: str) -> int:
        return len(self._names.get(word, ())) + len(self._extras.get(word, ()))

    def _expand(self, word: str, last: bool) -> dict[str, float]:
        alts = {word: 1.0} if self.posting_size(word) else {}
        if not alts and len(word) >= 4 and word.isalpha():
            limit = 1 if len(word) <= 5 else 2
            seen: set[str] = set()
            for d in _deletes(word):
                for w in self._deletes.get(d, ()):
                    if w not in seen:
                        seen.add(w)
                        if edit_distance(word, w, limit) <= limit:
                            alts[w] = _FUZZY
        if last and len(word) >= 3 and self.posting_size(word) < _PREFIX_BELOW:
            # Type-ahead: the last word may be unfinished ("chick").
            i = bisect.bisect_left(self._vocab, word)
            n = 0
            while i < len(self._vocab) and self._vocab[i].startswith(word) and n < 200:
                w = self._vocab[i]
                if w != word:
                    alts.setdefault(w, _PREFIX)
                i, n = i + 1, n + 1
        if len(alts) > _MAX_EXPANSIONS:
            best = sorted(alts.items(), key=lambda kv: (-kv[1], -self.posting_size(kv[0])))
            alts = dict(best[:_MAX_EXPANSIONS])
        # The word itself always counts: foods outside the index (custom, imported) may hold it.
        alts[word] = 1.0
        return alts

    def terms(self, query: str) -> list[_Term]:
        words = list(dict.fromkeys(tokens(query)))
        out = []
        for i, w in enumerate(words):
            alts = self._expand(w, last=i == len(words) - 1)
            weight = (
                self.idf(w)
                if w in self._df
                else (max((self.idf(a) for a in alts), default=self._max_idf))
            )
            out.append(_Term(w, weight, alts))
        return out

    def candidates(self, terms: Sequence[_Term]) -> set[int]:
        empty: frozenset[int] = frozenset()
        sets = [
            frozenset().union(
                *(self._names.get(a, empty) for a in t.alts),
                *(self._extras.get(a, empty) for a in t.alts),
            )
            for t in terms
        ]
        if not sets:
            return set()
        both = set(frozenset.intersection(*sets))
        return both if both else set().union(*sets)

    def search(self, query: str) -> list[Hit]:
        terms = self.terms(query)
        return self.score(terms, (self.docs[i] for i in self.candidates(terms)))

    def score_doc(self, terms: Sequence[_Term], doc: Doc) -> float:
        total_w = sum(t.weight for t in terms) or 1.0
        covered = head = 0.0
        said: set[str] = set()
        extra_only = False
        for t in terms:
            best = 0.0
            in_head = False
            for alt, quality in t.alts.items():
                if alt in doc.cost:
                    if quality > best or (quality == best and alt in doc.head):
                        best, in_head = quality, alt in doc.head
                    said.add(alt)
                elif _SYNONYM * quality > best and self.in_extra(alt, doc):
                    best = _SYNONYM * quality
                    extra_only = True
            covered += t.weight * best
            head += t.weight * in_head
        coverage = covered / total_w
        if coverage < _MIN_COVER:
            return 0.0
        plain = doc.plain
        additional = doc.food.additional
        if additional and (extra_only or "NFS" in additional):
            asked = [frozenset(t.alts) for t in terms]

            def names_query(words: set[str]) -> bool:
                return all(words & a for a in asked) and all(
                    any(w in a for a in asked) for w in words
                )

            for item in additional.split(";"):
                words = set(tokens(item))
                # One whole synonym saying exactly what was asked ("Coke") is as good as the
                # name, when no food's name says it: "Imitation cheese" lists "cheddar" among
                # its synonyms, and "Cheese, Cheddar" is what "cheddar" asks for.
                # "apple, NFS" among them says this is the generic apple.
                if extra_only and coverage < 1.0 and names_query(words) and not self._named(words):
                    coverage, head = 1.0, total_w
                if "nfs" in words and len(words) > 1 and names_query(words - {"nfs"}):
                    plain = True
        unsaid = doc.total_cost - math.fsum(doc.cost[w] for w in said)  # set: order-free sum
        score = (
            _W_COVER * coverage
            + _W_HEAD * head / total_w
            + _W_WHOLE_HEAD * (bool(doc.head) and doc.head <= said)
            + _W_UNSAID / (1.0 + _UNSAID_SCALE * max(unsaid, 0.0))
            + _W_PLAIN * plain
        )
        return min(score, 1.0)

    def score(self, terms: Sequence[_Term], docs: Iterable[Doc]) -> list[Hit]:
        hits = []
        for d in docs:
            s = self.score_doc(terms, d)
            if s > 0:
                hits.append((s, d))
        # Near-ties go by the source's order: FNDDS before SR28, and FNDDS codes run from the
        # generic food to its variants (31102000 "Egg, whole, cooked" before 31108100 "Egg,
        # white"); foods outside the index come after.
        hits.sort(key=lambda sd: (-round(sd[0], 2), sd[1].rank))
        return [Hit(d.food, s, d.rank) for s, d in hits]


_lock = threading.Lock()
_index: SearchIndex | None = None


def packaged_index() -> SearchIndex:
    """The index over the packaged foods, built once (~0.7 CPU s); threads wait for one build."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = SearchIndex((*load_fndds_foods(), *load_usda_foods()))
    return _index


def index_ready() -> bool:
    return _index is not None
