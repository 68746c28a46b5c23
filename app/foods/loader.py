"""Loads the packaged USDA foods (SR28 and FNDDS) and their portions into the database,
idempotently: a pack is written again only when its fingerprint (a hash of its file) differs
from the one recorded by its last load, or its rows are not all there."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel, col

from app.core.db import dialect_insert
from app.core.types import utcnow
from app.foods.dataset import (
    COLUMN_FIELDS,
    DATA_FILE,
    FNDDS_FILE,
    NUTRIENT_FIELDS,
    FoodRecord,
    load_fndds_foods,
    load_usda_foods,
)
from app.foods.models import DataFingerprint, Food, FoodPortion

log = logging.getLogger("nexfitra.foods")
_CHUNK = 1000
PACKAGED_SOURCES = ("sr28", "fndds")
PACKAGED_FILES = {"sr28": DATA_FILE, "fndds": FNDDS_FILE}
# Part of every fingerprint: bump it when the rows made from a pack change (_food_rows,
# _portion_rows), so that databases loaded by the older code are written again.
LOAD_FORMAT = 1
_KEY = "foods:"  # data_fingerprints.name prefix
# The columns a packaged food's row takes from its pack; an operator's own (gtin, brand,
# retired_at) are left as they are when a newer pack rewrites the row.
_FOOD_DATA = (
    "source",
    "code",
    "ndb_no",
    "name",
    "food_group",
    "category_code",
    "additional",
    "nutrients",
    *COLUMN_FIELDS,
)
_PORTION_DATA = ("amount", "unit", "grams", "description")


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


def packaged_fingerprints() -> dict[str, str]:
    """Per packaged source, a hash of its file's bytes and of how rows are made from it: equal
    fingerprints load equal rows. Hashing both files takes milliseconds; parsing them, a second."""
    out = {}
    for source, name in PACKAGED_FILES.items():
        h = hashlib.sha256(f"{LOAD_FORMAT}|{','.join(NUTRIENT_FIELDS)}|".encode())
        h.update(resources.files("app.foods").joinpath("data", name).read_bytes())
        out[source] = h.hexdigest()
    return out


async def recorded_fingerprints(engine: AsyncEngine) -> dict[str, tuple[str, int, int]]:
    """Per packaged source loaded: (fingerprint, foods, portions) recorded by its load."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(
                col(DataFingerprint.name),
                col(DataFingerprint.fingerprint),
                col(DataFingerprint.row_count),
                col(DataFingerprint.child_count),
            ).where(col(DataFingerprint.name).in_([_KEY + s for s in PACKAGED_SOURCES]))
        )
        return {str(n).removeprefix(_KEY): (str(f), int(r), int(c)) for n, f, r, c in rows}


def _upsert(
    conn: AsyncConnection, table: sa.Table, keys: Sequence[str], update: Sequence[str]
) -> Any:
    stmt = dialect_insert(conn)(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
    )


async def _write(
    conn: AsyncConnection,
    stmt: Any,
    rows: Sequence[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> None:
    for i in range(0, len(rows), _CHUNK):
        chunk = list(rows[i : i + _CHUNK])
        await conn.execute(stmt, chunk)
        if progress is not None:
            progress(len(chunk))


async def load_usda(
    engine: AsyncEngine,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, tuple[int, int]]:
    """Writes every packaged food and portion (inserting missing rows, bringing rows an earlier
    pack or version wrote up to date) for each source whose pack changed since it was loaded,
    or whose rows are not all there; `force` writes every source. Each load records the pack's
    fingerprint in the same transaction, so an interrupted load records nothing and the next
    start loads again. A loaded database costs two small queries and a hash of the packs, not
    their parse. Answers {source: (foods, portions)} in the packaged data; `progress(done,
    total)` follows the rows written."""
    prints = await asyncio.to_thread(packaged_fingerprints)
    recorded = {} if force else await recorded_fingerprints(engine)
    counts = {} if force else await packaged_counts(engine)
    loaded: dict[str, tuple[int, int]] = {}
    for source in PACKAGED_SOURCES:
        rec = recorded.get(source)
        if rec is None or rec[0] != prints[source]:
            continue  # never loaded, or loaded from another pack
        _, foods, portions = rec
        # Every food it wrote still there, each with its full nutrients (a guard against rows
        # deleted by hand; portions are not counted: that would cost a scan of 48,000 rows).
        if counts.get(source) == (foods, foods):
            loaded[source] = foods, portions
    if len(loaded) == len(PACKAGED_SOURCES):
        return loaded
    # Off the event loop: parsing the packs takes about a second of CPU.
    packs = await asyncio.to_thread(
        lambda: {"sr28": load_usda_foods(), "fndds": load_fndds_foods()}
    )
    todo = [s for s in PACKAGED_SOURCES if s not in loaded]
    rows = {s: (_food_rows(packs[s]), _portion_rows(packs[s])) for s in todo}
    total = sum(len(a) + len(b) for a, b in rows.values())
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    foods_t, portions_t, prints_t = _table(Food), _table(FoodPortion), _table(DataFingerprint)
    async with engine.begin() as conn:
        food_stmt = _upsert(conn, foods_t, ["id"], _FOOD_DATA)
        portion_stmt = _upsert(conn, portions_t, ["food_id", "seq"], _PORTION_DATA)
        print_stmt = _upsert(
            conn, prints_t, ["name"], ["fingerprint", "row_count", "child_count", "loaded_at"]
        )
        for source in todo:
            food_rows, portion_rows = rows[source]
            await _write(conn, food_stmt, food_rows, step)
            await _write(conn, portion_stmt, portion_rows, step)
            await conn.execute(
                print_stmt,
                {
                    "name": _KEY + source,
                    "fingerprint": prints[source],
                    "row_count": len(food_rows),
                    "child_count": len(portion_rows),
                    "loaded_at": utcnow(),
                },
            )
            present = counts.get(source, (0, 0))[0]
            log.info(
                "USDA %s: %d foods and %d portions written (%d foods were present)",
                source,
                len(food_rows),
                len(portion_rows),
                present,
            )
            loaded[source] = len(food_rows), len(portion_rows)
    return {s: loaded[s] for s in PACKAGED_SOURCES}


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
