"""A logged workout on PostgreSQL in one round trip: `workout_log`.

The two-statement write (`pgwrite.READ_SQL`, then `pgwrite.WRITE_SQL`) read the previous bests
so that Python could mark the personal records before writing. This function does both on the
server: it checks what the caller assumed (the user's zone and body weight, which priced the
session's kcal), that every exercise is visible to the user and that no tracker session shares
the day; then, in one statement, finds the previous bests (the tops of the best-of indexes, as
`workout_prev_bests` does), marks each set's records, and inserts the activity, the workout,
its sets and its WorkoutLogged event. Every figure that is rounded (volume, e1RM, kcal) is
worked out in Python and passed in; the database only compares them, so the answer cannot
differ from the session write's by a rounding rule.

When a check fails it writes nothing and answers why (`o_status`): `gone` (no such user),
`stale` (another zone or weight; the stored ones are answered), `unknown` (an exercise is
missing or private to someone else), `imports` (a tracker session that day may be this
workout). The caller then takes the two-statement path, which handles all of these.

The records follow `workouts._rows_for`: a set beats the best before it, the user's working
sets up to and including the day and the earlier working sets of the same exercise entry;
an exercise without earlier working sets sets none. `p_sets` holds one row per set, in order:
position, set_number, reps, weight_kg, rpe, rir, duration_s, distance_m, is_warmup (0/1),
is_hard (0/1), volume_kg, e1rm_kg. The answer has the sets' new ids (`o_set_ids`) and a bit
mask of records per set (`o_prs`: 1 e1RM, 2 reps at the weight, 4 volume), in that order.
The event's payload is the caller's JSON text with the record count put between
`p_payload_head` and `p_payload_tail`, so it is the text the session write stores; the
workout, its activity and its event share the caller's `p_now` as their time.

On PostgreSQL the three best-of indexes (migration 0011_h12_set_bests) now leave warm-ups out:
every query that reads them (the previous bests here and in `workout_prev_bests`, exercise
history, program progression) asks for working sets only, and a warm-up no longer costs three
index entries on every write. SQLite keeps its full indexes.

The planner settings apply to the function's body only: no bitmap scans (the reason is in
0014_hw_workout_bests_fn), and one generic plan per session instead of planning the statement
again on each call.

Revision ID: 0016_wk_workout_log_fn
Revises: 0015_hs_data_fingerprints
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_wk_workout_log_fn"
down_revision: str | None = "0015_hs_data_fingerprints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = """workout_log(
    p_user uuid, p_tz text, p_weight float8, p_exercises uuid[], p_sets float8[],
    p_workout_id uuid, p_date date, p_week_start date, p_started_at timestamptz,
    p_duration_min float8, p_duration_estimated boolean, p_title text, p_notes text,
    p_total_volume_kg float8, p_working_sets integer, p_kcal float8, p_met float8,
    p_program_id uuid, p_now timestamptz,
    p_activity_id uuid, p_activity_type text, p_activity_source text,
    p_steps_type text, p_own_sources text[],
    p_event_id uuid, p_event_type text, p_event_version integer,
    p_payload_head text, p_payload_tail text"""

# Constant text throughout (the signature is written once for CREATE and DROP).
CREATE = """
CREATE FUNCTION __SIGNATURE__,
    OUT o_status text, OUT o_timezone text, OUT o_weight_kg float8, OUT o_names text[],
    OUT o_set_ids uuid[], OUT o_prs integer[]
)
LANGUAGE plpgsql VOLATILE
SET enable_bitmapscan = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_found integer;
BEGIN
    SELECT u.timezone, p.weight_kg INTO o_timezone, o_weight_kg
    FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id
    WHERE u.id = p_user;
    IF NOT FOUND THEN
        o_status := 'gone';
        RETURN;
    END IF;
    IF o_timezone IS DISTINCT FROM p_tz OR o_weight_kg IS DISTINCT FROM p_weight THEN
        o_status := 'stale';
        RETURN;
    END IF;

    SELECT array_agg(e.name::text ORDER BY x.i), count(e.id) INTO o_names, v_found
    FROM unnest(p_exercises) WITH ORDINALITY AS x(id, i)
    LEFT JOIN exercises e ON e.id = x.id AND (e.owner_id IS NULL OR e.owner_id = p_user);
    IF v_found < cardinality(p_exercises) THEN
        o_status := 'unknown';
        o_names := NULL;
        RETURN;
    END IF;

    IF EXISTS (
        SELECT 1 FROM activities a
        WHERE a.user_id = p_user AND a.date = p_date AND a.activity_type <> p_steps_type
          AND a.source <> ALL (p_own_sources)
    ) THEN
        o_status := 'imports';
        RETURN;
    END IF;

    WITH s AS MATERIALIZED (
        SELECT gen_random_uuid() AS id, k,
               p_exercises[p_sets[k][1]::integer + 1] AS exercise_id,
               p_sets[k][1]::integer AS position, p_sets[k][2]::integer AS set_number,
               p_sets[k][3]::integer AS reps, p_sets[k][4] AS weight_kg, p_sets[k][5] AS rpe,
               p_sets[k][6]::integer AS rir, p_sets[k][7]::integer AS duration_s,
               p_sets[k][8] AS distance_m, p_sets[k][9] = 1 AS is_warmup,
               p_sets[k][10] = 1 AS is_hard, p_sets[k][11] AS volume_kg,
               p_sets[k][12] AS e1rm_kg
        FROM generate_subscripts(p_sets, 1) AS k
    ),
    -- Per exercise: the best e1RM and set volume of its earlier working sets; no volume
    -- means no earlier working set (the column is never NULL).
    prev AS (
        SELECT x.id, coalesce(b.e1rm, 0) AS e1rm, v.volume
        FROM (SELECT DISTINCT s.exercise_id AS id FROM s) x
        LEFT JOIN LATERAL (
            SELECT w.e1rm_kg AS e1rm FROM workout_sets w
            WHERE w.user_id = p_user AND w.exercise_id = x.id AND w.e1rm_kg IS NOT NULL
              AND w.date + 0 <= p_date AND NOT w.is_warmup
            ORDER BY w.e1rm_kg DESC LIMIT 1
        ) b ON true
        LEFT JOIN LATERAL (
            SELECT w.volume_kg AS volume FROM workout_sets w
            WHERE w.user_id = p_user AND w.exercise_id = x.id AND w.date + 0 <= p_date
              AND NOT w.is_warmup
            ORDER BY w.volume_kg DESC LIMIT 1
        ) v ON true
    ),
    -- The most reps at each load this workout lifts for reps.
    prev_reps AS (
        SELECT l.exercise_id, l.weight_kg, r.reps
        FROM (
            SELECT DISTINCT s.exercise_id, s.weight_kg FROM s
            WHERE NOT s.is_warmup AND s.reps > 0 AND s.weight_kg IS NOT NULL
        ) l
        JOIN LATERAL (
            SELECT w.reps FROM workout_sets w
            WHERE w.user_id = p_user AND w.exercise_id = l.exercise_id
              AND w.weight_kg = l.weight_kg AND w.reps IS NOT NULL
              AND w.date + 0 <= p_date AND NOT w.is_warmup
            ORDER BY w.reps DESC LIMIT 1
        ) r ON true
    ),
    -- The bests of the earlier working sets of the same entry.
    running AS (
        SELECT s.*,
               max(CASE WHEN NOT s.is_warmup THEN s.e1rm_kg END) OVER entry AS run_e1rm,
               max(CASE WHEN NOT s.is_warmup THEN s.volume_kg END) OVER entry AS run_volume,
               max(CASE WHEN NOT s.is_warmup AND s.reps > 0 THEN s.reps END)
                   OVER (PARTITION BY s.position, s.weight_kg ORDER BY s.set_number
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS run_reps
        FROM s
        WINDOW entry AS (PARTITION BY s.position ORDER BY s.set_number
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    flagged AS MATERIALIZED (
        SELECT t.*,
               CASE WHEN p.volume IS NULL OR t.is_warmup THEN 0 ELSE
                   CASE WHEN t.e1rm_kg > greatest(p.e1rm, t.run_e1rm)
                             AND greatest(p.e1rm, t.run_e1rm) > 0 THEN 1 ELSE 0 END
                 + CASE WHEN t.reps > 0 AND t.weight_kg IS NOT NULL
                             AND t.reps > greatest(r.reps, t.run_reps) THEN 2 ELSE 0 END
                 + CASE WHEN t.volume_kg > greatest(p.volume, t.run_volume)
                             AND greatest(p.volume, t.run_volume) > 0 THEN 4 ELSE 0 END
               END AS prs
        FROM running t
        JOIN prev p ON p.id = t.exercise_id
        LEFT JOIN prev_reps r ON r.exercise_id = t.exercise_id AND r.weight_kg = t.weight_kg
    ),
    activity AS (
        INSERT INTO activities (
            id, user_id, date, started_at, activity_type, duration_min, kcal, kcal_estimated,
            met, source, created_at, updated_at
        ) VALUES (
            p_activity_id, p_user, p_date, p_started_at, p_activity_type, p_duration_min,
            p_kcal, p_kcal IS NOT NULL, p_met, p_activity_source, p_now, p_now
        )
    ),
    workout AS (
        INSERT INTO workouts (
            id, user_id, date, started_at, duration_min, duration_estimated, title, notes,
            total_volume_kg, working_sets, pr_count, kcal, met, activity_id, program_id,
            created_at, updated_at
        )
        SELECT p_workout_id, p_user, p_date, p_started_at, p_duration_min,
               p_duration_estimated, p_title, p_notes, p_total_volume_kg, p_working_sets,
               count(*) FILTER (WHERE f.prs <> 0), p_kcal, p_met, p_activity_id, p_program_id,
               p_now, p_now
        FROM flagged f
    ),
    sets AS (
        INSERT INTO workout_sets (
            id, workout_id, user_id, exercise_id, date, week_start, position, set_number,
            reps, weight_kg, rpe, rir, duration_s, distance_m, is_warmup, is_hard, volume_kg,
            e1rm_kg, pr_e1rm, pr_reps, pr_volume
        )
        SELECT f.id, p_workout_id, p_user, f.exercise_id, p_date, p_week_start, f.position,
               f.set_number, f.reps, f.weight_kg, f.rpe, f.rir, f.duration_s, f.distance_m,
               f.is_warmup, f.is_hard, f.volume_kg, f.e1rm_kg, f.prs & 1 <> 0, f.prs & 2 <> 0,
               f.prs & 4 <> 0
        FROM flagged f
    ),
    event AS (
        INSERT INTO event_outbox (id, type, version, user_id, occurred_at, payload)
        SELECT p_event_id, p_event_type, p_event_version, p_user, p_now,
               (p_payload_head || count(*) FILTER (WHERE f.prs <> 0) || p_payload_tail)::json
        FROM flagged f
    )
    SELECT array_agg(f.id ORDER BY f.k), array_agg(f.prs ORDER BY f.k)
    INTO o_set_ids, o_prs
    FROM flagged f;
    o_status := 'ok';
END
$$
""".replace("__SIGNATURE__", SIGNATURE)
DROP = "DROP FUNCTION " + SIGNATURE + ")"


BEST_INDEXES = {
    "ix_workout_sets_best_e1rm": ["user_id", "exercise_id", "e1rm_kg"],
    "ix_workout_sets_best_volume": ["user_id", "exercise_id", "volume_kg"],
    "ix_workout_sets_best_reps": ["user_id", "exercise_id", "weight_kg", "reps"],
}


def _best_indexes(working_only: bool) -> None:
    for name, columns in BEST_INDEXES.items():
        op.drop_index(name, table_name="workout_sets")
        where = {"postgresql_where": sa.text("NOT is_warmup")} if working_only else {}
        op.create_index(name, "workout_sets", columns, **where)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _best_indexes(working_only=True)
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP)
        _best_indexes(working_only=False)
