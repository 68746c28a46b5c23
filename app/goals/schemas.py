from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

GoalKcal = Annotated[float, Field(ge=500, le=10000)]
GoalMacro = Annotated[float, Field(ge=0, le=1000)]


class GoalIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kcal": 2200,
                    "protein_g": 150,
                    "carbs_g": 230,
                    "fat_g": 75,
                    "effective_from": "2024-05-01",
                }
            ]
        },
    )

    kcal: GoalKcal
    protein_g: GoalMacro
    carbs_g: GoalMacro
    fat_g: GoalMacro
    effective_from: dt.date | None = Field(
        default=None, description="First local day the goal applies to; defaults to today"
    )


class GoalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    effective_from: dt.date
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime


class GoalHistory(BaseModel):
    items: list[GoalOut]
    total: int
    limit: int
    offset: int
