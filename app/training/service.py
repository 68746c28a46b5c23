"""Exercise catalogue: search, private and shared exercises."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz, process, utils
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.admin.audit import record
from app.auth.models import User
from app.core.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from app.training.models import Exercise, ExerciseMuscle, WorkoutSet
from app.training.schemas import (
    ExerciseIn,
    ExerciseOut,
    ExerciseSource,
    ExerciseSummary,
    SharedExerciseIn,
)

MAX_PRIVATE_EXERCISES = 200
# WRatio (0-100) below which a name is no match: keeps one-letter typos ("sqaut", "deadlfit")
# and drops names that merely share a few letters.
MATCH_CUTOFF = 70.0


class ExerciseNotFound(NotFound):
    code, title = "exercise-not-found", "Exercise not found"


class ExerciseInUse(Conflict):
    code, title = "exercise-in-use", "Exercise is used in logged workouts"


def visible(user_id: uuid.UUID) -> Any:
    """Catalogue and shared exercises, plus the user's own private ones."""
    return sa.or_(col(Exercise.owner_id).is_(None), col(Exercise.owner_id) == user_id)


def source_of(ex: Exercise) -> ExerciseSource:
    if ex.owner_id is not None:
        return "private"
    return "free_exercise_db" if ex.slug else "shared"


def summary(ex: Exercise, score: float | None = None) -> ExerciseSummary:
    return ExerciseSummary(
        id=ex.id,
        name=ex.name,
        source=source_of(ex),
        force=ex.force,
        level=ex.level,
        mechanic=ex.mechanic,
        equipment=ex.equipment,
        category=ex.category,
        primary_muscles=list(ex.primary_muscles),
        secondary_muscles=list(ex.secondary_muscles),
        score=score,
    )


def exercise_out(ex: Exercise) -> ExerciseOut:
    return ExerciseOut(**summary(ex).model_dump(), instructions=list(ex.instructions))


def _filters(
    user_id: uuid.UUID,
    muscle: str | None,
    equipment: str | None,
    level: str | None,
    category: str | None,
) -> list[Any]:
    conds: list[Any] = [visible(user_id)]
    if muscle is not None:
        conds.append(
            col(Exercise.id).in_(
                sa.select(col(ExerciseMuscle.exercise_id)).where(
                    col(ExerciseMuscle.muscle) == muscle, col(ExerciseMuscle.is_primary)
                )
            )
        )
    for column, value in (
        (Exercise.equipment, equipment),
        (Exercise.level, level),
        (Exercise.category, category),
    ):
        if value is not None:
            conds.append(col(column) == value)
    return conds


def rank_names(query: str, names: dict[uuid.UUID, str]) -> list[tuple[uuid.UUID, float]]:
    """Ids whose name matches `query` despite typos, best first. WRatio (rapidfuzz) scores
    whole-name, partial and token-order matches; ties go to the name closest as a whole, so
    "sqaut" ranks "Barbell Squat" above "Barbell Side Split Squat"."""
    hits = process.extract(
        query,
        names,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=None,
        score_cutoff=MATCH_CUTOFF,
    )
    q = utils.default_process(query)
    keyed = [
        (-score, -fuzz.ratio(q, utils.default_process(name)), name.lower(), key, score)
        for name, score, key in hits
    ]
    keyed.sort()
    return [(k[3], round(k[4], 1)) for k in keyed]


async def search_exercises(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    q: str | None,
    muscle: str | None,
    equipment: str | None,
    level: str | None,
    category: str | None,
    limit: int,
    offset: int,
) -> tuple[list[ExerciseSummary], int]:
    conds = _filters(user_id, muscle, equipment, level, category)
    if not q:
        total = await session.scalar(sa.select(sa.func.count()).select_from(Exercise).where(*conds))
        rows = await session.scalars(
            sa.select(Exercise)
            .where(*conds)
            .order_by(col(Exercise.name), col(Exercise.id))
            .limit(limit)
            .offset(offset)
        )
        return [summary(e) for e in rows], int(total or 0)
    # Names are scored in memory: the candidates are at most the catalogue (under a thousand)
    # plus the user's bounded private ones, a few milliseconds; SQL has no portable fuzzy match.
    names = {
        r.id: r.name
        for r in (
            await session.execute(sa.select(col(Exercise.id), col(Exercise.name)).where(*conds))
        ).all()
    }
    ranked = rank_names(q, names)
    page = ranked[offset : offset + limit]
    if not page:
        return [], len(ranked)
    rows = await session.scalars(
        sa.select(Exercise).where(col(Exercise.id).in_([i for i, _ in page]))
    )
    by_id = {e.id: e for e in rows}
    return [summary(by_id[i], s) for i, s in page if i in by_id], len(ranked)


async def get_exercise(
    session: AsyncSession, user_id: uuid.UUID, exercise_id: uuid.UUID
) -> Exercise:
    ex = await session.get(Exercise, exercise_id)
    # Someone else's private exercise is indistinguishable from a missing one.
    if ex is None or (ex.owner_id is not None and ex.owner_id != user_id):
        raise ExerciseNotFound(f"No exercise {exercise_id}")
    return ex


async def _operator(session: AsyncSession, user_id: uuid.UUID) -> User:
    """The caller, who must be an admin, for the shared-exercise writes of /api/v1/exercises."""
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthorized("Account no longer exists")
    if not user.is_admin:
        raise Forbidden("Only admins add, change or delete shared exercises")
    return user


def _muscle_rows(ex: Exercise) -> list[ExerciseMuscle]:
    return [
        ExerciseMuscle(exercise_id=ex.id, muscle=m, is_primary=True) for m in ex.primary_muscles
    ] + [
        ExerciseMuscle(exercise_id=ex.id, muscle=m, is_primary=False) for m in ex.secondary_muscles
    ]


async def add_exercise(
    session: AsyncSession, owner_id: uuid.UUID | None, data: SharedExerciseIn
) -> Exercise:
    """Adds an exercise (shared when `owner_id` is None) and flushes; the caller commits."""
    secondary: list[str] = [m for m in data.secondary_muscles if m not in data.primary_muscles]
    ex = Exercise(
        owner_id=owner_id,
        name=data.name,
        force=data.force,
        level=data.level,
        mechanic=data.mechanic,
        equipment=data.equipment,
        category=data.category,
        primary_muscles=list(data.primary_muscles),
        secondary_muscles=secondary,
        instructions=list(data.instructions),
    )
    session.add(ex)
    await session.flush()  # the exercise row must exist before its muscle rows reference it
    session.add_all(_muscle_rows(ex))
    await session.flush()
    return ex


async def create_exercise(session: AsyncSession, user_id: uuid.UUID, data: ExerciseIn) -> Exercise:
    if data.shared:
        # An admin adding a shared exercise here is an operator's action like those of
        # /api/v1/admin/exercises, and audited the same way, in the same transaction.
        actor = await _operator(session, user_id)
        ex = await add_exercise(session, None, data)
        record(session, actor, "exercise.create", "exercise", ex.id, {"name": ex.name})
        await session.commit()
        return ex
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(Exercise).where(col(Exercise.owner_id) == user_id)
    )
    if (count or 0) >= MAX_PRIVATE_EXERCISES:
        raise Unprocessable(f"A user can keep at most {MAX_PRIVATE_EXERCISES} private exercises")
    ex = await add_exercise(session, user_id, data)
    await session.commit()
    return ex


async def list_shared_exercises(
    session: AsyncSession, q: str | None, limit: int, offset: int
) -> tuple[list[Exercise], int]:
    """The exercises operators added (no owner, no catalogue slug), by name."""
    where: list[Any] = [col(Exercise.owner_id).is_(None), col(Exercise.slug).is_(None)]
    if q and q.strip():
        where.append(sa.func.lower(col(Exercise.name)).contains(q.strip().lower(), autoescape=True))
    total = await session.scalar(sa.select(sa.func.count()).select_from(Exercise).where(*where))
    rows = await session.scalars(
        sa.select(Exercise)
        .where(*where)
        .order_by(sa.func.lower(col(Exercise.name)), col(Exercise.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def get_shared_exercise(session: AsyncSession, exercise_id: uuid.UUID) -> Exercise:
    """A shared exercise; 403 for a catalogue one, 404 for a private one or none."""
    ex = await session.get(Exercise, exercise_id)
    if ex is not None and ex.owner_id is None and ex.slug is not None:
        raise Forbidden("Catalogue exercises (Free Exercise DB) cannot be changed or deleted")
    if ex is None or ex.owner_id is not None:
        raise ExerciseNotFound(f"No shared exercise {exercise_id}")
    return ex


async def update_shared_exercise(
    session: AsyncSession, exercise_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[Exercise, list[str]]:
    """Applies the fields sent to a shared exercise and flushes; answers it and the names of
    the fields sent. Logged sets point at the exercise, so they show the new name."""
    ex = await get_shared_exercise(session, exercise_id)
    sent = sorted(changes)
    for key, value in changes.items():
        setattr(ex, key, list(value) if isinstance(value, list) else value)
    ex.secondary_muscles = [m for m in ex.secondary_muscles if m not in ex.primary_muscles]
    session.add(ex)
    if {"primary_muscles", "secondary_muscles"} & changes.keys():
        await session.execute(
            sa.delete(ExerciseMuscle).where(col(ExerciseMuscle.exercise_id) == ex.id)
        )
        session.add_all(_muscle_rows(ex))
    await session.flush()
    return ex, sent


async def remove_shared_exercise(session: AsyncSession, exercise_id: uuid.UUID) -> Exercise:
    """Deletes a shared exercise no logged set uses (409 otherwise) and flushes."""
    ex = await get_shared_exercise(session, exercise_id)
    await _remove(session, ex)
    return ex


async def _remove(session: AsyncSession, ex: Exercise) -> None:
    await _check_unused(session, ex.id)
    await session.execute(sa.delete(ExerciseMuscle).where(col(ExerciseMuscle.exercise_id) == ex.id))
    await session.delete(ex)
    await session.flush()


async def delete_exercise(
    session: AsyncSession, user_id: uuid.UUID, exercise_id: uuid.UUID
) -> None:
    ex = await session.get(Exercise, exercise_id)
    if ex is None or (ex.owner_id is not None and ex.owner_id != user_id):
        raise ExerciseNotFound(f"No exercise {exercise_id}")
    if ex.owner_id is None:
        # Shared (or catalogue, 403): an operator's action, audited as on the admin route.
        actor = await _operator(session, user_id)
        await remove_shared_exercise(session, exercise_id)
        record(session, actor, "exercise.delete", "exercise", exercise_id, {"name": ex.name})
    else:
        await _remove(session, ex)
    await session.commit()


async def _check_unused(session: AsyncSession, exercise_id: uuid.UUID) -> None:
    """Logged sets keep their exercise: deleting it would rewrite history."""
    used = await session.scalar(
        sa.select(sa.func.count())
        .select_from(WorkoutSet)
        .where(col(WorkoutSet.exercise_id) == exercise_id)
    )
    if used:
        raise ExerciseInUse(f"{used} logged sets use this exercise; delete those workouts first")
