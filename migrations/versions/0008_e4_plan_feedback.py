"""Plan feedback: ratings of planned days and recipes.

Revision ID: 0008_e4_feedback
Revises: 0008_e3_phone
Create Date: 2026-12-02 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0008_e4_feedback"
down_revision: str | None = "0008_e3_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(length=16), nullable=True),
        sa.Column("recipe_id", sa.Uuid(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_plan_feedback_rating"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_plan_feedback_user_recipe", ["user_id", "recipe_id"])
        batch_op.create_index("ix_plan_feedback_recipe", ["recipe_id"])


def downgrade() -> None:
    op.drop_table("plan_feedback")
