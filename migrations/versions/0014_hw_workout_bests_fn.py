"""A logged workout's previous bests on PostgreSQL, as a function that never plans a bitmap scan.

The bests are the first row of a best-of index each (migration 0011_h12_set_bests), walked
from the top. On a table without statistics (a young one, or autovacuum off) the planner
guessed a handful of sets per (user, exercise) and read them all through a bitmap scan and
sorted them instead: 6-11 ms of database CPU per workout for a user with 2,000 sets of an
exercise, against 0.35 ms through the indexes. A function's own `SET` applies to its body
only, so the rest of the application keeps its bitmap scans; PL/pgSQL keeps the plan for the
session. SQLite has no planner settings and keeps aggregating (`workouts._prefetch`).

The result is `pgwrite.READ_SQL`'s rows per (visible exercise, load of this workout), with no
load for an exercise lifted without one. The previous bests are those of working sets up to
and including the workout's day; `s.date + 0` keeps the day out of any index condition.

Revision ID: 0014_hw_workout_bests_fn
Revises: 0013_hw_sets_user_fk
Create Date: 2026-12-03 10:55:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_hw_workout_bests_fn"
down_revision: str | None = "0013_hw_sets_user_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Arguments: the user, the workout's exercise ids, its day, then (exercise id, load) of its
# loaded working sets as two arrays. The e1RM and volume bests are per exercise, found before
# the loads multiply the rows (OFFSET 0 keeps the subquery unmerged).
CREATE = """
CREATE FUNCTION workout_prev_bests(
    p_user uuid, p_exercises uuid[], p_day date, p_ex uuid[], p_load float8[]
)
RETURNS TABLE (id uuid, name text, load_kg float8, reps integer, e1rm float8, volume float8)
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off
AS $$
BEGIN
RETURN QUERY
SELECT e.id, e.name::text, l.load_kg, r.reps, e.e1rm, e.volume
FROM (
    SELECT e.id, e.name, b.e1rm, v.volume
    FROM exercises e
    LEFT JOIN LATERAL (
        SELECT s.e1rm_kg AS e1rm FROM workout_sets s
        WHERE s.user_id = p_user AND s.exercise_id = e.id AND s.e1rm_kg IS NOT NULL
          AND s.date + 0 <= p_day AND NOT s.is_warmup
        ORDER BY s.e1rm_kg DESC LIMIT 1
    ) b ON true
    LEFT JOIN LATERAL (
        SELECT s.volume_kg AS volume FROM workout_sets s
        WHERE s.user_id = p_user AND s.exercise_id = e.id AND s.date + 0 <= p_day
          AND NOT s.is_warmup
        ORDER BY s.volume_kg DESC LIMIT 1
    ) v ON true
    WHERE e.id = ANY(p_exercises) AND (e.owner_id IS NULL OR e.owner_id = p_user)
    OFFSET 0
) e
LEFT JOIN (
    SELECT DISTINCT x.exercise_id, x.load_kg
    FROM unnest(p_ex, p_load) AS x(exercise_id, load_kg)
) l ON l.exercise_id = e.id
LEFT JOIN LATERAL (
    SELECT s.reps FROM workout_sets s
    WHERE s.user_id = p_user AND s.exercise_id = e.id AND s.weight_kg = l.load_kg
      AND s.reps IS NOT NULL AND s.date + 0 <= p_day AND NOT s.is_warmup
    ORDER BY s.reps DESC LIMIT 1
) r ON true;
END
$$
"""
DROP = "DROP FUNCTION workout_prev_bests(uuid, uuid[], date, uuid[], float8[])"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP)
