"""Loads the packaged exercise catalogue into the database, idempotently.

Ids are uuid5 of the source id, so every database holds the same id for the same exercise and a
second loader (another worker starting at once) inserts nothing new."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col

from app.core.db import dialect_insert
from app.core.types import utcnow
from app.training.dataset import load_exercises
from app.training.models import Exercise, ExerciseMuscle

log = logging.getLogger("nexfitra.training")
_CHUNK = 500


def _table(model: type[SQLModel]) -> sa.Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


async def catalogue_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        n = await conn.scalar(
            sa.select(sa.func.count()).select_from(Exercise).where(col(Exercise.slug).is_not(None))
        )
    return int(n or 0)


async def load_catalogue(engine: AsyncEngine, *, force: bool = False) -> int:
    """Inserts every packaged exercise (and its muscle rows) not there yet, in one transaction.
    Answers the number of exercises in the catalogue."""
    records = load_exercises()
    if not force and await catalogue_count(engine) >= len(records):
        return len(records)
    now = utcnow()
    rows = [
        {
            "id": r.id,
            "slug": r.slug,
            "owner_id": None,
            "name": r.name[:120],
            "force": r.force,
            "level": r.level,
            "mechanic": r.mechanic,
            "equipment": r.equipment,
            "category": r.category,
            "primary_muscles": list(r.primary_muscles),
            "secondary_muscles": list(r.secondary_muscles),
            "instructions": list(r.instructions),
            "created_at": now,
        }
        for r in records
    ]
    muscles = [
        {"exercise_id": r.id, "muscle": m, "is_primary": primary}
        for r in records
        for primary, names in ((True, r.primary_muscles), (False, r.secondary_muscles))
        for m in names
    ]
    async with engine.begin() as conn:
        stmt = dialect_insert(conn)(_table(Exercise)).on_conflict_do_nothing()
        for i in range(0, len(rows), _CHUNK):
            await conn.execute(stmt, rows[i : i + _CHUNK])
        stmt = dialect_insert(conn)(_table(ExerciseMuscle)).on_conflict_do_nothing()
        for i in range(0, len(muscles), _CHUNK):
            await conn.execute(stmt, muscles[i : i + _CHUNK])
    log.info("loaded %d exercises", len(rows))
    return len(rows)
