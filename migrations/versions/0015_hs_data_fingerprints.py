"""Fingerprints of the packaged data loaded into the database.

The food loader ran at every start-up and parsed both packaged USDA files (about a second of
CPU) only to find that the database already held them. It now records, in the transaction that
loads a pack, a hash of the pack's bytes and the number of rows it put in; a start whose pack
hashes the same and whose row counts still match skips the parse. No row here = not loaded.

Revision ID: 0015_hs_data_fingerprints
Revises: 0014_hw_workout_bests_fn
Create Date: 2026-12-03 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0015_hs_data_fingerprints"
down_revision: str | None = "0014_hw_workout_bests_fn"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_fingerprints",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("child_count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", app.core.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("data_fingerprints")
