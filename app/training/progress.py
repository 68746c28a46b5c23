"""Progress: per-exercise history, period stats (SQL aggregation) and body measurements."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.errors import NotFound, Unprocessable
from app.core.paging import fetch_page, owned_in_range
from app.core.types import utcnow
from app.training import figures
from app.training.models import BodyMeasurement, Exercise, ExerciseMuscle, Workout, WorkoutSet
from app.training.schemas import (
    BestSet,
    ExerciseHistory,
    HistorySession,
    MeasurementIn,
    MeasurementOut,
    MuscleWeek,
    PrOut,
    WorkoutStats,
)
from app.training.service import get_exercise
from app.users.models import UserProfile

MAX_RANGE_DAYS = 366
MAX_PRS_LISTED = 200
HARD_SET_RULE = (
    "a working set (not a warm-up) with RIR ≤ 4 or RPE ≥ 6, or unrated; each counts 1 for "
    "its exercise's primary muscles and 0.5 for its secondary ones"
)


class MeasurementNotFound(NotFound):
    code, title = "measurement-not-found", "Measurement not found"


def check_range(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise Unprocessable(f"start ({start}) is after end ({end})")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise Unprocessable(f"the range may span at most {MAX_RANGE_DAYS} days")


async def exercise_history(
    session: AsyncSession,
    user_id: uuid.UUID,
    exercise_id: uuid.UUID,
    *,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
    offset: int,
) -> ExerciseHistory:
    ex = await get_exercise(session, user_id, exercise_id)
    conds: list[Any] = [
        col(WorkoutSet.user_id) == user_id,
        col(WorkoutSet.exercise_id) == exercise_id,
        sa.not_(col(WorkoutSet.is_warmup)),
    ]
    if start is not None:
        conds.append(col(WorkoutSet.date) >= start)
    if end is not None:
        conds.append(col(WorkoutSet.date) <= end)
    # The session's best set is its first row by (e1RM, load, reps): a window function,
    # which both PostgreSQL and SQLite (3.25+) run in the same query as the totals.
    rank = (
        sa.func.row_number()
        .over(
            partition_by=col(WorkoutSet.workout_id),
            order_by=(
                sa.func.coalesce(col(WorkoutSet.e1rm_kg), 0).desc(),
                sa.func.coalesce(col(WorkoutSet.weight_kg), 0).desc(),
                sa.func.coalesce(col(WorkoutSet.reps), 0).desc(),
                col(WorkoutSet.set_number),
            ),
        )
        .label("rank")
    )
    per_set = (
        sa.select(
            col(WorkoutSet.workout_id),
            col(WorkoutSet.date),
            col(WorkoutSet.set_number),
            col(WorkoutSet.reps),
            col(WorkoutSet.weight_kg),
            col(WorkoutSet.e1rm_kg),
            sa.func.sum(col(WorkoutSet.volume_kg))
            .over(partition_by=col(WorkoutSet.workout_id))
            .label("volume"),
            sa.func.count().over(partition_by=col(WorkoutSet.workout_id)).label("sets"),
            sa.func.max(col(WorkoutSet.reps))
            .over(partition_by=col(WorkoutSet.workout_id))
            .label("max_reps"),
            rank,
        )
        .where(*conds)
        .subquery()
    )
    best = sa.select(per_set).where(per_set.c.rank == 1)
    total = await session.scalar(sa.select(sa.func.count()).select_from(best.subquery()))
    rows = await session.execute(
        best.order_by(per_set.c.date.desc(), per_set.c.workout_id.desc())
        .limit(limit)
        .offset(offset)
    )
    sessions = [
        HistorySession(
            date=r.date,
            workout_id=r.workout_id,
            best_set=BestSet(
                set_number=r.set_number, reps=r.reps, weight_kg=r.weight_kg, e1rm_kg=r.e1rm_kg
            ),
            e1rm_kg=r.e1rm_kg,
            volume_kg=round(float(r.volume or 0), 2),
            working_sets=int(r.sets),
            max_reps=r.max_reps,
        )
        for r in rows.all()
    ]
    return ExerciseHistory(
        exercise_id=ex.id,
        name=ex.name,
        e1rm_formula=figures.E1RM_FORMULA,
        sessions=sessions,
        total=int(total or 0),
        limit=limit,
        offset=offset,
    )


async def workout_stats(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> WorkoutStats:
    check_range(start, end)
    w_conds = [
        col(Workout.user_id) == user_id,
        col(Workout.date) >= start,
        col(Workout.date) <= end,
    ]
    totals = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(col(Workout.total_volume_kg)), 0.0),
                sa.func.coalesce(sa.func.sum(col(Workout.working_sets)), 0),
                sa.func.coalesce(sa.func.sum(col(Workout.duration_min)), 0.0),
                sa.func.coalesce(sa.func.sum(col(Workout.kcal)), 0.0),
            ).where(*w_conds)
        )
    ).one()
    s_conds = [
        col(WorkoutSet.user_id) == user_id,
        col(WorkoutSet.date) >= start,
        col(WorkoutSet.date) <= end,
    ]
    weight = sa.case((col(ExerciseMuscle.is_primary), 1.0), else_=0.5)
    muscle_rows = await session.execute(
        sa.select(
            col(WorkoutSet.week_start),
            col(ExerciseMuscle.muscle),
            sa.func.sum(weight).label("hard_sets"),
        )
        .join(ExerciseMuscle, col(ExerciseMuscle.exercise_id) == col(WorkoutSet.exercise_id))
        .where(*s_conds, col(WorkoutSet.is_hard))
        .group_by(col(WorkoutSet.week_start), col(ExerciseMuscle.muscle))
        .order_by(col(WorkoutSet.week_start), col(ExerciseMuscle.muscle))
    )
    pr_rows = await session.execute(
        sa.select(WorkoutSet, col(Exercise.name))
        .join(Exercise, col(Exercise.id) == col(WorkoutSet.exercise_id))
        .where(
            *s_conds,
            sa.or_(col(WorkoutSet.pr_e1rm), col(WorkoutSet.pr_reps), col(WorkoutSet.pr_volume)),
        )
        .order_by(col(WorkoutSet.date), col(WorkoutSet.position), col(WorkoutSet.set_number))
        .limit(MAX_PRS_LISTED)
    )
    prs = []
    for s, name in pr_rows.all():
        kinds: list[Any] = [
            k
            for k, flag in (
                ("e1rm", s.pr_e1rm),
                ("reps_at_weight", s.pr_reps),
                ("volume", s.pr_volume),
            )
            if flag
        ]
        prs.append(
            PrOut(
                date=s.date,
                workout_id=s.workout_id,
                exercise_id=s.exercise_id,
                exercise=name,
                reps=s.reps,
                weight_kg=s.weight_kg,
                e1rm_kg=s.e1rm_kg,
                volume_kg=s.volume_kg,
                prs=kinds,
            )
        )
    sessions, volume, sets, minutes, kcal = totals
    return WorkoutStats(
        start=start,
        end=end,
        sessions=int(sessions),
        total_volume_kg=round(float(volume), 2),
        working_sets=int(sets),
        duration_min=round(float(minutes), 1),
        kcal=round(float(kcal or 0.0), 1),
        hard_set_rule=HARD_SET_RULE,
        hard_sets_per_muscle_week=[
            MuscleWeek(week_start=r.week_start, muscle=r.muscle, hard_sets=float(r.hard_sets))
            for r in muscle_rows.all()
        ],
        prs=prs,
    )


# --- body measurements -----------------------------------------------------------------------

_GIRTHS = ("waist_cm", "hips_cm", "neck_cm", "chest_cm", "arm_cm", "thigh_cm", "body_fat_pct")


async def _sex_height(session: AsyncSession, user_id: uuid.UUID) -> tuple[str | None, float | None]:
    row = (
        await session.execute(
            sa.select(col(UserProfile.sex), col(UserProfile.height_cm)).where(
                col(UserProfile.user_id) == user_id
            )
        )
    ).first()
    return (row.sex, row.height_cm) if row is not None else (None, None)


def measurement_out(m: BodyMeasurement, sex: str | None, height_cm: float | None) -> MeasurementOut:
    navy = None
    if sex and height_cm and m.waist_cm and m.neck_cm:
        navy = figures.navy_body_fat_pct(sex, height_cm, m.waist_cm, m.neck_cm, m.hips_cm)
    return MeasurementOut(
        date=m.date,
        waist_cm=m.waist_cm,
        hips_cm=m.hips_cm,
        neck_cm=m.neck_cm,
        chest_cm=m.chest_cm,
        arm_cm=m.arm_cm,
        thigh_cm=m.thigh_cm,
        body_fat_pct=m.body_fat_pct,
        navy_body_fat_pct=navy,
        navy_formula=figures.NAVY_FORMULA,
        updated_at=m.updated_at,
    )


def _upsert(dialect: str) -> Any:
    table = BodyMeasurement.__table__  # type: ignore[attr-defined]
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


async def record_measurement(
    session: AsyncSession, user_id: uuid.UUID, day: dt.date, data: MeasurementIn
) -> MeasurementOut:
    """One row per day: a second write that day replaces the first (one upsert, so two
    concurrent writes cannot both insert)."""
    now = utcnow()
    values = {f: getattr(data, f) for f in _GIRTHS}
    stmt = _upsert(session.get_bind().dialect.name).values(
        id=uuid.uuid4(), user_id=user_id, date=day, created_at=now, updated_at=now, **values
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "date"], set_={**values, "updated_at": now}
    )
    await session.execute(stmt)
    await session.commit()
    m = await session.scalar(
        sa.select(BodyMeasurement).where(
            col(BodyMeasurement.user_id) == user_id, col(BodyMeasurement.date) == day
        )
    )
    assert m is not None
    sex, height = await _sex_height(session, user_id)
    return measurement_out(m, sex, height)


async def list_measurements(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
    offset: int,
) -> tuple[list[MeasurementOut], int]:
    conds = owned_in_range(BodyMeasurement, user_id, start, end)
    rows, total = await fetch_page(
        session, BodyMeasurement, conds, [col(BodyMeasurement.date).desc()], limit, offset
    )
    sex, height = await _sex_height(session, user_id)
    return [measurement_out(m, sex, height) for m in rows], total


async def delete_measurement(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> None:
    result = await session.execute(
        sa.delete(BodyMeasurement).where(
            col(BodyMeasurement.user_id) == user_id, col(BodyMeasurement.date) == day
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise MeasurementNotFound(f"No measurement on {day}")
    await session.commit()
