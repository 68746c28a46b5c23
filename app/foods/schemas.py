from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from app.core.contract import NON_BLANK_PATTERN, non_blank_pattern, omittable
from app.foods.dataset import NUTRIENT_FIELDS
from app.foods.gtin import InvalidGTIN, normalize_gtin
from app.logs.schemas import LogOut, MealType

Per100 = Annotated[float, Field(ge=0, le=100)]
FoodSource = Literal["fndds", "sr28", "custom", "off", "shared"]

# Every nutrient we know, per 100 g; null where the source has no value.
NutrientsPer100g: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "NutrientsPer100g",
    __doc__="Nutrients per 100 g edible portion; units are in the names (ug = micrograms).",
    **{k: (float | None, None) for k in NUTRIENT_FIELDS},
)


class PortionOut(BaseModel):
    seq: int
    description: str = Field(description='The portion as the source words it: "1 medium slice"')
    amount: float
    unit: str
    grams: float


class FoodHit(BaseModel):
    id: uuid.UUID
    name: str
    food_group: str | None = Field(description="FNDDS WWEIA category or SR28 food group")
    source: FoodSource
    code: str | None = Field(description="FNDDS food code, SR28 NDB number or GTIN")
    brand: str | None = None
    score: float = Field(description="Match quality, 0 to 1")
    kcal: float | None
    protein_g: float | None
    carbs_g: float | None
    fat_g: float | None


class FoodSearchPage(BaseModel):
    query: str
    items: list[FoodHit]
    total: int = Field(description="All matches, over every page")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null on the last")


class FoodOut(BaseModel):
    id: uuid.UUID
    name: str
    food_group: str | None = Field(description="FNDDS WWEIA category or SR28 food group")
    category_code: str | None = Field(default=None, description="WWEIA category number (FNDDS)")
    source: FoodSource
    code: str | None = None
    ndb_no: str | None
    brand: str | None = None
    gtin: str | None = Field(default=None, description="Barcode as a 14-digit GTIN")
    additional_descriptions: list[str] = Field(
        default=[], description="FNDDS synonyms, brands and notes"
    )
    nutrients_per_100g: NutrientsPer100g
    portions: list[PortionOut]
    created_at: dt.datetime | None = None
    retired_at: dt.datetime | None = Field(
        default=None,
        description="Shared foods operators deleted: still shown for the log entries and pantry "
        "items that use them, no longer found by search, barcode or the text parser",
    )


class PortionIn(BaseModel):
    amount: Annotated[float, Field(gt=0, le=1000)] = 1
    unit: Annotated[str, Field(min_length=1, max_length=60)]
    grams: Annotated[float, Field(gt=0, le=5000)]


def _check_gtin(v: str | None) -> str | None:
    if v is None:
        return None
    try:
        return normalize_gtin(v)
    except InvalidGTIN as exc:
        raise ValueError(str(exc)) from exc


def _check_known(v: dict[str, float] | None) -> dict[str, float] | None:
    unknown = sorted(set(v or ()) - set(NUTRIENT_FIELDS))
    if unknown:
        raise ValueError(f"unknown nutrients: {', '.join(unknown[:5])}")
    return v


class CustomFoodIn(BaseModel):
    """A private food. Nutrients are per 100 g; add household measures so amounts like
    "1 bar" or "2 scoops" can be parsed."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Grandma's granola",
                    "kcal": 471,
                    "protein_g": 10,
                    "carbs_g": 64,
                    "fat_g": 20,
                    "fiber_g": 7,
                    "portions": [{"amount": 1, "unit": "cup", "grams": 122}],
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=2, max_length=200, pattern=non_blank_pattern(2))]
    food_group: Annotated[str | None, Field(max_length=80)] = None
    kcal: Annotated[float, Field(ge=0, le=900)]
    protein_g: Per100
    carbs_g: Per100
    fat_g: Per100
    fiber_g: Per100 | None = None
    sugars_g: Per100 | None = None
    sat_fat_g: Per100 | None = None
    sodium_mg: Annotated[float, Field(ge=0, le=40000)] | None = None
    gtin: Annotated[str | None, Field(max_length=20, description="UPC-A, EAN-8 or EAN-13")] = None
    nutrients: dict[str, Annotated[float, Field(ge=0, le=100_000)]] | None = Field(
        default=None,
        max_length=len(NUTRIENT_FIELDS),
        description="Any other nutrients per 100 g, named as in GET /foods/{id}",
    )
    portions: Annotated[list[PortionIn], Field(max_length=20)] = []

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, v: str | None) -> str | None:
        return _check_gtin(v)

    @field_validator("nutrients")
    @classmethod
    def _known(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        return _check_known(v)

    @model_validator(mode="after")
    def _fits_in_100g(self) -> CustomFoodIn:
        total = self.protein_g + self.carbs_g + self.fat_g
        if total > 100.5:
            raise ValueError(f"protein, carbs and fat add up to {total:g} g per 100 g")
        return self


class SharedFoodIn(CustomFoodIn):
    """A shared food (operators only): everyone finds it in search, by barcode and in the text
    parser, and can log it. Same fields and bounds as a custom food."""


class SharedFoodPatch(BaseModel):
    """Only the fields sent change; `portions` and `nutrients` replace the old ones; `gtin`
    null removes the barcode."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"kcal": 380, "protein_g": 31}, {"gtin": None}]},
    )

    name: Annotated[str, Field(min_length=2, max_length=200, pattern=non_blank_pattern(2))] = (
        omittable()
    )
    food_group: Annotated[str | None, Field(max_length=80)] = None
    kcal: Annotated[float, Field(ge=0, le=900)] = omittable()
    protein_g: Per100 = omittable()
    carbs_g: Per100 = omittable()
    fat_g: Per100 = omittable()
    fiber_g: Per100 | None = None
    sugars_g: Per100 | None = None
    sat_fat_g: Per100 | None = None
    sodium_mg: Annotated[float, Field(ge=0, le=40000)] | None = None
    gtin: Annotated[str | None, Field(max_length=20, description="UPC-A, EAN-8 or EAN-13")] = None
    nutrients: dict[str, Annotated[float, Field(ge=0, le=100_000)]] | None = Field(
        default=None, max_length=len(NUTRIENT_FIELDS)
    )
    portions: Annotated[list[PortionIn], Field(max_length=20)] = omittable()

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, v: str | None) -> str | None:
        return _check_gtin(v)

    @field_validator("nutrients")
    @classmethod
    def _known(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        return _check_known(v)


class ParseIn(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"text": "2 eggs n toast with a tbsp of butter"}]},
    )

    text: Annotated[str, Field(min_length=1, max_length=1000, pattern=NON_BLANK_PATTERN)]


class NaturalLogIn(ParseIn):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"text": "2 eggs n toast", "meal_type": "breakfast", "date": "2024-05-01"}]
        },
    )

    meal_type: MealType | None = Field(
        default=None, description="Default: guessed from the text, else from the local time"
    )
    date: dt.date | None = None


class AlternativeOut(BaseModel):
    food_id: uuid.UUID
    food: str


class ParsedItemOut(BaseModel):
    text: str
    food_id: uuid.UUID
    food: str
    quantity: float
    unit: str
    grams: float
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    fiber_g: float
    sugars_g: float
    sat_fat_g: float
    sodium_mg: float
    confidence: float
    alternatives: list[AlternativeOut]


class MacroTotals(BaseModel):
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    fiber_g: float
    sugars_g: float
    sat_fat_g: float
    sodium_mg: float


class ParseOut(BaseModel):
    text: str
    items: list[ParsedItemOut]
    unmatched: list[str] = Field(description="Words that matched no food, reported not dropped")
    totals: MacroTotals
    path: Literal["deterministic", "llm"] = Field(description="Which reader produced the items")
    fallback_reason: str | None = Field(
        default=None, description="Why an LLM answer was not used, when an LLM is configured"
    )


class NaturalLogOut(ParseOut):
    entries: list[LogOut]
