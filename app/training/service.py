"""Exercise catalogue: search, private and shared exercises."""

from __future__ import annotations

import re
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


# How readily a name is what someone means when the words said fit several equally: people
# say "squat", "deadlift" or "curl" for the everyday barbell lift, not the strongman or band
# variant. Only orders names that match the query equally well; the words decide first.
_CATEGORY_PRIOR = {"strength": 3.0, "powerlifting": 2.0, "cardio": 2.0}
_EQUIPMENT_PRIOR = {
    "barbell": 3.0,
    "dumbbell": 2.0,
    "body only": 2.0,
    "cable": 1.0,
    "machine": 1.0,
    "e-z curl bar": 1.0,
}
_LEVEL_PRIOR = {"beginner": 1.0, "intermediate": 0.5}
# The user's own exercise first: they named it, and it is what they are looking for.
_PRIVATE_PRIOR = 100.0
# A typed word counts as a name's word from this rapidfuzz ratio on ("sqaut" = "squat": 80).
_WORD_MATCH = 80.0
_QUALIFIER = re.compile(r" - |,|\(")
# Words that join others and say nothing of the exercise.
_GLUE = frozenset({"with", "on", "the", "and", "of", "to", "a", "in"})
# A qualifier left unsaid ("- Medium Grip", "(Clean Grip)") costs less than a word of the
# name itself, whatever its length: it is one detail of the same exercise.
_QUALIFIER_COST = 0.75
# A point of commonness weighs a quarter of an unsaid word: at most about two words.
_PRIOR_WEIGHT = 0.25


def commonness(category: str | None, equipment: str | None, level: str | None) -> float:
    return (
        _CATEGORY_PRIOR.get(category or "", 0.0)
        + _EQUIPMENT_PRIOR.get(equipment or "", 0.0)
        + _LEVEL_PRIOR.get(level or "", 0.0)
    )


def _words(text: str, vocabulary: set[str] | None = None) -> list[str]:
    """Lower-case words with hyphens closed up ("Pull-Up" is "pullup"); with `vocabulary`,
    two adjacent words that are one word of it are joined ("pull up") and a plural whose
    singular is one of its words is made singular ("Pullups", "squats")."""
    words = [w for w in utils.default_process(text.replace("-", "")).split() if w not in _GLUE]
    if vocabulary is None:
        return words
    joined: list[str] = []
    for w in words:
        if joined and joined[-1] + w in vocabulary:
            joined[-1] += w
        else:
            joined.append(w[:-1] if w.endswith("s") and w[:-1] in vocabulary else w)
    return joined


def _said(word: str, words: list[str]) -> bool:
    return any(w == word or (len(word) > 3 and fuzz.ratio(w, word) >= _WORD_MATCH) for w in words)


def rank_names(
    query: str, names: dict[uuid.UUID, tuple[str, float]]
) -> list[tuple[uuid.UUID, float]]:
    """Ids whose name (with its commonness) matches `query` despite typos, best first, with
    their WRatio score. WRatio (rapidfuzz) decides what matches at all. The order is then: the
    most typed words found in the name; the fewest of the name's words left unsaid, less the
    commonness (a qualifier after " - ", "," or "(" counts as less than one word: "Barbell
    Bench Press - Medium Grip" is first a barbell bench press); the best WRatio; the name."""
    hits = process.extract(
        query,
        {key: name for key, (name, _) in names.items()},
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=None,
        score_cutoff=MATCH_CUTOFF,
    )
    vocabulary = {w for name, _, _ in hits for w in _words(name)}
    typed = _words(query, vocabulary)
    keyed = []
    for name, score, key in hits:
        head, *qualifier = _QUALIFIER.split(name, maxsplit=1)
        words = _words(name, vocabulary)
        found = sum(_said(t, words) for t in typed)
        unsaid = float(sum(not _said(w, typed) for w in _words(head, vocabulary)))
        if any(not _said(w, typed) for q in qualifier for w in _words(q, vocabulary)):
            unsaid += _QUALIFIER_COST
        cost = round(unsaid - _PRIOR_WEIGHT * names[key][1], 6)
        keyed.append((-found, cost, -score, name.lower(), key, score))
    keyed.sort()
    return [(k[4], round(k[5], 1)) for k in keyed]


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
    candidates = await session.execute(
        sa.select(
            col(Exercise.id),
            col(Exercise.name),
            col(Exercise.category),
            col(Exercise.equipment),
            col(Exercise.level),
            col(Exercise.owner_id),
        ).where(*conds)
    )
    names = {
        r.id: (
            r.name,
            _PRIVATE_PRIOR
            if r.owner_id is not None
            else commonness(r.category, r.equipment, r.level),
        )
        for r in candidates.all()
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
