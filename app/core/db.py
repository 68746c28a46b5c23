"""Async engine and sessions for PostgreSQL (asyncpg) and SQLite (aiosqlite) from one code base."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.base import Executable

from app.core.config import Settings


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run while a writer commits; foreign keys are off by default in SQLite;
    # busy_timeout makes concurrent writers wait instead of failing with "database is locked".
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    kwargs: dict[str, Any] = {"echo": settings.db_echo}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.update(
        # A fixed pool, no overflow: the pool closes an overflow connection as soon as it is
        # returned, so under steady load past the pool size it opened and closed a connection
        # (a backend fork, an SSL probe and authentication) every few requests.
        pool_size=settings.db_pool_size,
        max_overflow=0,
        # No pre-ping: it costs a round trip on every checkout. Recycling bounds connection age,
        # and a connection that died is discarded by the pool when its error surfaces.
        pool_recycle=1800,
    )
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def session_scope(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session per request; anything not committed is rolled back when it closes."""
    async with maker() as session:
        yield session


async def execute_single(engine: AsyncEngine, statement: Executable, params: dict[str, Any]) -> int:
    """Runs one statement in autocommit mode: no BEGIN and no COMMIT from the driver.

    The database still runs a lone statement in a transaction of its own, so it is all or
    nothing (a multi-row INSERT, every trigger and constraint check included), but it costs one
    round trip instead of three. Only for work that is a single statement: anything that must
    commit together with another statement needs a real transaction (a session).
    Answers the number of rows the statement affected.
    """
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        result = await conn.execute(statement, params)
        return int(getattr(result, "rowcount", -1))


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))


def dialect_insert(bind: AsyncSession | AsyncConnection | AsyncEngine) -> Any:
    """`insert` of the bind's dialect, for ON CONFLICT: both dialects spell it, each its own way."""
    name = bind.get_bind().dialect.name if isinstance(bind, AsyncSession) else bind.dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert
