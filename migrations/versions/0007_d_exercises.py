"""Exercise catalogue: exercises and their muscles (issue #12).

Revision ID: 0007_d_exercises
Revises: 0010_h_events
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0007_d_exercises"
down_revision: str | None = "0010_h_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exercises",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("force", sa.String(length=16), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("mechanic", sa.String(length=16), nullable=True),
        sa.Column("equipment", sa.String(length=24), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("primary_muscles", sa.JSON(), nullable=False),
        sa.Column("secondary_muscles", sa.JSON(), nullable=False),
        sa.Column("instructions", sa.JSON(), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    with op.batch_alter_table("exercises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exercises_owner_id"), ["owner_id"], unique=False)
    op.create_table(
        "exercise_muscles",
        sa.Column("exercise_id", sa.Uuid(), nullable=False),
        sa.Column("muscle", sa.String(length=24), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["exercises.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("exercise_id", "muscle"),
    )
    with op.batch_alter_table("exercise_muscles", schema=None) as batch_op:
        batch_op.create_index("ix_exercise_muscles_muscle", ["muscle", "is_primary"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exercise_muscles", schema=None) as batch_op:
        batch_op.drop_index("ix_exercise_muscles_muscle")
    op.drop_table("exercise_muscles")
    with op.batch_alter_table("exercises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exercises_owner_id"))
    op.drop_table("exercises")
