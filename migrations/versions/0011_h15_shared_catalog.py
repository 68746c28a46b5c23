"""Operators' shared catalogue: shared foods (retired, never deleted), shared recipes, retired
packaged recipes and the stamp that tells every process the recipe library changed.

Revision ID: 0011_h15_catalog
Revises: 0009_g_trackers
Create Date: 2026-12-02 18:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0011_h15_catalog"
down_revision: str | None = "0009_g_trackers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both dialects: no SQLite table rebuild (foods has no triggers anyway).
    op.add_column("foods", sa.Column("updated_at", app.core.types.UTCDateTime(), nullable=True))
    op.add_column("foods", sa.Column("retired_at", app.core.types.UTCDateTime(), nullable=True))
    op.create_table(
        "shared_recipes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("cuisine", sa.String(length=40), nullable=True),
        sa.Column("meal_types", sa.JSON(), nullable=False),
        sa.Column("servings", sa.Integer(), nullable=False),
        sa.Column("prep_minutes", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("ingredients", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(), nullable=False),
        sa.Column("retired_at", app.core.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "retired_recipes",
        sa.Column("recipe_id", sa.Uuid(), nullable=False),
        sa.Column("retired_by", sa.Uuid(), nullable=True),
        sa.Column("retired_at", app.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["retired_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("recipe_id"),
    )
    op.create_table(
        "catalog_stamps",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("stamp", sa.Uuid(), nullable=False),
        sa.Column("changed_at", app.core.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("catalog_stamps")
    op.drop_table("retired_recipes")
    op.drop_table("shared_recipes")
    # The old schema has no shared source: operators' foods go the way 0006_c's downgrade
    # sends foods of unknown sources (log entries keep their snapshot; food_id is SET NULL).
    op.execute(
        "DELETE FROM inventory_items WHERE food_id IN (SELECT id FROM foods WHERE source = 'shared')"
    )
    op.execute(
        "DELETE FROM food_portions WHERE food_id IN (SELECT id FROM foods WHERE source = 'shared')"
    )
    # Migrations run with SQLite's foreign keys off, so the SET NULLs are spelled out.
    for table in ("log_entries", "inventory_ledger"):
        op.execute(
            f"UPDATE {table} SET food_id = NULL "  # noqa: S608 (constant names)
            "WHERE food_id IN (SELECT id FROM foods WHERE source = 'shared')"
        )
    op.execute("DELETE FROM foods WHERE source = 'shared'")
    with op.batch_alter_table("foods", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("updated_at")
