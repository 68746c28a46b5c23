from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Goal(SQLModel, table=True):
    """Daily targets in force from `effective_from` until the next goal's date."""

    __tablename__ = "goals"
    __table_args__ = (sa.UniqueConstraint("user_id", "effective_from", name="uq_goals_user_from"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    effective_from: dt.date
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    source: str = Field(default="manual", max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
