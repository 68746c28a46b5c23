"""`nexfitra backup` / `restore` round trips: every table's rows identical after a restore,
on SQLite (always) and on PostgreSQL (server runs, in databases of their own)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from app import models as _models  # noqa: F401
from app.cli import main as cli_main
from app.cli import migrate
from app.core.config import Settings, get_settings
from app.ops.backup import BackupError, backup, restore
from tests.conftest import BACKEND, TEST_DATABASE_URL, create_user, running_app
from tests.logs.helpers import add_log, set_goal
from tests.users.helpers import add_weight


async def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, in primary key order (the Alembic version included)."""
    engine = create_async_engine(url)
    out: dict[str, list[tuple]] = {}
    try:
        async with engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                rows = await conn.execute(sa.select(table).order_by(*table.primary_key.columns))
                out[table.name] = [tuple(r) for r in rows]
            version = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            out["alembic_version"] = [tuple(r) for r in version]
    finally:
        await engine.dispose()
    return out


async def fill(settings: Settings) -> None:
    """Accounts with logs, goals, weights and a custom food, through the API."""
    async with running_app(settings) as application:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://t"
        ) as c:
            for i in range(3):
                u = await create_user(c, email=f"b{i}-{uuid.uuid4().hex[:6]}@example.com")
                await set_goal(c, u, kcal=1800 + i)
                await add_weight(c, u, 70.0 + i)
                for day in range(1, 6):
                    await add_log(
                        c, u, date=f"2024-03-{day:02d}", kcal=300 + day, description="ünïcode ✓"
                    )
                r = await c.post(
                    "/api/v1/foods",
                    json={
                        "name": f"bar {i}",
                        "kcal": 380,
                        "protein_g": 30,
                        "carbs_g": 40,
                        "fat_g": 12,
                        "portions": [{"amount": 1, "unit": "bar", "grams": 60}],
                    },
                    headers=u.headers,
                )
                assert r.status_code == 201, r.text


async def mutate(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("DELETE FROM log_entries WHERE kcal > 303"))
            await conn.execute(sa.text("UPDATE goals SET kcal = 1"))
    finally:
        await engine.dispose()


def _settings(base_settings: Settings, url: str) -> Settings:
    return base_settings.model_copy(
        update={"database_url": url, "redis_url": None, "foods_autoload": False}
    )


async def test_sqlite_round_trip(base_settings, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    await asyncio.to_thread(migrate, "head", url)
    settings = _settings(base_settings, url)
    await fill(settings)
    before = await snapshot(url)
    assert len(before["log_entries"]) == 15 and len(before["food_portions"]) == 3

    archive = tmp_path / "backups" / "nexfitra.sqlite"
    out = await asyncio.to_thread(backup, settings, archive, False)
    assert out.backend == "sqlite" and out.units > 0 and archive.is_file()
    assert not (tmp_path / "backups" / "nexfitra.sqlite.partial").exists()

    await mutate(url)
    assert await snapshot(url) != before
    await asyncio.to_thread(restore, settings, archive, False)
    assert await snapshot(url) == before

    # Into an empty place too (a new machine).
    fresh_url = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'fresh.db'}"
    await asyncio.to_thread(restore, _settings(base_settings, fresh_url), archive, False)
    assert await snapshot(fresh_url) == before


async def test_sqlite_restore_refuses_what_is_not_a_backup(base_settings, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    await asyncio.to_thread(migrate, "head", url)
    settings = _settings(base_settings, url)
    await fill(settings)
    before = await snapshot(url)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"PGDMP" + b"\x00" * 100)
    other = tmp_path / "other.db"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    for path, message in (
        (tmp_path / "missing.db", "no backup"),
        (junk, "not an SQLite backup"),
        (other, "not a NexFitra database"),
    ):
        with pytest.raises(BackupError, match=message):
            await asyncio.to_thread(restore, settings, path, False)
    assert await snapshot(url) == before


def test_cli_backup_and_restore(tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    migrate("head", url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        archive = tmp_path / "cli.bak"
        assert cli_main(["backup", str(archive), "--quiet"]) == 0
        assert "written to" in capsys.readouterr().out
        assert cli_main(["restore", str(archive), "--quiet"]) == 2  # no --yes, no terminal
        assert cli_main(["restore", str(archive), "--quiet", "--yes"]) == 0
        assert "restored from" in capsys.readouterr().out
        assert cli_main(["restore", str(tmp_path / "nope"), "--yes", "--quiet"]) == 1
    finally:
        get_settings.cache_clear()


async def _pg_admin(sql: str) -> None:
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


@pytest.mark.skipif(BACKEND != "server", reason="PostgreSQL round trip: server backend runs")
async def test_postgres_round_trip(base_settings, tmp_path):
    # Named after this run's test database, so runs against other test databases on the same
    # server (other checkouts) never drop each other's copies.
    base = make_url(TEST_DATABASE_URL).database
    names = (f"{base}_backup_src", f"{base}_backup_new")
    urls = [make_url(TEST_DATABASE_URL).set(database=n).render_as_string(False) for n in names]
    for n in names:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
        await _pg_admin(f'CREATE DATABASE "{n}"')
    try:
        src = _settings(base_settings, urls[0])
        await asyncio.to_thread(migrate, "head", urls[0])
        await fill(src)
        before = await snapshot(urls[0])
        assert len(before["log_entries"]) == 15

        archive = tmp_path / "nexfitra.dump"
        out = await asyncio.to_thread(backup, src, archive, False)
        assert out.backend == "postgresql" and out.units == len(before)
        assert archive.read_bytes()[:5] == b"PGDMP"

        await mutate(urls[0])
        # A table the backup does not know goes too: the schema is replaced as a whole.
        engine = create_async_engine(urls[0])
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE stray (x int)"))
        await engine.dispose()
        await asyncio.to_thread(restore, src, archive, False)
        assert await snapshot(urls[0]) == before

        new = _settings(base_settings, urls[1])
        await asyncio.to_thread(restore, new, archive, False)
        assert await snapshot(urls[1]) == before
        # The restored database serves the API.
        async with running_app(new) as application:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=application), base_url="http://t"
            ) as c:
                r = await c.post(
                    "/api/v1/auth/signup", json={"email": "z@example.com", "password": "pass-word"}
                )
                assert r.status_code == 201

        # A damaged archive is refused before anything is touched.
        broken = tmp_path / "broken.dump"
        broken.write_bytes(archive.read_bytes()[:200])
        with pytest.raises(BackupError):
            await asyncio.to_thread(restore, src, broken, False)
        assert await snapshot(urls[0]) == before
    finally:
        for n in names:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


def test_backup_needs_the_client_programs(base_settings, tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    settings = _settings(base_settings, "postgresql+asyncpg://postgres@127.0.0.1:5432/nexfitra_e_x")
    with pytest.raises(BackupError, match="postgresql-client"):
        backup(settings, tmp_path / "x.dump", False)
