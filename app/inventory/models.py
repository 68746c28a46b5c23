"""Grocery inventory: what a user has in the kitchen."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

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


class InventoryLedgerEntry(SQLModel, table=True):
    """One change to one inventory item: the stock can always be explained from these rows.

    `source` says who changed it ("log", "receipt", "manual") and `source_id` which log entry
    or receipt (no foreign key: a deleted log keeps the history of what it took and gave back).
    `item_id` becomes null when the item is deleted; `food` and `ingredient` keep its name."""

    __tablename__ = "inventory_ledger"
    __table_args__ = (
        sa.Index("ix_inventory_ledger_user_created", "user_id", "created_at"),
        # Restoring a deleted or edited log reads what that log took.
        sa.Index("ix_inventory_ledger_source", "user_id", "source_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    item_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("inventory_items.id", ondelete="SET NULL"), nullable=True
        ),
    )
    food_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("foods.id", ondelete="SET NULL"), nullable=True),
    )
    food: str = Field(max_length=200)
    ingredient: str = Field(max_length=200)
    delta_g: float
    grams_after: float
    reason: str = Field(max_length=24)
    source: str = Field(max_length=16)
    source_id: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Receipt(SQLModel, table=True):
    """A receipt read line by line: `pending` until the user confirms what to store, then
    `stored`. `lines` holds each line's match (food, grams, confidence) as shown to the user,
    so confirming stores exactly what was previewed."""

    __tablename__ = "receipts"
    __table_args__ = (sa.Index("ix_receipts_user_created", "user_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(max_length=16)
    read_by: str = Field(max_length=16, description="text, tesseract or llm")
    text: str
    lines: list[dict[str, Any]] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    expires_on: dt.date | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    stored_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
