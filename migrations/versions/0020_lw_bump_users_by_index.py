"""The statement trigger of log inserts bumps its users in one index scan, in id order.

0019 took the users' row locks in id order with one query (`PERFORM ... ORDER BY id FOR NO
KEY UPDATE`) and then updated them with another (`WHERE id IN (SELECT user_id FROM
inserted_rows)`): every user of a batch was visited, locked and logged twice, by two queries
whose plans the function did not control. One UPDATE whose rows come from an index
scan of the primary key with `id = ANY (array)` does both: a btree scan with an array of
keys visits them in index order, so the rows are locked (by the UPDATE itself) in id order,
as 0019's lock did, and each once. The function pins that plan (no sequential or bitmap
scan, which visit the table in physical order). PostgreSQL CPU per row of a batched insert
of 15 alone (backend schedstat): 67 -> 46-49 us; under benchmarks/overhead.py's log write
load, alternating runs: 99-105 -> 93-96 us of PostgreSQL per write.

SQLite has no statement triggers (and one writer): nothing changes there.

Revision ID: 0020_lw_bump_users_by_index
Revises: 0019_ordered_user_locks
Create Date: 2026-12-05 11:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_lw_bump_users_by_index"
down_revision: str | None = "0019_ordered_user_locks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPGRADE = """
CREATE OR REPLACE FUNCTION nexfitra_bump_cache_version_inserted() RETURNS trigger
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
BEGIN
    UPDATE users SET cache_version = cache_version + 1
    WHERE id = ANY (ARRAY(SELECT user_id FROM inserted_rows));
    RETURN NULL;
END $$
"""

# 0019's function, as it was.
_DOWNGRADE = """
CREATE OR REPLACE FUNCTION nexfitra_bump_cache_version_inserted() RETURNS trigger
LANGUAGE plpgsql
RESET ALL
AS $$
BEGIN
    PERFORM 1 FROM users WHERE id IN (SELECT user_id FROM inserted_rows)
    ORDER BY id FOR NO KEY UPDATE;
    UPDATE users SET cache_version = cache_version + 1
    WHERE id IN (SELECT user_id FROM inserted_rows);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_DOWNGRADE)
