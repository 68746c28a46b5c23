"""Turns "2 cups", "a medium", "3 slices" or "150 g" into grams of one particular food.

Order of preference: exact mass units; the food's own USDA household measure for the unit or
size word; a standard conversion (volume via the food's density, known container sizes); and
finally a typical serving of the food.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from functools import lru_cache

from app.foods import lexicon
from app.foods.dataset import FoodRecord, Portion, load_usda_foods
from app.foods.matcher import stem

_WORD_RE = re.compile(r"[a-z]+")
_VOLUME_KEYS = frozenset({"cup", "tbsp", "tsp", "floz", "quart", "pint", "gallon", "ml", "liter"})
_MASS_KEYS = frozenset({"oz", "lb", "g", "kg"})
# Measures too big to be "one" of something someone eats in a sitting.
_BULK_WORDS = frozenset(
    {
        "package",
        "jar",
        "loaf",
        "head",
        "bird",
        "roast",
        "rack",
        "quart",
        "gallon",
        "lb",
        "recipe",
        "box",
        "yield",
        "yields",
        "whole",
        "pie",
        "cake",
        "pizza",
        "carcass",
        "cubic",
        "inch",
        "container",
    }
)
# Heavier than this, a measure is a whole pizza or pie rather than one piece of it.
_SINGLE_MAX = 400.0
# ... or a whole ring or rope of sausage rather than one sausage (a bun-length one is ~75 g).
_SAUSAGE_MAX = 150.0
_SAUSAGE_GROUP = "Sausages and Luncheon Meats"
# Drink sizes in ml when the food has no measure for the size word: iced tea, coffee and other
# counter drinks (12, 16, 24, 32 fl oz of drink, room left for ice), fountain soft drinks (16,
# 21, 30, 40 fl oz: US chain cup sizes, counted in full as USDA FNDDS portions do) and other
# drinks (8, 12, 16, 20 fl oz).
_FOUNTAIN_ML = {"small": 355.0, "medium": 473.0, "large": 710.0, "extra large": 946.0}
_SODA_ML = {"small": 473.0, "medium": 621.0, "large": 887.0, "extra large": 1183.0}
_DRINK_ML = {"small": 240.0, "medium": 355.0, "large": 473.0, "extra large": 591.0}
# Drinks sold by cup size at counters; juice and milk come in smaller servings.
_FOUNTAIN = (
    "carbonated",
    "cola",
    "soda",
    "tea",
    "coffee",
    "slush",
    "frozen",
    "lemonade",
    "juice drink",
    "fruit punch",
    "sports drink",
)
# Whole words only: "cola" is no part of "chocolate".
_FOUNTAIN_RE = re.compile(r"\b(?:" + "|".join(_FOUNTAIN) + r")\b")
# Count words people use interchangeably.
_ALIKE = {
    "piece": frozenset({"piece", "slice", "item", "each", "serving", "unit"}),
    "slice": frozenset({"slice", "piece"}),
    "serving": frozenset({"serving", "portion", "item"}),
    "bar": frozenset({"bar", "item", "piece"}),
}
_WEDGE_KEYS = frozenset({"slice", "piece", "wedge"})
_FIRST_CLASS_COUNT = frozenset({"slice", "piece", "serving", "bar", "item", "each", "unit"})
_SIZED = frozenset({"small", "medium", "large", "regular", "jumbo", "mini", "extra"})
# Foods sold in snack bags of standard sizes.
_BAGGED_GROUPS = frozenset({"Snacks", "Sweets", "Nut and Seed Products"})
_SMALL_GROUPS = frozenset({"Fats and Oils", "Spices and Herbs"})
_OZ_FIRST_GROUPS = frozenset(
    {"Snacks", "Nut and Seed Products", "Sweets", "Sausages and Luncheon Meats"}
)
_VOLUME_ALIASES = {
    "tablespoon": "tbsp",
    "tbs": "tbsp",
    "teaspoon": "tsp",
    "c": "cup",
    "cups": "cup",
    "quarts": "quart",
}


@dataclass(frozen=True, slots=True)
class MeasureInfo:
    portion: Portion
    key: str  # canonical first word: "cup", "floz", "large", "slice", "oz", ...
    words: frozenset[str]  # every word of the description, singular
    grams_each: float


def _singular(word: str) -> str:
    # Same folding as the matcher, so "cookies" in a measure meets "cookie" in a query.
    return stem(word)


def _describe(p: Portion) -> MeasureInfo:
    desc = p.unit.lower().replace("fl oz", "floz").replace("fl. oz", "floz")
    desc = desc.replace("fluid ounce", "floz")
    words = [_singular(w) for w in _WORD_RE.findall(desc)]
    key = words[0] if words else ""
    key = _VOLUME_ALIASES.get(key, key)
    if key == "extra" and len(words) > 1 and words[1] == "large":
        key = "extra large"
    amount = p.amount if p.amount > 0 else 1.0
    if key == "inch" and amount > 1 and len(words) > 1:
        # "6 inch sub = 196 g": the number is the item's length, not a count of inches.
        return MeasureInfo(p, words[1], frozenset(words) | {words[1]}, p.grams)
    if amount < 1 and key not in _VOLUME_KEYS and key not in _MASS_KEYS:
        # "0.25 pizza = 127 g" describes one piece of a whole item: that piece is the unit.
        return MeasureInfo(p, "piece", frozenset(words) | {"piece", "slice", "serving"}, p.grams)
    if amount > 1 and p.grams / amount < 10 and key not in _VOLUME_KEYS | _MASS_KEYS:
        # "22 chips = 28 g", "10 strips = 82 g": the listed handful is the usual serving, so it is
        # what "a serving" or "a small bag" means; counted units still work via grams_each.
        words.append("serving")
    return MeasureInfo(p, key, frozenset(words) | {key}, p.grams / amount)


def measures(food: FoodRecord) -> tuple[MeasureInfo, ...]:
    # Keyed on the portions tuple: FoodRecord itself is unhashable (its nutrients mapping).
    return _measures(food.portions)


@lru_cache(maxsize=16384)
def _measures(portions: tuple[Portion, ...]) -> tuple[MeasureInfo, ...]:
    return tuple(_describe(p) for p in portions)


def _limit(food: FoodRecord) -> float:
    # Drinks come in big sizes (a large soda is ~1 l); solid single items do not, and a sausage
    # "link" of 370 g is a whole rope of kielbasa, not one sausage eaten.
    if food.group == "Beverages":
        return 1100.0
    return _SAUSAGE_MAX if food.group == _SAUSAGE_GROUP else _SINGLE_MAX


def _pick(cands: list[MeasureInfo], hints: frozenset[str]) -> MeasureInfo:
    # Prefer a measure whose extra words the eater used ("cup, chopped" for "chopped"), then
    # USDA's own order (first listed is the usual one).
    return max(cands, key=lambda m: len(m.words & hints))


# Typical grams per millilitre by food group, for foods without any volume measure: a cup of
# chips or cereal weighs far less than a cup of juice.
_GROUP_DENSITY = {
    "Snacks": 0.12,
    "Breakfast Cereals": 0.15,
    "Baked Products": 0.3,
    "Sweets": 0.6,
    "Fast Foods": 0.5,
    "Restaurant Foods": 0.6,
    "Meals, Entrees, and Side Dishes": 0.8,
    "Vegetables and Vegetable Products": 0.6,
    "Fruits and Fruit Juices": 0.7,
    "Nut and Seed Products": 0.55,
    "Beef Products": 0.6,
    "Pork Products": 0.6,
    "Poultry Products": 0.6,
    "Lamb, Veal, and Game Products": 0.6,
    "Finfish and Shellfish Products": 0.6,
    "Sausages and Luncheon Meats": 0.6,
    "Cereal Grains and Pasta": 0.7,
    "Legumes and Legume Products": 0.75,
}


def _own_density(food: FoodRecord) -> float | None:
    for m in measures(food):
        ml = lexicon.VOLUME_UNITS.get(m.key)
        if m.key in ("cup", "tbsp", "tsp", "floz") and ml:
            return m.grams_each / ml
    return None


def _kin(food: FoodRecord) -> tuple[str, str] | None:
    """Group and head word of a food named by what it is ("Lasagna with meat sauce"); None for
    names that open with a category or a brand ("Snacks, ...", "TACO BELL, ...")."""
    head = food.name.split(",")[0]
    if (
        head.isupper()
        or " ".join(head.lower().replace("-", " ").split()) in lexicon.GENERIC_NAME_HEADS
    ):
        return None
    first = _WORD_RE.findall(head.lower())[:1]
    return (food.group or "", first[0]) if first else None


@lru_cache(maxsize=1)
def kin_densities() -> dict[tuple[str, str], float]:
    """Median grams per millilitre of the USDA foods of each group and head word."""
    found: dict[tuple[str, str], list[float]] = {}
    for food in load_usda_foods():
        d, kin = _own_density(food), _kin(food)
        if d and kin:
            found.setdefault(kin, []).append(d)
    return {k: statistics.median(v) for k, v in found.items()}


def _density(food: FoodRecord) -> float:
    """Grams per millilitre from the food's volume measures, else that of foods named alike (a
    cup of "Lasagna with meat sauce" weighs what a cup of the other lasagnas does), else a
    typical one for its group."""
    own = _own_density(food)
    if own:
        return own
    kin = _kin(food)
    alike = kin_densities().get(kin) if kin else None
    return alike or _GROUP_DENSITY.get(food.group or "", 1.0)


def _is_count(m: MeasureInfo) -> bool:
    if m.grams_each < 5 and "serving" not in m.words:
        return False  # one chip or one nut is not what "some chips" means
    return (
        m.key not in _VOLUME_KEYS
        and m.key not in _MASS_KEYS
        and m.key not in _BULK_WORDS
        and not (m.words & _BULK_WORDS)
        and m.grams_each <= _SINGLE_MAX
        and m.key not in ("serving", "nlea", "portion", "container", "can", "bottle", "bag")
    )


_CONDIMENT_HEADS = (
    "sauce",
    "gravy",
    "salad dressing",
    "dressing",
    "syrup",
    "frosting",
    "topping",
    "jams",
    "jellies",
    "honey",
    "sugar",
    "butter",
    "margarine",
    "oil",
    "vegetable oil",
    "fat",
    "lard",
    "shortening",
    "mayonnaise",
    "catsup",
    "mustard",
    "cream, sour",
    "cream, fluid",
    "cream substitute",
    "sour cream",
    "salsa",
    "seasoning",
    "spices",
    "cream cheese",
    "peanut butter",
    "nutella",
    "hummus",
    "dip",
)


def _is_drink(food: FoodRecord) -> bool:
    name = food.name.lower()
    if food.group == "Beverages":
        return not any(w in name for w in ("powder", "dry", "mix,", "concentrate", "instant,"))
    drinks = ("milk,", "milk shakes", "soymilk", "almond milk")
    return "juice" in name or "smoothie" in name or name.startswith(drinks)


def _is_condiment(food: FoodRecord) -> bool:
    """Spreads, sauces and sweeteners: eaten by the spoonful, not by the cup."""
    return food.name.lower().startswith(_CONDIMENT_HEADS)


def default_measure(food: FoodRecord, hints: frozenset[str] = frozenset()) -> MeasureInfo | None:
    """The serving someone most likely means by "an X" with no unit."""
    ms = [m for m in measures(food) if m.grams_each > 0]
    if not ms:
        return None
    counts = [m for m in ms if _is_count(m) and m.grams_each <= _limit(food)]
    named = [m for m in counts if m.key in hints]
    if named:
        # "a hash brown patty": the food's "patty" measure; of "potato large / medium / small",
        # the medium one.
        if all(m.words & _SIZED for m in named):
            medium = [m for m in named if m.words & {"medium", "regular"}]
            return medium[0] if medium else named[0]
        return named[0]
    if counts and not _is_condiment(food):
        first = ms[0]
        if first in counts:
            return first
        medium = [m for m in counts if "medium" in m.words or "regular" in m.words]
        if medium:
            return medium[0]
        # Among other count measures the generic ones ("slice", "piece") beat size words.
        generic = [m for m in counts if m.key in _FIRST_CLASS_COUNT]
        return generic[0] if generic else counts[0]
    group = food.group or ""
    order: tuple[str, ...]
    if group in _SMALL_GROUPS or _is_condiment(food):
        order = ("tbsp", "tsp", "serving", "pat", "oz", "cup")
    elif group in _OZ_FIRST_GROUPS:
        order = ("serving", "oz", "cup", "floz")
    else:
        order = ("serving", "cup", "floz", "oz")
    for key in order:
        for m in ms:
            if m.key == key and m.grams_each <= 700:
                return m
    small = [m for m in ms if m.grams_each <= _SINGLE_MAX]
    return small[0] if small else None


def _size_words(size: str) -> frozenset[str]:
    return lexicon.MINI_MEASURE_WORDS if size == "mini" else frozenset({size})


@dataclass(frozen=True, slots=True)
class Amount:
    grams: float
    unit: str  # label for display: "g", "cup", "large", "serving", ...


def typical_portion(head: str | None, unit: str | None, size: str | None) -> float | None:
    """Typical US grams of one "slice"/"each"/... of a dish named by its head noun, if known."""
    if not head:
        return None
    # Two-word dish names ("cinnamon bun") before the bare head noun ("bun").
    table = lexicon.TYPICAL_PORTIONS.get(head)
    if table is None and " " in head:
        table = lexicon.TYPICAL_PORTIONS.get(head.rsplit(" ", 1)[1])
    if table is None:
        return None
    if unit is None:
        return table.get(size or "each")  # a size the table lacks: keep USDA's own measure
    if unit in lexicon.MASS_UNITS or unit in lexicon.VOLUME_UNITS:
        return None
    key = lexicon.COUNT_UNITS.get(unit, unit)
    if size and key == "order":
        return table.get(size)  # "a medium order of popcorn": the size says how much
    return table.get(key)


def to_grams(
    food: FoodRecord,
    quantity: float,
    unit: str | None,
    size: str | None = None,
    hints: frozenset[str] = frozenset(),
    head: str | None = None,
    one: bool = False,
) -> Amount:
    """Grams of ``food`` for ``quantity`` ``unit`` (unit None: count of typical items).

    ``head`` is the phrase's head noun ("pizza", "calzone"): when USDA's own measure for it is
    clearly a small reference piece, the typical US portion of that dish is used instead.
    """
    wedges = lexicon.WEDGES_PER_ITEM.get(head or "")
    key = lexicon.COUNT_UNITS.get(unit or "")
    if wedges and key in _WEDGE_KEYS and not _has_measure(food, _WEDGE_KEYS):
        # "a slice of quesadilla": one wedge of the whole one USDA weighs.
        whole = _to_grams(food, 1.0, None, size, hints)
        return Amount(quantity * whole.grams / wedges, key)
    amount = _to_grams(food, quantity, unit, size, hints, one)
    # Baby foods come in their own (small) sizes.
    typical = typical_portion(head, unit, size) if food.group != "Baby Foods" else None
    if typical is not None and amount.grams < 0.85 * quantity * typical:
        return Amount(quantity * typical, size or amount.unit)
    return amount


def _has_measure(food: FoodRecord, words: frozenset[str]) -> bool:
    return any(m.key in words for m in measures(food))


def _to_grams(
    food: FoodRecord,
    quantity: float,
    unit: str | None,
    size: str | None,
    hints: frozenset[str],
    one: bool = False,
) -> Amount:
    ms = [m for m in measures(food) if m.grams_each > 0]
    name = food.name.lower()
    if unit in lexicon.MASS_UNITS:
        return Amount(quantity * lexicon.MASS_UNITS[unit], _mass_label(unit))
    if unit is not None and unit in lexicon.VOLUME_UNITS:
        key = lexicon.VOLUME_KEY.get(unit)
        shop = lexicon.ICE_CREAM_SHOP_GRAMS.get(size or "")
        if shop and key == "cup" and name.startswith(lexicon.ICE_CREAM_HEADS):
            # "a medium cup of ice cream" is the shop's cup of that size, not a measuring cup.
            return Amount(quantity * shop, size or key)
        factor = 1.5 if unit in ("bowl", "bowls") else 1.0
        if key:
            same = [m for m in ms if m.key == key]
            if same:
                m = _pick(same, hints)
                return Amount(quantity * factor * m.grams_each, key)
        ml = quantity * lexicon.VOLUME_UNITS[unit]
        return Amount(ml * _density(food), key or unit)
    if unit is not None:
        key = lexicon.COUNT_UNITS.get(unit, unit)
        same = [m for m in ms if m.key == key and m.grams_each <= _limit(food)]
        if not same:
            alike = _ALIKE.get(key, frozenset({key}))
            # "a piece of fried chicken" is one piece, not USDA's "unit (yield from 1 lb ...)".
            same = [
                m
                for m in ms
                if m.words & alike
                and m.grams_each <= min(_SINGLE_MAX, _limit(food))
                and not m.words & _BULK_WORDS
            ]
        if key in ("bag", "packet", "package", "box", "pouch") and same:
            # A bag of chips someone eats is a snack bag, not the family pack USDA lists.
            as_eaten = [m for m in same if m.words & {"prepared", "yield", "yields"}]
            if as_eaten:
                same = as_eaten  # "1 packet, prepared": the cereal as eaten from one packet
            elif food.group != "Beverages" and min(m.grams_each for m in same) > 100:
                same = []
        if key in ("bag", "container") and not same and food.group in _BAGGED_GROUPS:
            bag = lexicon.SNACK_BAG_GRAMS.get(size or "small")
            if bag:
                return Amount(quantity * bag, key)
        if size:
            sized = [m for m in same if _size_words(size) & m.words]
            same = sized or same
        if same:
            m = _pick(same, hints)
            if key == "can" and _is_drink(food):
                # A can is 12 fl oz unless said otherwise; USDA often lists the 16 oz one too.
                m = min(same, key=lambda c: abs(c.grams_each - 355 * _density(food)))
            each = m.grams_each
            if "serving" in m.words and m.portion.amount > 1 and quantity <= 2:
                each = m.portion.grams  # "a serving" of "22 chips = 28 g" is the 28 g
            return Amount(quantity * each, key)
        if key == "container" and "juice" in name:
            # Individual (school) juice containers hold about 4 fl oz.
            return Amount(quantity * 125.0 * _density(food), key)
        if key == "can" and _is_drink(food):
            # Energy drink brands sell their own can sizes (a Monster is a 16 fl oz can).
            for brand, ml in lexicon.ENERGY_DRINK_CAN_ML.items():
                if re.search(rf"\b{brand}\b", name):
                    return Amount(quantity * ml * _density(food), key)
        if key == "bottle" and name.startswith("yogurt"):
            return Amount(quantity * lexicon.YOGURT_DRINK_BOTTLE_ML * _density(food), key)
        if key == "bottle" and "juice" in name:
            # Single-serve juice bottles hold 10-15.2 fl oz, not the half litre of water ones.
            return Amount(quantity * lexicon.JUICE_BOTTLE_ML * _density(food), key)
        if key in lexicon.CONTAINER_ML and (
            _is_drink(food) or key not in lexicon.COUNT_DEFAULT_GRAMS
        ):
            ml = lexicon.CONTAINER_ML[key]
            if key == "box" and size in ("mini", "small"):
                ml = lexicon.SMALL_DRINK_BOX_ML
            return Amount(quantity * ml * _density(food), key)
        if key in ("piece", "square") and food.group == "Sweets":
            # A piece of a candy bar or block of chocolate is a bite, not the whole bar; a
            # "miniature piece" is the food's own miniature, when USDA lists one.
            mini = [m for m in ms if size and _size_words(size) & m.words and m.grams_each < 30]
            if mini:
                return Amount(quantity * mini[0].grams_each, key)
            factor = lexicon.SIZE_FACTOR.get(size, 1.0) if size else 1.0
            return Amount(quantity * lexicon.CANDY_PIECE_GRAMS * factor, key)
        if key == "packet" and "sweetener" in name:
            return Amount(quantity * lexicon.SWEETENER_PACKET_GRAMS, key)
        if key in lexicon.COUNT_DEFAULT_GRAMS and not (key == "container" and _is_condiment(food)):
            # (A container of creamer, sauce or sour cream is a small portion cup: the food's
            # spoonful measure below.)
            return Amount(quantity * lexicon.COUNT_DEFAULT_GRAMS[key], key)
    if (
        size
        and _is_drink(food)
        and size in _DRINK_ML
        and not (unit and unit in lexicon.COUNT_UNITS)
    ):
        sizes = _FOUNTAIN_ML if _FOUNTAIN_RE.search(name) else _DRINK_ML
        if "carbonated" in name and "water" not in name and "club soda" not in name:
            sizes = _SODA_ML
        # "a large cola": the drink in a fountain or coffee-shop cup of that size; the tables
        # here beat the food's own sized measures (USDA's "drink, large (32 fl oz)" for tea is
        # the cup, much of which ice fills).
        return Amount(quantity * sizes[size] * _density(food), size)
    if size:
        limit = _limit(food)
        sized = [
            m
            for m in ms
            if (m.key == size or _size_words(size) & m.words) and 5 <= m.grams_each <= limit
        ]
        if sized:
            m = _pick(sized, hints)
            return Amount(quantity * m.grams_each, size)
    factor = lexicon.SIZE_FACTOR.get(size, 1.0) if size and unit is None else 1.0
    dm = default_measure(food, hints)
    if dm is None:
        if _is_condiment(food):
            return Amount(quantity * 15.0 * factor, "tbsp")  # a spoonful, not 100 g of jam
        return Amount(quantity * 100.0 * factor, "serving (100 g)")
    label = size or (dm.key if dm.key not in _VOLUME_KEYS | _MASS_KEYS else dm.portion.unit)
    each = dm.grams_each
    if "serving" in dm.words and dm.portion.amount > 1 and quantity <= 2:
        if not one:
            each = dm.portion.grams
    elif dm.key == "oz" and dm.portion.amount > 1:
        # "3 oz = 85 g" is USDA's reference serving of a meat or fish: "some pork" is that
        # serving, not one ounce.
        each = dm.portion.grams
    elif dm.key == "cup" and dm.portion.amount < 1 and _is_condiment(food):
        # ... as "1/4 cup = 63 g" is a sauce's or gravy's: "cheese sauce" is that, not a cup.
        each = dm.portion.grams
    if dm.key in ("floz", "tbsp", "tsp") and _is_drink(food):
        each *= lexicon.VOLUME_UNITS["cup"] / lexicon.VOLUME_UNITS[dm.key]  # a drink is a cup
        label = "cup"
    return Amount(quantity * each * factor, label or "serving")


def _mass_label(unit: str) -> str:
    grams_each = lexicon.MASS_UNITS[unit]
    for label in ("g", "kg", "oz", "lb", "mg"):
        if lexicon.MASS_UNITS[label] == grams_each:
            return label
    return unit
