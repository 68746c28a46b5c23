"""RAW_WRITE_CONNECTIONS: how many asyncpg connections beside SQLAlchemy's pool carry the
single-statement writes (core/db.raw_statements)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.core.db import close_raw_reads, create_engine, raw_statements
from tests.conftest import BACKEND, make_settings


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("RAW_WRITE_CONNECTIONS", "3")
    assert Settings(_env_file=None).raw_write_connections == 3
    monkeypatch.setenv("RAW_WRITE_CONNECTIONS", "0")
    with pytest.raises(ValidationError, match="raw_write_connections"):
        Settings(_env_file=None)
    monkeypatch.delenv("RAW_WRITE_CONNECTIONS")
    assert Settings(_env_file=None).raw_write_connections == 8


@pytest.mark.skipif(BACKEND != "server", reason="raw connections are PostgreSQL's")
async def test_an_engine_opens_no_more_raw_write_connections_than_configured(base_settings):
    engine = create_engine(make_settings(base_settings, raw_write_connections=1))
    try:
        entered = asyncio.Event()

        async def second() -> int:
            async with raw_statements(engine) as conn:
                entered.set()
                return int(await conn.fetchval("SELECT pg_backend_pid()"))

        async with raw_statements(engine) as first:
            pid = int(await first.fetchval("SELECT pg_backend_pid()"))
            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            # The one connection is taken: the second statement waits for it.
            assert not entered.is_set()
        # ... and then runs on that same connection.
        assert await asyncio.wait_for(waiting, 10) == pid
    finally:
        await close_raw_reads(engine)
        await engine.dispose()
