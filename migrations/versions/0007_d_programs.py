"""Training programs and the profile's training preferences (issue #12).

Revision ID: 0007_d_programs
Revises: 0007_d_workouts
Create Date: 2026-12-02 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0007_d_programs"
down_revision: str | None = "0007_d_workouts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("text_source", sa.String(length=16), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.create_index("ix_programs_user_active", ["user_id", "is_active"], unique=False)
    with op.batch_alter_table("user_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_goal", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("training_days_per_week", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("training_session_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("training_experience", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("training_equipment", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("carb_cycling", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_profiles", schema=None) as batch_op:
        batch_op.drop_column("carb_cycling")
        batch_op.drop_column("training_equipment")
        batch_op.drop_column("training_experience")
        batch_op.drop_column("training_session_minutes")
        batch_op.drop_column("training_days_per_week")
        batch_op.drop_column("training_goal")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_index("ix_programs_user_active")
    op.drop_table("programs")
