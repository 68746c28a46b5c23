from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

_SHARED = sa.text("owner_id IS NULL")


class Food(SQLModel, table=True):
    """One food, nutrients per 100 g. `source` says where it comes from:
    `sr28` and `fndds` (packaged USDA data, no owner, `code` = NDB number / FNDDS food code),
    `off` (imported from an Open Food Facts export, shared, no owner, `code` = GTIN),
    `shared` (added by an operator, no owner, seen by everyone) and `custom` (a user's private
    food, `owner_id` set). A shared food is never deleted, only retired (`retired_at`): log
    entries, pantry items and recipes keep pointing at it, and the pantry's foreign key would
    otherwise delete other users' stock. `food_group` is the SR28 food group or the
    FNDDS WWEIA category. `nutrients` holds the full set (NUTRIENT_FIELDS); the per-nutrient
    columns repeat the first sixteen for the queries that read them."""

    __tablename__ = "foods"
    __table_args__ = (
        sa.UniqueConstraint("source", "code", name="uq_foods_source_code"),
        # One shared food per barcode; each user may also keep their own for the same barcode.
        sa.Index(
            "uq_foods_shared_gtin",
            "gtin",
            unique=True,
            postgresql_where=_SHARED,
            sqlite_where=_SHARED,
        ),
        sa.Index("uq_foods_owner_gtin", "owner_id", "gtin", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    source: str = Field(default="custom", max_length=16)
    code: str | None = Field(default=None, max_length=20)
    ndb_no: str | None = Field(default=None, max_length=8, sa_column_kwargs={"unique": True})
    owner_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    name: str = Field(max_length=200)
    food_group: str | None = Field(default=None, max_length=80)
    category_code: str | None = Field(default=None, max_length=8)
    additional: str | None = Field(default=None, sa_type=sa.Text)
    brand: str | None = Field(default=None, max_length=120)
    gtin: str | None = Field(default=None, max_length=14)
    nutrients: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
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
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


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
    description: str | None = Field(default=None, max_length=200)


class DataFingerprint(SQLModel, table=True):
    """A packaged data set loaded into the database (migration 0014): `name` says which
    ("foods:sr28"), `fingerprint` hashes the packaged file it was loaded from, `row_count` and
    `child_count` are the rows it holds (foods, portions). Written in the loading transaction,
    so a row here means the load committed."""

    __tablename__ = "data_fingerprints"

    name: str = Field(primary_key=True, max_length=40)
    fingerprint: str = Field(max_length=64)
    row_count: int
    child_count: int
    loaded_at: dt.datetime = Field(sa_type=UTCDateTime)
