"""One foods table for every source: source, code, category code, full nutrients, barcodes;
portion descriptions; the full nutrient snapshot of log entries.

Revision ID: 0006_c_foods
Revises: 0005
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_c_foods"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHARED = sa.text("owner_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("foods", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("category_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("additional", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("brand", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("gtin", sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column("nutrients", sa.JSON(), nullable=True))
    # Rows so far are SR28 foods (NDB number set) or custom foods. Their full nutrient sets are
    # filled in by the food loader at the next start, from the packaged data.
    op.execute(
        "UPDATE foods SET source = CASE WHEN ndb_no IS NOT NULL THEN 'sr28' ELSE 'custom' END, "
        "code = ndb_no"
    )
    with op.batch_alter_table("foods", schema=None) as batch_op:
        batch_op.alter_column("source", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint("uq_foods_source_code", ["source", "code"])
        batch_op.create_index("uq_foods_owner_gtin", ["owner_id", "gtin"], unique=True)
        batch_op.create_index(
            "uq_foods_shared_gtin",
            ["gtin"],
            unique=True,
            postgresql_where=_SHARED,
            sqlite_where=_SHARED,
        )
    with op.batch_alter_table("food_portions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.String(length=200), nullable=True))
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nutrients", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.drop_column("nutrients")
    with op.batch_alter_table("food_portions", schema=None) as batch_op:
        batch_op.drop_column("description")
    # The old schema knows SR28 and custom foods only; FNDDS and imported rows would turn into
    # owner-less "custom" foods there. Log entries keep their snapshot (food_id is SET NULL).
    op.execute(
        "UPDATE log_entries SET food_id = NULL WHERE food_id IN "
        "(SELECT id FROM foods WHERE source NOT IN ('sr28', 'custom'))"
    )
    op.execute(
        "DELETE FROM food_portions WHERE food_id IN "
        "(SELECT id FROM foods WHERE source NOT IN ('sr28', 'custom'))"
    )
    op.execute(
        "DELETE FROM inventory_items WHERE food_id IN "
        "(SELECT id FROM foods WHERE source NOT IN ('sr28', 'custom'))"
    )
    op.execute("DELETE FROM foods WHERE source NOT IN ('sr28', 'custom')")
    with op.batch_alter_table("foods", schema=None) as batch_op:
        batch_op.drop_index("uq_foods_shared_gtin")
        batch_op.drop_index("uq_foods_owner_gtin")
        batch_op.drop_constraint("uq_foods_source_code", type_="unique")
        batch_op.drop_column("nutrients")
        batch_op.drop_column("gtin")
        batch_op.drop_column("brand")
        batch_op.drop_column("additional")
        batch_op.drop_column("category_code")
        batch_op.drop_column("code")
        batch_op.drop_column("source")
