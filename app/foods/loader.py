"""Loads the packaged USDA SR28 foods and household measures into the database, idempotently."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel, col

from app.foods.dataset import NUTRIENT_FIELDS, FoodRecord, load_usda_foods
from app.foods.models import Food, FoodPortion

log = logging.getLogger("nexfitra.foods")
_CHUNK = 1000


def _insert_ignoring_duplicates(conn: AsyncConnection, table: sa.Table) -> Any:
    # The one place the dialects differ: both spell "skip rows that already exist" their own way,
    # which makes concurrent loaders (several workers starting at once) safe.
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def _food_rows(foods: Iterable[FoodRecord]) -> list[dict[str, Any]]:
    return [
        {
            "id": f.id,
            "ndb_no": f.ndb_no,
            "owner_id": None,
            "name": f.name[:200],
            "food_group": f.group,
            **{k: f.nutrients.get(k) for k in NUTRIENT_FIELDS},
        }
        for f in foods
    ]


def _portion_rows(foods: Iterable[FoodRecord]) -> list[dict[str, Any]]:
    return [
        {"food_id": f.id, "seq": p.seq, "amount": p.amount, "unit": p.unit[:120], "grams": p.grams}
        for f in foods
        for p in f.portions
    ]


async def _insert(
    conn: AsyncConnection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> None:
    stmt = _insert_ignoring_duplicates(conn, table)
    for i in range(0, len(rows), _CHUNK):
        chunk = list(rows[i : i + _CHUNK])
        await conn.execute(stmt, chunk)
        if progress is not None:
            progress(len(chunk))


def _table(model: type[SQLModel]) -> sa.Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


async def usda_food_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        n = await conn.scalar(
            sa.select(sa.func.count()).select_from(Food).where(col(Food.ndb_no).is_not(None))
        )
    return int(n or 0)


async def load_usda(
    engine: AsyncEngine,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Inserts every packaged food and measure that is not there yet, in one transaction.
    Answers (foods, portions) in the dataset. `progress(done, total)` follows the rows."""
    foods = load_usda_foods()
    if not force and await usda_food_count(engine) >= len(foods):
        return len(foods), sum(len(f.portions) for f in foods)
    food_rows, portion_rows = _food_rows(foods), _portion_rows(foods)
    total, done = len(food_rows) + len(portion_rows), 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    async with engine.begin() as conn:
        await _insert(conn, _table(Food), food_rows, step)
        await _insert(conn, _table(FoodPortion), portion_rows, step)
    log.info("loaded %d USDA foods and %d portions", len(food_rows), len(portion_rows))
    return len(food_rows), len(portion_rows)


async def load_foods_cli() -> int:
    from rich.progress import Progress

    from app.core.config import get_settings
    from app.core.db import create_engine

    engine = create_engine(get_settings())
    try:
        with Progress(transient=True) as bar:
            task = bar.add_task("Loading USDA SR28 foods and measures", total=None)
            foods, portions = await load_usda(
                engine,
                force=True,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        print(f"USDA SR28: {foods} foods and {portions} household measures present")
    finally:
        await engine.dispose()
    return 0
