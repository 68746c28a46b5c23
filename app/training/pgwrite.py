"""A logged workout on PostgreSQL: one round trip (`log`), or two when that one declines.

`log` calls `workout_log` (migration 0016_wk_workout_log_fn), which checks what the caller
assumed, marks the records and writes everything in one statement on the server. When it
declines (another zone or body weight than assumed, a tracker session that day, an unknown
exercise, no user) it writes nothing and the two round trips below do the write.

The read gathers everything the figures need in one statement: the user's zone (to check the
cached one the write was dated with), body weight, the exercises' names and visibility, the
previous bests per exercise and load, and the day's tracker sessions. The write is a single
statement (the workout, its sets from arrays, its own activity and the WorkoutLogged outbox
event as data-modifying CTEs), so it is atomic without BEGIN/COMMIT round trips, as food log
writes are (`app.events.outbox.execute_with_events`).

All of them run straight on asyncpg (statements it prepares once per connection):
SQLAlchemy's compile, parameter and result machinery cost more CPU than the rest of the write.
The two-trip write's column lists and types come from the table models; `workout_log` names
its columns in the migration, and tests/training/test_workout_log_fn.py compares every stored
column with the session write's, so a new column cannot be forgotten there either.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.activities.importers import DAILY_STEPS
from app.activities.models import Activity
from app.activities.service import OWN_SOURCES, WORKOUT_ACTIVITY_TYPE, WORKOUT_SOURCE
from app.events.models import OutboxEvent
from app.training.models import Workout, WorkoutSet

_PG = postgresql.dialect()


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _pg_type(table: sa.Table, column: str) -> str:
    return str(table.c[column].type.compile(dialect=_PG))


# Columns a workout's own activity sets (see `activities.service.new_workout_activity`); the
# others (steps, distance, external id) stay NULL.
ACTIVITY_COLUMNS = (
    "id",
    "user_id",
    "date",
    "started_at",
    "activity_type",
    "duration_min",
    "kcal",
    "kcal_estimated",
    "met",
    "source",
    "created_at",
    "updated_at",
)
WORKOUT_COLUMNS = tuple(c.key for c in _table(Workout).columns)
SET_COLUMNS = tuple(c.key for c in _table(WorkoutSet).columns)
# The same for every set of a workout (`workouts._rows_for` copies them from it): sent once
# rather than as arrays, whose encoding costs CPU per element.
SHARED_SET_COLUMNS = ("workout_id", "user_id", "date", "week_start")
PER_SET_COLUMNS = tuple(c for c in SET_COLUMNS if c not in SHARED_SET_COLUMNS)
EVENT_COLUMNS = tuple(c.key for c in _table(OutboxEvent).columns)


def _write_sql() -> str:
    activities, workouts, sets, events = (
        _table(m) for m in (Activity, Workout, WorkoutSet, OutboxEvent)
    )
    n = 0

    def param_list(table: sa.Table, columns: Sequence[str], suffix: str = "") -> list[str]:
        nonlocal n
        out = []
        for c in columns:
            n += 1
            out.append(f"${n}::{_pg_type(table, c)}{suffix}")
        return out

    def params(table: sa.Table, columns: Sequence[str], suffix: str = "") -> str:
        return ", ".join(param_list(table, columns, suffix))

    activity = params(activities, ACTIVITY_COLUMNS)
    n += 1
    with_activity = f"${n}::boolean"
    workout = params(workouts, WORKOUT_COLUMNS)
    shared = dict(zip(SHARED_SET_COLUMNS, param_list(sets, SHARED_SET_COLUMNS), strict=True))
    set_arrays = params(sets, PER_SET_COLUMNS, "[]")
    aliases = {c: f"x.c{i}" for i, c in enumerate(PER_SET_COLUMNS)}
    set_values = ", ".join(shared.get(c) or aliases[c] for c in SET_COLUMNS)
    event = params(events, EVENT_COLUMNS)
    names = ", ".join
    # Every sub-statement runs, referenced or not; the foreign keys between them (sets to the
    # workout, the workout to its activity) are checked when the whole statement ends.
    # Table, column and type names come from the models, never from input.
    return (
        f"WITH activity AS (INSERT INTO {activities.name} ({names(ACTIVITY_COLUMNS)}) "  # noqa: S608
        f"SELECT {activity} WHERE {with_activity}), "
        f"workout AS (INSERT INTO {workouts.name} ({names(WORKOUT_COLUMNS)}) "
        f"VALUES ({workout}) RETURNING id), "
        f"sets AS (INSERT INTO {sets.name} ({names(SET_COLUMNS)}) "
        f"SELECT {set_values} FROM unnest({set_arrays}) "
        f"AS x({names(a.removeprefix('x.') for a in aliases.values())})) "
        f"INSERT INTO {events.name} ({names(EVENT_COLUMNS)}) SELECT {event} FROM workout"
    )


# $1 user, $2 the workout's exercise ids, $3 its day, $4 the step-count type, $5 the sources
# that are not a tracker's, $6/$7 (exercise id, load) of its loaded working sets. One row per
# (visible exercise, load of this workout), with no load for an exercise lifted without one;
# one row with no exercise when none is visible; no row at all when the user is gone.
#
# The previous bests are those of `workouts._prefetch` (working sets up to and including $3),
# found by `workout_prev_bests` (migration 0014_hw_workout_bests_fn) as the top of an index
# each (migration 0011_h12_set_bests) instead of aggregating the user's whole history: the
# best e1RM and set volume per exercise, and the most reps at each load this workout uses
# (the only loads its PR check looks up). A best volume exists exactly when the exercise has
# an earlier working set (the column is never NULL). The function plans without bitmap
# scans: on a table without statistics the planner otherwise read and sorted every earlier
# set of each exercise (6-11 ms of database CPU per workout at 2,000 sets per exercise,
# 0.35 ms through the indexes).
READ_SQL = """
SELECT u.timezone,
       (SELECT p.weight_kg FROM user_profiles p WHERE p.user_id = $1) AS weight_kg,
       b.id, b.name, b.load_kg, b.reps, b.e1rm, b.volume,
       (SELECT array_agg(a.id) FROM activities a
         WHERE a.user_id = $1 AND a.date = $3 AND a.activity_type <> $4
           AND a.source <> ALL($5::text[])) AS import_ids
FROM users u
LEFT JOIN workout_prev_bests($1, $2::uuid[], $3::date, $6::uuid[], $7::float8[]) b ON true
WHERE u.id = $1
"""
# The day's tracker sessions in full, read only on the rare day that has any.
IMPORTS_SQL = """
SELECT id, started_at, duration_min, activity_type, source FROM activities
WHERE id = ANY($1::uuid[])
"""
TIMEZONE_SQL = "SELECT timezone FROM users WHERE id = $1"
WRITE_SQL = _write_sql()


async def read(
    driver: Any,
    user_id: uuid.UUID,
    exercise_ids: Sequence[uuid.UUID],
    loads: Sequence[tuple[uuid.UUID, float]],
    day: dt.date,
) -> list[Any]:
    """`loads`: (exercise id, weight_kg) of the workout's working sets with reps and a load."""
    return list(
        await driver.fetch(
            READ_SQL,
            user_id,
            list(exercise_ids),
            day,
            DAILY_STEPS,
            OWN_SOURCES,
            [e for e, _ in loads],
            [w for _, w in loads],
        )
    )


async def imports(driver: Any, ids: Sequence[uuid.UUID]) -> list[Any]:
    return list(await driver.fetch(IMPORTS_SQL, list(ids)))


async def timezone(driver: Any, user_id: uuid.UUID) -> str | None:
    tz = await driver.fetchval(TIMEZONE_SQL, user_id)
    return None if tz is None else str(tz)


async def write(
    driver: Any,
    workout: dict[str, Any],
    sets: Sequence[dict[str, Any]],
    activity: dict[str, Any] | None,
    event: dict[str, Any],
) -> None:
    args: list[Any] = [None if activity is None else activity[c] for c in ACTIVITY_COLUMNS]
    args.append(activity is not None)
    args += [workout[c] for c in WORKOUT_COLUMNS]
    args += [sets[0][c] if sets else None for c in SHARED_SET_COLUMNS]
    args += [[s[c] for s in sets] for c in PER_SET_COLUMNS]
    # The payload as JSON text: SQLAlchemy's codec on these connections sends `json` as is.
    args += [
        json.dumps(v) if c == "payload" else v for c, v in ((c, event[c]) for c in EVENT_COLUMNS)
    ]
    await driver.execute(WRITE_SQL, *args)


# The two arrays go as text that PostgreSQL parses: asyncpg encodes a list element by
# element, with abstract-class checks on each, which cost more CPU than the rest of the
# write's Python.
LOG_SQL = """
SELECT o_status, o_timezone, o_weight_kg, o_names, o_set_ids, o_prs FROM workout_log(
    $1, $2, $3, $4::text::uuid[], $5::text::float8[], $6, $7, $8, $9, $10, $11, $12, $13,
    $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29
)
"""
# A JSON array of arrays of numbers and nulls, as a PostgreSQL array literal.
_PG_ARRAY = str.maketrans("[]", "{}")
# `workout_log`'s record bits per set.
PR_E1RM, PR_REPS, PR_VOLUME = 1, 2, 4


def payload_parts(payload: dict[str, Any]) -> tuple[str, str]:
    """The event payload's JSON text around its record count (which must be 0 here): the
    function puts the count it finds between the two, so the stored text is exactly the
    session write's. The count follows the user's title, whose quotes are escaped, so its
    last occurrence is the field."""
    text = json.dumps(payload)
    head, key, tail = text.rpartition('"pr_count": 0')
    if not key:
        raise ValueError("the payload has no pr_count of 0")
    return head + '"pr_count": ', tail


class Logged(NamedTuple):
    """`workout_log`'s answer: `status` "ok" (written; `names` per entry, and per set its new
    id and a bit mask of its records) or why it declined ("gone", "stale" with the stored
    `timezone` and `weight_kg`, "unknown", "imports")."""

    status: str
    timezone: str | None
    weight_kg: float | None
    names: list[str] | None
    set_ids: list[uuid.UUID] | None
    prs: list[int] | None


async def log(
    driver: Any,
    *,
    user_id: uuid.UUID,
    tz: str,
    weight_kg: float | None,
    entry_exercises: Sequence[uuid.UUID],
    sets: Sequence[Sequence[float | int | None]],
    workout: dict[str, Any],
    week_start: dt.date,
    activity_id: uuid.UUID,
    event: dict[str, Any],
) -> Logged:
    """The workout (a `workouts.NewWorkout` row whose `pr_count` is still 0), its sets (rows of
    `workout_log`'s `p_sets`), its own activity and its event in one call, assuming the user's
    zone `tz` and weight `weight_kg`; `entry_exercises` per entry."""
    head, tail = payload_parts(event["payload"])
    row = await driver.fetchrow(
        LOG_SQL,
        user_id,
        tz,
        weight_kg,
        "{" + ",".join(map(str, entry_exercises)) + "}",
        # Python writes each float as its shortest repr, which PostgreSQL reads back as the
        # same double: no figure changes on the way.
        json.dumps(sets, separators=(",", ":")).translate(_PG_ARRAY),
        workout["id"],
        workout["date"],
        week_start,
        workout["started_at"],
        workout["duration_min"],
        workout["duration_estimated"],
        workout["title"],
        workout["notes"],
        workout["total_volume_kg"],
        workout["working_sets"],
        workout["kcal"],
        workout["met"],
        workout["program_id"],
        workout["created_at"],
        activity_id,
        WORKOUT_ACTIVITY_TYPE,
        WORKOUT_SOURCE,
        DAILY_STEPS,
        OWN_SOURCES,
        event["id"],
        event["type"],
        event["version"],
        head,
        tail,
    )
    return Logged(*row)
