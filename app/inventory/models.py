"""Grocery inventory: what a user has in the kitchen."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class InventoryItem(SQLModel, table=True):
    __tablename__ = "inventory_items"
    __table_args__ = (
        # Lists and the planner read a user's items soonest-expiring first.
        sa.Index("ix_inventory_items_user_expires", "user_id", "expires_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    food_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("foods.id", ondelete="CASCADE"), nullable=False)
    )
    grams: float
    expires_on: dt.date | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
