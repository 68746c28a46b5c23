"""The packaged USDA food tables: immutable records loaded once from ``data/*.json.gz``.

Two sources: SR28 (``usda_sr28.json.gz``, built by ``scripts/build_foods.py``: raw and cooked
ingredients with household measures) and FNDDS 2017-2018 (``usda_fndds.json.gz``, built by
``scripts/build_fndds.py``: foods as eaten, with WWEIA categories and portions such as
"1 medium or regular slice"). This module only reads the packs, so importing it never needs the
raw tables, a database or the network.
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, ClassVar

NUTRIENT_FIELDS: tuple[str, ...] = (
    "kcal",
    "protein_g",
    "fat_g",
    "carbs_g",
    "fiber_g",
    "sugars_g",
    "sat_fat_g",
    "cholesterol_mg",
    "sodium_mg",
    "potassium_mg",
    "calcium_mg",
    "iron_mg",
    "vitamin_a_ug",
    "vitamin_c_mg",
    "vitamin_d_ug",
    "vitamin_b12_ug",
    # Added with FNDDS (issue 11). The first 16 keep their order: custom foods and the foods
    # table have one column for each of them.
    "mono_fat_g",
    "poly_fat_g",
    "trans_fat_g",
    "magnesium_mg",
    "zinc_mg",
    "phosphorus_mg",
    "copper_mg",
    "manganese_mg",
    "selenium_ug",
    "vitamin_e_mg",
    "vitamin_k_ug",
    "vitamin_b6_mg",
    "thiamin_mg",
    "riboflavin_mg",
    "niacin_mg",
    "pantothenic_acid_mg",
    "folate_ug",  # dietary folate equivalents (DFE)
    "choline_mg",
    "caffeine_mg",
    "alcohol_g",
    "water_g",
    "retinol_ug",
    "alpha_carotene_ug",
    "beta_carotene_ug",
    "beta_cryptoxanthin_ug",
    "lycopene_ug",
    "lutein_zeaxanthin_ug",
    "folic_acid_ug",
    "folate_food_ug",
    "folate_total_ug",
    "vitamin_b12_added_ug",
    "vitamin_e_added_mg",
    "theobromine_mg",
    "fa_4_0_g",
    "fa_6_0_g",
    "fa_8_0_g",
    "fa_10_0_g",
    "fa_12_0_g",
    "fa_14_0_g",
    "fa_16_0_g",
    "fa_18_0_g",
    "fa_16_1_g",
    "fa_18_1_g",
    "fa_20_1_g",
    "fa_22_1_g",
    "fa_18_2_g",
    "fa_18_3_g",
    "fa_18_4_g",
    "fa_20_4_g",
    "fa_20_5_n3_g",
    "fa_22_5_n3_g",
    "fa_22_6_n3_g",
)
# The per-nutrient columns of the foods table (the rest live in its JSON column).
COLUMN_FIELDS: tuple[str, ...] = NUTRIENT_FIELDS[:16]
MACRO_FIELDS: tuple[str, ...] = ("kcal", "protein_g", "carbs_g", "fat_g")

# Fixed forever: food ids derived from it are stored in databases and printed by the CLI.
USDA_NAMESPACE = uuid.UUID("4be233f0-43c5-5268-8586-8095c05a6216")

# FNDDS food codes and SR28 NDB numbers can collide (both are digit strings), so FNDDS ids use
# their own namespace and a "fndds:" prefix. Fixed forever, like USDA_NAMESPACE.
FNDDS_NAMESPACE = uuid.UUID("02ee2303-9520-59ae-b496-c2dd145690f5")

DATA_FILE = "usda_sr28.json.gz"
FNDDS_FILE = "usda_fndds.json.gz"


def food_uuid(ndb_no: str) -> uuid.UUID:
    return uuid.uuid5(USDA_NAMESPACE, ndb_no)


def fndds_uuid(food_code: str) -> uuid.UUID:
    return uuid.uuid5(FNDDS_NAMESPACE, "fndds:" + food_code)


class NutrientValues(Mapping[str, float | None]):
    """A read-only mapping over one tuple of values in NUTRIENT_FIELDS order.

    16,000 packaged foods x 70 nutrients as separate dicts would cost ~80 MB; a shared key index
    and a tuple per food keep them at a fraction of that."""

    __slots__ = ("_values",)
    _INDEX: ClassVar[dict[str, int]] = {k: i for i, k in enumerate(NUTRIENT_FIELDS)}

    def __init__(self, values: tuple[float | None, ...]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> float | None:
        return self._values[self._INDEX[key]]

    def get(self, key: str, default: Any = None) -> Any:
        i = self._INDEX.get(key)
        return default if i is None else self._values[i]

    def __iter__(self) -> Iterator[str]:
        return iter(NUTRIENT_FIELDS)

    def __len__(self) -> int:
        return len(NUTRIENT_FIELDS)

    def __repr__(self) -> str:
        return f"NutrientValues({dict(self)!r})"

    def scaled(self, factor: float) -> dict[str, float]:
        """Every nutrient times ``factor``, a missing value as 0 (a parse scales one food per
        item: reading the tuple directly is several times faster than the Mapping protocol)."""
        return {
            k: (v * factor if v is not None else 0.0)
            for k, v in zip(NUTRIENT_FIELDS, self._values, strict=True)
        }


def _gatherer(fields: list[str]) -> Any:
    """Turns a pack's value list (in its `fields` order) into NutrientValues."""
    pos = {f: i for i, f in enumerate(fields)}
    gather = [pos.get(f, -1) for f in NUTRIENT_FIELDS]
    if gather == list(range(len(NUTRIENT_FIELDS))):
        return lambda values: NutrientValues(tuple(values))
    return lambda values: NutrientValues(tuple(values[j] if j >= 0 else None for j in gather))


@dataclass(frozen=True, slots=True)
class Portion:
    """A household measure: ``amount`` ``unit`` weighs ``grams`` (e.g. 1 large = 50 g).

    ``description`` is the whole measure as text ("1 large" for SR28). FNDDS portions are
    published as text only ("1 medium or regular slice (small 24, large 43)" = 28 g): they come
    with amount 1 and the text as both ``unit`` and ``description``."""

    seq: int
    amount: float
    unit: str
    grams: float
    description: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class FoodRecord:
    """One food. ``group`` is the SR28 food group or the FNDDS WWEIA category name.
    ``ndb_no`` is set for SR28 foods only (existing code keys on it); ``code`` is the source's
    own code for every packaged food (NDB number or FNDDS food code)."""

    id: uuid.UUID
    ndb_no: str | None
    name: str
    group: str | None
    nutrients: Mapping[str, float | None]  # per 100 g edible portion, keys = NUTRIENT_FIELDS
    portions: tuple[Portion, ...]
    source: str = "sr28"  # "sr28", "fndds" or "custom"
    code: str | None = None
    category_code: str | None = None  # WWEIA category number (FNDDS) or None
    additional: str | None = None  # FNDDS additional descriptions, "; "-separated

    @property
    def category(self) -> str | None:
        return self.group


def _read_packaged(name: str = DATA_FILE) -> dict[str, Any]:
    raw = resources.files("app.foods").joinpath("data", name).read_bytes()
    # Every number is a float, and one object per distinct number: values repeat a lot (0 above
    # all), and 16,000 foods x 68 nutrients as separate floats would cost ~25 MB more.
    numbers: dict[str, float] = {}

    def number(text: str) -> float:
        value = numbers.get(text)
        if value is None:
            value = numbers[text] = float(text)
        return value

    data: dict[str, Any] = json.loads(gzip.decompress(raw), parse_int=number, parse_float=number)
    return data


_LOAD_LOCK = threading.Lock()
_LOADED: dict[str, tuple[FoodRecord, ...]] = {}


def _once(name: str, build: Callable[[], tuple[FoodRecord, ...]]) -> tuple[FoodRecord, ...]:
    # Start-up reads the packs from the loader and from the index threads at once: one parse.
    foods = _LOADED.get(name)
    if foods is None:
        with _LOAD_LOCK:
            foods = _LOADED.get(name)
            if foods is None:
                foods = _LOADED[name] = build()
    return foods


def load_usda_foods() -> tuple[FoodRecord, ...]:
    """The 8,789 SR28 foods, sorted by NDB number."""
    return _once(DATA_FILE, _build_usda)


def load_fndds_foods() -> tuple[FoodRecord, ...]:
    """The 7,083 FNDDS 2017-2018 foods as eaten, sorted by food code."""
    return _once(FNDDS_FILE, _build_fndds)


def _build_usda() -> tuple[FoodRecord, ...]:
    data = _read_packaged()
    fields: list[str] = data["nutrients"]
    groups: list[str] = data["groups"]
    foods: list[FoodRecord] = []
    nutrients = _gatherer(fields)
    for ndb_no, name, group_idx, values, portions in data["foods"]:
        foods.append(
            FoodRecord(
                id=food_uuid(ndb_no),
                ndb_no=ndb_no,
                name=name,
                group=groups[int(group_idx)] if group_idx is not None else None,
                nutrients=nutrients(values),
                portions=tuple(Portion(int(s), a, u, g, f"{a:g} {u}") for s, a, u, g in portions),
                source="sr28",
                code=ndb_no,
            )
        )
    return tuple(foods)


def _build_fndds() -> tuple[FoodRecord, ...]:
    data = _read_packaged(FNDDS_FILE)
    fields: list[str] = data["nutrients"]
    categories: dict[str, str] = data["categories"]
    portions: dict[str, list[list[Any]]] = data["portions"]
    nutrients = _gatherer(fields)
    foods: list[FoodRecord] = []
    for code, name, additional, category_code, values in data["foods"]:
        foods.append(
            FoodRecord(
                id=fndds_uuid(code),
                ndb_no=None,
                name=name,
                group=categories.get(category_code),
                nutrients=nutrients(values),
                portions=tuple(
                    Portion(seq=int(s), amount=1.0, unit=d, grams=g, description=d)
                    for s, d, g in portions.get(code, ())
                ),
                source="fndds",
                code=code,
                category_code=category_code,
                additional=additional,
            )
        )
    return tuple(foods)


@functools.cache
def fndds_by_code() -> Mapping[str, FoodRecord]:
    return MappingProxyType({f.code: f for f in load_fndds_foods() if f.code is not None})


@functools.cache
def packaged_by_id() -> Mapping[uuid.UUID, FoodRecord]:
    """Every packaged food (SR28 and FNDDS) by id."""
    return MappingProxyType({f.id: f for f in (*load_usda_foods(), *load_fndds_foods())})


@functools.cache
def foods_by_ndb() -> Mapping[str, FoodRecord]:
    return MappingProxyType({f.ndb_no: f for f in load_usda_foods() if f.ndb_no is not None})
