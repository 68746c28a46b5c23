"""Private custom recipes, operators' shared recipes and stored meal plans."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


def _json(nullable: bool = False) -> Any:
    return Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=nullable))


class CustomRecipe(SQLModel, table=True):
    """A user's own recipe. `ingredients` holds `{food_id, grams, name, group, nutrients}` per
    ingredient: the food's per-100 g nutrients are snapshotted at write time so the recipe stays
    computable if a custom food it uses is deleted; USDA foods are re-read from the packaged
    data, so corrections there flow in. Nutrients per serving are never stored."""

    __tablename__ = "custom_recipes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=120)
    cuisine: str | None = Field(default=None, max_length=40)
    meal_types: list[str] = _json()
    servings: int = 1
    prep_minutes: int = 0
    steps: list[str] = _json()
    ingredients: list[dict[str, Any]] = _json()
    tags: list[str] = _json()
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SharedRecipe(SQLModel, table=True):
    """A recipe operators added to the library every user's planner draws on. Stored like a
    custom recipe (ingredient snapshots, nutrients computed on read). Deleting one retires it
    (`retired_at`): stored plans and feedback keep naming it, it is only no longer offered."""

    __tablename__ = "shared_recipes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    name: str = Field(max_length=120)
    cuisine: str | None = Field(default=None, max_length=40)
    meal_types: list[str] = _json()
    servings: int = 1
    prep_minutes: int = 0
    steps: list[str] = _json()
    ingredients: list[dict[str, Any]] = _json()
    tags: list[str] = _json()
    created_by: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retired_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class RetiredRecipe(SQLModel, table=True):
    """A packaged library recipe operators withdrew from planning. (The library lives in a
    data file, so there is no foreign key.) Restoring it deletes the row."""

    __tablename__ = "retired_recipes"

    recipe_id: uuid.UUID = Field(primary_key=True, sa_type=sa.Uuid)
    retired_by: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    retired_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CatalogStamp(SQLModel, table=True):
    """A random stamp renewed in the transaction of every change to a shared catalogue
    (`recipes`): each process keeps the library it built for a stamp and rebuilds when the
    stamp it reads differs, so every process sees an operator's change at its next read."""

    __tablename__ = "catalog_stamps"

    name: str = Field(primary_key=True, max_length=32)
    stamp: uuid.UUID = Field(sa_type=sa.Uuid)
    changed_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MealPlan(SQLModel, table=True):
    """One user's plan for one local day: the structured plan (JSON) and optional words.

    (user_id, date) is unique in the database: regenerating a day replaces its row, and the
    nightly pipeline relies on it to never store two plans for a day."""

    __tablename__ = "meal_plans"
    __table_args__ = (sa.UniqueConstraint("user_id", "date", name="uq_meal_plans_user_date"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    date: dt.date = Field(description="The user's local date the plan is for")
    plan: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    text: str | None = None
    text_source: str | None = Field(default=None, max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PlanFeedback(SQLModel, table=True):
    """A user's rating of a planned day, or of one recipe in it (1 = never again, 5 = more of
    this). The planner reads each recipe's latest rating by the user."""

    __tablename__ = "plan_feedback"
    __table_args__ = (
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_plan_feedback_rating"),
        sa.Index("ix_plan_feedback_user_recipe", "user_id", "recipe_id"),
        sa.Index("ix_plan_feedback_recipe", "recipe_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    date: dt.date = Field(description="The plan's local date")
    slot: str | None = Field(default=None, max_length=16)
    # A library recipe's id or one of the user's custom recipes (no foreign key: library
    # recipes live in a data file, not a table).
    recipe_id: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid)
    rating: int
    comment: str | None = Field(default=None, max_length=1000)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
