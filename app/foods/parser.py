"""Deterministic meal-text parser: "2 eggs n toast" -> USDA foods, grams and nutrients.

Pipeline: normalise the text, cut it into item phrases (hard separators always cut; "and",
"with", ... cut only when the joined phrase does not name a food better), read each phrase's
amount, unit and size word, match the remaining words to a food with :class:`FoodIndex`, and
convert the amount to grams with the food's own household measures (:mod:`app.foods.units`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.foods import lexicon
from app.foods.dataset import MACRO_FIELDS, NUTRIENT_FIELDS, FoodRecord, load_usda_foods
from app.foods.matcher import FoodIndex, apply_synonyms, stem, tokens
from app.foods.units import Amount, kin_densities, measures, to_grams

__all__ = [
    "ExtractedItem",
    "FoodIndex",
    "ParseResult",
    "ParsedItem",
    "default_index",
    "parse",
    "resolve_items",
    "to_jsonl_dict",
]

# A phrase whose best food scores below this is reported as unmatched rather than guessed.
MIN_SCORE = 0.45
# How much better a joined phrase ("macaroni and cheese") must score than its parts to stay joined.
JOIN_MARGIN = 0.03

_TOKEN_RE = re.compile(
    r"\d+\s+\d+/\d+"  # mixed number 1 1/2
    r"|\d+/\d+"
    r"|\d+(?:\.\d+)?%"
    r"|\d*\.?\d+\s*-\s*\d*\.?\d+(?![\d/])"  # range 2-3
    r"|\d*\.\d+|\d+"
    r"|[a-z]+\d+\b"  # a product name of letters and digits ("g2", "v8") is one word
    r"|[a-z]+(?:'[a-z]+)?(?:[-&][a-z]+)*(?:'s)?"
    r"|[,;.!?():]"
)
_PUNCT = frozenset(",;.!?:")
_AMOUNTS = dict(lexicon.AMOUNT_PHRASES)
# Count units that also name the food's shape; kept as food words after a weight.
_FOOD_UNITS = frozenset({"bar", "bars", "stick", "sticks", "patty", "patties", "strip", "strips"})
# How close a food shaped as named must score to the best one to be preferred.
_SHAPE_MARGIN = 0.03
_ADJECTIVES = lexicon.WEAK_WORDS | lexicon.COOKING_WORDS
_ONE_OF_MINE = frozenset({"my", "his", "her"})
_EXTRA_FILLER = frozenset(
    {"weighing", "weighs", "weighed", "about", "approximately", "roughly", "around", "approx"}
)


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


@functools.cache
def default_index() -> FoodIndex:
    kin_densities()  # built with the index, not on the first parse
    return FoodIndex(load_usda_foods())


# --- text normalisation ----------------------------------------------------------------------


def _normalise(text: str) -> list[str]:
    # An exclamation mark before a lower-case word ends no sentence: it is part of a brand
    # ("Chips Ahoy! cookies", "Yahoo! chocolate drink").
    t = re.sub(r"!(?=\s+[a-z])", " ", text).lower()
    for ch, rep in lexicon.UNICODE_FRACTIONS.items():
        t = t.replace(ch, rep)
    # Accents off ("sautéed" -> "sauteed") so words match the plain-ASCII USDA names.
    t = unicodedata.normalize("NFKD", t).replace("’", "'").replace("‘", "'").replace("⁄", "/")
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = re.sub(r"\bw/o\b", " without ", t)
    t = re.sub(r"\b(?:in total|in all|of each)\b", " ", t)
    # What was left out is not eaten: "no sauce" drops the sauce, "without skin" is skinless.
    t = re.sub(r"\b(?:without|no|minus) (?:the |any |its |their )?(skin|meat)s?\b", r" \1less ", t)
    t = re.sub(
        r"\b(?:without|no|minus|hold the) (?:the |any |added |extra |its )?(?:sauce|gravy|dressing"
        r"|spread|toppings?|butter|mayo|mayonnaise|cheese|ice|salt|condiments|frosting|icing"
        r"|syrup|cream|filling|fat|oil)s?\b",
        " ",
        t,
    )
    # "rice with some added fat": fat added in cooking is a cooking oil.
    t = re.sub(r"\b(?:added|cooking) fat\b", " vegetable oil ", t)
    # "a peanut butter and jelly sandwich" is one sandwich with both spreads.
    t = re.sub(
        r"\bpeanut butter (?:and|n|&) (jelly|jam|preserves|honey|banana)(?= sandwich| sammie)",
        r"peanut butter \1",
        t,
    )
    t = re.sub(r"\bjuice (box|pouch)\b", r"\1 of juice", t)
    # "tea sweetened with honey": the sweetener is the honey, not a presweetened tea.
    t = re.sub(r"\b(?:lightly |slightly )?sweetened(?: [a-z]+ly)? (with|by)\b", r" \1", t)
    # Where a topping went and what was thrown away are not foods ("cheese on top", "peel
    # discarded").
    t = re.sub(r"\b(?:on|over) (?:the )?top(?: of (?:it|them|that))?\b", " ", t)
    t = re.sub(
        r"\b(?:the |its )?skins? (?:was |were )?(?:discarded|removed|not eaten)\b", " skinless ", t
    )
    t = re.sub(
        r"\b(?:the |its )?(?:(?:peel|rind|shell|fat|bones?|seeds?|pits?|skin)s?,? (?:and|or) "
        r"(?:the )?)?(?:peel|rind|shell|fat|bones?|seeds?|pits?)s? (?:was |were )?"
        r"(?:discarded|removed|trimmed|not eaten)\b",
        " ",
        t,
    )
    # "cassava bread, also known as casabe": another name for the food just named.
    t = re.sub(r"\b(?:also |otherwise )?(?:known|referred to) as [^,.;:()]*", " ", t)
    # A chain's "junior" burger is its single regular-patty one ("Jr. cheeseburger"); a junior
    # signature burger ("Whopper Jr.") is the smaller size of that burger.
    t = re.sub(r"\b(?:jr|junior)\.? (?=(?:bacon )?(?:cheeseburger|hamburger|burger)s?\b)", " ", t)
    if "baby" not in t:  # (baby food's "junior" is a feeding stage, not a size)
        t = re.sub(r"\b([a-z]+) (?:jr|junior)\b\.?", r"junior \1", t)
    # Brand names made of amount or size words are not amounts ("Little Debbie", "Big Mac").
    t = re.sub(r"\b(little|big) (debbie|mac)('?s)?\b", r" \1-\2 ", t)
    # A school or individual carton is the small single-serve container.
    t = re.sub(r"\b(?:individual|school)(?: school| individual)? carton\b", " container", t)
    t = re.sub(
        r"\b(?:individual|school)(?: school| individual)? (container|cup|box|pouch)\b", r" \1", t
    )
    # Gerber and Beech-Nut make baby food; their jars and pouches are that.
    t = re.sub(r"\bbaby[ -]foods?\b|\b(?:gerber|beech-nut|beechnut)\b", " babyfood ", t)
    # "strained dinner for babies": the audience names the food group, not a food word.
    t = re.sub(
        r"\b(?:made )?for (?:a |an |my |the |our )?(?:bab(?:y|ies)|infants?)\b",
        " babyfood ",
        t,
    )
    # Dry milk made back up with water is drunk as fluid milk of that fat level.
    t = re.sub(
        r"\b(?:reconstituted )?(?:instant )?(?:dry|powdered) milk,?"
        r" (?:that was |was )?reconstituted\b|\breconstituted (?:dry|powdered) milk\b",
        " milk ",
        t,
    )
    # "a cone of vanilla ice cream" is a (filled) ice cream cone.
    t = re.sub(
        r"\bcone (?:of|filled with) (?:scooped )?((?:[a-z]+ ){0,2})ice cream\b",
        r"\1ice cream cone",
        t,
    )
    # A packaged ice cream cone from the freezer aisle is the chocolate-lined, nut-topped kind.
    t = re.sub(
        r"\b(?:pre-?packaged|packaged|store-bought|boxed)((?: [a-z]+){0,2}) ice cream cone(s?)\b",
        r"\1 packaged-ice-cream-cone\2",
        t,
    )
    # "a medium ice cream cup": a cup of that size from an ice cream shop (see units).
    t = re.sub(r"\b(ice cream|frozen yogurt|gelato) cups?\b", r"cup of \1", t)
    # "ice cream scooped into a cone", "soup in a bread bowl": what it was put into is its own
    # item (when edible) or nothing, never part of the food's name.
    t = re.sub(r"\b(?:scooped|poured|served|placed|packed|stuffed) (?:into|in|onto) ", " , ", t)
    # "meat other than pepperoni", "flavors besides chocolate": what is excluded is not eaten.
    t = re.sub(
        r"\b(?:other than|besides|except(?: for)?|excluding|apart from|but not|beyond)"
        r"(?: the| any)? (?!(?:a|an|my|some|one)\b)[a-z]+(?:(?:,| or| nor) [a-z]+)?",
        " ",
        t,
    )
    # "a blend of vegetables", "a medley of berries": the foods, not a juice blend or a mix.
    t = re.sub(r"\b(?:blend|medley|assortment|selection) of\b", " ", t)
    # "meat- and cheese-filled": a suspended hyphen joins both words to what follows.
    t = re.sub(r"\b([a-z]+)- (and|or) ([a-z]+)-", r"\1-\2-\3-", t)
    # Meal words are filler ("for my snack", "breakfast today"), but not inside these names.
    t = re.sub(r"\bsnack (cake|mix|bar)s?\b", r" snack-\1 ", t)
    t = re.sub(r"\b(breakfast|dinner) (burrito|sandwich|link|sausage|roll)", r" \1-\2", t)
    t = re.sub(r"\blunch(eon)? meat", " luncheon-meat", t)
    # A frozen-meal brand names the tray, not a food ("a Lean Cuisine meal of chicken and rice").
    t = re.sub(
        r"\b(?:lean cuisine|banquet|stouffer'?s|healthy choice|marie callender'?s|hungry[- ]man"
        r"|swanson|smart ones|kid cuisine|michelina'?s)"
        r"(?= (?:[a-z]+ ){0,2}(?:frozen )?(?:meal|dinner|entree|tray)s?\b)",
        " ",
        t,
    )
    # "an 11 oz frozen meal of chicken, rice and vegetables": the weight is the whole tray,
    # said last the way "..., all in an 11 oz portion" is (shared out over the parts).
    t = re.sub(
        r"\b(\d+(?:\.\d+)?) ?(oz|ounces?|g|grams?)\b([^.,;:\d]*?\b"
        r"(?:frozen (?:meal|dinner|entree)s?|tv dinner|meal|entree))"
        r"(?: for (?:breakfast|lunch|dinner|supper))?,?"
        r" (of|consisting of|containing|with|which included|that included|including|featuring)"
        r" ([^.;:]*)",
        _tray_total,
        t,
    )
    # "a meat and cheese calzone", "a steak and cheese sub": the pair fills one dish.
    t = re.sub(
        r"\b(?!(?:a|an|the|one|my)\b)([a-z]+) (?:and|&|n) (?!(?:a|an|the|one|my)\b)([a-z]+)"
        r"(?=[ -](?:calzone|burrito|quesadilla|pizza|empanada"
        r"|omelet|omelette|taco|enchilada|tamale|pie|biscuit"
        r"|bagel|croissant|muffin|frankfurter|sausage|hot ?dog|meatball|meatloaf|patty"
        r"|soup|stew|chowder|casserole)s?\b)",
        r"\1-and-\2",
        t,
    )
    # ... and of a sandwich named right after its article or weight ("a steak and cheese sub",
    # "260 g ham and cheese sandwich"; "chips and a turkey sandwich" are two foods).
    t = re.sub(
        r"\b(a|an|one|\d+ ?(?:g|oz|grams?|ounces?)) (?!(?:a|an|the|one|my)\b)([a-z]+) (?:and|&|n) "
        r"(?!(?:a|an|the|one|my)\b)([a-z]+)(?= (?:sub|sandwich|hoagie|wrap|melt|panini)s?\b)",
        r"\1 \2-and-\3",
        t,
    )
    # "a tender fried chicken breast", "a chop, tender and juicy": praise, not chicken tenders
    # (which follow the meat's name: "chicken tenders").
    t = re.sub(r"(?<!chicken )(?<!turkey )(?<!beef )(?<!pork )\btender\b(?!s)", " ", t)
    # A gordita "shell" is the gordita itself (a thick corn cake).
    t = re.sub(r"\bgordita (?:shell|flatbread)(s?)\b", r"gordita\1", t)
    # "a pudding cup", "a fruit cup": the single-serve cup of it (of canned mixed fruit).
    t = re.sub(r"\bfruit cups?\b", "container of fruit cocktail", t)
    t = re.sub(
        r"\b(pudding|applesauce|jello|jell-o|gelatin|mandarin orange|peach|pear|fruit cocktail)"
        r" cups?\b",
        r"container of \1",
        t,
    )
    # "a salmon fillet": a fillet of that fish (not "a fish fillet sandwich").
    t = re.sub(
        rf"\b({'|'.join(lexicon.FISH_WORDS)}) (?:fillet|filet)(s?)\b"
        r"(?! (?:sandwich|burger|sub|wrap|melt)s?\b)",
        r"fillet\2 of \1",
        t,
    )
    # Canned fruit "in syrup" is the light-syrup pack, eaten with its syrup (heavy or extra-light
    # syrup are said as such).
    t = re.sub(
        r"\b((?:canned|fruit|peach|pear|pineapple|apricot|cherr|mandarin|plum|grapefruit)[a-z]*"
        r"(?:,? [a-z]+){0,4}?) in (?:a |its |their )?syrup\b",
        r"\1 in light syrup pack solids and liquids ",
        t,
    )
    t = re.sub(r"\brice krispies? treats?\b", " rice-krispies-treat ", t)
    # A Fruit Roll-Up is a small (14 g) roll of fruit leather.
    t = re.sub(
        r"\b(?:fruit )?roll-?ups? of fruit snacks?\b|\bfruit roll-?ups?\b",
        " small fruit leather roll ",
        t,
    )
    # "a drink of cola", "a drink combining whiskey and soda": "drink" is only the serving.
    t = re.sub(r"\bdrinks? (?:of|combining|mixing|made (?:with|from|of))\b", " ", t)
    # "energy" is filler ("an energy boost") except in the names of drinks, bars and gels.
    t = re.sub(r"\benergy (drink|bar|gel|shot)", r" energy-\1", t)
    t = re.sub(r"\bhalf[ -](?:and|n|&)[ -]half\b", " half-and-half ", t)
    t = re.sub(r"\bw/", " with ", t)
    # After a spirit, "soda" is the club soda it is mixed with, not a cola.
    t = re.sub(
        r"\b(whiskey|whisky|bourbon|scotch|rum|vodka|gin|tequila|brandy) (and|with|&) soda\b",
        r"\1 \2 club soda",
        t,
    )
    # "medium crust", "thin-crust" describe the crust, not the size of the pizza.
    t = re.sub(
        r"\b(thin|thick|medium|regular|deep|hand[- ]tossed|stuffed)[ -]crust\b", r" \1-crust ", t
    )
    # A personal (individual) pizza or pan is its own size.
    t = re.sub(r"\b(?:personal|individual)[ -](?:size[d]?|pan)\b|\bpersonal\b", " personal ", t)
    t = re.sub(r"\s&\s", " and ", t)
    # One dish, never to be cut at its "and" (each half alone names another food).
    t = re.sub(r"\bmac(?:aroni)?[ -](?:and|n|'n'?|&|with)[ -]cheese\b", " mac-and-cheese ", t)
    # "corn snacks", "fruit snacks": here "snacks" names the food, not the meal.
    t = re.sub(r"\b(corn|cheese|fruit)[ -]snacks?\b", r" \1-snacks ", t)
    # "a pretzel rod": the shape is the count unit.
    t = re.sub(r"\b(?:(hard|soft) )?pretzel rods?\b", r" rod of \1 pretzels ", t)
    # "fun size", "snack size": one size word, as the hyphenated spelling is.
    t = re.sub(r"\b(fun|snack|bite|king|regular|medium|large|small)[ -]siz(e|ed)\b", r"\1-siz\2", t)
    # Ordinals name a stage or a rank, never an amount ("Gerber 2nd Foods", "my 3rd cup").
    t = re.sub(r"\b\d+(?:st|nd|rd|th)\b", " ", t)
    t = re.sub(r"\bfl(?:uid)?\.?\s*(?:oz|ounces?)\b\.?", " floz ", t)
    t = re.sub(r"(\d)\s*-\s*(?=[a-z])", r"\1 ", t)  # "28-gram" -> "28 gram"
    t = re.sub(r"(?<![a-z])(\d)(?=[a-z])", r"\1 ", t)  # "200g" -> "200 g", not "g2", "v8"
    t = re.sub(r"(\d),(\d{3})\b", r"\1\2", t)  # "1,000" -> "1000"
    # "one and a half cups" must not be split at "and" later.
    t = re.sub(
        r"\b(\d+|one|two|three|four|five)\s+and\s+a\s+half\b",
        lambda m: f"{_number(m.group(1)) + 0.5:g}",
        t,
    )
    out: list[str] = []
    for tok in _TOKEN_RE.findall(t):
        if tok in ("n", "'n'", "&"):
            tok = "and"
        out.append(tok)
    return out


# Where the list of a tray's contents ends: the next separately eaten food, counted on its own
# ("..., along with a slice of bread"; "..., complemented by rice and vegetables" is the tray).
_TRAY_END_RE = re.compile(
    r",? \b(?:"
    + "|".join(re.escape(" ".join(p)) for p in lexicon.HARD_SEPARATORS if len(p) > 1)
    + r")\b(?= (?:a|an|one|two|three|\d))"
)


def _tray_total(m: re.Match[str]) -> str:
    """ "an 11 oz frozen meal of X, Y and Z" -> "X, Y and Z, all in 11 oz portion" (and what
    follows "along with ..." stays outside the tray)."""
    contents, rest = m.group(5), ""
    end = _TRAY_END_RE.search(contents)
    if end:
        contents, rest = contents[: end.start()], contents[end.start() :]
    return f"{m.group(3)} {m.group(4)} {contents}, all in {m.group(1)} {m.group(2)} portion{rest}"


def _number(tok: str) -> float:
    tok = tok.strip()
    if tok in lexicon.NUMBER_WORDS:
        return float(lexicon.NUMBER_WORDS[tok])
    if " " in tok:  # mixed number
        whole, frac = tok.split(None, 1)
        return float(whole) + _number(frac)
    if "/" in tok:
        num, den = tok.split("/")
        return float(num) / float(den) if float(den) else float(num)
    if "-" in tok and not tok.startswith("-"):
        lo, hi = tok.split("-")
        return (float(lo) + float(hi)) / 2  # a range means its middle
    return float(tok)


def _is_number(tok: str) -> bool:
    return bool(tok) and (tok[0].isdigit() or tok[0] == ".") and not tok.endswith("%")


# --- item phrases ----------------------------------------------------------------------------


@dataclass
class _Phrase:
    words: list[str] = field(default_factory=list)  # food words in order
    quantity: float | None = None
    unit: str | None = None
    size: str | None = None
    metric: bool = False  # the amount came with a mass / metric unit and fixes the grams
    amount_first: bool = False  # "300 g of X ..." (the amount scopes over what follows)
    text: str = ""
    mods: list[str] = field(default_factory=list)  # "with frosting": refines, never drives

    counted: bool = False  # the amount was a number or a unit, not just "a"/"an"
    total: bool = False  # a weight for everything listed before it, not a food of its own
    again: bool = False  # "a small one": one more of the food named before, never a recap

    @property
    def explicit(self) -> bool:
        return self.quantity is not None or self.unit is not None

    @property
    def strong(self) -> bool:
        return self.counted or self.unit is not None


def _by_first_word(
    phrases: Sequence[tuple[str, ...]],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for ph in sorted(phrases, key=len, reverse=True):  # longest first
        out.setdefault(ph[0], []).append(ph)
    return {k: tuple(v) for k, v in out.items()}


_AMOUNT_KEYS = _by_first_word([p for p, _ in lexicon.AMOUNT_PHRASES])
_HARD = _by_first_word(lexicon.HARD_SEPARATORS)


def _match_phrase(
    tokens: list[str], i: int, phrases: dict[str, tuple[tuple[str, ...], ...]]
) -> int:
    for ph in phrases.get(tokens[i], ()):
        if tuple(tokens[i : i + len(ph)]) == ph:
            return len(ph)
    return 0


def _is_unit(tok: str) -> bool:
    return tok in lexicon.MASS_UNITS or tok in lexicon.VOLUME_UNITS or tok in lexicon.COUNT_UNITS


def _read_phrase(tokens: list[str]) -> _Phrase:
    """Amount, unit, size word and food words of one item phrase."""
    ph = _Phrase(text=" ".join(tokens))
    i = 0
    after_amount = False  # an amount came just before (adjectives aside): a unit word is a unit
    after_unit = False  # a unit came just before: a container word after it adds nothing
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        n = _match_phrase(tokens, i, _AMOUNT_KEYS)
        if n:
            if ph.quantity is None:
                ph.quantity = float(_AMOUNTS[tuple(tokens[i : i + n])])
                ph.counted = tokens[i] != "some"
            i += n
            after_amount, after_unit = True, False
            continue
        if tok in ("(", ")"):
            i += 1
            continue
        if _is_number(tok) or (tok in lexicon.NUMBER_WORDS and tok != "both"):
            value = _number(tok)
            # "2 to 3" and "2 or 3" are ranges too.
            if (
                i + 2 < len(tokens)
                and nxt in ("to", "or")
                and (_is_number(tokens[i + 2]) or tokens[i + 2] in lexicon.NUMBER_WORDS)
                and tokens[i + 2] not in ("a", "an")
            ):
                value = (value + _number(tokens[i + 2])) / 2
                i += 2
                nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if not ph.metric:
                ph.counted = ph.counted or tok not in ("a", "an")
                if _is_number(tok) and (
                    nxt in lexicon.MASS_UNITS
                    or (nxt in lexicon.VOLUME_UNITS and ph.unit in lexicon.COUNT_UNITS)
                ):
                    # "a bowl of 40 g cereal", "a can of 8 fl oz of juice": a weight or volume
                    # beats any count or container before it.
                    ph.quantity, ph.unit = value, None
                elif ph.quantity is None or after_amount or ph.unit is None:
                    # "a 12 fl oz can": the digits refine the article before them.
                    ph.quantity = value
                    if after_amount:
                        ph.unit = None
            i += 1
            after_amount, after_unit = True, False
            continue
        if tok in _ONE_OF_MINE and ph.quantity is None and not ph.words:
            # "my doughnut", "my large coffee": one, as "a" would say (but not counted).
            ph.quantity = 1.0
            i += 1
            after_amount, after_unit = True, False
            continue
        # "a medium apple", and after adjectives too: "a warm medium baked potato".
        adjectives_only = ph.quantity is not None and _only(ph.words, _ADJECTIVES)
        if (
            tok in lexicon.SIZE_WORDS
            and (after_amount or i == 0 or tok == "personal" or adjectives_only)
            and nxt
        ):
            ph.size = lexicon.SIZE_WORDS[tok]
            i += 1
            continue
        if _is_unit(tok):
            is_mass = tok in lexicon.MASS_UNITS
            unit_ok = (
                after_amount
                or (is_mass and ph.quantity is not None and tok not in ("g", "l"))
                or (nxt == "of" and ph.unit is None and ph.quantity is not None)
            )
            if unit_ok and not (tok in ("g", "l", "c") and not after_amount):
                metric = is_mass or tok in ("ml", "l", "liter", "litre", "cl")
                if not ph.metric or metric:
                    # A weight wins over a count or volume given for the same food.
                    ph.unit = tok
                    ph.metric = ph.metric or metric
                i += 1
                after_amount, after_unit = False, True
                if i < len(tokens) and tokens[i] == "of":
                    i += 1
                continue
            if (after_unit or ph.metric) and tok in lexicon.COUNT_UNITS and tok not in _FOOD_UNITS:
                # "a 15 oz can of ...", "12 fl oz can": the container adds nothing to the weight.
                i += 1
                continue
        if tok in lexicon.FILLER_WORDS or tok in _EXTRA_FILLER or tok == "of":
            # Adjectives between an amount and its unit ("a refreshing cup of") keep the link.
            i += 1
            continue
        after_amount = after_unit = False
        if not ph.words:
            ph.amount_first = ph.metric
        ph.words.append(tok)
        i += 1
    return ph


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in lexicon.QUIET_WORDS]


def _has_food_words(tokens: list[str]) -> bool:
    return any(
        t not in lexicon.FILLER_WORDS
        and t not in lexicon.QUIET_WORDS
        and t not in lexicon.NUMBER_WORDS
        and not _is_number(t)
        for t in tokens
    )


def _names_category(tokens: list[str]) -> bool:
    """Only a plural category ("soft drinks", "two snacks") and amount or filler words."""
    words = [
        t
        for t in tokens
        if t not in lexicon.FILLER_WORDS
        and t not in lexicon.QUIET_WORDS
        and t not in lexicon.NUMBER_WORDS
        and not _is_number(t)
    ]
    return bool(words) and words[-1] in lexicon.CATEGORY_NOUNS and len(words) <= 3


def _announces(head: list[str], rest: list[str]) -> bool:
    """ "two enchiladas: a chicken enchilada and a beef one": a count of the foods listed next."""
    counts = [t for t in head if t in lexicon.NUMBER_WORDS and lexicon.NUMBER_WORDS[t] > 1]
    words = [t for t in head if t.isalpha() and t not in lexicon.FILLER_WORDS]
    return bool(counts and words) and stem(words[-1]) in {stem(t) for t in rest}


def _split(tokens: list[str]) -> list[tuple[list[str], str | None]]:
    """Cut at punctuation and hard separators; soft separators are kept as markers."""
    pieces: list[tuple[list[str], str | None]] = []
    cur: list[str] = []
    joiner: str | None = None
    skipping = False  # inside a side remark ("which was just what I needed")
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        n = _match_phrase(tokens, i, _HARD)
        if tok in _PUNCT or n:
            if tok == ":":
                # "a couple of soft drinks (for my snack): ...": the list after it holds the foods.
                if _names_category(cur) or _announces(cur, tokens[i + 1 :]):
                    cur = []
                elif (skipping or not cur) and pieces and _names_category(pieces[-1][0]):
                    pieces.pop()
            if cur:
                pieces.append((cur, joiner))
            # A hard separator ("along with", "a side of") ends any list the dish was absorbing.
            joiner = _HARD_JOIN if n else (_COMMA if tok == "," else None)
            cur, skipping = [], False
            i += n or 1
            continue
        if skipping:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if (_is_number(tok) or tok in ("half", "a", "an", "one")) and _is_unit(nxt) and pieces:
                # "..., which was 12 fl oz": the amount still belongs to the item before.
                pieces[-1] = ([*pieces[-1][0], tok, nxt], pieces[-1][1])
                i += 2
                continue
            if tok == "and" and i + 1 < len(tokens) and tokens[i + 1] in lexicon.NUMBER_WORDS:
                skipping = False  # "..., to stay hydrated and a cookie": a new item
                joiner = None
            i += 1
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        back_ref = (tok in lexicon.GERUNDS and nxt in lexicon.BACK_REFERENCES) or (
            tok in lexicon.SIDE_REMARK_PREPOSITIONS and nxt in _REMARK_OPENERS
        )
        if (tok in lexicon.CLAUSE_STARTERS or back_ref) and (
            _has_food_words(cur) or (not cur and pieces)
        ):
            if not (tok == "to" and (_is_number(nxt) or nxt in lexicon.NUMBER_WORDS)):
                pieces.append((cur, joiner))
                cur, joiner, skipping = [], None, True
                i += 1
                continue
        # "mixed vegetables", "a stuffed pepper": a participle before a food is its adjective;
        # it starts a description only before a preposition ("mixed with", "coated in").
        adjective = (
            tok in lexicon.PARTICIPLE_MARKERS
            and nxt.isalpha()
            and nxt not in lexicon.PARTICIPLE_LINKS
        )
        if tok in lexicon.SOFT_SEPARATORS or (tok in lexicon.DESCRIBE_MARKERS and not adjective):
            if cur:
                pieces.append((cur, joiner))
                cur = []
                joiner = tok
            elif joiner not in lexicon.DESCRIBE_MARKERS:
                joiner = tok  # "filled with": the describing verb is the one that counts
            i += 1
            continue
        cur.append(tok)
        i += 1
    if cur:
        pieces.append((cur, joiner))
    return pieces


class _Matcher:
    def __init__(self, index: FoodIndex, extra: Sequence[FoodRecord]) -> None:
        self.index = index
        self.extra = tuple(extra)
        self._memo: dict[str, list[tuple[FoodRecord, float]]] = {}

    def search(self, words: list[str], mods: Sequence[str] = ()) -> list[tuple[FoodRecord, float]]:
        core = _content(words)
        query = " ".join([*core, *(f"~{w}" for w in mods if w not in core)])
        if not query:
            return []
        if query not in self._memo:
            self._memo[query] = self.index.search(query, limit=6, extra=self.extra)
        return self._memo[query]

    def best(self, words: list[str]) -> float:
        hits = self.search(words)
        return hits[0][1] if hits else 0.0


def _only(words: list[str], allowed: frozenset[str]) -> bool:
    content = _content(words)
    return bool(content) and all(w in allowed for w in content)


_QUIET = lexicon.QUIET_WORDS
_SYN = lexicon.SYNONYMS
_RELATIVE = frozenset({"which", "that", "who", "from"})
_REMARK_OPENERS = lexicon.BACK_REFERENCES | {"a", "an", "my", "our", "some", "that"}
# After a weighed dish ("198 g of fried rice with shrimp") these are in the weight too.
_FILLINGS = frozenset(
    "shrimp egg eggs sausage bacon ham turkey tuna tofu mushroom mushrooms onion onions "
    "pepper peppers salmon fish steak".split()
)
_MODIFIER_OK = lexicon.MODIFIER_WORDS | lexicon.COOKING_WORDS | lexicon.WEAK_WORDS | _QUIET
_ABSORBING_JOINERS = frozenset({"with", "topped", "in", "on", "over"})
# Words USDA writes in capitals are brand or product names ("HOT POCKETS", "McDONALD'S").
_BRAND_WORD_RE = re.compile(r"\b[A-Za-z]*[A-Z]{3,}[A-Za-z']*")
_PLAIN_SANDWICH = (
    lexicon.SANDWICH_NOUNS
    | lexicon.SANDWICH_STYLE_WORDS
    | lexicon.WEAK_WORDS
    | lexicon.FILLER_WORDS
)
_SANDWICH_FILLING_OK = (
    _MODIFIER_OK
    | lexicon.DISH_FILLINGS
    | lexicon.SANDWICH_FILLINGS
    | lexicon.SPREAD_WORDS
    | lexicon.THIN_FILLINGS
)
_NOT_SANDWICH_STEMS = frozenset(stem(w) for w in lexicon.NOT_SANDWICH_WORDS)
_SERVED_GROUPS = frozenset({"Fast Foods", "Restaurant Foods"})
_HARD_JOIN = "+"
_COMMA = ","
# "a doughnut, the cake type": words that make an apposition a kind of the food before it.
_KIND_WORDS = frozenset({"type", "kind", "variety", "version", "style", "sort"})
# What comes "with" a dish without being the dish ("chicken with gravy", "a thigh with skin").
_TOPPING_NOUNS = frozenset(
    {"sauce", "sauces", "gravy", "dressing", "syrup", "dip", "frosting", "icing", "glaze", "skin"}
)
# How well an article-led phrase inside a description must name a food to be one of its own.
_NEW_ITEM_SCORE = 0.6
_POSSESSIVES = frozenset({"its", "their", "it's"})
_WEIGHING = frozenset({"weighed", "weighing", "weighs", "weigh"})
_FILLED_JOINERS = frozenset({"filled", "containing", "holding", "packed", "loaded", "stuffed"})
_HOLDING_JOINERS = frozenset({"containing", "filled", "packed", "with", "holding", "of"})
_UNSWEETENED = frozenset(
    {"unsweetened", "unsweet", "diet", "sugar-free", "zero", "sweetened", "no", "without"}
)


def _phrases(text: str, m: _Matcher) -> list[_Phrase]:
    tokens = _normalise(text)
    out: list[_Phrase] = []
    cur: _Phrase | None = None
    cur_tokens: list[str] = []
    absorbing = False
    describing = False
    relative = False
    prefix: list[str] = []
    prefix_joiner: str | None = None
    for toks, joiner in _split(tokens):
        after_comma = joiner == _COMMA
        after_hard = joiner == _HARD_JOIN
        if after_comma:
            joiner = None
        if joiner == _HARD_JOIN:
            joiner, absorbing, describing, relative = None, False, False, False
        if (
            prefix
            and _read_phrase(prefix).unit in lexicon.MASS_UNITS
            and set(prefix) & lexicon.TOTAL_MARKERS
            and _read_phrase(toks).strong
        ):
            # "..., all from the 11 oz frozen meal. I had a slice of bread": an amount of its
            # own starts a new item, so the words before stand alone (a weight for the dish).
            if cur is not None:
                out.append(cur)
            cur, cur_tokens, prefix = _read_phrase(prefix), prefix, []
        if prefix:
            toks, joiner, prefix = [*prefix, *toks], prefix_joiner, []
        ph = _read_phrase(toks)
        if cur is not None and not _content(ph.words) and _is_pronoun_one(toks):
            # "a small Danish with cheese and a small one with fruit": another of the same food.
            ph.words, ph.again = list(cur.words), True
            toks = [*toks, *cur.words]
        if after_comma and cur is not None and _apposition(cur, ph, toks, m):
            continue
        weak_only = _only(ph.words, lexicon.COOKING_WORDS | lexicon.WEAK_WORDS)
        if weak_only and cur is not None and joiner in lexicon.DESCRIBE_MARKERS:
            if ph.metric and not cur.metric and set(toks) & _WEIGHING:
                # "a pork chop that weighed 5.5 ounces after cooking": the chop's weight.
                cur.quantity, cur.unit, cur.metric, cur.counted = ph.quantity, ph.unit, True, True
                continue
            if not ph.strong:
                # "chicken that was stewed, alongside a biscuit": how the food before was
                # cooked, never an adjective of the next food.
                cur.mods.extend(_content(ph.words))
                continue
        if weak_only and (ph.strong or set(ph.words) & lexicon.COOKING_WORDS):
            prefix_joiner = joiner
            # "a cup of cooked, diced beef", "a thick slice of lean, smoked ham": adjectives
            # before a comma belong to the phrase after it.
            prefix = toks
            continue
        if not ph.strong and _only(ph.words, lexicon.WEAK_WORDS | lexicon.COOKING_WORDS):
            if after_comma and cur is not None and not ph.explicit:
                cur.mods.extend(_content(ph.words))  # "a sandwich, crustless": said of it
            continue  # "a light snack", "a perfect combination": no food named
        if (
            cur is not None
            and not _content(cur.words)
            and cur.unit is not None
            and joiner in _FILLED_JOINERS
            and not ph.explicit
            and _content(ph.words)
        ):
            # "a carton filled with chocolate milk": the container's amount is the contents'.
            ph.quantity, ph.unit, ph.size, ph.counted = cur.quantity, cur.unit, cur.size, True
            cur, cur_tokens = ph, toks
            continue
        if (
            cur is not None
            and joiner in _HOLDING_JOINERS
            and ph.unit is not None
            and (ph.unit in lexicon.MASS_UNITS or ph.unit in lexicon.VOLUME_UNITS)
            and lexicon.COUNT_UNITS.get(cur.unit or "") in lexicon.CONTAINER_UNITS
            and cur.quantity in (None, 1.0)
            and not cur.metric
        ):
            # "a juice box containing 6.75 fl oz of fruit drink": the stated contents are what
            # was drunk, the container only says how it came.
            if not _content(ph.words):
                ph.words = cur.words
            else:
                ph.mods.extend(w for w in _content(cur.words) if w not in ph.words)
            cur, cur_tokens = ph, toks
            continue
        if (
            cur is not None
            and joiner == "on"
            and ph.metric
            and not ph.amount_first
            and not cur.metric
            and set(cur.words) & lexicon.SANDWICH_WORDS
            and set(ph.words) <= lexicon.BREAD_WORDS | lexicon.WEAK_WORDS | _QUIET
        ):
            # "a cheeseburger on a white bun weighing 210 g": the weight is the sandwich's.
            cur.quantity, cur.unit, cur.metric, cur.counted = ph.quantity, ph.unit, True, True
            cur.mods.extend(_content(ph.words))
            continue
        if cur is not None and not ph.strong and _content(ph.words):
            # Hyphenated adjectives ("tomato-based") count by their parts.
            # ... unless the hyphenated word is a food of its own ("half-and-half").
            words = {p for w in ph.words for p in (w.split("-") if w not in _SYN else [w])}
            if (
                joiner == "on"
                and words & lexicon.BREAD_WORDS
                and words <= lexicon.BREAD_WORDS | lexicon.WEAK_WORDS | _QUIET
                and set(cur.words) & lexicon.SANDWICH_WORDS
            ):
                # "a cheeseburger on a white bun": the bread is part of the sandwich.
                cur.mods.extend(_content(ph.words))
                continue
            if (
                joiner == "on"
                and words & lexicon.SANDWICH_ROLLS
                and words
                <= lexicon.BREAD_WORDS | lexicon.SANDWICH_NOUNS | lexicon.WEAK_WORDS | _QUIET
                and _content(cur.words)
                and not set(cur.words) & (lexicon.BREAD_WORDS | lexicon.SANDWICH_WORDS)
            ):
                # "sausage on a biscuit", "egg and cheese on a bun": a sandwich of that roll.
                roll = [w for w in _content(ph.words) if w not in lexicon.SANDWICH_NOUNS]
                cur.mods.extend(roll)
                cur.words = [*cur.words, *roll, "sandwich"]
                continue
            new_item = (
                (describing or relative)
                and joiner in (None, "and")
                and toks[0] in ("a", "an")
                and not words <= _MODIFIER_OK
                and m.best(ph.words) >= _NEW_ITEM_SCORE
            )  # "... filled with meat and a soft taco": an article starts the next food
            if not new_item and (
                describing
                or joiner in lexicon.DESCRIBE_MARKERS
                or (relative and joiner == "and")
                or (cur.metric and cur.amount_first and joiner in _ABSORBING_JOINERS)
            ):
                # "468 g of fried chicken with potatoes and vegetables": the weight covers the
                # whole dish, so the rest describes it.
                # Inside a description ("filled with meat, beans and rice"): refine, don't add.
                cur.mods.extend(_content(ph.words))
                # "which was fried" ends at the next comma; "filled with a, b, and c" does not.
                relative = joiner in _RELATIVE or (relative and joiner == "and")
                describing = not relative or joiner == "and"
                continue
            if (
                joiner == "with"
                and not ph.explicit
                and set(cur.words) & lexicon.SANDWICH_NOUNS
                and set(_content(cur.words)) <= _PLAIN_SANDWICH
                and not cur.mods
                and words <= _SANDWICH_FILLING_OK
            ):
                # "a sandwich with ham and cheese": what a plain "sandwich" comes with is its
                # filling.
                cur.mods.extend(_content(ph.words))
                absorbing = True
                continue
            if (
                joiner in ("with", "and")
                and (joiner == "with" or absorbing)
                and not ph.explicit
                and _content(cur.words)
                and _content(cur.words)[-1] in lexicon.FILLED_DISHES
                and words <= _MODIFIER_OK | lexicon.DISH_FILLINGS
            ):
                # "a burrito with rice and beans": what a wrapped or filled dish comes with is
                # inside it.
                cur.mods.extend(_content(ph.words))
                absorbing = True
                continue
            if absorbing and not ph.explicit and joiner in (None, "and"):
                # "with gravy, potatoes, and vegetables": the rest of the list is the dish too.
                cur.mods.extend(_content(ph.words))
                continue
            topping_after_with = joiner == "with" and _content(ph.words)[-1] in _TOPPING_NOUNS
            if (
                joiner is not None
                and not ph.explicit
                and _content(cur.words)
                and not topping_after_with  # "enchiladas with red sauce" is no sauce
            ):
                joined_tokens = [*cur_tokens, joiner, *toks]
                joined = _read_phrase(joined_tokens)
                s_join = m.best(joined.words)
                s_parts = (m.best(cur.words) + m.best(ph.words)) / 2
                if s_join >= s_parts + JOIN_MARGIN:
                    # "macaroni and cheese" names one food better than its two halves do.
                    joined.mods = cur.mods
                    cur, cur_tokens = joined, joined_tokens
                    continue
            modifier_ok = (
                joiner is None or joiner in _ABSORBING_JOINERS or (joiner == "and" and absorbing)
            )
            if modifier_ok and (
                words <= _MODIFIER_OK
                # (... not a food brought in "along with" it: "..., along with a turkey meal")
                or (cur.metric and not after_hard and words <= _MODIFIER_OK | _FILLINGS)
            ):
                # Part of the dish just named (its sauce, filling, topping), not a new item.
                cur.mods.extend(_content(ph.words))
                absorbing = True
                continue
        elif cur is not None and not ph.explicit and not _content(ph.words):
            continue  # "and more", "with it": nothing to match
        describing = absorbing = False
        if (
            cur is not None
            and joiner == "and"
            and not ph.explicit
            and cur.quantity
            and cur.unit is not None
            and cur.unit in lexicon.VOLUME_UNITS
            and not cur.mods
        ):
            # "a cup of beans and rice", "300 g of rice and beans": one measured mixture.
            cur.quantity /= 2
            ph.quantity, ph.unit, ph.metric, ph.counted = cur.quantity, cur.unit, cur.metric, True
        if (
            cur is not None
            and joiner in ("and", "with")
            and not ph.explicit
            and cur.quantity
            and cur.unit is not None
            and set(cur.words) & lexicon.SPIRITS
            and set(ph.words) & lexicon.MIXERS
        ):
            # "225 g of whiskey and ginger ale": one highball, about 1 part spirit to 2 of mixer.
            total = cur.quantity
            cur.quantity = total / 3
            ph.quantity, ph.unit, ph.metric, ph.counted = total * 2 / 3, cur.unit, cur.metric, True
        if not _content(ph.words) and not ph.strong:
            continue  # "I wrapped up my day with a satisfying dinner": nothing to log
        if cur is not None:
            out.append(cur)
        cur, cur_tokens = ph, toks
    if cur is not None:
        if prefix:
            cur.mods.extend(_content(_read_phrase(prefix).words))
        out.append(cur)
    # When most foods were weighed, an unweighed mention ("a bit of added fat", "a cone") is
    # part of the weighed food before it, not a food of its own.
    weighed_foods = [
        ph for ph in out if ph.metric and set(_content(ph.words)) - lexicon.TOTAL_PHRASE_WORDS
    ]
    if len(weighed_foods) >= 2:
        kept: list[_Phrase] = []
        for ph in out:
            if kept and kept[-1].metric and not ph.metric and not ph.counted:
                kept[-1].mods.extend(_content(ph.words))
                continue
            kept.append(ph)
        out = kept
    # A bare amount ("200 g") belongs to the food before it when that one has no amount of its
    # own ("a lollipop, weighing half an ounce"), else to the food phrase right after it.
    merged: list[_Phrase] = []
    for ph in out:
        if not _content(ph.words) and _is_total(ph, merged):
            ph.total = True
            merged.append(ph)
            continue
        if not _content(ph.words) and ph.strong and merged and _content(merged[-1].words):
            prev = merged[-1]
            # A weight also refines a bare count ("one granola bar, weighing 1.5 oz"), and any
            # measure a "serving" ("a serving of turkey, measured at one cup").
            vague = lexicon.COUNT_UNITS.get(prev.unit or "") == "serving" and ph.unit is not None
            if not prev.strong or (ph.metric and prev.unit is None) or vague:
                prev.quantity, prev.unit, prev.metric, prev.counted = (
                    ph.quantity,
                    ph.unit,
                    ph.metric,
                    True,
                )
                prev.size = prev.size or ph.size
                prev.text = f"{prev.text} {ph.text}"
                prev.total = _is_total(prev, merged[:-1])
                continue
        if (
            merged
            and not _content(merged[-1].words)
            and merged[-1].explicit
            and not ph.explicit
            and not _is_total(merged[-1], merged[:-1])
        ):
            prev = merged.pop()
            ph.quantity, ph.unit, ph.size, ph.metric = (
                prev.quantity,
                prev.unit,
                prev.size,
                prev.metric,
            )
            ph.text = f"{prev.text} {ph.text}"
        ph.total = ph.total or _is_total(ph, merged)
        merged.append(ph)
    return merged


def _apposition(cur: _Phrase, ph: _Phrase, toks: list[str], m: _Matcher) -> bool:
    """ "a cheeseburger, the Whopper with cheese", "a doughnut, the cake type": a name or kind
    for the food just named, not another food. Folds it into ``cur`` and says so."""
    content = _content(ph.words)
    if toks[:1] != ["the"] or ph.explicit or not content or not _content(cur.words):
        return False
    if cur.text.split()[:1] == ["the"] or (cur.quantity not in (None, 1.0) and not cur.metric):
        return False  # "the soup, the salad": a list of foods; "two tacos, the ...": a recap
    if set(toks) & _KIND_WORDS:
        kind = [w for w in content if w not in _KIND_WORDS]
        if len(_content(cur.words)) == 1:
            # A bare name ("a muffin") would keep its everyday default whatever refines it:
            # say it the usual way, "a blueberry muffin".
            cur.words = [*cur.words[:-1], *kind, cur.words[-1]]
        else:
            cur.mods.extend(kind)
        return True
    named, renamed = m.search(cur.words), m.search(ph.words)
    if not named or not renamed or renamed[0][1] < _NEW_ITEM_SCORE:
        return False
    if named[0][0].group != renamed[0][0].group:
        return False  # "a burger, the fries ...": a food of another kind is another food
    cur.words, cur.mods = list(ph.words), [*cur.mods, *ph.mods]
    return True


def _is_pronoun_one(toks: list[str]) -> bool:
    """ "a small one", "another one", "the large one": "one" standing for a food just named."""
    if "one" not in toks:
        return False
    at = toks.index("one")
    return at > 0 and (
        toks[at - 1] in ("a", "an", "another", "the", "other") or toks[at - 1] in lexicon.SIZE_WORDS
    )


def _is_total(ph: _Phrase, before: list[_Phrase]) -> bool:
    """A weight for the whole plate or tray listed before it ("..., all in a 9 oz portion")."""
    return (
        ph.unit in lexicon.MASS_UNITS
        and bool(set(ph.text.split()) & lexicon.TOTAL_MARKERS)
        and set(ph.words) <= lexicon.TOTAL_PHRASE_WORDS | _QUIET
        and any(_content(p.words) and not p.metric for p in before)
    )


# --- items -----------------------------------------------------------------------------------


def _scaled(food: FoodRecord, grams: float) -> dict[str, float]:
    f = grams / 100.0
    return {k: (v * f if v is not None else 0.0) for k, v in food.nutrients.items()} | {
        k: 0.0 for k in NUTRIENT_FIELDS if food.nutrients.get(k) is None
    }


def _totals(items: Sequence[ParsedItem]) -> dict[str, float]:
    return {k: sum(it.nutrients.get(k, 0.0) for it in items) for k in NUTRIENT_FIELDS}


def _item(ph: _Phrase, m: _Matcher, unmatched: list[str]) -> ParsedItem | None:
    content = _content(ph.words)
    if not content:
        return None
    words = ph.words
    if "tea" in words and "iced" in words and not set(words) & _UNSWEETENED:
        # Iced tea bought or served in the US is presweetened unless said otherwise (it is the
        # most reported iced tea in USDA WWEIA / FNDDS); hot tea stays plain.
        at = words.index("tea")
        words = [*words[:at], "sweetened", *words[at:]]
    if (
        "fried" in words
        and set(words) & lexicon.BATTERED_WHEN_FRIED
        and not set(words) & lexicon.NOT_BATTERED_WORDS
    ):
        # "fried chicken" as bought or served in the US is battered and eaten with its skin
        # (USDA FNDDS codes it so); "meat only" is the exception and has to be said.
        words = [*words, "skin", "batter"]
    mods = list(ph.mods)
    if content[-1] in lexicon.TAKEOUT_DISHES and not set(content) & lexicon.NOT_TAKEOUT_WORDS:
        # A pizza named without "frozen" or "school" is, most often, bought from a pizzeria or
        # chain (thicker, breadier crust than USDA's frozen pizzas): lean to those entries.
        mods += lexicon.TAKEOUT_HINT
    elif lexicon.COUNT_UNITS.get(ph.unit or "") == "order":
        # "a small order of fries": orders are what restaurants and chains serve.
        mods += lexicon.TAKEOUT_HINT
    hits = m.search(words, mods)
    if not hits or hits[0][1] < MIN_SCORE:
        # Extra adjectives can sink a phrase ("strong espresso"): English puts the food last,
        # so retry with shorter and shorter endings of the phrase.
        for k in range(min(3, len(content) - 1), 0, -1):
            tail = m.search(content[-k:], ph.mods)
            if tail and tail[0][1] >= MIN_SCORE:
                hits = tail
                break
        else:
            unmatched.append(" ".join(content))
            return None
    hits = _shape_first(hits, content)
    food, score = hits[0]
    name_words = set(tokens(food.name))
    # Compared after synonyms ("white bun" -> rolls), as the matcher saw the phrase.
    shared = set(tokens(m.index.join_split(" ".join(apply_synonyms(content))))) & name_words
    if shared and shared <= lexicon.FORM_ONLY_WORDS:
        # "traditional style", "nutritional powder", "organic": only descriptive words agree, so
        # the food itself was not recognised; report it rather than log an unrelated food.
        unmatched.append(" ".join(content))
        return None
    for w in content:
        parts = [p for p in re.split(r"[-'&]", w) if len(p) > 2 or any(c.isdigit() for c in p)]
        if w in lexicon.COOKING_WORDS or w in lexicon.COUNT_UNITS or w in lexicon.VOLUME_UNITS:
            continue  # "a water pouch": a container word, not an unknown food
        if not any(m.index.correct(p) for p in parts or tokens(w) or [w]):
            unmatched.append(w)
    hints = frozenset(stem(w) for w in ph.words)
    quantity = ph.quantity if ph.quantity is not None else 1.0
    # The head noun is the phrase's last word ("cheese pizza" is a pizza); a dish the user named
    # without any article or number ("had pizza") is not assumed to be a whole one.
    head = stem(content[-1]) if ph.quantity is not None or ph.unit is not None else None
    if head and head not in lexicon.SYNONYMS and head not in tokens(food.name):
        head = None  # the food found is not that dish ("French bread pizza" -> bread)
    if head and len(content) > 1 and f"{stem(content[-2])} {head}" in lexicon.TYPICAL_PORTIONS:
        head = f"{stem(content[-2])} {head}"  # "cinnamon bun" is not any bun
    # "a gumdrop", "one pretzel": a single piece named in the singular is one piece, not the
    # handful USDA lists as its serving ("10 gumdrops = 36 g").
    one = content[-1] == stem(content[-1]) and content[-1].isalpha() and ph.unit is None
    amount = to_grams(food, quantity, ph.unit, ph.size, hints, head, one=one)
    if (
        ph.unit in lexicon.MASS_UNITS
        and food.group in lexicon.STARCH_GROUPS
        and set(ph.mods) & lexicon.DISH_PART_WORDS
    ):
        # "250 g of pasta with cream sauce and chicken": the weight is the whole mixed dish, of
        # which the starch is only a part. (A cup of such a dish weighs more than a cup of plain
        # pasta, so by volume it holds about a cup's worth of starch: volumes are left alone.)
        amount = Amount(amount.grams * lexicon.STARCH_SHARE_OF_DISH, amount.unit)
    second = hits[1][1] if len(hits) > 1 else 0.0
    # Close runners-up make the choice less certain.
    confidence = score * (0.85 + 0.15 * min(1.0, (score - second) / 0.05))
    return ParsedItem(
        text=ph.text,
        food=food,
        quantity=quantity,
        unit=amount.unit,
        grams=amount.grams,
        nutrients=_scaled(food, amount.grams),
        confidence=round(max(0.0, min(1.0, confidence)), 3),
        alternatives=[f for f, _ in hits[1:4]],
    )


def _shape_first(
    hits: list[tuple[FoodRecord, float]], content: list[str]
) -> list[tuple[FoodRecord, float]]:
    """ "a hash brown patty", "a fish stick": among near-equal foods, one USDA measures in that
    shape (it has a "patty" measure) is the one meant, if it drops no word the best one has."""
    key = lexicon.COUNT_UNITS.get(content[-1])
    if content[-1] not in _FOOD_UNITS or not key or not hits:
        return hits
    if any(m.key == key for m in measures(hits[0][0])):
        return hits
    said = {stem(w) for w in content}
    best = set(tokens(hits[0][0].name)) & said
    for h in hits[1:]:
        if h[1] < hits[0][1] - _SHAPE_MARGIN or not best <= set(tokens(h[0].name)):
            continue
        if any(m.key == key for m in measures(h[0])):
            return [h, *(x for x in hits if x is not h)]
    return hits


def _sandwich_parts(ph: _Phrase, m: _Matcher) -> list[_Phrase] | None:
    """A sandwich USDA does not list, as its bread and its filling; None to match it as is."""
    content = _content(ph.words)
    if not content or not set(content) & lexicon.SANDWICH_NOUNS:
        return None
    words = {p for w in [*content, *ph.mods] for p in w.split("-")}
    # Only the sandwich's own name decides ("a bagel sandwich with cream cheese" is no ice
    # cream sandwich).
    if {p for w in content for p in w.split("-")} & lexicon.NOT_SANDWICH_WORDS:
        return None
    bread_words = lexicon.SANDWICH_NOUNS | lexicon.SANDWICH_STYLE_WORDS | lexicon.BREAD_WORDS
    filling = [w for w in content if w not in bread_words and w not in lexicon.COUNT_UNITS]
    if not filling:
        filling = [w for w in ph.mods if w not in bread_words][:2]
        described = [
            w for w in ph.mods if w not in lexicon.WEAK_WORDS and w not in lexicon.COOKING_WORDS
        ]
        if filling and len(described) <= 4:
            # "a sandwich filled with egg, cheese and bacon on a biscuit": what it is made of
            # names the sandwich (USDA lists many by their fillings and bread).
            ph.words, ph.mods = [*described, *ph.words], []
    hits = m.search(ph.words, ph.mods)
    if hits:
        name = set(tokens(hits[0][0].name))
        bread_named = {stem(w) for w in words & lexicon.BREAD_WORDS}
        sandwich_named = {stem(w) for w in lexicon.SANDWICH_WORDS} | bread_named
        if (name & sandwich_named) and not name & {"spread", "cracker"}:
            # A sandwich USDA lists (fast-food ones): keep it when it has the named filling.
            telling = [
                stem(w)
                for w in filling
                if w not in lexicon.COOKING_WORDS and w not in lexicon.WEAK_WORDS
            ]
            # Spelling variants ("fillet" / "filet") count as the same word.
            found = sum(1 for w in telling if w in name or w[:3] in {n[:3] for n in name})
            # ... and no main filling of its own the eater did not name (a "cheese sandwich" is
            # not the fish sandwich with cheese).
            said = {stem(w) for w in [*words, *ph.words]}
            unsaid = (name & lexicon.SANDWICH_FILLINGS) - said
            # Nor on another bread than the one named ("on a bun" is no griddle-cake sandwich).
            if bread_named and (name & lexicon.SANDWICH_BREAD_KINDS) - bread_named:
                unsaid.add("bread")
            brands = set(tokens(" ".join(_BRAND_WORD_RE.findall(hits[0][0].name))))
            if brands and not brands & said and hits[0][0].group not in _SERVED_GROUPS:
                # A packaged branded product the eater did not name (a chain's sandwich is
                # still what a "chicken sandwich" bought out usually is).
                unsaid.add("brand")
            if name & _NOT_SANDWICH_STEMS:
                unsaid.add("kind")  # an ice cream or cookie "sandwich" the eater did not name
            if hits[0][0].group == "Baked Products":
                unsaid.add("bread")  # the bread alone ("Bagels, egg"), not a filled sandwich
            if found * 2 >= len(telling) and not unsaid:
                return None
    weighed = ph.metric and ph.unit in lexicon.MASS_UNITS and bool(ph.quantity)
    if not weighed and words & lexicon.CRUSTLESS_WORDS and ph.quantity in (None, 1.0):
        # A crustless sandwich is the sealed kind sold frozen (Uncrustables): 2 oz in all.
        ph.quantity, ph.unit, ph.metric = lexicon.CRUSTLESS_SANDWICH_GRAMS, "g", True
        weighed = True
    if not weighed and (
        ph.metric or ph.quantity not in (None, 1.0) or (ph.unit and ph.unit != "serving")
    ):
        return None  # a counted sandwich ("2 sandwiches") stays one item
    bread, count = lexicon.DEFAULT_SANDWICH_BREAD, 2.0
    for word, match, n in lexicon.SANDWICH_BREADS:
        if word in words:
            bread, count = match, n
            break
    # One roll, biscuit or bagel holding a filling is a regular (medium) one.
    roll_size = "medium" if count == 1 and not words & {"wrap", "tortilla", "pita"} else None
    if weighed and ph.unit is not None and ph.quantity:
        # A weighed sandwich: about half its weight is bread (two ~28 g slices in a ~110 g
        # sandwich, as in USDA FNDDS sandwich recipes), the rest its filling.
        grams = ph.quantity * lexicon.MASS_UNITS[ph.unit]
        share = lexicon.SANDWICH_BREAD_SHARE if filling else 1.0
        if filling and {p for w in filling for p in w.split("-")} <= lexicon.THIN_FILLINGS:
            # Cheese or spreads alone are a thin layer: the bread is most of the weight.
            share = lexicon.THIN_SANDWICH_BREAD_SHARE
        bread_grams = grams * share
        if filling:
            # ... but never more bread than it holds: one tortilla or bun, two slices (a heavy
            # wrap is heavy with filling).
            bread_grams = min(bread_grams, _bread_grams(bread, count, roll_size, m))
        parts = [_Phrase(bread.split(), bread_grams, "g", metric=True, counted=True, text=ph.text)]
        spreads = _two_spreads(filling)
        for part in spreads or ([filling] if filling else []):
            rest = (grams - bread_grams) / max(1, len(spreads))
            parts.append(_Phrase(part, rest, "g", metric=True, counted=True, text=ph.text))
        return parts
    parts = [_Phrase(bread.split(), count, size=roll_size, counted=True, text=f"{ph.text} (bread)")]
    spreads = _two_spreads(filling)
    if spreads:
        # Peanut butter and jelly: a spoonful of each (about half the label serving of each).
        parts.extend(_Phrase(part, 1.0, "tbsp", counted=True, text=ph.text) for part in spreads)
    elif filling:
        # About 2 oz of filling (USDA FNDDS sandwich recipes use roughly 1.5-3 oz of meat, fish
        # salad or cheese per sandwich).
        if set(filling) & lexicon.NUT_SPREAD_WORDS:
            # Nut butters: the label serving, 2 tbsp (32 g).
            parts.append(_Phrase(filling, 2.0, "tbsp", counted=True, text=ph.text))
        elif set(filling) & lexicon.SPREAD_WORDS:
            # Other spreads (jelly, honey) go on by the spoonful: their own default measure.
            parts.append(_Phrase(words=filling, quantity=1.0, counted=True, text=ph.text))
        else:
            # "egg-and-cheese": the named fillings share the 2 oz.
            pairs = [p.split("-and-") for p in filling if "-and-" in p]
            fills = [[w] for pair in pairs for w in pair] or [filling]
            for part in fills:
                oz = 2.0 / len(fills)
                parts.append(_Phrase(part, oz, "oz", metric=True, counted=True, text=ph.text))
    return parts


def _bread_grams(bread: str, count: float, size: str | None, m: _Matcher) -> float:
    """What ``count`` of the sandwich's bread weighs, by the bread's own USDA measure."""
    hits = m.search(bread.split())
    if not hits:
        return float("inf")
    return to_grams(hits[0][0], count, None, size).grams


def _plate_parts(ph: _Phrase, m: _Matcher) -> list[_Phrase] | None:
    """Meat "with potatoes and vegetables" as the meat and each side; None to keep it whole."""
    if not ph.mods or ph.unit in lexicon.VOLUME_UNITS:
        return None
    sides: list[list[str]] = []
    keep: list[str] = []
    pending: list[str] = []
    for w in ph.mods:
        if w in lexicon.PLATE_SIDES:
            side = [*pending, *lexicon.PLATE_SIDE_FORMS.get(w, w).split()]
            if not pending or w not in lexicon.PLATE_SIDE_FORMS:
                side = [*pending, w] if pending else side
            sides.append(side)
            pending = []
        elif w in lexicon.PLATE_SIDE_ADJECTIVES:
            pending.append(w)
        else:
            keep.extend(pending)
            pending = []
            keep.append(w)
    keep.extend(pending)
    if not sides:
        return None
    hits = m.search(ph.words, keep)
    if not hits or hits[0][0].group not in lexicon.PLATE_MAIN_GROUPS:
        return None
    if set(tokens(hits[0][0].name)) & {stem(w) for side in sides for w in side}:
        return None  # USDA lists the dish with that side ("chicken and rice"): keep it whole
    main = replace(ph, mods=keep)
    share = lexicon.PLATE_MAIN_SHARE_ONE_SIDE if len(sides) == 1 else lexicon.PLATE_MAIN_SHARE
    if ph.metric and ph.unit in lexicon.MASS_UNITS and ph.quantity:
        grams = ph.quantity * lexicon.MASS_UNITS[ph.unit]
    else:
        grams = lexicon.TYPICAL_PLATE_GRAMS  # a plate or tray of usual size
    if not (ph.counted or ph.unit) or ph.metric:
        main.quantity, main.unit, main.metric, main.counted = grams * share, "g", True, True
    rest = grams * (1 - share) / len(sides)
    return [
        main,
        *(_Phrase(side, rest, "g", metric=True, counted=True, text=ph.text) for side in sides),
    ]


def _addin_parts(ph: _Phrase) -> list[_Phrase] | None:
    """ "a bagel with cream cheese", "coffee with cream and sugar": the bread or drink, then each
    spread or add-in it was only said to come with; None when there is none."""
    content = _content(ph.words)
    if not ph.mods or not content or stem(content[-1]) not in lexicon.ADDIN_HOSTS:
        return None
    if ph.metric:
        return None  # a weighed food's weight may well include what is on it
    said = " " + " ".join(ph.mods) + " "
    parts: list[_Phrase] = []
    for name, food, amount, unit in lexicon.ADDINS:
        if f" {name} " in said:
            said = said.replace(f" {name} ", " ")
            each = ph.quantity or 1.0
            parts.append(_Phrase(food.split(), amount * each, unit, counted=True, text=ph.text))
    if not parts:
        return None
    return [replace(ph, mods=said.split()), *parts]


def _restates(ph: _Phrase, items: Sequence[ParsedItem]) -> bool:
    """ "..., enjoying one fruit and one banana in total": a recap of single foods already logged.

    A lone count of one, with no unit and no word that earlier phrases did not already use
    (or only the category of an earlier food: "one fruit"), names nothing new.
    """
    if ph.metric or ph.unit is not None or ph.quantity not in (None, 1.0) or not items:
        return False
    content = [stem(w) for w in _content(ph.words)]
    if not content:
        return False
    if len(content) == 1 and content[0] in lexicon.CATEGORY_GROUPS:
        if not ph.counted:
            return False  # "potatoes and vegetables": a food of its own, no count recapped
        group = lexicon.CATEGORY_GROUPS[content[0]]
        return any(it.food.group == group for it in items)
    for it in items:
        said = {stem(w) for w in it.text.split()}
        if content[-1] in said and set(content) <= said:
            return True
    return False


def _two_spreads(filling: list[str]) -> list[list[str]]:
    """A nut butter plus another spread ("peanut butter jelly") as two fillings, else []."""
    nut = [w for w in filling if w in lexicon.NUT_SPREAD_WORDS or w == "butter"]
    other = [w for w in filling if w not in nut]
    if nut and other and set(other) <= lexicon.SPREAD_WORDS | {"banana", "grape", "strawberry"}:
        return [nut if "butter" in nut else [*nut, "butter"], other]
    return []


def _share_total(items: list[ParsedItem], weighed: list[bool], start: int, grams: float) -> None:
    """Scale the unweighed solid foods from ``start`` on so that together they weigh ``grams``."""
    idx = [
        k for k in range(start, len(items)) if not weighed[k] and items[k].food.group != "Beverages"
    ]
    have = sum(items[k].grams for k in idx)
    if not idx or have <= 0:
        return
    f = grams / have
    for k in idx:
        it = items[k]
        items[k] = replace(it, grams=it.grams * f, nutrients=_scaled(it.food, it.grams * f))


def parse(
    text: str, index: FoodIndex | None = None, extra: Sequence[FoodRecord] = ()
) -> ParseResult:
    """Parse a free-text meal description into matched foods with grams and nutrients."""
    m = _Matcher(index or default_index(), extra)
    items: list[ParsedItem] = []
    unmatched: list[str] = []
    phrases = _phrases(text, m)
    # Where weights are given, only weighed sandwiches are split (a "jelly sandwich" after
    # "60 g of peanut butter" is the rest of one weighed sandwich, not a second one).
    weighed_text = any(ph.metric for ph in phrases)
    phrases = [
        part
        for ph in phrases
        for part in ((_sandwich_parts(ph, m) if ph.metric or not weighed_text else None) or [ph])
    ]
    phrases = [part for ph in phrases for part in (_plate_parts(ph, m) or [ph])]
    phrases = [part for ph in phrases for part in (_addin_parts(ph) or [ph])]
    start = 0  # first item the next whole-plate weight can cover
    weighed: list[bool] = []
    for ph in phrases:
        if ph.total:
            _share_total(
                items, weighed, start, (ph.quantity or 1.0) * lexicon.MASS_UNITS[ph.unit or "g"]
            )
            start = len(items)
            continue
        item = _item(ph, m, unmatched)
        if item is None:
            continue
        if ph.again:
            pass
        elif not ph.explicit and any(it.food.id == item.food.id for it in items):
            continue  # "... I enjoyed every bite of the doughnut": the same one again
        elif _restates(ph, items):
            continue
        if not ph.explicit and set(ph.text.split()) & _POSSESSIVES:
            continue  # "..., savoring its cornbread coating": part of the food before
        if not ph.explicit and "the" in ph.text.split() and ph.words:
            # "soaking in the sweetness of honey" after "Honey Nut Cheerios": a back-reference.
            last = stem(ph.words[-1])
            if any(last in (stem(w) for w in it.text.split()) for it in items):
                continue
        items.append(item)
        weighed.append(ph.metric)
    return ParseResult(text=text, items=items, unmatched=unmatched, totals=_totals(items))


def resolve_items(
    items: Sequence[ExtractedItem],
    index: FoodIndex | None = None,
    extra: Sequence[FoodRecord] = (),
    text: str = "",
) -> ParseResult:
    """Match items another extractor (e.g. an LLM) produced, with parse()'s matcher and units."""
    m = _Matcher(index or default_index(), extra)
    parsed: list[ParsedItem] = []
    unmatched: list[str] = []
    for it in items:
        unit_tokens = _normalise(it.unit) if it.unit else []
        amount = f"{it.quantity:g}" if it.quantity is not None else ""
        ph = _read_phrase([*([amount] if amount else []), *unit_tokens])
        food_ph = _read_phrase(_normalise(it.food))
        ph.words = food_ph.words
        ph.size = ph.size or food_ph.size
        if it.quantity is None and ph.quantity is None:
            ph.quantity = food_ph.quantity
        if ph.unit is None and unit_tokens and unit_tokens[0] in lexicon.COUNT_UNITS:
            ph.unit = unit_tokens[0]
        ph.text = it.food
        item = _item(ph, m, unmatched)
        if item is not None:
            parsed.append(item)
    return ParseResult(
        text=text or ", ".join(i.food for i in items),
        items=parsed,
        unmatched=unmatched,
        totals=_totals(parsed),
    )


def _round(value: float, digits: int) -> float:
    r = round(value, digits)
    return 0.0 if r == 0 else r


def to_jsonl_dict(result: ParseResult) -> dict[str, object]:
    """A compact JSON-ready view: ids, grams and macros per item and in total."""
    return {
        "text": result.text,
        "items": [
            {
                "food_id": str(it.food.id),
                "food": it.food.name,
                "quantity": _round(it.quantity, 3),
                "unit": it.unit,
                "grams": _round(it.grams, 1),
                "kcal": _round(it.nutrients.get("kcal", 0.0), 1),
                "protein_g": _round(it.nutrients.get("protein_g", 0.0), 2),
                "carbs_g": _round(it.nutrients.get("carbs_g", 0.0), 2),
                "fat_g": _round(it.nutrients.get("fat_g", 0.0), 2),
                "confidence": _round(it.confidence, 3),
            }
            for it in result.items
        ],
        "totals": {
            k: _round(result.totals.get(k, 0.0), 1 if k == "kcal" else 2) for k in MACRO_FIELDS
        },
    }
