"""Phone accounts: users.phone (E.164, unique), email and password optional (one of email or
phone required), pending one-time codes.

Revision ID: 0008_e3_phone
Revises: 0008_e2_pwreset
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0008_e3_phone"
down_revision: str | None = "0008_e2_pwreset"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ts = app.core.types.UTCDateTime

# 0006_a_cache_version's trigger on users: SQLite's table rebuild below drops it (PostgreSQL's
# ALTER keeps triggers), so it is created again after each rebuild.
_SQLITE_TZ_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS users_timezone_cache_version AFTER UPDATE OF timezone ON users "
    "WHEN NEW.timezone IS NOT OLD.timezone "
    "BEGIN UPDATE users SET cache_version = cache_version + 1 WHERE id = NEW.id; END"
)


def _restore_users_trigger() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_TZ_TRIGGER)
        op.execute("PRAGMA legacy_alter_table=OFF")


def _before_users_rebuild() -> None:
    # The cache-version triggers of other tables name `users`; SQLite's modern RENAME checks
    # them while the rebuilt table is still `_alembic_tmp_users` and fails. The legacy rename
    # leaves them alone, and they resolve to the new `users` once it has its name.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA legacy_alter_table=ON")


def upgrade() -> None:
    # On SQLite this rebuilds the users table; env.py keeps foreign keys off meanwhile so the
    # rows referencing users survive.
    _before_users_rebuild()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=16), nullable=True))
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=True)
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=True)
        batch_op.create_unique_constraint("uq_users_phone", ["phone"])
        batch_op.create_check_constraint(
            "ck_users_email_or_phone", "email IS NOT NULL OR phone IS NOT NULL"
        )
    _restore_users_trigger()
    op.create_table(
        "otp_codes",
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(timezone=True), nullable=False),
        sa.Column("expires_at", _ts(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone"),
    )
    with op.batch_alter_table("otp_codes", schema=None) as batch_op:
        batch_op.create_index("ix_otp_codes_expires_at", ["expires_at"])


def downgrade() -> None:
    bind = op.get_bind()
    stranded = bind.execute(
        sa.text("SELECT count(*) FROM users WHERE email IS NULL OR password_hash IS NULL")
    ).scalar()
    if stranded:
        # The old schema cannot hold them; erasing accounts silently is not a migration's call.
        raise RuntimeError(
            f"{stranded} accounts have no email or no password; erase them "
            "(DELETE /api/v1/users/me or SQL) before downgrading past 0008_e3_phone"
        )
    op.drop_table("otp_codes")
    _before_users_rebuild()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("ck_users_email_or_phone", type_="check")
        batch_op.drop_constraint("uq_users_phone", type_="unique")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=False)
        batch_op.drop_column("phone")
    _restore_users_trigger()
