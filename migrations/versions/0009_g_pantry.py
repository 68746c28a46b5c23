"""Pantry: the inventory ledger (every change with its reason and source) and receipts.

Revision ID: 0009_g_pantry
Revises: 0008_e4_feedback
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0009_g_pantry"
down_revision: str | None = "0008_e4_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_ledger",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("food_id", sa.Uuid(), nullable=True),
        sa.Column("food", sa.String(length=200), nullable=False),
        sa.Column("ingredient", sa.String(length=200), nullable=False),
        sa.Column("delta_g", sa.Float(), nullable=False),
        sa.Column("grams_after", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["food_id"], ["foods.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["item_id"], ["inventory_items.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inventory_ledger", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inventory_ledger_user_created", ["user_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_inventory_ledger_source", ["user_id", "source_id"], unique=False)
    op.create_table(
        "receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("read_by", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stored_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index("ix_receipts_user_created", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_receipts_user_created")
    op.drop_table("receipts")
    with op.batch_alter_table("inventory_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_inventory_ledger_source")
        batch_op.drop_index("ix_inventory_ledger_user_created")
    op.drop_table("inventory_ledger")
