"""The packaged USDA SR28 food table: immutable records loaded once from ``data/usda_sr28.json.gz``.

The file is produced by ``scripts/build_foods.py``; this module only reads it, so importing it
never needs the raw SR28 tables, a database or the network.
"""

from __future__ import annotations

import functools
import gzip
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

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
)
MACRO_FIELDS: tuple[str, ...] = ("kcal", "protein_g", "carbs_g", "fat_g")

# Fixed forever: food ids derived from it are stored in databases and printed by the CLI.
USDA_NAMESPACE = uuid.UUID("4be233f0-43c5-5268-8586-8095c05a6216")

DATA_FILE = "usda_sr28.json.gz"


def food_uuid(ndb_no: str) -> uuid.UUID:
    return uuid.uuid5(USDA_NAMESPACE, ndb_no)


@dataclass(frozen=True, slots=True)
class Portion:
    """A household measure: ``amount`` ``unit`` weighs ``grams`` (e.g. 1 large = 50 g)."""

    seq: int
    amount: float
    unit: str
    grams: float


@dataclass(frozen=True, slots=True)
class FoodRecord:
    id: uuid.UUID
    ndb_no: str | None
    name: str
    group: str | None
    nutrients: Mapping[str, float | None]  # per 100 g edible portion, keys = NUTRIENT_FIELDS
    portions: tuple[Portion, ...]


def _read_packaged() -> dict[str, Any]:
    raw = resources.files("app.foods").joinpath("data", DATA_FILE).read_bytes()
    data: dict[str, Any] = json.loads(gzip.decompress(raw))
    return data


@functools.cache
def load_usda_foods() -> tuple[FoodRecord, ...]:
    data = _read_packaged()
    fields: list[str] = data["nutrients"]
    groups: list[str] = data["groups"]
    foods: list[FoodRecord] = []
    for ndb_no, name, group_idx, values, portions in data["foods"]:
        nutrients: dict[str, float | None] = dict.fromkeys(NUTRIENT_FIELDS)
        for field, value in zip(fields, values, strict=True):
            nutrients[field] = float(value) if value is not None else None
        foods.append(
            FoodRecord(
                id=food_uuid(ndb_no),
                ndb_no=ndb_no,
                name=name,
                group=groups[group_idx] if group_idx is not None else None,
                nutrients=MappingProxyType(nutrients),
                portions=tuple(
                    Portion(seq=int(s), amount=float(a), unit=u, grams=float(g))
                    for s, a, u, g in portions
                ),
            )
        )
    return tuple(foods)


@functools.cache
def foods_by_ndb() -> Mapping[str, FoodRecord]:
    return MappingProxyType({f.ndb_no: f for f in load_usda_foods() if f.ndb_no is not None})
