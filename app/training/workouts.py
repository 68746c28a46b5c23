"""Workout log: validation, derived figures, personal records and the day's activity.

Through a session (SQLite) a write is one transaction of a handful of round trips: the
exercises (visibility and names), the body weight, the user's previous bests for those
exercises (one GROUP BY), the activity check, then core INSERTs of the workout and all its sets
at once. On PostgreSQL it is one call of `workout_log`, or a read and one statement
(`pgwrite`); every path answers the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, NoReturn

import asyncpg
import pydantic_core
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from app.activities import met
from app.activities import service as activities_service
from app.auth.models import User
from app.core.cache import Cache, profile_scope
from app.core.db import raw_statements
from app.core.errors import NotFound, Unauthorized, Unprocessable
from app.core.ids import uuid7
from app.core.paging import fetch_page, owned_in_range
from app.core.timeutil import resolve_local_day, week_start
from app.core.types import utcnow
from app.events import outbox
from app.training import figures, pgwrite
from app.training.models import Exercise, Workout, WorkoutSet
from app.training.schemas import (
    ExerciseEntryIn,
    WorkoutOut,
    WorkoutPatch,
)
from app.training.service import visible
from app.users.models import UserProfile

KCAL_FORMULA = (
    "kcal = MET × body weight_kg × duration_min / 60, MET 3.5 (2011 Compendium, resistance "
    "training, multiple exercises); gross energy"
)


class WorkoutNotFound(NotFound):
    code, title = "workout-not-found", "Workout not found"


class InvalidWorkoutDate(Unprocessable):
    code, title = "invalid-workout-date", "Invalid workout date"


class UnknownExercise(Unprocessable):
    code, title = "unknown-exercise", "Unknown exercise"


@dataclass
class _Bests:
    e1rm: float = 0.0
    volume: float = 0.0
    reps_at: dict[float, int] | None = None


@dataclass
class NewWorkout:
    """A workout row about to be inserted: the columns of `Workout` without the ORM's
    instrumentation, whose construction cost more CPU than the figures of a whole workout."""

    user_id: uuid.UUID
    date: dt.date
    started_at: dt.datetime | None
    duration_min: float
    duration_estimated: bool
    title: str | None
    notes: str | None
    kcal: float | None
    met: float | None
    program_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    id: uuid.UUID = dataclasses.field(default_factory=uuid7)
    total_volume_kg: float = 0.0
    working_sets: int = 0
    pr_count: int = 0
    activity_id: uuid.UUID | None = None

    def row(self) -> dict[str, Any]:
        return dict(vars(self))


AnyWorkout = Workout | NewWorkout


def _rows_for(
    workout: AnyWorkout, entries: Sequence[ExerciseEntryIn], bests: dict[uuid.UUID, _Bests]
) -> list[dict[str, Any]]:
    """Set rows with their figures. A set is a PR when it beats the best before it: the
    user's earlier history for that exercise and the earlier sets of this workout. An
    exercise's first session sets no PR (there is nothing to beat yet). Flags are fixed when
    the workout is written: editing or deleting an earlier workout does not re-mark later ones."""
    rows: list[dict[str, Any]] = []
    monday = week_start(workout.date)
    for position, entry in enumerate(entries):
        best = bests.get(entry.exercise_id)
        running = (
            _Bests(best.e1rm, best.volume, dict(best.reps_at or {})) if best is not None else None
        )
        for n, s in enumerate(entry.sets, start=1):
            volume = figures.set_volume(s.weight_kg, s.reps, s.is_warmup)
            e1rm = figures.epley_e1rm(s.weight_kg, s.reps)
            pr_e1rm = pr_reps = pr_volume = False
            if running is not None and not s.is_warmup:
                reps_at = running.reps_at if running.reps_at is not None else {}
                if e1rm is not None and e1rm > running.e1rm:
                    pr_e1rm, running.e1rm = running.e1rm > 0, e1rm
                if volume > running.volume:
                    pr_volume, running.volume = running.volume > 0, volume
                if s.reps and s.weight_kg is not None:
                    before = reps_at.get(s.weight_kg)
                    if before is not None and s.reps > before:
                        pr_reps = True
                    if before is None or s.reps > before:
                        reps_at[s.weight_kg] = s.reps
                    running.reps_at = reps_at
            rows.append(
                {
                    "id": uuid7(),
                    "workout_id": workout.id,
                    "user_id": workout.user_id,
                    "exercise_id": entry.exercise_id,
                    "date": workout.date,
                    "week_start": monday,
                    "position": position,
                    "set_number": n,
                    "reps": s.reps,
                    "weight_kg": None if s.weight_kg is None else float(s.weight_kg),
                    "rpe": s.rpe,
                    "rir": s.rir,
                    "duration_s": s.duration_s,
                    "distance_m": s.distance_m,
                    "is_warmup": s.is_warmup,
                    "is_hard": figures.is_hard_set(s.is_warmup, s.rpe, s.rir),
                    "volume_kg": volume,
                    "e1rm_kg": e1rm,
                    "pr_e1rm": pr_e1rm,
                    "pr_reps": pr_reps,
                    "pr_volume": pr_volume,
                }
            )
    return rows


async def _check_exercises(
    session: AsyncSession,
    user_id: uuid.UUID,
    entries: Sequence[ExerciseEntryIn],
    *,
    with_weight: bool = False,
) -> tuple[dict[uuid.UUID, str], float | None]:
    """The names of the workout's exercises (422 naming any that are missing or not yours),
    and with `with_weight` the user's body weight, read in the same round trip."""
    wanted = {e.exercise_id for e in entries}
    weight: Any = sa.null()
    if with_weight:
        weight = (
            sa.select(col(UserProfile.weight_kg))
            .where(col(UserProfile.user_id) == user_id)
            .scalar_subquery()
        )
    result = await session.execute(
        sa.select(col(Exercise.id), col(Exercise.name), weight.label("weight_kg")).where(
            col(Exercise.id).in_(wanted), visible(user_id)
        )
    )
    rows = result.all()
    found = {r.id: r.name for r in rows}
    body_weight = rows[0].weight_kg if rows else None
    missing = wanted - set(found)
    if missing:
        raise UnknownExercise(
            "no such exercise (or not yours): " + ", ".join(sorted(str(m) for m in missing))
        )
    return found, body_weight


async def _bests(
    session: AsyncSession,
    user_id: uuid.UUID,
    exercise_ids: set[uuid.UUID],
    day: dt.date,
    exclude: uuid.UUID | None,
) -> dict[uuid.UUID, _Bests]:
    """Best e1RM, set volume and reps at each load per exercise, up to `day`, one GROUP BY."""
    conds: list[Any] = [
        col(WorkoutSet.user_id) == user_id,
        col(WorkoutSet.exercise_id).in_(exercise_ids),
        col(WorkoutSet.date) <= day,
        sa.not_(col(WorkoutSet.is_warmup)),
    ]
    if exclude is not None:
        conds.append(col(WorkoutSet.workout_id) != exclude)
    rows = await session.execute(
        sa.select(
            col(WorkoutSet.exercise_id),
            col(WorkoutSet.weight_kg),
            sa.func.max(col(WorkoutSet.reps)),
            sa.func.max(col(WorkoutSet.e1rm_kg)),
            sa.func.max(col(WorkoutSet.volume_kg)),
        )
        .where(*conds)
        .group_by(col(WorkoutSet.exercise_id), col(WorkoutSet.weight_kg))
    )
    out: dict[uuid.UUID, _Bests] = {}
    for ex_id, weight, reps, e1rm, volume in rows.all():
        b = out.setdefault(ex_id, _Bests(reps_at={}))
        b.e1rm = max(b.e1rm, float(e1rm or 0))
        b.volume = max(b.volume, float(volume or 0))
        if weight is not None and reps is not None and b.reps_at is not None:
            b.reps_at[float(weight)] = int(reps)
    return out


@dataclass
class _Prefetched:
    names: dict[uuid.UUID, str]
    weight: float | None
    bests: dict[uuid.UUID, _Bests]
    timezone: str | None


def _fold(rows: Iterable[Any]) -> _Prefetched:
    """The prefetch rows (mappings with timezone, weight_kg, id, name, load_kg, reps, e1rm,
    volume; `id` NULL when no exercise matched) folded into names and per-exercise bests."""
    names: dict[uuid.UUID, str] = {}
    bests: dict[uuid.UUID, _Bests] = {}
    out = _Prefetched(names, None, bests, None)
    for r in rows:
        out.weight, out.timezone = r["weight_kg"], r["timezone"]
        ex_id = r["id"]
        if ex_id is None:
            continue
        names[ex_id] = r["name"]
        if r["reps"] is None and r["e1rm"] is None and r["volume"] is None:
            continue  # no earlier working set of this exercise
        b = bests.setdefault(ex_id, _Bests(reps_at={}))
        b.e1rm = max(b.e1rm, float(r["e1rm"] or 0))
        b.volume = max(b.volume, float(r["volume"] or 0))
        if r["load_kg"] is not None and r["reps"] is not None and b.reps_at is not None:
            b.reps_at[float(r["load_kg"])] = int(r["reps"])
    return out


def _check_found(wanted: set[uuid.UUID], names: dict[uuid.UUID, str]) -> None:
    missing = wanted - set(names)
    if missing:
        raise UnknownExercise(
            "no such exercise (or not yours): " + ", ".join(sorted(str(m) for m in missing))
        )


async def _prefetch(
    session: AsyncSession, user_id: uuid.UUID, wanted: set[uuid.UUID], day: dt.date
) -> _Prefetched:
    """Everything a new workout reads, in one round trip: the user's zone and body weight, its
    exercises' names (the visible ones), and per exercise the previous bests (e1RM, set
    volume, reps at each load) up to `day` (the rows of `_bests`, LEFT JOINed). The same
    rows as `pgwrite.READ_SQL`, which PostgreSQL runs instead."""
    prev = (
        sa.select(
            col(WorkoutSet.exercise_id).label("exercise_id"),
            col(WorkoutSet.weight_kg).label("load_kg"),
            sa.func.max(col(WorkoutSet.reps)).label("reps"),
            sa.func.max(col(WorkoutSet.e1rm_kg)).label("e1rm"),
            sa.func.max(col(WorkoutSet.volume_kg)).label("volume"),
        )
        .where(
            col(WorkoutSet.user_id) == user_id,
            col(WorkoutSet.exercise_id).in_(wanted),
            col(WorkoutSet.date) <= day,
            sa.not_(col(WorkoutSet.is_warmup)),
        )
        .group_by(col(WorkoutSet.exercise_id), col(WorkoutSet.weight_kg))
        .subquery()
    )
    ex = (
        sa.select(col(Exercise.id), col(Exercise.name))
        .where(col(Exercise.id).in_(wanted), visible(user_id))
        .subquery()
    )
    weight = (
        sa.select(col(UserProfile.weight_kg))
        .where(col(UserProfile.user_id) == user_id)
        .scalar_subquery()
    )
    result = await session.execute(
        sa.select(
            col(User.timezone).label("timezone"),
            weight.label("weight_kg"),
            ex.c.id,
            ex.c.name,
            prev.c.load_kg,
            prev.c.reps,
            prev.c.e1rm,
            prev.c.volume,
        )
        .select_from(User)
        .outerjoin(ex, sa.true())
        .outerjoin(prev, prev.c.exercise_id == ex.c.id)
        .where(col(User.id) == user_id)
    )
    return _fold(r._mapping for r in result.all())


async def _energy(
    session: AsyncSession, user_id: uuid.UUID, duration_min: float
) -> tuple[float | None, float | None]:
    return _energy_for(await activities_service.body_weight(session, user_id), duration_min)


def _energy_for(weight: float | None, duration_min: float) -> tuple[float | None, float | None]:
    """kcal and MET of a session: MET × body weight × hours; nothing without a weight."""
    if weight is None:
        return None, None
    energy = met.estimate_activity(activities_service.WORKOUT_ACTIVITY_TYPE, duration_min, weight)
    return energy.kcal, energy.met


def _duration(given: float | None, entries: Sequence[ExerciseEntryIn]) -> tuple[float, bool]:
    if given is not None:
        return round(given, 1), False
    return figures.estimated_duration_min(
        [(s.duration_s, s.is_warmup) for e in entries for s in e.sets]
    ), True


def _apply_totals(workout: AnyWorkout, rows: list[dict[str, Any]]) -> None:
    workout.total_volume_kg = round(sum(r["volume_kg"] for r in rows), 2)
    workout.working_sets = sum(1 for r in rows if not r["is_warmup"])
    workout.pr_count = sum(1 for r in rows if r["pr_e1rm"] or r["pr_reps"] or r["pr_volume"])


async def _insert_sets(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """All sets in one multi-row INSERT. With RETURNING, SQLAlchemy's "insertmanyvalues" turns
    the executemany into a single statement from its cached compiled form; a plain
    executemany costs a round trip per set on asyncpg, and a `.values(rows)` statement is
    compiled anew on every call."""
    # insertmanyvalues starts a new batch where the pattern of NULL values changes (a warm-up
    # without RPE between rated sets): rows sharing a pattern go together, order is irrelevant.
    ordered = sorted(rows, key=lambda r: tuple(v is None for v in r.values()))
    await session.execute(sa.insert(WorkoutSet).returning(col(WorkoutSet.id)), ordered)


def _logged_event(workout: AnyWorkout) -> dict[str, Any]:
    return outbox.event_row(
        outbox.WORKOUT_LOGGED,
        workout.user_id,
        {
            "workout_id": workout.id,
            "date": workout.date,
            "title": workout.title,
            "duration_min": workout.duration_min,
            "total_volume_kg": workout.total_volume_kg,
            "working_sets": workout.working_sets,
            "pr_count": workout.pr_count,
            "kcal": workout.kcal,
        },
    )


async def commit_workout(session: AsyncSession, workout: AnyWorkout) -> None:
    """The single place a workout (new or changed) is committed through a session, with its
    WorkoutLogged event in the same transaction (`pgwrite.write` is the other)."""
    await outbox.add(session, [_logged_event(workout)])
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Unauthorized("Account no longer exists") from exc


def _resolve(tz: str, data: dict[str, Any]) -> tuple[dt.date, dt.datetime | None]:
    return resolve_local_day(
        tz,
        data.get("date"),
        data.get("started_at"),
        instant_name="started_at",
        error=InvalidWorkoutDate,
    )


def _new_workout(
    user_id: uuid.UUID,
    day: dt.date,
    started_at: dt.datetime | None,
    data: dict[str, Any],
    entries: Sequence[ExerciseEntryIn],
    weight: float | None,
    program_id: uuid.UUID | None,
) -> NewWorkout:
    """The workout row, its duration and energy priced with ``weight`` (both write paths)."""
    duration, estimated = _duration(data.get("duration_min"), entries)
    kcal, met_value = _energy_for(weight, duration)
    now = utcnow()
    workout = NewWorkout(
        user_id=user_id,
        date=day,
        started_at=started_at,
        duration_min=duration,
        duration_estimated=estimated,
        title=data.get("title"),
        notes=data.get("notes"),
        kcal=kcal,
        met=met_value,
        program_id=program_id,
        created_at=now,
        updated_at=now,
    )
    return workout


def _compose(
    user_id: uuid.UUID,
    day: dt.date,
    started_at: dt.datetime | None,
    data: dict[str, Any],
    entries: Sequence[ExerciseEntryIn],
    read: _Prefetched,
    program_id: uuid.UUID | None,
) -> tuple[NewWorkout, list[dict[str, Any]]]:
    """The new workout and its set rows with every figure, from what was read."""
    workout = _new_workout(user_id, day, started_at, data, entries, read.weight, program_id)
    rows = _rows_for(workout, entries, read.bests)
    _apply_totals(workout, rows)
    return workout, rows


async def log_workout(
    session: AsyncSession,
    user_id: uuid.UUID,
    tz: str,
    data: dict[str, Any],
    entries: Sequence[ExerciseEntryIn],
    *,
    program_id: uuid.UUID | None = None,
    cache: Cache | None = None,
) -> WorkoutOut:
    """Logs a workout with its sets, its activity and its event, all or nothing.

    `tz` may come from a cache (the limiter's peek): the read checks it against the user's
    zone and the workout is dated again with the stored one when they differ. On PostgreSQL
    two round trips and no session (`pgwrite`); elsewhere the session's transaction."""
    bind = session.bind
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql":
        if session.in_transaction():
            # The caller's reads (the zone, the program) hold a pooled connection until the
            # session ends. Given back before the write takes its own: otherwise a pool's
            # worth of concurrent writes each held one and waited for another until the
            # pool timed out (30 s, then 500).
            await session.commit()
        return await log_workout_pg(bind, cache, user_id, tz, data, entries, program_id)
    return await _log_workout_session(session, user_id, tz, data, entries, program_id, cache)


async def _log_workout_session(
    session: AsyncSession,
    user_id: uuid.UUID,
    tz: str,
    data: dict[str, Any],
    entries: Sequence[ExerciseEntryIn],
    program_id: uuid.UUID | None,
    cache: Cache | None,
) -> WorkoutOut:
    """`log_workout` through the session: on SQLite, and the reference for `pgwrite`."""
    wanted = {e.exercise_id for e in entries}
    try:
        day, started_at = _resolve(tz, data)
    except InvalidWorkoutDate:
        fresh = await session.scalar(sa.select(col(User.timezone)).where(col(User.id) == user_id))
        if fresh is None or fresh == tz:
            raise
        tz = await _zone_changed(cache, user_id, fresh)
        day, started_at = _resolve(tz, data)
    read = await _prefetch(session, user_id, wanted, day)
    if read.timezone is None:
        raise Unauthorized("Account no longer exists")
    if read.timezone != tz:
        tz = await _zone_changed(cache, user_id, read.timezone)
        again, started_at = _resolve(tz, data)
        if again != day:
            day = again
            read = await _prefetch(session, user_id, wanted, day)
    _check_found(wanted, read.names)
    workout, rows = _compose(user_id, day, started_at, data, entries, read, program_id)
    workout.activity_id = await activities_service.workout_activity(
        session,
        user_id,
        current_id=None,
        day=day,
        started_at=started_at,
        duration_min=workout.duration_min,
        kcal=workout.kcal,
        met_value=workout.met,
    )
    await session.execute(sa.insert(Workout).values(**workout.row()))
    # One multi-row INSERT: a single round trip whatever the number of sets.
    await _insert_sets(session, rows)
    await commit_workout(session, workout)
    # Answered from what was written: no read back.
    return build_out_rows(workout, rows, read.names)


async def _zone_changed(cache: Cache | None, user_id: uuid.UUID, fresh: str) -> str:
    """The cached zone was out of date (a missed invalidation): drop it, use the stored one."""
    if cache is not None:
        await cache.invalidate(profile_scope(user_id))
    return fresh


# The body weight last seen per user in this process, which a new workout's kcal is priced
# with before the database is asked. Only a guess: `workout_log` compares it with the stored
# weight and declines (writing nothing) when they differ; the two-trip write then reads it.
_weight_guesses: dict[uuid.UUID, float | None] = {}
# About 5 MB at most; past it the guesses start again (one two-trip write per user).
_MAX_WEIGHT_GUESSES = 20_000


def _remember_weight(user_id: uuid.UUID, weight: float | None) -> None:
    if len(_weight_guesses) >= _MAX_WEIGHT_GUESSES and user_id not in _weight_guesses:
        _weight_guesses.clear()
    _weight_guesses[user_id] = weight


async def log_workout_pg(
    engine: AsyncEngine,
    cache: Cache | None,
    user_id: uuid.UUID,
    tz: str,
    data: dict[str, Any],
    entries: Sequence[ExerciseEntryIn],
    program_id: uuid.UUID | None = None,
) -> WorkoutOut:
    """`log_workout` on a PostgreSQL engine, with no session at all: one round trip
    (`pgwrite.log`) when the user's body weight is known here, else (and whenever that one
    declines) two."""
    out = await log_workout_pg_answer(engine, cache, user_id, tz, data, entries, program_id)
    return out if isinstance(out, WorkoutOut) else WorkoutOut.model_validate(out)


def answer_json(doc: dict[str, Any]) -> bytes:
    """A one-trip write's answer (`log_workout_pg_answer`) as the route serialises its
    `WorkoutOut`: the same keys in the same order, every figure already of its field's type
    (floats as floats), so pydantic's serialiser writes the same bytes without the model
    (building and validating it cost about 0.1 ms per 20-set workout).
    tests/training/test_workout_fast_write.py compares the bytes with the model's."""
    return pydantic_core.to_json(doc)


async def log_workout_pg_answer(
    engine: AsyncEngine,
    cache: Cache | None,
    user_id: uuid.UUID,
    tz: str,
    data: dict[str, Any],
    entries: Sequence[ExerciseEntryIn],
    program_id: uuid.UUID | None = None,
) -> WorkoutOut | dict[str, Any]:
    """`log_workout_pg` for the POST shortcut: the one-trip write answers plain data
    (`answer_json` serialises it), the two-trip write its model."""
    # Autocommit statements on one of the raw write connections (core/db.raw_statements), as
    # food log writes: each write is one statement, atomic on its own, and SQLAlchemy's pool
    # checkout, checkin and greenlet switches around it cost CPU that served nothing here.
    async with raw_statements(engine) as driver:
        try:
            day, started_at = _resolve(tz, data)
        except InvalidWorkoutDate:
            fresh = await pgwrite.timezone(driver, user_id)
            if fresh is None or fresh == tz:
                raise
            tz = await _zone_changed(cache, user_id, fresh)
            day, started_at = _resolve(tz, data)
        if user_id in _weight_guesses:
            out = await _log_one_trip(
                driver, user_id, tz, day, started_at, data, entries, program_id
            )
            if out is not None:
                return out
        return await _log_two_trips(
            driver, cache, user_id, tz, day, started_at, data, entries, program_id
        )


async def _log_one_trip(
    driver: Any,
    user_id: uuid.UUID,
    tz: str,
    day: dt.date,
    started_at: dt.datetime | None,
    data: dict[str, Any],
    entries: Sequence[ExerciseEntryIn],
    program_id: uuid.UUID | None,
) -> dict[str, Any] | None:
    """The write as one call of `workout_log`, priced with the remembered body weight: its
    answer as plain data (`_workout_doc`), or None (nothing written) when the function
    declines. The sets' figures are those of
    `_rows_for`, worked out here straight into the function's rows and the answer's sets;
    the records, which need the previous bests, come back from the function with the ids."""
    weight = _weight_guesses[user_id]
    workout = _new_workout(user_id, day, started_at, data, entries, weight, program_id)
    rows: list[list[Any]] = []
    blocks: list[list[dict[str, Any]]] = []
    volumes: list[float] = []
    for position, entry in enumerate(entries):
        block: list[dict[str, Any]] = []
        for n, s in enumerate(entry.sets, start=1):
            warmup = s.is_warmup
            load = None if s.weight_kg is None else float(s.weight_kg)
            volume = figures.set_volume(s.weight_kg, s.reps, warmup)
            e1rm = figures.epley_e1rm(s.weight_kg, s.reps)
            hard = figures.is_hard_set(warmup, s.rpe, s.rir)
            rows.append(
                [
                    position,
                    n,
                    s.reps,
                    load,
                    s.rpe,
                    s.rir,
                    s.duration_s,
                    s.distance_m,
                    1 if warmup else 0,
                    1 if hard else 0,
                    volume,
                    e1rm,
                ]
            )
            volumes.append(volume)
            workout.working_sets += not warmup
            block.append(
                {
                    "id": None,
                    "set_number": n,
                    "reps": s.reps,
                    "weight_kg": load,
                    "rpe": s.rpe,
                    "rir": s.rir,
                    "duration_s": s.duration_s,
                    "distance_m": s.distance_m,
                    "is_warmup": warmup,
                    "is_hard": hard,
                    "volume_kg": volume,
                    "e1rm_kg": e1rm,
                    "prs": _NO_PRS,
                }
            )
        blocks.append(block)
    workout.total_volume_kg = round(sum(volumes), 2)
    activity_id = uuid7()
    workout.activity_id = activity_id
    entry_exercises = [e.exercise_id for e in entries]
    try:
        logged = await pgwrite.log(
            driver,
            user_id=user_id,
            tz=tz,
            weight_kg=weight,
            entry_exercises=entry_exercises,
            sets=rows,
            workout=workout.row(),
            week_start=week_start(day),
            activity_id=activity_id,
            event=_logged_event(workout),
        )
    except asyncpg.ForeignKeyViolationError as exc:
        _raise_vanished(exc)
    if logged.status == "gone":
        raise Unauthorized("Account no longer exists")
    if logged.status != "ok":
        if logged.status == "stale":
            _remember_weight(user_id, logged.weight_kg)
        return None
    assert logged.names is not None and logged.set_ids is not None and logged.prs is not None
    ids, bits = iter(logged.set_ids), iter(logged.prs)
    for block in blocks:
        for answer in block:
            answer["id"] = next(ids)
            mask = next(bits)
            if mask:
                answer["prs"] = _PR_KINDS[mask]
                workout.pr_count += 1
    names = dict(zip(entry_exercises, logged.names, strict=True))
    return _workout_doc(
        workout,
        [
            _exercise_out(e.exercise_id, names, block, block)
            for e, block in zip(entries, blocks, strict=True)
        ],
    )


_NO_PRS: list[str] = []
# The answer's record kinds of each of `workout_log`'s bit masks, in `_set_out`'s order.
_PR_KINDS = [
    [
        kind
        for bit, kind in (
            (pgwrite.PR_E1RM, "e1rm"),
            (pgwrite.PR_REPS, "reps_at_weight"),
            (pgwrite.PR_VOLUME, "volume"),
        )
        if mask & bit
    ]
    for mask in range(8)
]


def _raise_vanished(exc: asyncpg.ForeignKeyViolationError) -> NoReturn:
    """A foreign key failed between the checks and the write: the account went, or a private
    exercise did."""
    if "exercise" in (exc.constraint_name or ""):
        raise UnknownExercise("an exercise of this workout was just deleted") from exc
    raise Unauthorized("Account no longer exists") from exc


async def _log_two_trips(
    driver: Any,
    cache: Cache | None,
    user_id: uuid.UUID,
    tz: str,
    day: dt.date,
    started_at: dt.datetime | None,
    data: dict[str, Any],
    entries: Sequence[ExerciseEntryIn],
    program_id: uuid.UUID | None,
) -> WorkoutOut:
    """The write as a read (zone, weight, names, previous bests, the day's tracker sessions)
    and then one statement."""
    wanted = list({e.exercise_id: None for e in entries})
    # The loads whose earlier reps `_rows_for` looks up: working sets with reps and a load.
    loads = list(
        {
            (e.exercise_id, s.weight_kg): None
            for e in entries
            for s in e.sets
            if s.reps and s.weight_kg is not None and not s.is_warmup
        }
    )
    rows = await pgwrite.read(driver, user_id, wanted, loads, day)
    read = _fold(rows)
    if not rows:
        raise Unauthorized("Account no longer exists")
    if read.timezone != tz and read.timezone is not None:
        tz = await _zone_changed(cache, user_id, read.timezone)
        again, started_at = _resolve(tz, data)
        if again != day:
            day = again
            rows = await pgwrite.read(driver, user_id, wanted, loads, day)
            read = _fold(rows)
    _remember_weight(user_id, read.weight)
    _check_found(set(wanted), read.names)
    workout, sets = _compose(user_id, day, started_at, data, entries, read, program_id)
    import_ids = rows[0]["import_ids"] if rows else None
    activity = None
    imported = None
    if import_ids:
        candidates = await pgwrite.imports(driver, import_ids)
        imported = activities_service.matching_import(
            [SimpleNamespace(**dict(r)) for r in candidates],
            started_at,
            workout.duration_min,
        )
    if imported is None:
        activity = activities_service.new_workout_activity(
            user_id,
            day=day,
            started_at=started_at,
            duration_min=workout.duration_min,
            kcal=workout.kcal,
            met_value=workout.met,
            now=workout.created_at,
        )
        workout.activity_id = activity["id"]
    else:
        workout.activity_id = imported
    try:
        await pgwrite.write(driver, workout.row(), sets, activity, _logged_event(workout))
    except asyncpg.ForeignKeyViolationError as exc:
        _raise_vanished(exc)
    # No relay nudge (as before): WorkoutLogged feeds weekly insights, and the relay's next
    # poll (EVENTS_RELAY_INTERVAL_S) publishes a whole batch for the CPU of one.
    return build_out_rows(workout, sets, read.names)


async def _owned(session: AsyncSession, user_id: uuid.UUID, workout_id: uuid.UUID) -> Workout:
    workout = await session.get(Workout, workout_id)
    # Someone else's workout is indistinguishable from a missing one.
    if workout is None or workout.user_id != user_id:
        raise WorkoutNotFound(f"No workout {workout_id}")
    return workout


async def get_workout(
    session: AsyncSession, user_id: uuid.UUID, workout_id: uuid.UUID
) -> WorkoutOut:
    workout = await _owned(session, user_id, workout_id)
    return await workout_out(session, workout)


async def workout_out(session: AsyncSession, workout: Workout) -> WorkoutOut:
    rows = (
        await session.execute(
            sa.select(WorkoutSet, col(Exercise.name))
            .join(Exercise, col(Exercise.id) == col(WorkoutSet.exercise_id))
            .where(col(WorkoutSet.workout_id) == workout.id)
            .order_by(col(WorkoutSet.position), col(WorkoutSet.set_number))
        )
    ).all()
    return build_out(workout, [s for s, _ in rows], {s.exercise_id: n for s, n in rows})


def build_out(
    workout: AnyWorkout, sets_in: Sequence[Any], names: dict[uuid.UUID, str]
) -> WorkoutOut:
    """The answer for a workout from its sets (rows or plain objects with the same fields),
    in workout order."""
    return build_out_rows(
        workout, [{c: getattr(s, c) for c in _SET_FIELDS} for s in sets_in], names
    )


# What the answer reads of a set.
_SET_FIELDS = (
    "id",
    "exercise_id",
    "position",
    "set_number",
    "reps",
    "weight_kg",
    "rpe",
    "rir",
    "duration_s",
    "distance_m",
    "is_warmup",
    "is_hard",
    "volume_kg",
    "e1rm_kg",
    "pr_e1rm",
    "pr_reps",
    "pr_volume",
)


def _best_key(s: dict[str, Any]) -> tuple[float, float, int, int]:
    return (s["e1rm_kg"] or 0.0, s["weight_kg"] or 0.0, s["reps"] or 0, -s["set_number"])


def build_out_rows(
    workout: AnyWorkout, sets_in: Sequence[dict[str, Any]], names: dict[uuid.UUID, str]
) -> WorkoutOut:
    """`build_out` from set rows as mappings (a new workout's, as written). The answer is
    put together as plain data and validated once, as a whole: building its models one by
    one cost more CPU than the figures of the workout."""
    blocks: dict[int, list[dict[str, Any]]] = {}
    for s in sorted(sets_in, key=lambda s: (s["position"], s["set_number"])):
        block = blocks.get(s["position"])
        if block is None:
            blocks[s["position"]] = block = []
        block.append(s)
    exercises = [
        _exercise_out(sets[0]["exercise_id"], names, sets, [_set_out(s) for s in sets])
        for _, sets in sorted(blocks.items())
    ]
    return _workout_out(workout, exercises)


def _exercise_out(
    exercise_id: uuid.UUID,
    names: dict[uuid.UUID, str],
    sets: Sequence[dict[str, Any]],
    sets_out: list[dict[str, Any]],
) -> dict[str, Any]:
    """An exercise entry of the answer: `sets` (with volume_kg, is_warmup and what
    `_best_key` reads) and the same sets as answered."""
    best = max((s for s in sets if not s["is_warmup"]), key=_best_key, default=None)
    return {
        "exercise_id": exercise_id,
        "name": names[exercise_id],
        "volume_kg": round(sum(s["volume_kg"] for s in sets), 2),
        "best_set": (
            {
                "set_number": best["set_number"],
                "reps": best["reps"],
                "weight_kg": best["weight_kg"],
                "e1rm_kg": best["e1rm_kg"],
            }
            if best is not None
            else None
        ),
        "e1rm_kg": best["e1rm_kg"] if best is not None else None,
        "sets": sets_out,
    }


def _workout_out(workout: AnyWorkout, exercises: list[dict[str, Any]]) -> WorkoutOut:
    return WorkoutOut.model_validate(_workout_doc(workout, exercises))


def _workout_doc(workout: AnyWorkout, exercises: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer as plain data, its keys in `WorkoutOut`'s order."""
    return {
        "id": workout.id,
        "date": workout.date,
        "started_at": workout.started_at,
        "duration_min": workout.duration_min,
        "duration_estimated": workout.duration_estimated,
        "title": workout.title,
        "notes": workout.notes,
        "total_volume_kg": workout.total_volume_kg,
        "working_sets": workout.working_sets,
        "pr_count": workout.pr_count,
        "kcal": workout.kcal,
        "met": workout.met,
        "kcal_formula": KCAL_FORMULA,
        "e1rm_formula": figures.E1RM_FORMULA,
        "activity_id": workout.activity_id,
        "exercises": exercises,
        "created_at": workout.created_at,
        "updated_at": workout.updated_at,
    }


def _set_out(s: dict[str, Any]) -> dict[str, Any]:
    prs = []
    if s["pr_e1rm"]:
        prs.append("e1rm")
    if s["pr_reps"]:
        prs.append("reps_at_weight")
    if s["pr_volume"]:
        prs.append("volume")
    return {
        "id": s["id"],
        "set_number": s["set_number"],
        "reps": s["reps"],
        "weight_kg": s["weight_kg"],
        "rpe": s["rpe"],
        "rir": s["rir"],
        "duration_s": s["duration_s"],
        "distance_m": s["distance_m"],
        "is_warmup": s["is_warmup"],
        "is_hard": s["is_hard"],
        "volume_kg": s["volume_kg"],
        "e1rm_kg": s["e1rm_kg"],
        "prs": prs,
    }


async def list_workouts(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
    offset: int,
) -> tuple[list[Workout], int]:
    order = [
        col(Workout.date).desc(),
        sa.func.coalesce(col(Workout.started_at), col(Workout.created_at)).desc(),
        col(Workout.id).desc(),
    ]
    conds = owned_in_range(Workout, user_id, start, end)
    return await fetch_page(session, Workout, conds, order, limit, offset)


async def update_workout(
    session: AsyncSession, user_id: uuid.UUID, tz: str, workout_id: uuid.UUID, patch: WorkoutPatch
) -> WorkoutOut:
    workout = await _owned(session, user_id, workout_id)
    sent = patch.model_fields_set
    if "date" in sent or "started_at" in sent:
        day, started_at = resolve_local_day(
            tz,
            patch.date if "date" in sent else None,
            patch.started_at if "started_at" in sent else None,
            instant_name="started_at",
            error=InvalidWorkoutDate,
        )
        workout.date, workout.started_at = day, started_at
    for field in ("title", "notes"):
        if field in sent:
            setattr(workout, field, getattr(patch, field))
    entries = patch.exercises
    if entries is not None:
        await _check_exercises(session, user_id, entries)
    else:
        entries = await _entries_of(session, workout.id)
    if "duration_min" in sent or entries is not None:
        given = (
            patch.duration_min
            if "duration_min" in sent
            else (None if workout.duration_estimated else workout.duration_min)
        )
        workout.duration_min, workout.duration_estimated = _duration(given, entries)
    workout.kcal, workout.met = await _energy(session, user_id, workout.duration_min)
    bests = await _bests(
        session, user_id, {e.exercise_id for e in entries}, workout.date, workout.id
    )
    rows = _rows_for(workout, entries, bests)
    _apply_totals(workout, rows)
    workout.activity_id = await activities_service.workout_activity(
        session,
        user_id,
        current_id=workout.activity_id,
        day=workout.date,
        started_at=workout.started_at,
        duration_min=workout.duration_min,
        kcal=workout.kcal,
        met_value=workout.met,
    )
    workout.updated_at = utcnow()
    await session.execute(sa.delete(WorkoutSet).where(col(WorkoutSet.workout_id) == workout.id))
    await _insert_sets(session, rows)
    session.add(workout)
    await commit_workout(session, workout)
    return await workout_out(session, workout)


async def _entries_of(session: AsyncSession, workout_id: uuid.UUID) -> list[ExerciseEntryIn]:
    """The stored sets back in request shape, so a PATCH without `exercises` recomputes the
    figures (a new date changes which history a PR is measured against)."""
    sets = await session.scalars(
        sa.select(WorkoutSet)
        .where(col(WorkoutSet.workout_id) == workout_id)
        .order_by(col(WorkoutSet.position), col(WorkoutSet.set_number))
    )
    grouped: dict[int, tuple[uuid.UUID, list[dict[str, Any]]]] = defaultdict(
        lambda: (uuid.UUID(int=0), [])
    )
    for s in sets:
        _, items = grouped[s.position]
        grouped[s.position] = (s.exercise_id, items)
        items.append(
            {
                "reps": s.reps,
                "weight_kg": s.weight_kg,
                "rpe": s.rpe,
                "rir": s.rir,
                "duration_s": s.duration_s,
                "distance_m": s.distance_m,
                "is_warmup": s.is_warmup,
            }
        )
    return [
        ExerciseEntryIn.model_validate({"exercise_id": ex_id, "sets": items})
        for _, (ex_id, items) in sorted(grouped.items())
    ]


async def delete_workout(session: AsyncSession, user_id: uuid.UUID, workout_id: uuid.UUID) -> None:
    workout = await _owned(session, user_id, workout_id)
    if workout.activity_id is not None:
        await activities_service.remove_workout_activity(session, workout.activity_id)
    await session.execute(sa.delete(WorkoutSet).where(col(WorkoutSet.workout_id) == workout_id))
    await session.delete(workout)
    await session.commit()
