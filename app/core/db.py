"""Async engine and sessions for PostgreSQL (asyncpg) and SQLite (aiosqlite) from one code base."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
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

from app.core.batching import TurnBatcher, fail
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
    engine = create_async_engine(url, **kwargs)
    _raw_write_sizes[engine.sync_engine] = settings.raw_write_connections
    return engine


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


class RawReads:
    """A few asyncpg connections beside SQLAlchemy's pool, for autocommit reads by key.

    Every cached per-user read first reads `users.cache_version` (see auth.service.cache_state).
    Through SQLAlchemy that one primary-key read cost 170 µs of CPU (a Connection object, the
    pool's checkout and checkin events, the reset on return, greenlet switches) around 35 µs of
    asyncpg work, more than the rest of a cached read. These connections run only single
    statements outside any transaction, so they need no reset between uses: a connection goes
    back to the idle list as it is, and one whose statement failed or was cancelled midway is
    closed instead, its state being unknown."""

    def __init__(self, engine: AsyncEngine, size: int) -> None:
        url = engine.url.set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._size = size
        self._idle: list[asyncpg.Connection] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._closed = False
        self._batchers: dict[str, KeyedReads] = {}

    async def _acquire(self) -> asyncpg.Connection:
        while True:
            if self._idle:
                return self._idle.pop()
            if self._open < self._size:
                self._open += 1
                try:
                    conn: asyncpg.Connection = await asyncpg.connect(self._dsn, timeout=10)
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
                return conn
            waiter: asyncio.Future[asyncpg.Connection | None] = (
                asyncio.get_running_loop().create_future()
            )
            self._waiters.append(waiter)
            try:
                handed = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    # Handed a connection or a free slot as we were cancelled: pass it on.
                    handed_over = waiter.result()
                    if handed_over is not None:
                        self._release(handed_over, True)
                    else:
                        self._wake()
                raise
            if handed is not None:
                return handed
            # None: a slot was freed (a connection closed); loop to open one

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _release(self, conn: asyncpg.Connection, reusable: bool) -> None:
        if not reusable or self._closed or conn.is_closed():
            self._open -= 1
            conn.terminate()
            self._wake()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        conn = await self._acquire()
        reusable = False
        try:
            rows: list[Any] = await conn.fetch(sql, *args)
            reusable = True
            return rows
        finally:
            self._release(conn, reusable)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for single statements outside any transaction. After an error (a
        statement the database refused, the caller's own) it is kept if it is open with no
        transaction; cancelled midway, its state is unknown and it is closed."""
        conn = await self._acquire()
        reusable = False
        try:
            yield conn
            reusable = True
        except Exception:
            reusable = not conn.is_closed() and not conn.is_in_transaction()
            raise
        finally:
            self._release(conn, reusable)

    def row_by_key(self, sql_many: str, key: Any) -> asyncio.Future[Any]:
        """The row `sql_many` answers for `key`, or None; see `KeyedReads`."""
        batcher = self._batchers.get(sql_many)
        if batcher is None:
            batcher = self._batchers[sql_many] = KeyedReads(self, sql_many)
        return batcher.get(key)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            self._open -= 1
            await conn.close(timeout=2)
        self._wake()


class KeyedReads(TurnBatcher[dict[Any, list[asyncio.Future[Any]]]]):
    """One-row reads by key that arrive together become one statement (`sql_many`, taking the
    array of keys as $1 and answering each found row with its key first).

    A cached read's version lookup is one primary-key read per request; under load, dozens of
    them wait for the same few connections at once, and each round trip cost this process about
    50 µs of asyncpg work (and the database as much again) for a 40-byte row. Here a read that
    finds no statement of its kind in flight on every connection is sent with whatever else
    arrived in the same turn of the event loop; the others queue and leave together when a
    statement returns, so batches grow with the load and a lone request waits for nothing
    more than its own round trip. Every read still starts after its request asked for it, so
    what it sees is as fresh as a read of its own."""

    def __init__(self, reads: RawReads, sql_many: str) -> None:
        # At most one statement per connection: the rest wait and go as the next batch.
        super().__init__(dict, reads._size)
        self._reads = reads
        self._sql = sql_many

    def get(self, key: Any) -> asyncio.Future[Any]:
        loop = self._queue()
        future: asyncio.Future[Any] = loop.create_future()
        waiting = self._pending.get(key)
        if waiting is None:
            self._pending[key] = [future]
        else:
            waiting.append(future)
        self._schedule(loop)
        return future

    async def _send(self, batch: dict[Any, list[asyncio.Future[Any]]]) -> None:
        try:
            rows = await self._reads.fetch(self._sql, list(batch))
        except BaseException as exc:
            fail((f for waiting in batch.values() for f in waiting), exc)
            if not isinstance(exc, Exception):
                raise
            return
        found = {row[0]: row for row in rows}
        for key, waiting in batch.items():
            row = found.get(key)
            for future in waiting:
                if not future.done():
                    future.set_result(row)


_raw_reads: weakref.WeakKeyDictionary[Any, RawReads] = weakref.WeakKeyDictionary()
RAW_READ_CONNECTIONS = 4


async def fetchrow_by_key(engine: AsyncEngine, sql_many: str, key: Any) -> Any:
    """One row of a read-only statement on PostgreSQL, outside any transaction, through
    `RawReads`: for reads on every request. Concurrent calls share one statement
    (`KeyedReads`): `sql_many` takes the array of keys as $1 (asyncpg's style) and answers each
    row with its key as the first column. None when no row has the key."""
    reads = _raw_reads.get(engine.sync_engine)
    if reads is None:
        reads = _raw_reads[engine.sync_engine] = RawReads(engine, RAW_READ_CONNECTIONS)
    return await reads.row_by_key(sql_many, key)


_raw_writes: weakref.WeakKeyDictionary[Any, RawReads] = weakref.WeakKeyDictionary()
RAW_WRITE_CONNECTIONS = Settings.model_fields["raw_write_connections"].default
# Settings.raw_write_connections of the engines `create_engine` made; others get the default.
_raw_write_sizes: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def raw_statements(engine: AsyncEngine) -> contextlib.AbstractAsyncContextManager[Any]:
    """An asyncpg connection (PostgreSQL only) for writes that are single autocommit
    statements, beside SQLAlchemy's pool: its checkout, checkin, reset and greenlet switches
    cost more CPU than such a statement's own driver work (`logs.pgwrite`). Each statement is
    its own transaction; never BEGIN on it."""
    writes = _raw_writes.get(engine.sync_engine)
    if writes is None:
        size = _raw_write_sizes.get(engine.sync_engine, RAW_WRITE_CONNECTIONS)
        writes = _raw_writes[engine.sync_engine] = RawReads(engine, size)
    return writes.connection()


async def close_raw_reads(engine: AsyncEngine) -> None:
    for kept in (_raw_reads, _raw_writes):
        reads = kept.pop(engine.sync_engine, None)
        if reads is not None:
            await reads.close()
