from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import Settings

ENV_VARS = ("DATABASE_URL", "ENVIRONMENT", "JWT_SECRET", "CORS_ORIGINS", "REDIS_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def settings(**kw) -> Settings:
    return Settings(_env_file=None, **kw)


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:p@db.example:5432/app",
        "postgresql://u:p@db.example:5432/app",
        "postgresql+psycopg2://u:p@db.example:5432/app",
        " postgresql+asyncpg://u:p@db.example:5432/app ",
    ],
)
def test_postgres_urls_use_asyncpg(url):
    assert settings(database_url=url).database_url == "postgresql+asyncpg://u:p@db.example:5432/app"


def test_database_url_from_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert settings().database_url == "postgresql+asyncpg://u@h/db"


def test_sqlite_urls_use_aiosqlite():
    assert (
        settings(database_url="sqlite:///data/x.db").database_url == "sqlite+aiosqlite:///data/x.db"
    )
    assert settings().is_sqlite


def test_production_requires_jwt_secret(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="JWT_SECRET must be set"):
        settings()
    monkeypatch.setenv("JWT_SECRET", "too-short")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        settings()
    monkeypatch.setenv("JWT_SECRET", "k" * 32)
    assert settings().secret == "k" * 32


def test_development_gets_a_fixed_dev_secret():
    s = settings()
    assert s.environment == "development"
    assert s.secret and s.secret == settings().secret


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://a.example, https://b.example ,", ["https://a.example", "https://b.example"]),
        ("", []),
    ],
)
def test_cors_origins_from_env(monkeypatch, raw, expected):
    monkeypatch.setenv("CORS_ORIGINS", raw)
    assert settings().cors_origins == expected


def test_cors_origins_json_list_from_env(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    assert settings().cors_origins == ["https://a.example", "https://b.example"]


def test_blank_redis_url_means_none(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "")
    assert settings().redis_url is None
