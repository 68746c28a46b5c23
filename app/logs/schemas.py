from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.core.contract import NON_BLANK_PATTERN

MealType = Literal["breakfast", "lunch", "dinner", "snack"]

# Upper bounds are what one entry can plausibly hold (a whole large pizza is ~2,500 kcal).
Grams = Annotated[float, Field(gt=0, le=5000)]
Kcal = Annotated[float, Field(ge=0, le=10000)]
Macro = Annotated[float, Field(ge=0, le=1000)]
Fiber = Annotated[float, Field(ge=0, le=200)]
SatFat = Annotated[float, Field(ge=0, le=500)]
Sodium = Annotated[float, Field(ge=0, le=50000)]


def _aware(v: dt.datetime | None) -> dt.datetime | None:
    if v is not None and v.tzinfo is None:
        raise ValueError("must include a UTC offset, e.g. 2024-05-01T12:30:00Z")
    return v


AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware)]
Description = Annotated[str, Field(min_length=1, max_length=500, pattern=NON_BLANK_PATTERN)]

NUTRIENT_KEYS = (
    "kcal",
    "protein_g",
    "carbs_g",
    "fat_g",
    "fiber_g",
    "sugars_g",
    "sat_fat_g",
    "sodium_mg",
)


def check_macros_fit(
    grams: float | None, protein_g: float | None, carbs_g: float | None, fat_g: float | None
) -> None:
    """Protein, carbs and fat are parts of the food's weight, so they cannot exceed it."""
    if grams is None or protein_g is None or carbs_g is None or fat_g is None:
        return
    total = protein_g + carbs_g + fat_g
    if total > grams * 1.01 + 0.5:
        raise ValueError(
            f"protein, carbs and fat add up to {total:g} g, more than the entry's {grams:g} g"
        )


class _MacroCheck(BaseModel):
    grams: float | None = None
    protein_g: float | None = None
    carbs_g: float | None = None
    fat_g: float | None = None

    @model_validator(mode="after")
    def _macros_fit_weight(self) -> _MacroCheck:
        check_macros_fit(self.grams, self.protein_g, self.carbs_g, self.fat_g)
        return self


class LogCreate(_MacroCheck):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "date": "2024-05-01",
                    "meal_type": "breakfast",
                    "description": "2 scrambled eggs on toast",
                    "grams": 180,
                    "kcal": 390,
                    "protein_g": 19,
                    "carbs_g": 28,
                    "fat_g": 21,
                }
            ]
        },
    )

    date: dt.date | None = Field(
        default=None, description="Local date; defaults to the day of consumed_at or today"
    )
    consumed_at: AwareDatetime | None = None
    meal_type: MealType
    description: Description
    food_id: uuid.UUID | None = Field(
        default=None,
        description="The food eaten (USDA or one of yours), optional; with `grams` the matching "
        "food in your inventory is used up by that much",
    )
    grams: Grams | None = None
    kcal: Kcal
    protein_g: Macro
    carbs_g: Macro
    fat_g: Macro
    fiber_g: Fiber | None = None
    sugars_g: Macro | None = None
    sat_fat_g: SatFat | None = None
    sodium_mg: Sodium | None = None


class LogPatch(_MacroCheck):
    """Only the fields sent are changed; required fields cannot be set to null."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"kcal": 420, "meal_type": "lunch"}]},
    )

    date: dt.date | None = None
    consumed_at: AwareDatetime | None = None
    meal_type: MealType | None = None
    description: Description | None = None
    grams: Grams | None = None
    kcal: Kcal | None = None
    protein_g: Macro | None = None
    carbs_g: Macro | None = None
    fat_g: Macro | None = None
    fiber_g: Fiber | None = None
    sugars_g: Macro | None = None
    sat_fat_g: SatFat | None = None
    sodium_mg: Sodium | None = None

    @model_validator(mode="after")
    def _no_null_required(self) -> LogPatch:
        for name in ("meal_type", "description", "kcal", "protein_g", "carbs_g", "fat_g", "date"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class LogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    date: dt.date
    consumed_at: dt.datetime | None
    meal_type: str
    description: str
    source: str
    food_id: uuid.UUID | None
    grams: float | None
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    fiber_g: float | None
    sugars_g: float | None
    sat_fat_g: float | None
    sodium_mg: float | None
    nutrients: dict[str, float] | None = Field(
        default=None,
        description="Full nutrient snapshot (names as in GET /foods/{id}) for entries made from "
        "a food or parsed text; null for typed entries, whose values are the fields above",
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class LogPage(BaseModel):
    items: list[LogOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null on the last")


class SwapFood(BaseModel):
    id: uuid.UUID
    name: str
    source: str
    category: str | None


class SwapOut(BaseModel):
    food: SwapFood
    grams: float = Field(description="The same portion as the logged entry")
    kcal: float
    differences: dict[str, float] = Field(
        description="Candidate minus logged food for the portion: kcal, sat_fat_g, sodium_mg, "
        "sugars_g, protein_g, fiber_g"
    )
    improves: list[str] = Field(description="Nutrients improved by at least 1% of their DV")
    benefit_pct_dv: float = Field(
        description="Net improvement: the signed sum of differences as % of Daily Values"
    )
    distance: float = Field(description="Nutrient-profile distance to the logged food (DV units)")


class SwapsOut(BaseModel):
    entry_id: uuid.UUID
    food: SwapFood
    grams: float
    method: str
    swaps: list[SwapOut]
