from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.training.dataset import Category, Equipment, Force, Level, Mechanic, Muscle

# Printable text only: NUL and other control characters never reach the database.
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=_NO_CONTROL)
]
Step = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=_NO_CONTROL),
]

# --- exercises -------------------------------------------------------------------------------


class ExerciseIn(BaseModel):
    """A private exercise (only you see it). Admins may send `shared: true` to add one everyone
    sees. Muscles, equipment, level and category use the catalogue's own words."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Landmine press",
                    "equipment": "barbell",
                    "mechanic": "compound",
                    "force": "push",
                    "level": "intermediate",
                    "primary_muscles": ["shoulders"],
                    "secondary_muscles": ["chest", "triceps"],
                    "instructions": ["Wedge one end of a barbell in a corner.", "Press it up."],
                }
            ]
        },
    )

    name: Name
    force: Force | None = None
    level: Level = "beginner"
    mechanic: Mechanic | None = None
    equipment: Equipment | None = None
    category: Category = "strength"
    primary_muscles: Annotated[list[Muscle], Field(min_length=1, max_length=5)]
    secondary_muscles: Annotated[list[Muscle], Field(max_length=10)] = []
    instructions: Annotated[list[Step], Field(max_length=30)] = []
    shared: bool = Field(False, description="Admins only: visible to every user")

    @field_validator("primary_muscles", "secondary_muscles")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


ExerciseSource = Literal["free_exercise_db", "shared", "private"]


class ExerciseSummary(BaseModel):
    id: uuid.UUID
    name: str
    source: ExerciseSource = Field(
        description="free_exercise_db (the packaged catalogue), shared (added by an admin) or "
        "private (yours)"
    )
    force: str | None
    level: str | None
    mechanic: str | None
    equipment: str | None
    category: str | None
    primary_muscles: list[str]
    secondary_muscles: list[str]
    score: float | None = Field(None, description="Name match score 0-100 when q was given")


class ExerciseOut(ExerciseSummary):
    instructions: list[str]


class ExercisePage(BaseModel):
    items: list[ExerciseSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None
