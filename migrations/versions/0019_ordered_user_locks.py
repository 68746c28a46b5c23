"""The statement trigger of log inserts locks its users in id order before bumping them.

0017's `UPDATE users ... WHERE id IN (SELECT user_id FROM inserted_rows)` locked the users
of a batched insert (logs/pgwrite.Inserts) in whatever order the plan visited them: the
table's physical order, which is neither the batch's order nor the same for two batches
once rows have moved. Two concurrent batches sharing two users could each hold one and wait
for the other: a deadlock, which PostgreSQL only detects after `deadlock_timeout` (1 s), then
the batch was sent again one row at a time. Under 8 writers this happened 249 times in a
minute and put the write's p99 near one second. Taking the row locks first, in id order,
gives every batch the same order, so one waits for the other instead.

SQLite has no statement triggers (and one writer): nothing changes there.

Revision ID: 0019_ordered_user_locks
Revises: 0018_wk3_time_ordered_set_ids
Create Date: 2026-12-04 09:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_ordered_user_locks"
down_revision: str | None = "0018_wk3_time_ordered_set_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BODY = """
CREATE OR REPLACE FUNCTION nexfitra_bump_cache_version_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
{lock}    UPDATE users SET cache_version = cache_version + 1
    WHERE id IN (SELECT user_id FROM inserted_rows);
    RETURN NULL;
END $$
"""
_LOCK = """    PERFORM 1 FROM users WHERE id IN (SELECT user_id FROM inserted_rows)
    ORDER BY id FOR NO KEY UPDATE;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_BODY.format(lock=_LOCK))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_BODY.format(lock=""))
