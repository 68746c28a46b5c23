from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from app.events.schemas import WeeklyFacts
from app.summaries.micronutrients import Micronutrients

Status = Literal["under", "on_target", "over"]


class Nutrients(BaseModel):
    kcal: float = 0
    protein_g: float = 0
    carbs_g: float = 0
    fat_g: float = 0
    fiber_g: float = 0
    sugars_g: float = 0
    sat_fat_g: float = 0
    sodium_mg: float = 0


class GoalTargets(BaseModel):
    effective_from: dt.date
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float


class Comparison(BaseModel):
    goal: float
    actual: float
    difference: float = Field(description="actual - goal")
    percent: float | None = Field(description="actual as a percentage of the goal")
    status: Status


class WaterTotals(BaseModel):
    total_ml: int
    goal_ml: int
    goal_basis: str = Field(description="profile, weight (35 ml per kg) or default (2000 ml)")
    percent: float


class MealTotals(BaseModel):
    meal_type: str
    entries: int
    totals: Nutrients


class DailySummary(BaseModel):
    date: dt.date
    entries: int
    totals: Nutrients
    meals: list[MealTotals]
    goal: GoalTargets | None
    comparison: dict[str, Comparison] | None = Field(
        description="Per goal nutrient (kcal, protein_g, carbs_g, fat_g); null without a goal"
    )
    tolerance_pct: float = Field(description="A nutrient within ±this % of its goal is on target")
    water: WaterTotals
    micronutrients: Micronutrients


class DaySummary(BaseModel):
    date: dt.date
    logged: bool
    entries: int
    totals: Nutrients
    goal: GoalTargets | None
    comparison: dict[str, Comparison] | None


class StatusCounts(BaseModel):
    under: int = 0
    on_target: int = 0
    over: int = 0


class WeeklySummary(BaseModel):
    start: dt.date
    end: dt.date
    days: list[DaySummary]
    totals: Nutrients
    daily_averages: Nutrients = Field(description="Totals divided by the days logged")
    days_logged: int
    best_day: dt.date | None = Field(description="Logged day closest to its calorie goal")
    worst_day: dt.date | None = Field(description="Logged day furthest from its calorie goal")
    status_counts: dict[str, StatusCounts] = Field(
        description="Logged days with a goal, per nutrient, under / on target / over"
    )
    adherence_pct: float | None = Field(
        description="Share of (logged day with a goal, nutrient) pairs that were on target"
    )
    tolerance_pct: float
    micronutrients: Micronutrients | None = Field(
        default=None, description="Average per logged day against your reference intakes"
    )
    insights: WeeklyFacts | None = Field(
        default=None,
        description="The week's facts (see GET /api/v1/insights); kept current by the insights "
        "consumer, so they may trail a write by a moment",
    )
