"""Profile and body-weight tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

DEFAULT_MEAL_SLOTS = ["breakfast", "lunch", "dinner", "snack"]
DEFAULT_WAKE_TIME = "07:00"


def _json_list(default: list[str] | None = None) -> Any:
    return Field(
        default_factory=lambda: list(default or []),
        sa_column=sa.Column(sa.JSON, nullable=False),
    )


class UserProfile(SQLModel, table=True):
    """One row per user. Body fields are nullable: a profile can be filled in bit by bit, and
    `GET /targets` names what is still missing. Everything is metric; `weekly_rate_kg` is signed
    like `energy.TargetInputs.rate_kg_per_week` (negative to lose), None for the goal's default."""

    __tablename__ = "user_profiles"

    user_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        )
    )
    sex: str | None = Field(default=None, max_length=8)
    date_of_birth: dt.date | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    activity_level: str | None = Field(default=None, max_length=16)
    goal: str | None = Field(default=None, max_length=16)
    target_weight_kg: float | None = None
    weekly_rate_kg: float | None = None
    body_fat_pct: float | None = None
    dietary_pattern: str = Field(default="omnivore", max_length=16)
    allergies: list[str] = _json_list()
    excluded_foods: list[str] = _json_list()
    excluded_food_groups: list[str] = _json_list()
    liked_foods: list[str] = _json_list()
    liked_exercises: list[str] = _json_list()
    units: str = Field(default="metric", max_length=8)
    goal_mode: str = Field(default="manual", max_length=8)
    add_activity_kcal: bool = False
    wake_time: str = Field(default=DEFAULT_WAKE_TIME, max_length=5)
    meal_slots: list[str] = _json_list(DEFAULT_MEAL_SLOTS)
    water_goal_ml: int | None = None
    # Training preferences (issue #12): defaults for generated programs; changing goal,
    # equipment or days regenerates the coming weeks of the current program.
    training_goal: str | None = Field(default=None, max_length=16)
    training_days_per_week: int | None = None
    training_session_minutes: int | None = None
    training_experience: str | None = Field(default=None, max_length=16)
    training_equipment: list[str] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON, nullable=True)
    )
    # Training-day / rest-day carbohydrate cycling; None means on while a program exists.
    carb_cycling: bool | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WeightEntry(SQLModel, table=True):
    """One body-weight reading per user and local day; a later reading replaces it."""

    __tablename__ = "weight_entries"
    __table_args__ = (sa.UniqueConstraint("user_id", "date", name="uq_weight_entries_user_date"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    date: dt.date = Field(description="The user's local date of the weigh-in")
    weight_kg: float
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
