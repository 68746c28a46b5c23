from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.activities import met
from app.activities.importers import DAILY_STEPS
from app.activities.importers import IMPORTERS as FILE_IMPORTERS
from app.activities.trackers import TRACKER_IMPORTERS

IMPORTERS = {**FILE_IMPORTERS, **TRACKER_IMPORTERS}


def _aware(v: dt.datetime | None) -> dt.datetime | None:
    if v is not None and v.tzinfo is None:
        raise ValueError("must include a UTC offset, e.g. 2024-05-01T07:30:00Z")
    return v


def normalize_activity_type(v: str) -> str:
    """The canonical activity type (MET table key or daily_steps); ValueError if unknown."""
    if v.strip().lower() == DAILY_STEPS:
        return DAILY_STEPS
    try:
        return met.normalize_activity_type(v)
    except met.UnknownActivityError as exc:
        raise ValueError(f"{exc}; or {DAILY_STEPS} for a day's step count") from None


def _source(v: str) -> str:
    if v != "manual" and v not in IMPORTERS:
        raise ValueError(f"source must be 'manual' or one of {', '.join(sorted(IMPORTERS))}")
    return v


AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware)]
ActivityType = Annotated[
    str,
    Field(min_length=1, max_length=32, examples=["running"]),
    AfterValidator(normalize_activity_type),
]


class ActivityIn(BaseModel):
    """An activity. Give `date` (local day), `started_at` (an instant; they must agree in your
    time zone), both or neither (now). `kcal` is estimated from the activity's MET value and
    your current weight when left out (gross energy, 2011 Compendium); a speed-specific MET is
    used for walking and running when `distance_km` is given. A day's step count is
    `activity_type: "daily_steps"` with `steps` and no duration."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"date": "2024-05-01", "activity_type": "running", "duration_min": 30},
                {
                    "started_at": "2024-05-01T17:30:00Z",
                    "activity_type": "cycling",
                    "duration_min": 45,
                    "distance_km": 18.5,
                    "kcal": 420,
                },
            ]
        },
    )

    date: dt.date | None = None
    started_at: AwareDatetime | None = None
    activity_type: ActivityType
    duration_min: Annotated[float, Field(ge=0, le=1440)] | None = None
    steps: Annotated[int, Field(ge=0, le=200_000)] | None = None
    distance_km: Annotated[float, Field(ge=0, le=1000)] | None = None
    kcal: Annotated[float, Field(ge=0, le=20_000)] | None = None
    source: Annotated[str, Field(max_length=32), AfterValidator(_source)] = "manual"

    @model_validator(mode="after")
    def _shape(self) -> ActivityIn:
        if self.activity_type == DAILY_STEPS:
            if self.steps is None:
                raise ValueError("a daily_steps entry needs steps")
            if self.duration_min:
                raise ValueError("a daily_steps entry has no duration")
            self.duration_min = 0.0
        elif self.duration_min is None:
            raise ValueError("duration_min is required")
        return self


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    date: dt.date
    started_at: dt.datetime | None
    activity_type: str
    duration_min: float
    steps: int | None
    distance_km: float | None
    kcal: float | None = Field(description="Given, reported by the importer, or estimated")
    kcal_estimated: bool
    met: float | None = Field(description="The MET value used when kcal was estimated")
    source: str
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class DailyActivity(BaseModel):
    date: dt.date
    activities: int = Field(description="Workouts (daily step rows not counted)")
    duration_min: float
    kcal: float
    steps: int = Field(
        description="The day's step count when one is recorded, else the workouts' steps"
    )
    distance_km: float


class DailyActivityTotals(BaseModel):
    start: dt.date
    end: dt.date
    days: list[DailyActivity] = Field(description="Days with at least one activity, oldest first")


class ImportResult(BaseModel):
    provider: str
    total: int = Field(description="Rows found in the file")
    imported: int = Field(description="New rows stored")
    updated: int = Field(description="Rows seen before whose values changed")
    skipped: int = Field(description="Rows seen before, unchanged")
