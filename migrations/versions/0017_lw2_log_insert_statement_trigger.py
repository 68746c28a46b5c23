"""Food log inserts bump the cache version once per statement, not once per row (PostgreSQL).

Concurrent log writes leave as one INSERT of all their rows (logs/pgwrite.Inserts), and the
row trigger of 0006_a_cache_version then ran its PL/pgSQL function and its UPDATE of `users`
once per row. A statement trigger with the inserted rows as a transition table bumps each
user concerned once, in one UPDATE, still in the write's own transaction; a version only has
to change, not count rows. Updates and deletes of entries keep the row trigger.

SQLite has no statement triggers: its row triggers stay, and this migration changes nothing
there.

Revision ID: 0017_lw2_log_insert_stmt
Revises: 0016_wk_workout_log_fn
Create Date: 2026-12-03 18:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_lw2_log_insert_stmt"
down_revision: str | None = "0016_wk_workout_log_fn"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTION = """
CREATE OR REPLACE FUNCTION nexfitra_bump_cache_version_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET cache_version = cache_version + 1
    WHERE id IN (SELECT user_id FROM inserted_rows);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    op.execute("DROP TRIGGER IF EXISTS log_entries_cache_version ON log_entries")
    op.execute(
        "CREATE TRIGGER log_entries_cache_version AFTER UPDATE OR DELETE ON log_entries "
        "FOR EACH ROW EXECUTE FUNCTION nexfitra_bump_cache_version()"
    )
    op.execute(
        "CREATE TRIGGER log_entries_cache_version_insert AFTER INSERT ON log_entries "
        "REFERENCING NEW TABLE AS inserted_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION nexfitra_bump_cache_version_inserted()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS log_entries_cache_version_insert ON log_entries")
    op.execute("DROP TRIGGER IF EXISTS log_entries_cache_version ON log_entries")
    op.execute(
        "CREATE TRIGGER log_entries_cache_version AFTER INSERT OR UPDATE OR DELETE ON "
        "log_entries FOR EACH ROW EXECUTE FUNCTION nexfitra_bump_cache_version()"
    )
    op.execute("DROP FUNCTION IF EXISTS nexfitra_bump_cache_version_inserted()")
