"""The migration tree upgrades from nothing, downgrades to nothing and upgrades again.

Plain sync tests: Alembic's env.py runs its own event loop with asyncio.run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.cli import migrate
from tests.conftest import BACKEND, TEST_DATABASE_URL

CORE_TABLES = {"users", "refresh_tokens", "goals", "foods", "food_portions", "log_entries"}
MIGRATIONS_DB = make_url(TEST_DATABASE_URL).database + "_migrations"


def inspect_database(url: str) -> tuple[set[str], str | None]:
    """Table names and the recorded Alembic revision (None when there is none)."""

    async def inspect() -> tuple[set[str], str | None]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
                version = None
                if "alembic_version" in names:
                    version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        finally:
            await engine.dispose()
        return set(names), version

    return asyncio.run(inspect())


async def _admin(sql: str) -> None:
    import asyncpg

    u = make_url(TEST_DATABASE_URL)
    conn = await asyncpg.connect(
        host=u.host,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database="postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def fresh_database_url(tmp_path: Path):
    if BACKEND == "embedded":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    drop = f'DROP DATABASE IF EXISTS "{MIGRATIONS_DB}" WITH (FORCE)'
    asyncio.run(_admin(drop))
    asyncio.run(_admin(f'CREATE DATABASE "{MIGRATIONS_DB}"'))
    try:
        yield (
            make_url(TEST_DATABASE_URL)
            .set(database=MIGRATIONS_DB)
            .render_as_string(hide_password=False)
        )
    finally:
        asyncio.run(_admin(drop))


def test_upgrade_downgrade_upgrade(fresh_database_url):
    url = fresh_database_url
    assert inspect_database(url) == (set(), None)
    model_tables = set(SQLModel.metadata.tables)
    assert model_tables >= CORE_TABLES

    migrate("head", url)
    tables, head = inspect_database(url)
    # The migrations build exactly the tables the models declare.
    assert tables == model_tables | {"alembic_version"}
    assert head is not None

    migrate("base", url, down=True)
    assert inspect_database(url) == ({"alembic_version"}, None)

    migrate("head", url)
    assert inspect_database(url) == (tables, head)


def test_migrations_build_what_the_models_declare(fresh_database_url):
    """Columns, types, indexes and constraints, not just table names: a model change without a
    migration (or the reverse) fails here on the dialect where it differs."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = fresh_database_url
    migrate("head", url)

    async def diff() -> list[object]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: compare_metadata(
                        MigrationContext.configure(c, opts={"compare_type": True}),
                        SQLModel.metadata,
                    )
                )
        finally:
            await engine.dispose()

    assert asyncio.run(diff()) == []
