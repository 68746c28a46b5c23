from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Food(SQLModel, table=True):
    """A USDA SR28 food (`ndb_no` set, no owner) or a user's private custom food (`owner_id`).
    Nutrients are per 100 g."""

    __tablename__ = "foods"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    ndb_no: str | None = Field(default=None, max_length=8, sa_column_kwargs={"unique": True})
    owner_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    name: str = Field(max_length=200)
    food_group: str | None = Field(default=None, max_length=80)
    kcal: float | None = None
    protein_g: float | None = None
    fat_g: float | None = None
    carbs_g: float | None = None
    fiber_g: float | None = None
    sugars_g: float | None = None
    sat_fat_g: float | None = None
    cholesterol_mg: float | None = None
    sodium_mg: float | None = None
    potassium_mg: float | None = None
    calcium_mg: float | None = None
    iron_mg: float | None = None
    vitamin_a_ug: float | None = None
    vitamin_c_mg: float | None = None
    vitamin_d_ug: float | None = None
    vitamin_b12_ug: float | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FoodPortion(SQLModel, table=True):
    """A household measure: `amount` `unit` of the food weighs `grams` (1 large egg = 50 g)."""

    __tablename__ = "food_portions"

    food_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("foods.id", ondelete="CASCADE"), primary_key=True
        )
    )
    seq: int = Field(primary_key=True)
    amount: float
    unit: str = Field(max_length=120)
    grams: float
