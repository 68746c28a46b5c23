from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class StatusDays(BaseModel):
    under: int
    on_target: int
    over: int


class SourceFood(BaseModel):
    food: str
    amount: float = Field(description="Amount of the nutrient from this food in the week")
    share_pct: int | None = Field(description="Share of the week's total of that nutrient")


class ProteinByMeal(BaseModel):
    grams: dict[str, float]
    share_pct: dict[str, int | None]
    largest_meal: str | None
    balanced: bool = Field(
        description="Protein in three or more meals with none above half of the total"
    )


class TrainingFacts(BaseModel):
    sessions: int
    volume_kg: float = Field(description="Working sets' kg × reps")
    working_sets: int
    prs: int = Field(description="Personal records set in the week")


class WeeklyFacts(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: int
    start: dt.date
    end: dt.date
    days_logged: int
    entries: int
    streak_days: int = Field(description="Logging streak at the end of the week (or today)")
    avg_kcal: int | None = Field(description="Average kcal over logged days")
    targets: dict[str, StatusDays] = Field(
        description="Per goal nutrient: logged days under, on and over target (±10%)"
    )
    has_goal: bool
    top_sources: dict[str, list[SourceFood]] = Field(
        description="Top three foods behind sodium_mg, sugars_g and sat_fat_g"
    )
    protein_by_meal: ProteinByMeal
    weekday_avg_kcal: int | None
    weekend_avg_kcal: int | None
    weekday_days: int
    weekend_days: int
    training: TrainingFacts | None = None


class InsightsOut(BaseModel):
    start: dt.date
    end: dt.date
    source: Literal["consumer", "computed"] = Field(
        description="consumer: kept current by the insights consumer from your events; "
        "computed: worked out for this request (a week it has not seen yet)"
    )
    updated_at: dt.datetime | None
    facts: WeeklyFacts


class NarrativeOut(BaseModel):
    start: dt.date
    end: dt.date
    text: str
    source: Literal["template", "llm"] = Field(
        description="llm only when every number the model wrote is one of the week's facts"
    )


class StreaksOut(BaseModel):
    today: dt.date = Field(description="Your local today")
    current_days: int = Field(
        description="Consecutive days with a food log ending today (or yesterday, while today "
        "is not logged yet)"
    )
    longest_days: int
    last_logged: dt.date | None


class ConsumerState(BaseModel):
    name: str
    pending: int = Field(description="Delivered, not yet acknowledged")
    lag: int = Field(description="Published, not yet delivered to this consumer")


class ParkedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    consumer: str
    event_id: uuid.UUID
    type: str
    user_id: uuid.UUID | None
    attempts: int
    error: str
    event: dict[str, Any]
    parked_at: dt.datetime


class EventsAdminOut(BaseModel):
    bus: str = Field(description="redis or memory")
    outbox_unpublished: int
    consumers: list[ConsumerState]
    parked_total: int
    parked: list[ParkedOut]
