"""Loads the packaged USDA foods (SR28 and FNDDS) and their portions into the database,
idempotently, and tops up databases loaded by earlier versions (SR28 only, 16 nutrients)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel, col

from app.core.db import dialect_insert
from app.foods.dataset import (
    COLUMN_FIELDS,
    NUTRIENT_FIELDS,
    FoodRecord,
    load_fndds_foods,
    load_usda_foods,
)
from app.foods.models import Food, FoodPortion

log = logging.getLogger("nexfitra.foods")
_CHUNK = 1000
PACKAGED_SOURCES = ("sr28", "fndds")


def nutrient_json(nutrients: Any) -> dict[str, float]:
    """The JSON form of a nutrient set: known values only (a missing key means unknown)."""
    return {k: v for k in NUTRIENT_FIELDS if (v := nutrients.get(k)) is not None}


def _food_rows(foods: Iterable[FoodRecord]) -> list[dict[str, Any]]:
    return [
        {
            "id": f.id,
            "source": f.source,
            "code": f.code,
            "ndb_no": f.ndb_no,
            "owner_id": None,
            "name": f.name[:200],
            "food_group": f.group,
            "category_code": f.category_code,
            "additional": f.additional,
            "brand": None,
            "gtin": None,
            "nutrients": nutrient_json(f.nutrients),
            **{k: f.nutrients.get(k) for k in COLUMN_FIELDS},
        }
        for f in foods
    ]


def _portion_rows(foods: Iterable[FoodRecord]) -> list[dict[str, Any]]:
    rows = []
    for f in foods:
        seen: set[int] = set()
        for p in f.portions:
            # FNDDS repeats a seq number within four foods; the table's key needs one each.
            seq = p.seq if p.seq not in seen else max(seen) + 1
            seen.add(seq)
            rows.append(
                {
                    "food_id": f.id,
                    "seq": seq,
                    "amount": p.amount,
                    "unit": p.unit[:120],
                    "grams": p.grams,
                    "description": (p.description or f"{p.amount:g} {p.unit}")[:200],
                }
            )
    return rows


async def _insert(
    conn: AsyncConnection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> None:
    stmt = dialect_insert(conn)(table).on_conflict_do_nothing()
    for i in range(0, len(rows), _CHUNK):
        chunk = list(rows[i : i + _CHUNK])
        await conn.execute(stmt, chunk)
        if progress is not None:
            progress(len(chunk))


def _table(model: type[SQLModel]) -> sa.Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


async def packaged_counts(engine: AsyncEngine) -> dict[str, tuple[int, int]]:
    """Per packaged source: (foods present, foods that have their full nutrient set)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(col(Food.source), sa.func.count(), sa.func.count(col(Food.nutrients)))
            .where(col(Food.source).in_(PACKAGED_SOURCES))
            .group_by(col(Food.source))
        )
        return {str(s): (int(n), int(full)) for s, n, full in rows}


async def usda_food_count(engine: AsyncEngine) -> int:
    return sum(n for n, _ in (await packaged_counts(engine)).values())


async def _fill_nutrients(conn: AsyncConnection, foods: Sequence[FoodRecord]) -> int:
    """Gives rows loaded before the full nutrient set (and portion descriptions) their values."""
    missing = set(
        await conn.scalars(
            sa.select(col(Food.id)).where(
                col(Food.source).in_(PACKAGED_SOURCES), col(Food.nutrients).is_(None)
            )
        )
    )
    todo = [f for f in foods if f.id in missing]
    table = _table(Food)
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values(nutrients=sa.bindparam("b_nutrients"))
    )
    rows = [{"b_id": f.id, "b_nutrients": nutrient_json(f.nutrients)} for f in todo]
    for i in range(0, len(rows), _CHUNK):
        await conn.execute(stmt, rows[i : i + _CHUNK])
    ptable = _table(FoodPortion)
    pstmt = (
        sa.update(ptable)
        .where(ptable.c.food_id == sa.bindparam("b_id"), ptable.c.seq == sa.bindparam("b_seq"))
        .values(description=sa.bindparam("b_description"))
    )
    prow = [
        {"b_id": r["food_id"], "b_seq": r["seq"], "b_description": r["description"]}
        for r in _portion_rows(todo)
    ]
    for i in range(0, len(prow), _CHUNK):
        await conn.execute(pstmt, prow[i : i + _CHUNK])
    return len(todo)


async def load_usda(
    engine: AsyncEngine,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, tuple[int, int]]:
    """Inserts every packaged food and portion that is not there yet and fills in the full
    nutrients of rows an earlier version loaded, in one transaction. A loaded database costs
    one small query. Answers {source: (foods, portions)} in the packaged data;
    `progress(done, total)` follows the rows inserted or checked."""
    # Off the event loop: reading the packs takes a fraction of a second of CPU.
    packs = await asyncio.to_thread(
        lambda: {"sr28": load_usda_foods(), "fndds": load_fndds_foods()}
    )
    counts = {} if force else await packaged_counts(engine)
    todo = {
        source: foods
        for source, foods in packs.items()
        if force or counts.get(source, (0, 0)) != (len(foods), len(foods))
    }
    rows = {s: (_food_rows(f), _portion_rows(f)) for s, f in todo.items()}
    total = sum(len(a) + len(b) for a, b in rows.values())
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    if todo:
        async with engine.begin() as conn:
            for source, foods in todo.items():
                present, full = counts.get(source, (0, 0))
                if force or present < len(foods):
                    await _insert(conn, _table(Food), rows[source][0], step)
                    await _insert(conn, _table(FoodPortion), rows[source][1], step)
                filled = await _fill_nutrients(conn, foods) if force or full < present else 0
                log.info(
                    "USDA %s: %d foods present, %d inserted or checked, %d given full nutrients",
                    source,
                    present,
                    len(foods),
                    filled,
                )
    return {source: (len(f), sum(len(x.portions) for x in f)) for source, f in packs.items()}


async def load_foods_cli() -> int:
    from rich.progress import Progress

    from app.core.config import get_settings
    from app.core.db import create_engine

    engine = create_engine(get_settings())
    try:
        with Progress(transient=True) as bar:
            task = bar.add_task("Loading the USDA foods (FNDDS and SR28)", total=None)
            loaded = await load_usda(
                engine,
                force=True,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        for source, (foods, portions) in loaded.items():
            print(f"USDA {source.upper()}: {foods} foods and {portions} portions present")
    finally:
        await engine.dispose()
    return 0
