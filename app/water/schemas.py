from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

MAX_ML_PER_ENTRY = 5000


class WaterIn(BaseModel):
    """Water drunk. `date` is your local day (default today in your time zone)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ml": 250}, {"ml": 500, "date": "2024-05-01"}]},
    )

    ml: int = Field(ge=1, le=MAX_ML_PER_ENTRY, description="Millilitres in this entry")
    date: dt.date | None = Field(default=None, description="Local date; default today")


class WaterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    date: dt.date
    ml: int
    created_at: dt.datetime


class WaterDay(BaseModel):
    date: dt.date
    total_ml: int
    goal_ml: int
    goal_basis: str = Field(
        description="profile (your water_goal_ml), weight (35 ml per kg of body weight) "
        "or default (2000 ml while no weight is known)"
    )
    percent: float
    entries: list[WaterOut]
