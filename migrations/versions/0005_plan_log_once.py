"""A plan slot is logged once per day: partial unique index on plan-sourced log entries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("source = 'plan'")


def upgrade() -> None:
    # Both dialects support partial indexes; each reads its own keyword.
    op.create_index(
        "uq_log_entries_plan_slot",
        "log_entries",
        ["user_id", "date", "meal_type"],
        unique=True,
        postgresql_where=_WHERE,
        sqlite_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("uq_log_entries_plan_slot", table_name="log_entries")
