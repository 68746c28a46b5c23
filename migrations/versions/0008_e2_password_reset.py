"""Single-use password reset tokens (stored hashed).

Revision ID: 0008_e2_pwreset
Revises: 0008_e1_audit
Create Date: 2026-12-02 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0008_e2_pwreset"
down_revision: str | None = "0008_e1_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ts = app.core.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "password_reset_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _ts(timezone=True), nullable=False),
        sa.Column("expires_at", _ts(timezone=True), nullable=False),
        sa.Column("used_at", _ts(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_password_reset_tokens_user_id", ["user_id"])


def downgrade() -> None:
    op.drop_table("password_reset_tokens")
