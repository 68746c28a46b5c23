from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.contract import NON_BLANK_PATTERN, non_blank_pattern
from app.logs.schemas import LogOut, MealType

Per100 = Annotated[float, Field(ge=0, le=100)]


class NutrientsPer100g(BaseModel):
    kcal: float | None = None
    protein_g: float | None = None
    fat_g: float | None = None
    carbs_g: float | None = None
    fiber_g: float | None = None
    sugars_g: float | None = None
    sat_fat_g: float | None = None
    cholesterol_mg: float | None = None
    sodium_mg: float | None = None
    potassium_mg: float | None = None
    calcium_mg: float | None = None
    iron_mg: float | None = None
    vitamin_a_ug: float | None = None
    vitamin_c_mg: float | None = None
    vitamin_d_ug: float | None = None
    vitamin_b12_ug: float | None = None


class PortionOut(BaseModel):
    amount: float
    unit: str
    grams: float


class FoodHit(BaseModel):
    id: uuid.UUID
    name: str
    food_group: str | None
    source: Literal["usda_sr28", "custom"]
    score: float = Field(description="Match quality, 0 to 1")
    kcal: float | None
    protein_g: float | None
    carbs_g: float | None
    fat_g: float | None


class FoodSearchPage(BaseModel):
    query: str
    items: list[FoodHit]


class FoodOut(BaseModel):
    id: uuid.UUID
    name: str
    food_group: str | None
    source: Literal["usda_sr28", "custom"]
    ndb_no: str | None
    nutrients_per_100g: NutrientsPer100g
    portions: list[PortionOut]
    created_at: dt.datetime | None = None


class PortionIn(BaseModel):
    amount: Annotated[float, Field(gt=0, le=1000)] = 1
    unit: Annotated[str, Field(min_length=1, max_length=60)]
    grams: Annotated[float, Field(gt=0, le=5000)]


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
    portions: Annotated[list[PortionIn], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _fits_in_100g(self) -> CustomFoodIn:
        total = self.protein_g + self.carbs_g + self.fat_g
        if total > 100.5:
            raise ValueError(f"protein, carbs and fat add up to {total:g} g per 100 g")
        return self


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
