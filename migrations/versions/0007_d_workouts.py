"""Workout log and body measurements (issue #12).

Revision ID: 0007_d_workouts
Revises: 0007_d_exercises
Create Date: 2026-12-02 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0007_d_workouts"
down_revision: str | None = "0007_d_exercises"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workouts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("started_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_min", sa.Float(), nullable=False),
        sa.Column("duration_estimated", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("total_volume_kg", sa.Float(), nullable=False),
        sa.Column("working_sets", sa.Integer(), nullable=False),
        sa.Column("pr_count", sa.Integer(), nullable=False),
        sa.Column("kcal", sa.Float(), nullable=True),
        sa.Column("met", sa.Float(), nullable=True),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("program_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workouts", schema=None) as batch_op:
        batch_op.create_index("ix_workouts_user_date", ["user_id", "date"], unique=False)

    op.create_table(
        "workout_sets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workout_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("exercise_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("set_number", sa.Integer(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("rpe", sa.Float(), nullable=True),
        sa.Column("rir", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("is_warmup", sa.Boolean(), nullable=False),
        sa.Column("is_hard", sa.Boolean(), nullable=False),
        sa.Column("volume_kg", sa.Float(), nullable=False),
        sa.Column("e1rm_kg", sa.Float(), nullable=True),
        sa.Column("pr_e1rm", sa.Boolean(), nullable=False),
        sa.Column("pr_reps", sa.Boolean(), nullable=False),
        sa.Column("pr_volume", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["exercises.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workout_id"], ["workouts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workout_sets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workout_sets_user_exercise_date", ["user_id", "exercise_id", "date"], unique=False
        )
        batch_op.create_index("ix_workout_sets_workout", ["workout_id"], unique=False)

    op.create_table(
        "body_measurements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("waist_cm", sa.Float(), nullable=True),
        sa.Column("hips_cm", sa.Float(), nullable=True),
        sa.Column("neck_cm", sa.Float(), nullable=True),
        sa.Column("chest_cm", sa.Float(), nullable=True),
        sa.Column("arm_cm", sa.Float(), nullable=True),
        sa.Column("thigh_cm", sa.Float(), nullable=True),
        sa.Column("body_fat_pct", sa.Float(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "date", name="uq_body_measurements_user_date"),
    )


def downgrade() -> None:
    op.drop_table("body_measurements")
    with op.batch_alter_table("workout_sets", schema=None) as batch_op:
        batch_op.drop_index("ix_workout_sets_workout")
        batch_op.drop_index("ix_workout_sets_user_exercise_date")
    op.drop_table("workout_sets")
    with op.batch_alter_table("workouts", schema=None) as batch_op:
        batch_op.drop_index("ix_workouts_user_date")
    op.drop_table("workouts")
