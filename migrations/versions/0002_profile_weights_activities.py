"""Profiles, weight entries and activities.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:59:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_profiles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("activity_level", sa.String(length=16), nullable=True),
        sa.Column("goal", sa.String(length=16), nullable=True),
        sa.Column("target_weight_kg", sa.Float(), nullable=True),
        sa.Column("weekly_rate_kg", sa.Float(), nullable=True),
        sa.Column("body_fat_pct", sa.Float(), nullable=True),
        sa.Column("dietary_pattern", sa.String(length=16), nullable=False),
        sa.Column("allergies", sa.JSON(), nullable=False),
        sa.Column("excluded_foods", sa.JSON(), nullable=False),
        sa.Column("excluded_food_groups", sa.JSON(), nullable=False),
        sa.Column("liked_foods", sa.JSON(), nullable=False),
        sa.Column("liked_exercises", sa.JSON(), nullable=False),
        sa.Column("units", sa.String(length=8), nullable=False),
        sa.Column("goal_mode", sa.String(length=8), nullable=False),
        sa.Column("add_activity_kcal", sa.Boolean(), nullable=False),
        sa.Column("wake_time", sa.String(length=5), nullable=False),
        sa.Column("meal_slots", sa.JSON(), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "weight_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "date", name="uq_weight_entries_user_date"),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("started_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("activity_type", sa.String(length=32), nullable=False),
        sa.Column("duration_min", sa.Float(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("kcal", sa.Float(), nullable=True),
        sa.Column("kcal_estimated", sa.Boolean(), nullable=False),
        sa.Column("met", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "source", "external_id", name="uq_activities_external"),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index("ix_activities_user_date", ["user_id", "date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_user_date")

    op.drop_table("activities")
    op.drop_table("weight_entries")
    op.drop_table("user_profiles")
