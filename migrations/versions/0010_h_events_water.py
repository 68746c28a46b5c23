"""Domain events (outbox, consumed, parked), weekly insights, water entries and goal.

Revision ID: 0010_h_events
Revises: 0006_c_foods
Create Date: 2026-12-02 16:00:00.000000
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

import app.core.types


def _load_sibling(name: str) -> Any:
    # Revision files are not an importable package: the shared trigger helpers are loaded by path.
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cache_version = _load_sibling("0006_a_cache_version")

revision: str = "0010_h_events"
down_revision: str | None = "0006_c_foods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ts = app.core.types.UTCDateTime
# Tables that feed per-user cached reads (daily summary: water and the profile's sex, age and
# water goal; weekly summary and narrative: insights): their writes bump users.cache_version
# like those of 0006_a_cache_version.
CACHE_TABLES = ("water_entries", "insights_weekly", "user_profiles")
_UNPUBLISHED = sa.text("published_at IS NULL")


def _user_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", _ts(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("published_at", _ts(timezone=True), nullable=True),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_event_outbox_unpublished",
        "event_outbox",
        ["occurred_at"],
        postgresql_where=_UNPUBLISHED,
        sqlite_where=_UNPUBLISHED,
    )
    op.create_index("ix_event_outbox_published_at", "event_outbox", ["published_at"])
    op.create_table(
        "event_consumed",
        sa.Column("consumer", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("consumed_at", _ts(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "event_parked",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("consumer", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("parked_at", _ts(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consumer", "event_id", name="uq_event_parked"),
    )
    op.create_table(
        "insights_weekly",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("updated_at", _ts(timezone=True), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id", "week_start"),
    )
    op.create_table(
        "water_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("ml", sa.Integer(), nullable=False),
        sa.Column("consumed_at", _ts(timezone=True), nullable=True),
        sa.Column("created_at", _ts(timezone=True), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_water_entries_user_date", "water_entries", ["user_id", "date"])
    with op.batch_alter_table("user_profiles") as batch:
        batch.add_column(sa.Column("water_goal_ml", sa.Integer(), nullable=True))
    for table in CACHE_TABLES:
        cache_version.create_triggers(table)


def downgrade() -> None:
    for table in CACHE_TABLES:
        cache_version.drop_triggers(table)
    with op.batch_alter_table("user_profiles") as batch:
        batch.drop_column("water_goal_ml")
    op.drop_index("ix_water_entries_user_date", table_name="water_entries")
    op.drop_table("water_entries")
    op.drop_table("insights_weekly")
    op.drop_table("event_parked")
    op.drop_table("event_consumed")
    op.drop_index("ix_event_outbox_published_at", table_name="event_outbox")
    op.drop_index("ix_event_outbox_unpublished", table_name="event_outbox")
    op.drop_table("event_outbox")
