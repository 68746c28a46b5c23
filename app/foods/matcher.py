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
import gc
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from app.foods import lexicon
from app.foods.dataset import FoodRecord

# numpy is imported where an index is built or queried, not with the app (0.1 s of CPU at every
# start); the server builds its index after start-up.
if TYPE_CHECKING:
    import numpy as np

__all__ = ["FoodIndex", "Match", "participle", "stem", "unspecified", "words"]

# Weight of a query word found only in the additional descriptions / only in the category.
_ADDITIONAL = 0.8
_CATEGORY = 0.4
# ... found only in the food's portions ("1 patty").
_PORTION = 0.4
# Share of all foods whose portions use a word beyond which it names none of them.
_PORTION_COMMON = 0.1
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
# A tie-break for the foods FNDDS lists the words said as a name of ("Coke": "Soft drink, cola").
_ALIAS = 0.01
# Share of its weight a word after a description's second comma costs when unsaid (not a
# changed state: "caffeine free", "dry" say what the food is however late they come).
_LATE = 0.3
_MEASURED = 0.08
# Share of the raw and measured bonuses a food keeps above the best of its head (in order).
_TIE = 0.05
_HEAD_BONUS = 0.1
_HEAD_WHICH = 0.05
# A head word after "with" ("meat" of "Burrito with meat") counts this much of one: a float sum
# of whole words and a few of these tells which were said, exactly.
_WHICH = 2.0**-10
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
# Other names of a food of up to this many words are names (longer ones describe it).
_ALIAS_WORDS = 5
# ... unless a food as eaten's description has them as its noun and leaves less than this share
# of its weight unsaid.
_ALIAS_UNSAID = 0.4
# A soft word counts this much of its weight when the food has it.
_SOFT = 0.15
# Words that describe how a food is listed rather than what it is; saying nothing about them is
# no evidence against the food.
_LISTING_WORDS = frozenset(
    "nfs ns or and with from made type not specified as to be fat added without w".split()
)
_STOP = frozenset("a an the of and or with in on to for by from at as w".split())
# Joins the two known words a glued word splits into ("milk+shake"; see FoodIndex._split).
_GLUE = "+"
_BRACKETS = re.compile(r"\([^)]*\)")
_NONE: frozenset[str] = frozenset()
# Letters, with digits glued after them when they end the word ("g2", "v8"), or a number.
_WORD_RE = re.compile(r"[a-z]+(?:\d+\b)?|\d+(?:\.\d+)?%?")


@functools.cache
def stem(word: str) -> str:
    """A crude plural/singular folding that only needs to agree with itself."""
    w = word.lower()
    if len(w) > 4 and w.endswith(("ies", "ied")):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("ie"):
        w = w[:-2] + "y"  # "cookie" as "cookies": "cooky"
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
    return tuple(map(stem, _WORD_RE.findall(text.lower().replace("'", ""))))


def words(text: str) -> list[str]:
    return list(_words(text))


# Words for a changed state of the food ("sugar free"): never the usual form, however many
# foods have them.
_STATES = frozenset(
    "dry dried powder dehydrated concentrate condensed evaporated mix frozen canned free".split()
)
# The word lists above are compared with stems.
_GENERIC_WORDS = frozenset(map(stem, _GENERIC_WORDS))
_LISTING_WORDS = frozenset(map(stem, _LISTING_WORDS))
_STOP = frozenset(map(stem, _STOP))
_INFANT = frozenset(map(stem, _INFANT))
_STATES = frozenset(map(stem, _STATES))


class Match(NamedTuple):
    """A food and how well the words said fit it (a tuple: a query makes many of them)."""

    food: FoodRecord
    score: float
    covered: frozenset[str]  # query stems the food's words cover
    coverage: float = 1.0  # share of the query's weight (without soft words) the food covers
    # Share of the food's description weight the query did not say, a family's common modifiers
    # discounted (what the parser's thresholds use; the score uses the share with said words in
    # full, which is kinder to a long family: "toast" vs "Bread, NS as to major flour, toasted").
    unsaid: float = 0.0
    # The query said every word of the food's head ("Macaroni and cheese"; "taco" of "Taco or
    # tostada with meat": a head ends at "with").
    named: bool = False
    noun: bool = True  # the query said the food's noun ("pretzels"), not only how it is ("salted")


_new_match = tuple.__new__
# One bit per word said, to tell which words each top food has (see FoodIndex._covered): a
# float holds the sum of up to 52 of them exactly.
_BIT_WORDS = 52


@functools.cache
def _bits() -> np.ndarray:
    import numpy as np  # not at module level: see the import above

    return 2.0 ** np.arange(_BIT_WORDS)


_UNSPECIFIED_RE = re.compile(r"\b(?:NS|not specified) as to [^,;]*|\bNFS\b|\bNS\b", re.IGNORECASE)


def unspecified(text: str) -> tuple[str, bool]:
    """The text without "NS as to fat"/"NFS" (what was not specified is not unsaid), and
    whether there was any: such a food is the generic form of its kind."""
    if text.isascii():
        # Most texts say none of it: three substring tests instead of the regex's scan.
        low = text.lower()
        if "ns" not in low and "nfs" not in low and "not specified" not in low:
            return text, False
    out, n = _UNSPECIFIED_RE.subn(" ", text)
    return out, n > 0


_LIST_HEAD_RE = re.compile(r"^((?:[^,()]+, ){1,4})and ")


def _list_head(name: str) -> str:
    """ "Bacon, lettuce, and tomato sandwich": the commas of a list that opens a name are
    part of its head, not the ends of it ("Bacon and lettuce and tomato sandwich")."""
    m = _LIST_HEAD_RE.match(name)
    if (
        m is None
        or any(
            len(ws := p.lower().split()) > 3
            or (_HEAD_ENDS | {"nfs", "ns"}) & set(ws)
            or p.endswith("-")  # "Turnover, meat-, potato-, and vegetable-filled": a turnover
            for p in m[1].split(", ")[:-1]
        )
    ):
        return name
    return m[1].replace(", ", " and ") + name[m.end() :]


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
        # The build makes hundreds of thousands of small objects and keeps nearly all: each
        # full collection midway walks the whole heap and frees nothing (a third of the build's
        # CPU). Collections resume after it (the API then freezes the index: app/main.py).
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build(foods)
        finally:
            if collecting:
                gc.enable()

    def _build(self, foods: Iterable[FoodRecord]) -> None:
        import numpy as np

        self.foods: tuple[FoodRecord, ...] = tuple(foods)
        fields: list[tuple[set[str], set[str], set[str], bool]] = []
        heads: list[frozenset[str]] = []
        alts: list[set[str]] = []
        names: list[str] = []
        df: dict[str, int] = defaultdict(int)
        head_words: list[frozenset[str]] = []  # a head's words, either alternative said
        head_sizes: list[float] = []
        which: list[frozenset[str]] = []
        nouns: list[frozenset[str]] = []
        together = _collocations(self.foods)
        # Names made of number words ("half and half"): one word of their own (see _fused).
        self.number_names: dict[tuple[str, ...], str] = {}
        noun_memo: dict[str, frozenset[str]] = {}
        # Words of no description nor portion: what a food's one-word synonyms add (below).
        # (FNDDS's: SR28 names brands' products, "KASHI Mushroom & Asparagus Risotto, frozen".)
        described = {
            w for food in self.foods if _source(food) == "fndds" for w in _words(food.name)
        }
        described |= {w for food in self.foods for p in food.portions for w in _portion_seq(p)}
        syn_nouns: list[frozenset[str]] = []
        own_nouns: list[frozenset[str]] = []  # of its head only ("sandwich", not its kind's)
        glued_words: list[frozenset[str]] = []
        for food in self.foods:
            name, generic = unspecified(food.name)
            name = _list_head(name)
            names.append(name)
            seq = _words(name)
            main = set(seq) - _STOP
            for run in _fused(name):
                self.number_names[run] = "".join(run)
                main.add("".join(run))
            kind = set(_words(_category(food))) - _STOP
            # "Cheeseburger" among "Burgers", "cupcake" among "Cakes": a compound ending in its
            # kind's word is one of that kind, so that word names it as well.
            compound = {n: w for w in main for n in kind if len(n) > 3 and w.endswith(n) and w != n}
            # A food whose head is that compound alone ("Hamburger, NFS", "Hamburger, on white
            # bun, ...") is a plain one of the kind the category names ("Burgers"): said, the
            # kind's word is its description as much as "Turkey burger"'s ("a burger on a bun"
            # is neither a turkey burger nor Burger King's, whose brand has the word); unsaid,
            # it costs nothing the compound does not.
            glued = _NONE
            lead = set(_words(name.split(",")[0])) - _STOP
            if len(lead) == 1 and _source(food) == "fndds":
                glued = frozenset(n for n, w in compound.items() if w in lead).intersection(
                    _phrase_nouns(_BRACKETS.sub(" ", _category(food)), together)
                )
            glued_words.append(glued)
            main |= glued
            extra = (set(_words(unspecified(_additional(food))[0])) | set(compound)) - _STOP - main
            # A changed state past the head ("Cookie, sugar or plain, sugar free") is no
            # generic form, whatever else its name says.
            generic = (generic or bool(main & _GENERIC_WORDS)) and not main & _STATES - lead
            cat = kind - main - extra
            fields.append((main, extra, cat, generic))
            # "Macaroni or noodles with cheese", "Frankfurter or hot dog": the words after "or"
            # (as far as they go together, "hot dog") are an alternative to the word before;
            # saying one of them says the food.
            alt = {b for a, b in itertools.pairwise(seq) if a == "or"}
            alts.append(alt)
            # "Sports drink (Gatorade G)": a brand in brackets says which one, not what it is.
            first = _words(_BRACKETS.sub(" ", name.split(",")[0]))
            head = frozenset(first) - _STOP
            heads.append(head - alt)
            # "Burrito with meat": a burrito; "with meat" says which one (see _WHICH).
            cut = next((k for k, w in enumerate(first) if w in _HEAD_ENDS and k), len(first))
            which.append(head - frozenset(first[:cut]))
            # Named by either alternative, as far as its words go together ("hot dog"): the
            # head's other words and the last word of one of them.
            runs = [_run(seq[k + 1 :], together) for k, a in enumerate(seq) if a == "or"]
            either = head - {w for run in runs for w in run}
            head_words.append(
                either
                | {run[-1] for run in runs if run and run[-1] in head}
                | {n for n, w in compound.items() if w in head}
            )
            head_sizes.append(len(either - which[-1]) + _WHICH * len(either & which[-1]))
            # A name the data gives only as a synonym ("Nigiri" of "Sushi, topped with salmon",
            # "pierogi" of dumplings, "polenta"): what the food is, as its description's noun is
            # ("salmon nigiri" is sushi). Not a noun that makes other words said how a food was
            # served (see _unattested): that cost a dev half a meal.
            synonyms = {
                ws[0]
                for e in _additional(food).split(";")
                if len(ws := _words(_BRACKETS.sub(" ", e))) == 1 and ws[0] not in described
            }
            got, head_noun = _nouns(food, together, noun_memo)
            nouns.append(got)
            own_nouns.append(head_noun)
            syn_nouns.append(nouns[-1] | synonyms)
            for w in main | extra:
                df[w] += 1
        n = max(1, len(fields))
        self._idf = {w: math.log(1 + n / c) for w, c in df.items()}
        # Every word's weight, looked up once per word said instead of computed each time.
        self._weights = {w: self._weight(w) for w in (*self._idf, *_LISTING_WORDS, *_GENERIC_WORDS)}
        weight = self._weights
        main_weight = np.zeros(n)
        # A modifier most foods of the same head carry ("whole" among eggs) is the usual form:
        # leaving it unsaid costs less than leaving unsaid one few of them have ("white" egg).
        family: dict[tuple[frozenset[str], str], int] = defaultdict(int)
        for h, (main, *_rest) in zip(heads, fields, strict=True):
            for w in main - h:
                family[h, w] += 1
        # The postings of all words as flat lists in food order, sorted by word below.
        post_words: list[str] = []
        post_food: list[int] = []
        post_f: list[float] = []
        post_unsaid: list[float] = []
        post_said: list[float] = []
        post_head: list[float] = []
        post_noun: list[float] = []
        self.measure_words, self.container_words = _measure_words(self.foods, df)
        # What a food's portions are units of ("1 patty", "1 juice box/pouch (6.75 fl oz)"),
        # but those most foods' portions use ("cup", "oz"): they say how much, not which
        # food, and would make every query a scan.
        # A word last in some portions but more often before another word is a size ("1
        # medium" of a cookie; "1 medium slice"), not what is counted.
        seqs = [[_portion_seq(p) for p in food.portions] for food in self.foods]
        last_n: dict[str, int] = defaultdict(int)
        inner_n: dict[str, int] = defaultdict(int)
        for food_seqs in seqs:
            for seq in food_seqs:
                if seq:
                    last_n[seq[-1]] += 1
                    for w in seq[:-1]:
                        inner_n[w] += 1
        units = {w for w, c in last_n.items() if c > inner_n[w] and w in weight and w not in _STOP}
        # Words the portions use are the data's own spelling, never a typo of a food word
        # ("pouch" is not "poached").
        self._portion_vocab = frozenset(last_n) | frozenset(inner_n)
        portion_words = [
            frozenset(seq[-1] for seq in food_seqs if seq and seq[-1] in units)
            for food_seqs in seqs
        ]
        pdf: dict[str, int] = defaultdict(int)
        for pw in portion_words:
            for w in pw:
                pdf[w] += 1
        too_common = len(self.foods) * _PORTION_COMMON
        # How the food FNDDS codes its head's bare name as is ("tea, NS as to type": "Tea, hot,
        # leaf, black"), in its one-word parts: the usual form of that head, unsaid at half the
        # cost ("black tea" is hot leaf tea, not bottled iced tea).
        usual: dict[frozenset[str], set[str]] = defaultdict(set)
        for i, food in enumerate(self.foods):
            for part in _additional(food).split(";"):
                rest, n_unspecified = unspecified(part)
                if n_unspecified and frozenset(words(rest)) - _STOP == heads[i]:
                    for p in names[i].split(",")[1:]:
                        if len(ws := _words(p)) == 1:
                            usual[heads[i]].add(ws[0])
        for i, (main, extra, cat, _generic) in enumerate(fields):
            late = _late_words(names[i], _source(self.foods[i]) == "fndds")
            head, alt = heads[i], alts[i]
            undiscounted = head | _STATES
            glued_k = glued_words[i]
            unsaid_w = {
                w: 0.0
                if w in glued_k
                else weight.get(w, 0.0)
                * (0.5 if w in usual.get(head, _NONE) else 1.0)
                * (_ALTERNATIVE if w in alt else 1.0)
                / (1.0 + (math.log(family[head, w]) if w not in undiscounted else 0.0))
                * (_LATE if w in late and w not in _STATES else 1.0)
                for w in main
            }
            # "Sausage, NFS" is measured in patties: "a sausage patty" is some of it. (Not the
            # measure words most foods' portions use, "cup", "slice": they say how much.)
            por = sorted(
                w
                for w in portion_words[i]
                if pdf[w] <= too_common and w not in main and w not in extra and w not in cat
            )
            # "Taco or tostada with meat": "with beef, steak, pork, ..." says which meats; said,
            # each is the description's "meat", said (a description word standing for another).
            kinds = _kinds_of(names[i], _additional(self.foods[i]), main, extra)
            listed = [w for w in extra if w not in kinds]
            k = len(main) + len(kinds) + len(listed) + len(cat) + len(por)
            post_words += main
            post_words += kinds
            post_words += listed
            post_words += cat
            post_words += por
            post_food += [i] * k
            post_f += [1.0] * (len(main) + len(kinds))
            post_f += [_ADDITIONAL] * len(listed) + [_CATEGORY] * len(cat)
            post_f += [_PORTION] * len(por)
            post_unsaid += unsaid_w.values()
            post_unsaid += [unsaid_w[w] for w in kinds.values()]
            post_said += [weight[w] for w in (*main, *kinds.values())]
            others = [0.0] * (k - len(main) - len(kinds))
            post_unsaid += others
            post_said += others
            # Head words are description words or synonyms (an alternative's last word, a
            # compound's kind: "burger" of "Cheeseburger"), never category words.
            hw, food_nouns, wh = head_words[i], syn_nouns[i], which[i]
            post_head += [
                (_WHICH if w in wh else 1.0) if w in hw else 0.0
                for w in (*main, *kinds.values(), *listed)
            ]
            post_head += [0.0] * (len(cat) + len(por))
            post_noun += [1.0 if w in food_nouns else 0.0 for w in main]
            post_noun += [1.0 if w in food_nouns else 0.0 for w in kinds.values()]
            post_noun += [1.0 if w in food_nouns else 0.0 for w in listed]
            post_noun += [1.0 if w in food_nouns else 0.0 for w in cat]
            post_noun += [0.0] * len(por)
            # fsum: exact whatever the set's order, which PYTHONHASHSEED changes per process.
            main_weight[i] = math.fsum(unsaid_w.values())
        # Postings as arrays: a query adds a few arrays instead of looping over foods in Python.
        # Per word, its foods (in food order) and a block of rows, one column per food:
        # 0 the word's weight in the food (by field), 1 its unsaid weight, 2 its whole weight
        # when said (description words only), 3 the field factor, 4 whether it is one of the
        # words naming the food's head, 5 whether it is one of the food's nouns. A query
        # concatenates one block per word said and sums rows with bincount.
        word_ids = {w: k for k, w in enumerate(dict.fromkeys(post_words))}
        wid = np.array([word_ids[w] for w in post_words], dtype=np.int32)
        order = np.argsort(wid, kind="stable")
        f_arr = np.array(post_f)
        block = np.array(
            [
                np.array([weight.get(w, 0.0) for w in post_words]) * f_arr,
                post_unsaid,
                post_said,
                f_arr,
                post_head,
                post_noun,
            ]
        )[:, order]
        food_ids = np.array(post_food, dtype=np.int32)[order]
        ends = np.cumsum(np.bincount(wid, minlength=len(word_ids))).tolist()
        self._postings = {
            w: (food_ids[a:b], block[:, a:b])
            for w, a, b in zip(word_ids, [0, *ends[:-1]], ends, strict=True)
        }
        self._main_weight = np.where(main_weight > 0, main_weight, 1.0)
        self._generic = np.array([g for *_, g in fields], dtype=bool)
        self._raw = np.array(["raw" in main for main, *_ in fields], dtype=bool)
        self._cooked = np.array(["cook" in main for main, *_ in fields], dtype=bool)
        # How many SR28 household measures a food has: the forms cooks use are the ones measured
        # in many ways ("1 cup, 1 medium, 1 large"); a by-product has one ("1 skin").
        self._measured = np.log1p(
            [len(f.portions) if _source(f) == "sr28" else 0 for f in self.foods]
        )
        # Foods for infants (WWEIA "Baby food: ...", "Infant formulas") are meant only when the
        # text says so; otherwise their plain names ("Macaroni and cheese, baby food") compete.
        self._infant = np.array(
            [bool(_INFANT & (set(_words(_category(f))) | set(_words(f.name)))) for f in self.foods],
            dtype=bool,
        )
        # USDA names lead with the food's head ("Rice, white, ..." vs "Rice crackers"): a food
        # whose whole head was said is that thing, not something made with it.
        self._head_size = np.array(head_sizes)
        head_ids: dict[frozenset[str], int] = {}
        self._head_id = np.array([head_ids.setdefault(h, len(head_ids)) for h in heads])
        # FNDDS says which food it codes an unspecified name as: "Tea, hot, leaf, black" lists
        # "tea, NS as to type", "Apple, raw" lists "apple, NFS". Said in just those words, the
        # name means that food (when the name is of the food's head, not of a part: "bread,
        # NFS" of a cheese sandwich is its bread).
        defaults: dict[frozenset[str], list[int]] = defaultdict(list)
        # And which foods it lists a name of as a whole ("Coke" of "Soft drink, cola"; "Diet
        # Coke" of the diet one): said in just those words, the name is of those foods first.
        aliases: dict[frozenset[str], list[int]] = defaultdict(list)
        for i, food in enumerate(self.foods):
            for part in _additional(food).split(";"):
                rest, n_unspecified = unspecified(part)
                ws = _words(rest)
                key = frozenset(ws) - _STOP
                if n_unspecified and key and key & head_words[i]:
                    defaults[key].append(i)
                    # "chicken or turkey soup, NFS": "chicken soup" and "turkey soup" too.
                    for a, o, b in zip(ws, ws[1:], ws[2:], strict=False):
                        for one in (key - {a}, key - {b}) if o == "or" else ():
                            if one & head_words[i]:
                                defaults[one].append(i)
                elif key and not n_unspecified:
                    aliases[frozenset(words(rest.split(",")[0])) - _STOP].append(i)
        self._defaults = {k: np.array(v, dtype=np.int32) for k, v in defaults.items()}
        self._aliases = {k: tuple(v) for k, v in aliases.items()}
        # The names of two or more words FNDDS lists for a food ("Arroz con Pollo" of "Rice
        # with chicken, Puerto Rican style", "Tortilla de amarillo" of a plantain omelet).
        multi: dict[frozenset[str], list[int]] = defaultdict(list)
        for i, food in enumerate(self.foods):
            for part in _additional(food).split(";"):
                key = frozenset(_words(_BRACKETS.sub(" ", part))) - _STOP
                # ... or of one word no food as eaten is described by ("risotto").
                if len(key) > 1 or key & (syn_nouns[i] - nouns[i]):
                    multi[key].append(i)
        self._synonyms = {k: np.array(v, dtype=np.int32) for k, v in multi.items()}
        # The other names FNDDS lists for a food ("Pasta, cooked": "macaroni, spaghetti, any
        # shape of pasta"; "Subway Steak & Cheese Sub"), each as its words, by word.
        # A name ends in a word that ends some food as eaten's head ("animal cracker": "Cookie
        # or cracker, ..."); not "sweet", "light", "on bun", "ready-to-serve", "salted", nor a
        # word portions count ("bulk, crumbled, link, patty": how it is sold).
        head_nouns: set[str] = set()
        for food, name in zip(self.foods, names, strict=True):
            seq = _words(_BRACKETS.sub(" ", name.split(",")[0]))
            opening = list(itertools.takewhile(lambda w: w not in _HEAD_ENDS, seq))
            if _source(food) == "fndds" and opening:
                head_nouns.add(opening[-1])
        self._alt_names: dict[str, list[tuple[int, frozenset[str], float, frozenset[str]]]] = (
            defaultdict(list)
        )
        for i, food in enumerate(self.foods):
            # A list of kinds ends with the food they are kinds of ("macaroni, spaghetti, any
            # shape of pasta" of "Pasta, cooked"); "Coffee flavors, Chocolate, Cocoa, or Mocha"
            # lists no coffees.
            segments = _BRACKETS.sub(" ", _additional(food)).split(";")
            kin = [
                seg
                for seg in segments
                if "," not in seg
                or set(_words([p for p in seg.split(",") if _words(unspecified(p)[0])][-1]))
                & heads[i]
            ]
            for part in (p for seg in kin for p in seg.split(",")):
                part = unspecified(part)[0].strip()
                seq = _words(part)
                key = frozenset(seq) - _STOP
                if (
                    0 < len(key) <= _ALIAS_WORDS
                    and not set(seq) & _STOP
                    and not any(map(participle, part.lower().split()))
                    and seq[-1] in head_nouns
                    and not key & units
                ):
                    # Said, its words the description lacks count as description words.
                    gain = math.fsum(weight.get(w, 0.0) for w in key - fields[i][0])
                    for w in key:
                        self._alt_names[w].append((i, key, gain, frozenset(fields[i][0])))
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
        # Words that are some food's noun: what a food is, never only how it is served.
        self.noun_vocab = frozenset().union(*nouns)
        self._food_nouns = {f.id: n for f, n in zip(self.foods, nouns, strict=True)}
        self._head_nouns = {f.id: n for f, n in zip(self.foods, own_nouns, strict=True)}
        self._corrections: dict[str, str | None] = {}
        # About 5 kB a query (15 matches): 1,024 of them cost at most ~5 MB.
        self._match_cached = functools.lru_cache(maxsize=1024)(  # type: ignore[method-assign]
            self._match_cached
        )
        self._df = dict(df)
        # A word the parser reads as English, respelled ("mac": "macaroni") or as the scene
        # ("dessert"), is a food's own beside a word its name has with it ("Big Mac", "Gelatin
        # dessert").
        self._glued, self.english_pairs = _glued_pairs(self.foods, self._vocab)
        # A word the parser reads as how a food felt, before a word it names a food as eaten
        # with ("hot chocolate", "hot dog", "iced tea", "sweet potato"): a name there.
        self.soft_names = frozenset(
            (a, b)
            for food in self.foods
            if _source(food) == "fndds"
            for a, b in itertools.pairwise(
                _WORD_RE.findall(_BRACKETS.sub(" ", food.name.split(",")[0]).lower())
            )
            if a in lexicon.SOFT and stem(b) not in _STOP
        )
        self._deletes: dict[str, list[str]] = defaultdict(list)
        for w in self._vocab:
            if len(w) >= 4 and w.isalpha():
                for d in _deletes(w):
                    self._deletes[d].append(w)

    # --- vocabulary -------------------------------------------------------------------------

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
        raw = word.lower()
        glued = self._split(raw) if raw.isalpha() else None
        if glued is not None:
            return glued
        if s in self._vocab:
            return s
        if len(raw) < 5 or not raw.isalpha() or s in self._portion_vocab:
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
        # Few typos change a word's first letter; a word of another language often differs from
        # a food word only there ("jacket" potato is no "packet", "lolly" no "jolly").
        found = {c: f for c, f in found.items() if c[0] == raw[0]}
        if not found:
            return None
        # The most common of the close words: a typo is likelier of a frequent word.
        return min(found, key=lambda c: (found[c], c))

    def _split(self, raw: str) -> str | None:
        """Two words the data spells apart written as one ("milkshake": "Milk shake"), when
        the data has them apart more often than glued: one query word that match() reads as
        both (see _GLUE)."""
        pair = self._glued.get(stem(raw))
        if pair is None or pair[1] <= self._df.get(stem(raw), 0):
            return None
        return pair[0]

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
        if any(_GLUE in w for w in query):
            query = _unglue(query)
        if nouns is not None and any(_GLUE in w for w in nouns):
            nouns = _unglue(nouns)
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

        weight = self._weights
        q = [w for w in dict.fromkeys(query) if w not in _STOP and weight.get(w, 0.0) > 0]
        # The soft words said (measure words are soft too), unless they are all that was said
        # ("lasagna", "a bowl").
        soft_given = soft
        # Asked once per query, not once per measure word said.
        named_by_measure = any(w in self.measure_words for w in q) and self._all_in_one(
            [v for v in q if v not in measure]
        )
        soft = frozenset(
            w for w in q if w in soft_given or (w in self.measure_words and not named_by_measure)
        )
        all_soft = len(soft) == len(q)
        if all_soft:
            soft = frozenset()
        elif len(q) > 1:
            soft |= self._unattested(q, soft, nouns)
        hard = sum(weight[w] for w in q if w not in soft)
        if hard <= 0:
            return []
        # Only foods that have a word said can score: sum the postings of the words said over
        # those few hundred foods (bincount, in query order, as a dense running sum would)
        # instead of over arrays of all 16,000 foods.
        part_words = [w for w in q if w in self._postings]
        posts = [self._postings[w] for w in part_words]
        if posts:
            said = np.concatenate([p[0] for p in posts])
            block = np.concatenate([p[1] for p in posts], axis=1)
        else:
            said, block = np.zeros(0, dtype=np.int32), np.zeros((6, 0))
        # Any word said may be the noun, a measure too ("a drumstick of fried chicken"), and
        # English names a thing last ("chow mein noodles" are noodles) or as the measure of the
        # rest: the food whose noun that is fits best. (The nouns given need not be words of
        # the query, so whether one is soft is asked of the soft words given, not said.)
        noun_seq = q if nouns is None else nouns
        noun_words = {*noun_seq, *measure}
        named = [
            w
            for w in noun_seq
            if w not in measure
            and (all_soft or (w not in soft_given and w not in self.measure_words))
        ]
        last_words = {*named[-1:], *measure}
        # The candidates in food order, and each posting's place among them (a mark and a map
        # over all foods: twice as fast as np.unique here).
        mark = np.zeros(len(self.foods), dtype=bool)
        mark[said] = True
        cand = np.flatnonzero(mark)
        m = len(cand)
        place = np.empty(len(self.foods), dtype=np.intp)
        place[cand] = np.arange(m)
        inv = place[said]
        acc_w = block[0]
        hard_w = None
        # A head is named by food words, not by a measure ("3 strips of bacon" does not name
        # "Bacon strip, meatless").
        head_w = block[4]
        # Which foods a word said may name by its noun, and by the noun said last.
        noun_w = block[5]
        last_w = np.zeros(block.shape[1])
        start = 0
        for w, (idx, _b) in zip(part_words, posts, strict=True):
            end = start + len(idx)
            if w in soft:
                if hard_w is None:
                    acc_w, hard_w = acc_w.copy(), acc_w.copy()
                acc_w[start:end] = _SOFT * weight[w] * block[3, start:end]
                hard_w[start:end] = 0.0
            if w in measure:
                if head_w is block[4]:
                    head_w = head_w.copy()
                head_w[start:end] = 0.0
            if w not in noun_words:
                if noun_w is block[5]:
                    noun_w = noun_w.copy()
                noun_w[start:end] = 0.0
            if w in last_words:
                last_w[start:end] = block[5, start:end]
            start = end
        acc: np.ndarray = np.bincount(inv, acc_w, m)
        # With no soft word the hard sums are the same sums as acc's.
        hard_hit: np.ndarray = np.bincount(inv, hard_w, m) if hard_w is not None else acc
        hits_real = np.bincount(inv, block[1], m)
        hits_imag: np.ndarray = np.bincount(inv, block[2], m)
        heads = np.bincount(inv, head_w, m)
        noun_said = np.bincount(inv, noun_w, m) > 0
        noun_last = np.bincount(inv, last_w, m) > 0
        rows = self._rows.take(cand, axis=0)
        main_weight, head_size, generic, infant = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
        head_named = heads >= head_size
        # Its head said up to "with" ("taco" of "Taco or tostada with meat"): named, with less
        # of a bonus than a head said whole ("Burrito with beans" of a burrito of beans).
        named_which = heads >= np.floor(head_size)
        default: np.ndarray | float = 0.0
        said_key = frozenset(w for w in q if w not in soft)
        named_as = self._defaults.get(said_key)
        exact: np.ndarray | None = None  # the foods FNDDS codes just the words said as
        if named_as is not None:
            exact = default = np.isin(cand, named_as)
        elif len(said_key) > 1:
            # "black tea": the food a word said alone is coded as ("tea": "Tea, hot, leaf,
            # black"), when it has all the words said.
            got = [self._defaults[k] for w in said_key if (k := frozenset({w})) in self._defaults]
            if got:
                named_as = np.concatenate(got)
                default = np.isin(cand, named_as) & (hard_hit >= hard - 1e-9)
        # (Not over the food FNDDS codes the words as: "lemonade, NFS" over "lemonade, freshly
        # squeezed".)
        alias = self._aliases.get(said_key) if named_as is None else None
        unsaid = np.maximum(0.0, main_weight - hits_real)
        if exact is not None:
            # Said in just the words FNDDS codes as a food whose head has more ("beef stew, NFS":
            # "Beef stew with potatoes and vegetables ..."; "chicken soup": the noodle soup;
            # "chili": "Chili con carne with beans"), the words name it, its head and noun: the
            # rest is the usual, not unsaid.
            # Not over a food whose description is just the words said ("Beef goulash").
            fuller = exact & ~head_named
            if not (head_named & (unsaid <= 0) & (hard_hit >= hard - 1e-9)).any():
                unsaid = np.where(fuller, 0.0, unsaid)
                head_named, noun_said = head_named | fuller, noun_said | fuller
                # It is those words' generic form ("NFS"), as "Soup, NFS" is of "soup".
                generic = np.maximum(generic, fuller)
        # Said in just the words of one of its listed names, and none of its description's, a
        # food is named, not described: nothing of its description went unsaid.
        # (A soft word may be one of the name's: "Hot Pockets Pepperoni Pizza".) Named so, the
        # food is what was said: its noun and head said too.
        named_by = self._synonyms.get(frozenset(w for w in q if w not in soft))
        if named_by is None and soft:
            named_by = self._synonyms.get(frozenset(q))
        if named_by is not None:
            is_named = np.isin(cand, named_by) & (hits_imag == 0)
            unsaid = np.where(is_named, 0.0, unsaid)
            noun_said = noun_said | is_named
            head_named = head_named | is_named
        # Said, a word is as much of the food as any other: the discounts of its unsaid weight
        # are for leaving it unsaid ("toast" says "Bread, toasted" half, not a fifth).
        share = unsaid / np.maximum(unsaid + hits_imag, 1e-9)
        # What no food as eaten's description names by its head and noun ("spaghetti": dishes
        # of it, "Spaghetti sauce", dry SR28 kinds) another name FNDDS lists for a food may: that
        # food is said in full, by its head and noun ("Pasta, cooked", whose other names are
        # "macaroni, spaghetti, any shape of pasta"); its description a tie-break, as unsaid.
        fndds_col = self._source_col.get("fndds")
        alt_by, gain = (
            self._alias(q, soft, noun_seq, soft_given) if fndds_col is not None else ([], [])
        )
        if alt_by:
            eaten = (
                (rows[:, fndds_col] > 0) & (infant == 0) & noun_said & (hits_imag >= hard - 1e-9)
            )
            names_it = head_named | (unsaid <= _ALIAS_UNSAID * main_weight)
            if (eaten & names_it).any() or self._product(q, soft, cand[eaten & ~names_it]):
                alt_by = []
        if alt_by:
            j, gain_w = place[alt_by], np.array(gain, dtype=float)
            add = np.zeros(m)
            add[j] = gain_w
            acc, hard_hit = acc + (1 - _ADDITIONAL) * add, hard_hit + (1 - _ADDITIONAL) * add
            hits_imag = hits_imag + add
            heads, noun_said, noun_last = heads.copy(), noun_said.copy(), noun_last.copy()
            heads[j] = np.maximum(heads[j], head_size[j])
            noun_said[j] = noun_last[j] = True
            share = unsaid / np.maximum(unsaid + hits_imag, 1e-9)
            head_named = heads >= head_size
        # The usual sense of words is the kind of food most foods that have all of them belong
        # to ("toast": the many toasted breads, not French toast; "cola": the soft drinks, not
        # one cocktail each): a food gains with the size of its family among full matches.
        # Meals only, FNDDS first: its names lead with the food as eaten; SR28's often lead with
        # a group ("Snacks, potato chips, salted") that says nothing of the usual sense of "salt".
        fam: np.ndarray | None = None
        sr28_col = self._source_col.get("sr28")
        if prefer == "fndds" and fndds_col is not None:
            whole = hard_hit >= hard - 1e-9
            full = whole & (rows[:, fndds_col] > 0)
            # Whether a food as eaten is what was said, by its head and noun ("flour" is not
            # "Corn flour patty", a patty); read before the kind below adds to the nouns.
            as_eaten = False
            if full.any():
                as_eaten = bool(((heads[full] > 0) & noun_said[full]).any())
                fam = np.zeros(m)
                full_heads = self._head_id[cand[full]]
                counts = np.bincount(full_heads)
                of_full = counts[full_heads]
                fam[full] = np.log1p(of_full) / math.log1p(counts.max())
                # A word most of whose foods are one kind names that kind ("toast": the
                # toasted breads), though it is not their noun.
                kind = of_full * 2 > len(of_full)
                noun_said[full] |= kind
                noun_last[full] |= kind
            if not as_eaten and sr28_col is not None:
                # A meal's food that no food as eaten is ("flour") has a usual sense among
                # SR28's foods too: the many wheat flours, not potato or soy flour. Counted
                # among foods whose head was said, not a group ("Snacks, pretzels, salted" is
                # no kind of salt). (For ingredients, SR28's own context, this cost both dev
                # halves a point or two.)
                full = whole & (rows[:, sr28_col] > 0) & (heads > 0) & noun_said
                if full.any():
                    if fam is None:
                        fam = np.zeros(m)
                    full_heads = self._head_id[cand[full]]
                    counts = np.bincount(full_heads)
                    fam[full] = np.log1p(counts[full_heads]) / math.log1p(counts.max())
        elif prefer == "sr28" and sr28_col is not None:
            # An ingredient's usual sense too, when no food is named by just the words said
            # ("flour": the many wheat flours, "Wheat flour, ...", not "Potato flour").
            full = (hard_hit >= hard - 1e-9) & (rows[:, sr28_col] > 0) & (heads > 0) & noun_said
            if full.any() and not (full & (heads >= head_size)).any():
                fam = np.zeros(m)
                full_heads = self._head_id[cand[full]]
                counts = np.bincount(full_heads)
                fam[full] = np.log1p(counts[full_heads]) / math.log1p(counts.max())
        # The terms in a fixed order (float sums depend on it); a term that is zero for every
        # food is left out, which changes no sum.
        # Soft words (and the measure: "a portion of chicken") help a food that has them by
        # at most a soft word's share: not as the words that name it ("large meat portion").
        if hard_w is not None:
            acc = np.minimum(acc, hard_hit + _SOFT * hard)
        score = acc / hard - _UNSAID * share + _GENERIC_BONUS * generic
        if fam is not None:
            score += _FAMILY * fam
        if named_as is not None:
            score += _DEFAULT * default
        if alias is not None:
            is_alias = np.isin(cand, alias)
            score += _ALIAS * is_alias
            noun_said |= is_alias
        score += _HEAD_BONUS * head_named + _HEAD_WHICH * (named_which & ~head_named)
        # Matched in its description by words none of which is its noun: "salt" in "Pretzels,
        # salted", "salad" in "Salad dressing" describe another food.
        score -= _NOUN * ((hits_imag > 0) & ~noun_said)
        score += _LAST_NOUN * noun_last
        src_col = self._source_col.get(prefer)
        if src_col is not None:
            score += _SOURCE_BONUS * rows[:, src_col]
        if prefer == "sr28":
            # An ingredient is bought raw unless the text says how it was cooked: that chooses
            # among the forms of one food (raw or roasted soy flour), never between foods
            # ("flour" is not soy flour for being sold raw), so a food rises by it at most just
            # past the best of its head. Cooks buy the forms measured in many ways (SR28's
            # "Milk, whole, 3.25%" rather than FNDDS's milk as drunk): that bonus is not capped.
            base = score
            hid = np.unique(self._head_id[cand], return_inverse=True)[1]
            best = np.full(int(hid.max()) + 1, -np.inf)
            np.maximum.at(best, hid, base)
            bonus = _GENERIC_BONUS * self._raw[cand]
            score = np.minimum(base + bonus, best[hid] + _TIE * bonus)
            score += _MEASURED * self._measured[cand]
        elif sr28_col is not None and rows[int(np.argmax(score)), sr28_col] > 0:
            # A meal's food found only in SR28 is eaten cooked unless the text says so ("pigeon
            # peas" are not the dry seeds): a cooked form up to the raw bonus below the best raw
            # form of its head rises just past it, the cooked forms kept in their order.
            raw = self._raw[cand] & (rows[:, sr28_col] > 0)
            hid = np.unique(self._head_id[cand], return_inverse=True)[1]
            top_raw = np.full(int(hid.max()) + 1, -np.inf)
            np.maximum.at(top_raw, hid[raw], score[raw])
            gap = top_raw[hid] - score
            lift = np.flatnonzero(self._cooked[cand] & (gap > 0) & (gap <= _GENERIC_BONUS))
            score[lift] += gap[lift] + _TIE * (_GENERIC_BONUS - gap[lift])
        if not _for_infants(q):
            score -= _INFANT_PENALTY * infant
        if len(cand) > limit:
            part = np.argpartition(-score, limit)[:limit]
        else:
            part = np.arange(len(cand))
        order = part[np.argsort(-score[part], kind="stable")]
        top = cand[order]
        # The words said each top food has, read off the postings in query order (a word set
        # per food would cost 10 MB).
        covered = self._covered(part_words, posts, inv, order, m)
        # Python floats taken from whole arrays at once: the same values as indexing one by one
        # (and the same quotients: a float division is the same in numpy and in Python).
        foods = self.foods
        out = [
            _new_match(Match, (foods[i], s, cov, hh / hard, u / mw, n, ns))
            for i, cov, s, hh, u, mw, n, ns in zip(
                top.tolist(),
                covered,
                score[order].tolist(),
                hard_hit[order].tolist(),
                unsaid[order].tolist(),
                main_weight[order].tolist(),
                named_which[order].tolist(),
                noun_said[order].tolist(),
                strict=True,
            )
        ]
        if extra:
            out = sorted(
                # All words said, those the index does not know too: they may be the user's
                # food's own ("zorblax oat bar"), and count for it as any other word would.
                [*out, *_match_extra(extra, _said(query), hard, self._weight)],
                key=lambda m: -m.score,
            )
        return out[:limit]

    def _alias(
        self,
        q: Sequence[str],
        soft: frozenset[str],
        nouns: Sequence[str],
        soft_said: frozenset[str],
    ) -> tuple[list[int], list[float]]:
        """The foods one of whose other names is the words said, none of them how the food was
        made ("preserved" is not "preserve" of "jam, marmalade, preserve, ..."), and the
        weight of the words of that name each food's description lacks. The other words said
        may be its description's ("cooked spaghetti": "Pasta, cooked")."""
        said = frozenset(w for w in q if w not in soft)
        named = said & set(nouns)
        if not named or said <= soft_said:
            return [], []
        rare = min(named, key=lambda w: self._df.get(w, 0))
        found = {
            i: gain
            for i, key, gain, main in self._alt_names.get(rare, ())
            if key <= named and said - key <= main
        }
        return list(found), list(found.values())

    def _all_in_one(self, q: Sequence[str]) -> bool:
        """Whether one food has every word said: a measure word among them is then a word of
        its name ("corn flakes"), not how much of it ("a cup, flakes")."""
        import numpy as np

        # In the descriptions ("Sausage, NFS" has patties among its portions, not its name).
        got = [p[0][p[1][2] > 0] for w in q if (p := self._postings.get(w)) is not None]
        if len(got) != len(q) or len(got) < 2:
            return False
        return bool(functools.reduce(np.intersect1d, got).size)

    def _product(self, q: Sequence[str], soft: frozenset[str], foods: np.ndarray) -> bool:
        """Whether the words said are the product name in brackets of one of the foods ("Cheese
        flavored corn snacks (Cheetos)")."""
        said = frozenset(w for w in q if w not in soft)
        return any(
            frozenset(words(b)) - _STOP == said
            for i in foods.tolist()
            for b in _BRACKETS.findall(self.foods[i].name)
        )

    def _unattested(
        self, q: Sequence[str], soft: frozenset[str], nouns: Sequence[str] | None
    ) -> frozenset[str]:
        """Words said of a food that no food of that noun has, and that name no food: how it
        was served ("black coffee"), which the data does not record. They help a food that has
        them and cost nothing when none does, as soft words do."""
        import numpy as np

        seq = q if nouns is None else nouns
        noun = next(
            (w for w in reversed(seq) if w in q and w not in soft and w in self.noun_vocab), None
        )
        if noun is None or noun not in self._postings:
            return _NONE
        have = self._postings[noun][0]
        out = [
            w
            for w in q
            if w != noun
            and w not in soft
            and w not in self.noun_vocab
            and w in self._postings
            and not np.intersect1d(have, self._postings[w][0], assume_unique=True).size
        ]
        return frozenset(out) if out else _NONE

    @staticmethod
    def _covered(
        part_words: list[str],
        posts: list[tuple[np.ndarray, np.ndarray]],
        inv: np.ndarray,
        order: np.ndarray,
        m: int,
    ) -> list[frozenset[str]]:
        """The words said each top food has (a word set per food would cost 10 MB): summed as
        bits, one per word said, over the postings (exact in a float up to 52 words)."""
        import numpy as np

        if len(posts) > _BIT_WORDS:
            # So many words: read off the postings of the top foods instead.
            is_top = np.zeros(m, dtype=bool)
            is_top[order] = True
            found = np.flatnonzero(is_top[inv])
            ends = np.cumsum([len(p[0]) for p in posts])
            have: dict[int, list[str]] = {k: [] for k in order.tolist()}
            word_of = np.searchsorted(ends, found, side="right")
            for k, p in zip(inv[found].tolist(), word_of.tolist(), strict=True):
                have[k].append(part_words[p])
            return [frozenset(have[k]) for k in order.tolist()]
        weights = np.repeat(_bits()[: len(posts)], [len(p[0]) for p in posts])
        sets: dict[int, frozenset[str]] = {}
        out = []
        for mask in np.bincount(inv, weights, m)[order].astype(np.int64).tolist():
            got = sets.get(mask)
            if got is None:
                got = sets[mask] = frozenset(w for j, w in enumerate(part_words) if mask >> j & 1)
            out.append(got)
        return out

    def together(self, a: str, b: str) -> bool:
        """Whether some food has both stems among its words."""
        import numpy as np

        got_a, got_b = self._postings.get(a), self._postings.get(b)
        if got_a is None or got_b is None:
            return False
        return bool(np.intersect1d(got_a[0], got_b[0], assume_unique=True).size)

    def head_nouns(self, food: FoodRecord) -> frozenset[str]:
        """The nouns of a food's head: what its name says it is ("sandwich" of "Tuna salad
        sandwich, on bread"; not "fat" of a chocolate milk filed as reduced fat milk)."""
        return self._head_nouns.get(food.id, _NONE)

    def named_but_kind(self, m: Match, limit: float) -> bool:
        """Whether the words said name the food but for its kind (the category): "wheat
        toast" names "Bread, wheat, toasted", a yeast bread; "melted cheese" does not name
        "Garlic bread, with melted cheese" (its head, garlic bread, went unsaid)."""
        name = _list_head(unspecified(m.food.name)[0])
        main = set(words(name)) - _STOP
        kind = set(words(_category(m.food)))
        if not main & m.covered or not set(words(name.split(",")[0])) - _STOP <= m.covered | kind:
            return False  # named by its description, not only by its synonyms or kind
        total = math.fsum(self._weight(w) for w in main) or 1.0
        return math.fsum(self._weight(w) for w in main - m.covered - kind) / total <= limit

    def made_for(self, m: Match, said: Sequence[str], of: Sequence[Match] = ()) -> bool:
        """Whether the last word said names what the food is made for or with, not what it is:
        it is in the food's head but not its noun, and the food is of none of the kinds of the
        first foods ``of`` (those the words name alone). "pancake" of "Pancake syrup", "yogurt"
        of "Cereal or granola bar (Nutri-Grain Yogurt Bar)"; not "burrito" of "Burrito with
        meat", nor "muffin" of "Egg, cheese, and sausage on English muffin", whose head is the
        egg, nor "ice cream" of "Ice cream cone", of the ice creams' kind."""
        food, last = m.food, set(said[-1:])
        kinds = {_category(o.food) for o in of[:5]}
        if last & self._food_nouns.get(food.id, _NONE) or _category(food) in kinds:
            return False
        name = _list_head(unspecified(food.name)[0])
        head: set[str] = set()
        for part in [name.split(",")[0], *(b[1:-1] for b in _BRACKETS.findall(name))]:
            seq = _words(_BRACKETS.sub(" ", part))
            head.update(itertools.takewhile(lambda w: w not in _HEAD_ENDS, seq))
        return bool(last & head)

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


def _glued_pairs(
    foods: Sequence[FoodRecord], vocab: frozenset[str]
) -> tuple[dict[str, tuple[str, int]], frozenset[tuple[str, str]]]:
    """Each two side-by-side name words glued ("milk shake": "milkshak"), as the two stems
    joined by _GLUE and how many foods have them side by side; and the side-by-side words one
    of which the parser reads as English ("big mac", see FoodIndex.english_pairs)."""
    n: dict[tuple[str, str], int] = defaultdict(int)
    for food in foods:
        raw = _WORD_RE.findall(food.name.lower().replace("'", ""))
        for pair in set(itertools.pairwise(raw)):
            n[pair] += 1
    english = lexicon.SPELLING.keys() | lexicon.MEAL_WORDS
    spelled = frozenset((a, b) for a, b in n if english & {a, b} and not {stem(a), stem(b)} & _STOP)
    out: dict[str, tuple[str, int]] = {}
    for (a, b), c in n.items():
        sa, sb = stem(a), stem(b)
        if (
            len(a) < 3
            or len(b) < 3
            or not (a + b).isalpha()
            or {sa, sb} & (_STOP | _LISTING_WORDS)
            or not {sa, sb} <= vocab
        ):
            continue
        key = stem(a + b)
        if c > out.get(key, ("", 0))[1]:
            out[key] = (sa + _GLUE + sb, c)
    return out, spelled


def _unglue(seq: Sequence[str]) -> list[str]:
    return [part for w in seq for part in w.split(_GLUE)]


def _said(query: Sequence[str]) -> list[str]:
    return [w for w in dict.fromkeys(query) if w not in _STOP]


def _w(weight: object, w: str) -> float:
    return weight(w) or 1.0  # type: ignore[operator]


_FIRST_WORD_RE = re.compile(r"[A-Za-z]+")


def _fused(name: str) -> list[tuple[str, ...]]:
    """Parts of a name made only of number words and joiners ("Cream, half and half", "Seven
    and Seven"): a text reads them as numbers ("one half" and "half") unless they are one word,
    the words glued ("halfandhalf"), in the food's name and in the text alike. So is a number
    word that begins a food's name ("Double cheeseburger", "Quarter Pounder"): it names which
    food, not how many."""
    out = []
    first = _FIRST_WORD_RE.match(name)
    if first and first[0].lower() in lexicon.NUMBER_WORDS and first[0].lower() not in {"a", "an"}:
        ws = tuple(re.findall(r"[a-z]+", _BRACKETS.sub(" ", name).lower().split(",")[0]))
        if len(ws) > 1 and ws[1] not in lexicon.NUMBER_WORDS and ws[1] not in lexicon.JOINERS:
            out.append(ws[:2])
    if " and " not in name.lower():  # the joiner every such name has; most names lack it
        return out
    for part in _BRACKETS.sub(" ", name).lower().split(","):
        ws = tuple(re.findall(r"[a-z]+", part))
        if (
            len(ws) >= 3
            and ws[0] in lexicon.NUMBER_WORDS
            and ws[-1] in lexicon.NUMBER_WORDS
            and all(w in lexicon.NUMBER_WORDS or w in lexicon.JOINERS for w in ws)
        ):
            out.append(ws)
    return out


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
) -> tuple[frozenset[str], frozenset[str]]:
    """What the food is: the last word of its head ("Salad dressing": dressing), of each of
    its alternatives ("Cake or cupcake"), or of what they share ("Chicken or turkey soup":
    soup; "Frankfurter or hot dog sandwich": sandwich). ``memo``: the nouns of each phrase
    read so far (heads and kinds repeat across foods)."""
    name = _list_head(unspecified(food.name)[0])
    parts = _BRACKETS.sub(" ", name).split(",")
    kind = _BRACKETS.sub(" ", _category(food)).replace("/", " and ")
    # SR28 names often lead with the group ("Snacks, pretzels", "Spices, pepper"): then the
    # food is named after it.
    lead = 2 if _source(food) == "sr28" and set(words(parts[0])) <= set(words(kind)) else 1
    # ... or with brands or a restaurant in capitals ("CARRABBA'S ITALIAN GRILL, lasagne",
    # "MURRAY, SOUTHERN KITCHEN, Coconut Cookies"): the food is named after them, and a brand's
    # words are no food.
    heads = parts[:lead]
    if _source(food) == "sr28" and parts[0].isupper():
        heads = [p for p in parts if not p.isupper()][:1]
    out: set[str] = set()
    # Its kind is what it is too ("Lettuce, salad with ...": "Lettuce and lettuce salads"), and
    # so is a product name in brackets ("Crackers, wheat (Wheat Thins)").
    for part in [*heads, kind, *(b[1:-1] for b in _BRACKETS.findall(name))]:
        got = memo.get(part)
        if got is None:
            got = memo[part] = _phrase_nouns(part, together)
        out |= got
    # ... but not a word its own head uses to say which one it is: "Beef taco filling" is a
    # filling, though it is filed among "Burritos and tacos".
    for part in heads:
        seq = _words(part)
        cut = next((k for k, w in enumerate(seq) if w in _HEAD_ENDS and k), len(seq))
        out -= set(seq[:cut]) - memo[part]
    return frozenset(out), frozenset().union(*(memo[part] for part in heads))


def _phrase_nouns(part: str, together: frozenset[tuple[str, str]]) -> frozenset[str]:
    # "Hot chocolate / Cocoa": either name, as with "or".
    raw = _WORD_RE.findall(part.lower().replace("'", "").replace("/", " or "))
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


def _late_words(name: str, as_eaten: bool = False) -> frozenset[str]:
    """Words that first occur after the second comma: USDA descriptions go from what the food
    is to how it was graded or labelled ("Tomatoes, red, ripe, raw, year round average").
    ``as_eaten``: an FNDDS name, whose "with ..." part says what else is in the food ("Pizza,
    cheese, with fruit"), which is what the food is however late it comes (SR28's "with salt"
    is a label)."""
    parts = name.split(",")
    if len(parts) < 3:
        return frozenset()
    early = {w for p in parts[:2] for w in _words(p)}
    late = [
        p
        for p in parts[2:]
        if not (as_eaten and p.lstrip().lower().startswith(("with ", "without ")))
    ]
    return frozenset(w for p in late for w in _words(p)) - early


def _kinds_of(name: str, additional: str, main: set[str], extra: set[str]) -> dict[str, str]:
    """The additional words that list which kinds a one-word "with" part of the name is
    ("Burrito with meat, beans, and rice": "with beef, steak, pork, sausage, and/or chorizo"),
    each to that word."""
    part = next((p for p in name.split(",") if " with " in f" {p.lower()} "), "")
    said = [w for w in _words(part.lower().split("with ", 1)[-1]) if w not in _STOP]
    if len(said) != 1 or said[0] not in main:
        return {}
    out: dict[str, str] = {}
    for seg in additional.split(";"):
        if seg.strip().lower().startswith("with "):
            for item in re.split(r",|\band/or\b|\bor\b", seg.strip()[5:]):
                ws = [w for w in _words(item) if w not in _STOP]
                if len(ws) == 1 and ws[0] in extra:
                    out[ws[0]] = said[0]
    return out


def _portion_seq(portion: object) -> tuple[str, ...]:
    """The words of a portion's first part, the last the one it counts ("1 medium single
    serving bag": bag)."""
    return _portion_words(str(getattr(portion, "description", "") or getattr(portion, "unit", "")))


@functools.lru_cache(maxsize=8192)
def _portion_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in _words(_BRACKETS.sub(" ", text).split(",")[0]) if w.isalpha())


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
        said = {w for p in food.portions for w in _words(getattr(p, "description", "") or p.unit)}
        for w in said:
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
