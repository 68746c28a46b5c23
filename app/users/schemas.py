from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.auth.phone import Phone
from app.core.contract import NON_BLANK_PATTERN, omittable
from app.training.dataset import Equipment
from app.users import energy


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(v: str) -> str:
    # Looked up in the list of zones, not by opening it: `ZoneInfo("Europe")` opens tzdata's
    # folder and raises IsADirectoryError (a 500 before this), and other OS errors can follow.
    if v not in _zone_names():
        raise ValueError(f"unknown IANA time zone {v!r}")
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown IANA time zone {v!r}") from exc
    return v


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Berlin"]),
    AfterValidator(validate_timezone),
]


class UserPatch(BaseModel):
    timezone: TimeZoneName | None = None
    # A phone number is added only with the code sent to it (POST /api/v1/auth/otp/request).
    phone: Phone | None = None
    phone_code: Annotated[str | None, Field(pattern=r"^[0-9]{6}$")] = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"timezone": "America/New_York"},
                {"phone": "+4915112345678", "phone_code": "042117"},
            ]
        },
    )

    @model_validator(mode="after")
    def _phone_with_code(self) -> UserPatch:
        if (self.phone is None) != (self.phone_code is None):
            raise ValueError("phone and phone_code go together")
        return self


# --- profile --------------------------------------------------------------------------------

Sex = Literal["male", "female"]
ActivityLevel = Literal["sedentary", "light", "moderate", "very_active", "extra_active"]
GoalKind = Literal["lose", "maintain", "gain"]
DietaryPattern = Literal[
    "omnivore", "vegetarian", "vegan", "pescatarian", "keto", "paleo", "mediterranean"
]
Allergen = Literal[
    "dairy", "egg", "gluten", "nuts", "peanuts", "soy", "fish", "shellfish", "sesame"
]
FoodGroup = Literal[
    "meat",
    "poultry",
    "pork",
    "beef",
    "fish",
    "shellfish",
    "dairy",
    "eggs",
    "grains",
    "legumes",
    "nuts",
    "soy",
    "added_sugar",
    "alcohol",
    "caffeine",
]
Units = Literal["metric", "imperial"]
TrainingGoal = Literal["strength", "hypertrophy", "fat_loss", "general_fitness", "endurance"]
TrainingExperience = Literal["beginner", "intermediate", "advanced"]
GoalMode = Literal["manual", "auto"]
MealSlot = Literal["breakfast", "lunch", "dinner", "snack"]

MAX_LIST_ITEMS = 50
# The pattern says what stripping implies (some character that is not a space) and no NUL.
ShortText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=80,
        pattern=NON_BLANK_PATTERN,
    ),
]
WakeTime = Annotated[
    str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["07:00"], description="HH:MM")
]

_KG = energy.WEIGHT_KG_RANGE
_CM = energy.HEIGHT_CM_RANGE
WeightKg = Annotated[float, Field(ge=_KG[0], le=_KG[1])]
WeightLb = Annotated[
    float,
    Field(ge=round(energy.kg_to_lb(_KG[0]), 1), le=round(energy.kg_to_lb(_KG[1]), 1)),
]
HeightCm = Annotated[float, Field(ge=_CM[0], le=_CM[1])]
BodyFat = Annotated[float, Field(ge=energy.BODY_FAT_PCT_RANGE[0], le=energy.BODY_FAT_PCT_RANGE[1])]
RateKg = Annotated[
    float,
    Field(ge=0, le=5, description="Weekly change as a positive magnitude; the goal gives the sign"),
]


def _dedupe(items: list[Any] | None) -> list[Any] | None:
    """Drops repeats (case-blind for text), keeping the first spelling and the order."""
    if items is None:
        return None
    seen: set[Any] = set()
    out = []
    for item in items:
        key = item.casefold() if isinstance(item, str) else item
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


class ProfileIn(BaseModel):
    """A profile write. PUT replaces the whole profile (sex, date_of_birth, a height, a weight,
    activity_level and goal required; other fields reset to their defaults when left out);
    PATCH changes only the fields sent.

    Imperial inputs are accepted whatever `units` says and are stored metric: `height_ft` +
    `height_in` (or `height_in` alone as total inches), `weight_lb`, `target_weight_lb`,
    `weekly_rate_lb`. Send a value in one unit only.

    `weekly_rate_kg` is a **positive magnitude**; its direction follows `goal` (lose: down,
    gain: up, maintain: 0). Leave it out for the goal's default (0.5% of body weight per week
    to lose, 0.25% to gain). More than 1% of body weight per week is refused.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sex": "female",
                    "date_of_birth": "1992-04-18",
                    "height_cm": 168,
                    "weight_kg": 72.5,
                    "activity_level": "light",
                    "goal": "lose",
                    "target_weight_kg": 65,
                    "weekly_rate_kg": 0.4,
                    "dietary_pattern": "vegetarian",
                    "allergies": ["peanuts"],
                    "timezone": "Europe/Berlin",
                    "units": "metric",
                    "goal_mode": "auto",
                },
                {
                    "sex": "male",
                    "date_of_birth": "1990-01-01",
                    "height_ft": 5,
                    "height_in": 11,
                    "weight_lb": 180,
                    "activity_level": "moderate",
                    "goal": "maintain",
                    "units": "imperial",
                },
            ]
        },
    )

    sex: Sex = omittable()
    date_of_birth: dt.date = omittable(description="Age must be 13-120")
    height_cm: HeightCm = omittable()
    height_ft: Annotated[int, Field(ge=3, le=8)] = omittable()
    height_in: Annotated[float, Field(ge=0, le=99)] = omittable(
        description="Inches on top of height_ft, or the total height in inches"
    )
    weight_kg: WeightKg = omittable()
    weight_lb: WeightLb = omittable()
    activity_level: ActivityLevel = omittable()
    goal: GoalKind = omittable()
    target_weight_kg: WeightKg | None = None
    target_weight_lb: WeightLb | None = None
    weekly_rate_kg: RateKg | None = None
    weekly_rate_lb: Annotated[float, Field(ge=0, le=11)] | None = None
    body_fat_pct: BodyFat | None = None
    dietary_pattern: DietaryPattern = omittable()
    allergies: Annotated[list[Allergen], Field(max_length=MAX_LIST_ITEMS)] = omittable()
    excluded_foods: Annotated[list[ShortText], Field(max_length=MAX_LIST_ITEMS)] = omittable()
    excluded_food_groups: Annotated[list[FoodGroup], Field(max_length=MAX_LIST_ITEMS)] = omittable()
    liked_foods: Annotated[list[ShortText], Field(max_length=MAX_LIST_ITEMS)] = omittable()
    liked_exercises: Annotated[list[ShortText], Field(max_length=MAX_LIST_ITEMS)] = omittable()
    timezone: TimeZoneName = omittable()
    units: Units = omittable()
    goal_mode: GoalMode = omittable()
    add_activity_kcal: bool = omittable()
    wake_time: WakeTime = omittable()
    meal_slots: Annotated[list[MealSlot], Field(min_length=1, max_length=4)] = omittable()
    water_goal_ml: Annotated[int, Field(ge=500, le=10_000)] | None = Field(
        default=None, description="Daily water goal; null = 35 ml per kg of body weight"
    )
    training_goal: TrainingGoal | None = None
    training_days_per_week: Annotated[int, Field(ge=2, le=6)] | None = None
    training_session_minutes: Annotated[int, Field(ge=20, le=180)] | None = None
    training_experience: TrainingExperience | None = None
    training_equipment: Annotated[list[Equipment], Field(max_length=12)] | None = None
    carb_cycling: bool | None = Field(
        default=None,
        description="Training-day/rest-day carbs; null (default) means on while you follow "
        "a program",
    )

    @field_validator(
        "allergies",
        "excluded_foods",
        "excluded_food_groups",
        "liked_foods",
        "liked_exercises",
        "meal_slots",
        "training_equipment",
    )
    @classmethod
    def _unique(cls, v: list[Any] | None) -> list[Any] | None:
        return _dedupe(v)


class ImperialProfile(BaseModel):
    height_ft: int | None
    height_in: float | None = Field(description="Inches on top of height_ft, to 0.1")
    weight_lb: float | None
    target_weight_lb: float | None
    weekly_rate_lb: float | None


class ProfileOut(BaseModel):
    sex: Sex | None
    date_of_birth: dt.date | None
    age_years: int | None
    height_cm: float | None
    weight_kg: float | None
    activity_level: ActivityLevel | None
    goal: GoalKind | None
    target_weight_kg: float | None
    weekly_rate_kg: float | None = Field(
        description="Positive magnitude (direction from goal); null means the goal's default"
    )
    body_fat_pct: float | None
    dietary_pattern: DietaryPattern
    allergies: list[str]
    excluded_foods: list[str]
    excluded_food_groups: list[str]
    liked_foods: list[str]
    liked_exercises: list[str]
    timezone: str
    units: Units
    goal_mode: GoalMode
    add_activity_kcal: bool
    wake_time: str
    meal_slots: list[str]
    water_goal_ml: int | None
    training_goal: TrainingGoal | None = None
    training_days_per_week: int | None = None
    training_session_minutes: int | None = None
    training_experience: TrainingExperience | None = None
    training_equipment: list[str] | None = None
    carb_cycling: bool | None = None
    complete: bool = Field(description="Whether targets can be computed from this profile")
    missing_fields: list[str]
    imperial: ImperialProfile | None = Field(
        default=None, description="The same values in imperial units, when units is imperial"
    )
    updated_at: dt.datetime | None


# --- weights --------------------------------------------------------------------------------


class WeightIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"date": "2024-05-01", "weight_kg": 81.4}]},
    )

    date: dt.date | None = omittable(description="Local date; default today")
    weight_kg: WeightKg | None = None
    weight_lb: WeightLb | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> WeightIn:
        if (self.weight_kg is None) == (self.weight_lb is None):
            raise ValueError("give exactly one of weight_kg or weight_lb")
        return self

    def kilograms(self) -> float:
        if self.weight_kg is not None:
            return round(self.weight_kg, 2)
        assert self.weight_lb is not None
        return round(energy.lb_to_kg(self.weight_lb), 2)


class WeightOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    date: dt.date
    weight_kg: float
    weight_lb: float
    created_at: dt.datetime
    updated_at: dt.datetime


class WeightPage(BaseModel):
    items: list[WeightOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class TrendPointOut(BaseModel):
    date: dt.date
    weight_kg: float
    trend_kg: float


class Step(BaseModel):
    """One step of a calculation: what, how, with which numbers, and the result."""

    step: str
    text: str
    value: float | None = None
    unit: str | None = None
    formula: str | None = None
    inputs: dict[str, int | float | str | None] = Field(default_factory=dict)


class WeightTrendOut(BaseModel):
    alpha: float
    latest_date: dt.date | None
    latest_weight_kg: float | None
    latest_trend_kg: float | None
    weekly_rate_kg: float | None
    rate_window_start: dt.date | None
    target_weight_kg: float | None
    projected_date: dt.date | None
    series: list[TrendPointOut]
    explanation: list[Step]


# --- targets --------------------------------------------------------------------------------


class TargetInputsOut(BaseModel):
    sex: str
    weight_kg: float
    height_cm: float
    age_years: int
    activity_level: str
    goal: str
    rate_kg_per_week: float | None
    body_fat_pct: float | None
    target_weight_kg: float | None
    diet_pattern: str
    adaptive_tdee_kcal: float | None
    adaptive_confidence: str | None
    extra_active_kcal: float


class AdaptiveOut(BaseModel):
    """Expenditure from your own logged intake and weigh-ins (see trend.adaptive_expenditure)."""

    tdee_kcal: int | None
    raw_tdee_kcal: int | None
    confidence: Literal["none", "low", "medium", "high"]
    used: bool = Field(description="Whether the recommendation uses this estimate")
    clamped: bool
    window_start: dt.date | None
    window_end: dt.date | None
    window_days: int
    logged_days: int
    weigh_ins: int
    mean_intake_kcal: int | None
    weight_change_kg: float | None
    weekly_rate_kg: float | None
    energy_balance_kcal: int | None
    standard_error_kcal: int | None
    explanation: list[Step]


class ActiveKcalOut(BaseModel):
    opted_in: bool
    date: dt.date = Field(description="The day whose activity is added (yesterday)")
    kcal: float = Field(description="Net active kcal added to today's target")
    activities: int
    note: str


class GoalInForce(BaseModel):
    effective_from: dt.date
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    source: str


class CarbCyclingOut(BaseModel):
    day_type: Literal["training", "rest"]
    training_days: int = Field(description="Training days in this program week")
    base_kcal: float = Field(description="The plain daily target, the week's average")
    base_carbs_g: float
    adjustment_kcal: float = Field(description="Added (training) or taken (rest), as carbs")
    rule: str


class TargetsOut(BaseModel):
    date: dt.date
    kcal: int
    protein_g: int
    carbs_g: int
    fat_g: int
    fiber_g: int
    bmr_kcal: int
    bmr_formula: str
    tdee_kcal: int = Field(description="The expenditure the recommendation is built on")
    tdee_source: Literal["activity_factor", "adaptive"]
    activity_factor: float
    formula_tdee_kcal: int = Field(description="BMR × activity factor, always shown")
    rate_kg_per_week: float = Field(description="Signed: negative to lose")
    adjustment_kcal: int
    extra_active_kcal: int
    floor_kcal: int
    floor_applied: bool
    effective_rate_kg_per_week: float
    protein_reference_weight_kg: float
    protein_g_per_kg: float
    inputs: TargetInputsOut
    explanation: list[Step]
    adaptive: AdaptiveOut
    active_kcal: ActiveKcalOut
    goal_mode: GoalMode
    goal_in_force: GoalInForce | None
    carb_cycling: CarbCyclingOut | None = Field(
        default=None, description="Training/rest-day adjustment applied to kcal and carbs_g"
    )
