"""Making email optional rebuilds the users table on SQLite: the rows referencing users must
survive it (with foreign keys on, the rebuild's DROP would cascade to them)."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.cli import migrate
from tests.test_migrations import fresh_database_url  # noqa: F401  (fixture)


async def _run(url: str, *statements: tuple[str, dict]) -> list:
    engine = create_async_engine(url)
    out = []
    try:
        async with engine.begin() as conn:
            for sql, params in statements:
                result = await conn.execute(sa.text(sql), params)
                out.append(result.all() if result.returns_rows else None)
    finally:
        await engine.dispose()
    return out


def test_phone_migration_keeps_user_data(fresh_database_url):  # noqa: F811
    url = fresh_database_url
    migrate("0008_e2_pwreset", url)
    uid = uuid.uuid4()
    uid_param = uid.hex if url.startswith("sqlite") else uid
    asyncio.run(
        _run(
            url,
            (
                "INSERT INTO users (id, email, password_hash, is_active, is_admin, timezone,"
                " created_at, updated_at) VALUES (:id, 'a@example.com', 'h', true, true, 'UTC',"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                {"id": uid_param},
            ),
            (
                "INSERT INTO weight_entries (id, user_id, date, weight_kg, created_at, updated_at)"
                " VALUES (:wid, :id, '2026-01-01', 80.5, '2026-01-01 00:00:00',"
                " '2026-01-01 00:00:00')",
                {
                    "wid": uuid.uuid4().hex if url.startswith("sqlite") else uuid.uuid4(),
                    "id": uid_param,
                },
            ),
        )
    )
    migrate("head", url)
    (users, weights) = asyncio.run(
        _run(
            url,
            ("SELECT email, phone, is_admin FROM users", {}),
            ("SELECT weight_kg FROM weight_entries", {}),
        )
    )
    assert [tuple(r) for r in users] == [("a@example.com", None, True)]
    assert [r[0] for r in weights] == [80.5]
