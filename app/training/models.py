"""Exercise catalogue, workout logs and body measurements."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))


class Exercise(SQLModel, table=True):
    """A catalogue exercise (`slug` = its Free Exercise DB id, no owner), a shared exercise an
    admin added (no slug, no owner) or a user's private one (`owner_id`)."""

    __tablename__ = "exercises"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    slug: str | None = Field(default=None, max_length=80, sa_column_kwargs={"unique": True})
    owner_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    name: str = Field(max_length=120)
    force: str | None = Field(default=None, max_length=16)
    level: str | None = Field(default=None, max_length=16)
    mechanic: str | None = Field(default=None, max_length=16)
    equipment: str | None = Field(default=None, max_length=24)
    category: str | None = Field(default=None, max_length=24)
    primary_muscles: list[str] = _json_list()
    secondary_muscles: list[str] = _json_list()
    instructions: list[str] = _json_list()
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExerciseMuscle(SQLModel, table=True):
    """One row per (exercise, muscle): the muscle filter and the weekly hard-set count join it,
    so both stay plain indexed SQL on either dialect (no JSON operators)."""

    __tablename__ = "exercise_muscles"
    __table_args__ = (sa.Index("ix_exercise_muscles_muscle", "muscle", "is_primary"),)

    exercise_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("exercises.id", ondelete="CASCADE"), primary_key=True
        )
    )
    muscle: str = Field(max_length=24, primary_key=True)
    is_primary: bool
