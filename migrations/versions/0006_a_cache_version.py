"""Per-user cache version, bumped by triggers in every write's transaction.

A missed Redis invalidation (Redis unreachable for the writer, later back with its data) left
cached reads stale until their TTL. `users.cache_version` is part of every per-user cache key
with Redis; these triggers bump it whenever a row that those reads are built from changes, in
the same transaction, so a committed write always moves readers to new keys. Triggers rather
than application code: no write path can forget, and the hot single-statement log insert keeps
its one round trip.

SQLite note for later migrations: batch mode ("move and copy") recreates a table and drops its
triggers; a migration that batch-alters one of TABLES must create its triggers again
(`create_triggers`). tests/core/test_cache_version.py checks they are in place.

Revision ID: 0006_a_cache_version
Revises: 0005
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_a_cache_version"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables with a user_id whose rows per-user cached reads are built from.
TABLES = ("log_entries", "goals", "meal_plans", "custom_recipes")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION nexfitra_bump_cache_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE users SET cache_version = cache_version + 1 WHERE id = OLD.user_id;
    ELSE
        UPDATE users SET cache_version = cache_version + 1 WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END $$
"""

_PG_TZ_FUNCTION = """
CREATE OR REPLACE FUNCTION nexfitra_timezone_cache_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.timezone IS DISTINCT FROM OLD.timezone THEN
        NEW.cache_version := OLD.cache_version + 1;
    END IF;
    RETURN NEW;
END $$
"""


def create_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_cache_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION nexfitra_bump_cache_version()"
        )
        return
    # Names and events are this file's constants, never input.
    for event, ref in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        op.execute(
            f"CREATE TRIGGER {table}_cache_version_{event.lower()} AFTER {event} ON {table} "  # noqa: S608
            f"BEGIN UPDATE users SET cache_version = cache_version + 1 "
            f"WHERE id = {ref}.user_id; END"
        )


def drop_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_cache_version ON {table}")
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_cache_version_{event}")


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("cache_version", sa.BigInteger(), server_default="0", nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TZ_FUNCTION)
        op.execute(
            "CREATE TRIGGER users_timezone_cache_version BEFORE UPDATE OF timezone ON users "
            "FOR EACH ROW EXECUTE FUNCTION nexfitra_timezone_cache_version()"
        )
    else:
        op.execute(
            "CREATE TRIGGER users_timezone_cache_version AFTER UPDATE OF timezone ON users "
            "WHEN NEW.timezone IS NOT OLD.timezone "
            "BEGIN UPDATE users SET cache_version = cache_version + 1 WHERE id = NEW.id; END"
        )
    for table in TABLES:
        create_triggers(table)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        drop_triggers(table)
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS users_timezone_cache_version ON users")
        op.execute("DROP FUNCTION IF EXISTS nexfitra_timezone_cache_version()")
        op.execute("DROP FUNCTION IF EXISTS nexfitra_bump_cache_version()")
    else:
        op.execute("DROP TRIGGER IF EXISTS users_timezone_cache_version")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("cache_version")
