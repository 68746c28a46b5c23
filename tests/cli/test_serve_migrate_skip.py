"""`serve --migrate` skips Alembic only for a SQLite database already at every head."""

from __future__ import annotations

from pathlib import Path

from app.cli import migrate, migration_heads, sqlite_at_head


def test_sqlite_at_head_only_when_the_database_records_the_newest_migration(tmp_path: Path):
    heads = migration_heads()
    assert heads is not None and len(heads) == 1
    url = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    assert not sqlite_at_head(url)  # no file yet
    migrate("head", url)
    assert sqlite_at_head(url)
    migrate("-1", url, down=True)
    assert not sqlite_at_head(url)  # one behind: Alembic must run
    migrate("head", url)
    assert sqlite_at_head(url)
    assert not sqlite_at_head("postgresql+asyncpg://postgres@127.0.0.1:5432/any")
    assert not sqlite_at_head("sqlite+aiosqlite:///:memory:")
