from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class LogEntry(SQLModel, table=True):
    """One food eaten. Nutrients are a snapshot: later corrections to food data never rewrite it."""

    __tablename__ = "log_entries"
    __table_args__ = (
        # Daily/weekly summaries are GROUP BYs over this index; listing is newest-first on it.
        sa.Index("ix_log_entries_user_date", "user_id", "date"),
        # A day's plan slot is logged once (POST /plans/{date}/log), even under a double submit.
        sa.Index(
            "uq_log_entries_plan_slot",
            "user_id",
            "date",
            "meal_type",
            unique=True,
            postgresql_where=sa.text("source = 'plan'"),
            sqlite_where=sa.text("source = 'plan'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    date: dt.date = Field(description="The user's local date of the entry")
    consumed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    meal_type: str = Field(max_length=16)
    description: str = Field(max_length=500)
    source: str = Field(default="manual", max_length=16)
    food_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("foods.id", ondelete="SET NULL"), nullable=True),
    )
    grams: float | None = None
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    fiber_g: float | None = None
    sugars_g: float | None = None
    sat_fat_g: float | None = None
    sodium_mg: float | None = None
    # The full nutrient snapshot (NUTRIENT_FIELDS) of entries made from a food or parsed text.
    nutrients: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
