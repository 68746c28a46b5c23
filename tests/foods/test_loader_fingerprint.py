"""The start-up food load skips the packs' parse only when their recorded fingerprint says so.

Each test runs against a database of its own (a SQLite file, or a PostgreSQL database next to
the test database), migrated from nothing, so emptying or breaking its foods touches no other
test: an empty database loads, a loaded one is left alone without parsing the packs, a changed
pack or missing rows load again, and a load that fails halfway records nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from app.cli import migrate
from app.core.config import Settings
from app.core.db import create_engine
from app.foods import loader
from app.foods.dataset import load_fndds_foods, load_usda_foods
from tests.conftest import BACKEND, TEST_DATABASE_URL

FOODS = SQLModel.metadata.tables["foods"]
PORTIONS = SQLModel.metadata.tables["food_portions"]
LOADER_DB = make_url(TEST_DATABASE_URL).database + "_loader"
SR28, FNDDS = len(load_usda_foods()), len(load_fndds_foods())
SR28_PORTIONS = sum(len(f.portions) for f in load_usda_foods())
FNDDS_PORTIONS = sum(len(f.portions) for f in load_fndds_foods())


async def _admin(sql: str) -> None:
    import asyncpg

    u = make_url(TEST_DATABASE_URL)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database="postgres"
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if BACKEND == "embedded":
        url = f"sqlite+aiosqlite:///{tmp_path / 'loader.db'}"
    else:
        await _admin(f'DROP DATABASE IF EXISTS "{LOADER_DB}" WITH (FORCE)')
        await _admin(f'CREATE DATABASE "{LOADER_DB}"')
        url = make_url(TEST_DATABASE_URL).set(database=LOADER_DB).render_as_string(False)
    await asyncio.to_thread(migrate, "head", url)
    eng = create_engine(Settings(database_url=url, redis_url=None))
    try:
        yield eng
    finally:
        await eng.dispose()
        if BACKEND == "server":
            await _admin(f'DROP DATABASE IF EXISTS "{LOADER_DB}" WITH (FORCE)')


async def _fingerprints(engine: AsyncEngine) -> dict[str, tuple[str, int, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT name, fingerprint, row_count, child_count FROM data_fingerprints")
        )
        return {str(n): (str(f), int(r), int(c)) for n, f, r, c in rows}


async def _portion_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.text("SELECT count(*) FROM food_portions")) or 0)


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes parsing the packs fail: a load that needs no parse passes anyway."""

    def refuse() -> Any:
        raise AssertionError("the packs were parsed")

    monkeypatch.setattr(loader, "load_usda_foods", refuse)
    monkeypatch.setattr(loader, "load_fndds_foods", refuse)


def _written(calls: list[tuple[int, int]]) -> int:
    return calls[-1][0] if calls else 0


async def test_an_empty_database_loads_and_a_loaded_one_is_not_parsed_again(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []
    loaded = await loader.load_usda(engine, progress=lambda d, t: calls.append((d, t)))
    assert loaded == {"sr28": (SR28, SR28_PORTIONS), "fndds": (FNDDS, FNDDS_PORTIONS)}
    assert _written(calls) == SR28 + SR28_PORTIONS + FNDDS + FNDDS_PORTIONS
    assert await loader.packaged_counts(engine) == {"sr28": (SR28, SR28), "fndds": (FNDDS, FNDDS)}
    assert await _portion_count(engine) == SR28_PORTIONS + FNDDS_PORTIONS
    prints = loader.packaged_fingerprints()
    assert await _fingerprints(engine) == {
        "foods:sr28": (prints["sr28"], SR28, SR28_PORTIONS),
        "foods:fndds": (prints["fndds"], FNDDS, FNDDS_PORTIONS),
    }

    # The next start: same packs, every row there. Nothing parsed, nothing written.
    _no_parse(monkeypatch)
    calls.clear()
    again = await loader.load_usda(engine, progress=lambda d, t: calls.append((d, t)))
    assert again == loaded
    assert calls == []


async def test_a_changed_pack_or_missing_rows_load_again(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await loader.load_usda(engine)
    fndds_food = load_fndds_foods()[0]
    sr28_food = load_usda_foods()[0]
    async with engine.begin() as conn:
        # Rows as an older pack wrote them: another name, a portion gone.
        await conn.execute(
            sa.update(FOODS).where(FOODS.c.id == fndds_food.id).values(name="stale", kcal=-1)
        )
        await conn.execute(sa.delete(PORTIONS).where(PORTIONS.c.food_id == fndds_food.id))
    # A newer FNDDS pack (another fingerprint); SR28 unchanged.
    real = loader.packaged_fingerprints()
    monkeypatch.setattr(loader, "packaged_fingerprints", lambda: {**real, "fndds": "0" * 64})
    calls: list[tuple[int, int]] = []
    await loader.load_usda(engine, progress=lambda d, t: calls.append((d, t)))
    # Only FNDDS was written, and its rows are the pack's again.
    assert _written(calls) == FNDDS + FNDDS_PORTIONS
    async with engine.connect() as conn:
        name, kcal = (
            await conn.execute(
                sa.select(FOODS.c.name, FOODS.c.kcal).where(FOODS.c.id == fndds_food.id)
            )
        ).one()
    assert (name, kcal) == (fndds_food.name, fndds_food.nutrients["kcal"])
    assert await _portion_count(engine) == SR28_PORTIONS + FNDDS_PORTIONS
    assert (await _fingerprints(engine))["foods:fndds"][0] == "0" * 64
    monkeypatch.undo()

    # The pack back as it was: FNDDS is written once more (its recorded fingerprint differs).
    calls.clear()
    await loader.load_usda(engine, progress=lambda d, t: calls.append((d, t)))
    assert _written(calls) == FNDDS + FNDDS_PORTIONS
    assert (await _fingerprints(engine))["foods:fndds"][0] == real["fndds"]

    # Foods deleted behind the loader's back: the fingerprint alone does not make them loaded.
    async with engine.begin() as conn:
        await conn.execute(sa.delete(FOODS).where(FOODS.c.id == sr28_food.id))
    calls.clear()
    await loader.load_usda(engine, progress=lambda d, t: calls.append((d, t)))
    assert _written(calls) == SR28 + SR28_PORTIONS
    assert await loader.packaged_counts(engine) == {"sr28": (SR28, SR28), "fndds": (FNDDS, FNDDS)}


async def test_a_load_that_fails_halfway_records_nothing(engine: AsyncEngine) -> None:
    class Crash(Exception):
        pass

    def crash_halfway(done: int, total: int) -> None:
        if done > total // 2:
            raise Crash

    with pytest.raises(Crash):
        await loader.load_usda(engine, progress=crash_halfway)
    # The transaction is gone whole: no rows, no fingerprint saying they are there.
    assert await loader.packaged_counts(engine) == {}
    assert await _fingerprints(engine) == {}
    # The next start loads everything.
    loaded = await loader.load_usda(engine)
    assert loaded == {"sr28": (SR28, SR28_PORTIONS), "fndds": (FNDDS, FNDDS_PORTIONS)}
    assert await loader.packaged_counts(engine) == {"sr28": (SR28, SR28), "fndds": (FNDDS, FNDDS)}
    assert set(await _fingerprints(engine)) == {"foods:sr28", "foods:fndds"}


async def test_a_database_loaded_before_fingerprints_is_brought_up_to_date(
    engine: AsyncEngine,
) -> None:
    """A database loaded by the previous version: every food there, no fingerprint. It is
    written once (bringing its rows up to date) and recorded; the start after that is cheap."""
    await loader.load_usda(engine)
    async with engine.begin() as conn:
        await conn.execute(sa.text("DELETE FROM data_fingerprints"))
    calls: list[tuple[int, int]] = []
    await loader.load_usda(engine, progress=lambda d, t: calls.append((d, t)))
    assert _written(calls) == SR28 + SR28_PORTIONS + FNDDS + FNDDS_PORTIONS
    assert set(await _fingerprints(engine)) == {"foods:sr28", "foods:fndds"}
    calls.clear()
    await loader.load_usda(engine, progress=lambda d, t: calls.append((d, t)))
    assert calls == []
