from __future__ import annotations

import re
import secrets

import pytest
from pydantic import ValidationError

from app.core.config import _DEV_JWT_SECRET as DEV_SECRET
from app.core.config import Settings, jwt_secret_problem
from tests.conftest import ROOT

ENV_VARS = (
    "DATABASE_URL",
    "ENVIRONMENT",
    "JWT_SECRET",
    "CORS_ORIGINS",
    "REDIS_URL",
    "WEBHOOK_ALLOW_PRIVATE",
)


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
    good = "q7Vd-2LmX9pT_4rWz8KsN1bYcF6hJ0eGuA3oRiE5tZ"
    monkeypatch.setenv("JWT_SECRET", good)
    assert settings().secret == good


def _compose_default_secret() -> str:
    """The secret docker-compose.yml would hand the API when JWT_SECRET is unset (if any)."""
    text = (ROOT / "docker-compose.yml").read_text()
    found = re.findall(r"JWT_SECRET:\s*\$\{JWT_SECRET:-([^}]*)\}", text)
    return found[0] if found else ""


@pytest.mark.parametrize(
    "secret",
    [
        "k" * 32,  # long enough, one character
        "ab" * 24,  # two characters
        "0123456789" * 4,  # a pattern of ten
        "change-me-to-a-long-random-string-of-32-chars",  # the old docker-compose.yml default
        "change-me-to-48-random-characters-from-token-urlsafe",  # .env.example
        DEV_SECRET,  # the development fallback
        "dev-insecure-secret-change-me-0123456789abcdef-but-longer",
        "short-but-random-8Hq2",
    ],
)
def test_production_refuses_known_and_weak_secrets(monkeypatch, secret):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET", secret)
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        settings()
    assert jwt_secret_problem(secret)


def test_published_placeholders_are_refused(monkeypatch):
    """Whatever docker-compose.yml and .env.example carry as a secret is not usable."""
    example = (ROOT / ".env.example").read_text()
    placeholders = re.findall(r"^#?\s*JWT_SECRET=(\S+)", example, flags=re.M)
    compose = _compose_default_secret()
    for value in [*placeholders, compose]:
        if value:
            assert jwt_secret_problem(value), value


def test_compose_never_runs_with_the_fallback_secret():
    """docker-compose.yml requires JWT_SECRET (no default) and defaults to production."""
    text = (ROOT / "docker-compose.yml").read_text()
    assert _compose_default_secret() == ""
    assert re.findall(r"JWT_SECRET:\s*\$\{JWT_SECRET:\?", text)
    assert "${ENVIRONMENT:-development}" not in text


def test_random_secrets_pass():
    for _ in range(20):
        assert jwt_secret_problem(secrets.token_urlsafe(48)) is None
        assert jwt_secret_problem(secrets.token_urlsafe(24)) is None  # 32 characters
        assert jwt_secret_problem(secrets.token_hex(32)) is None


def test_private_webhooks_are_refused_in_production(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET", secrets.token_urlsafe(48))
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    with pytest.raises(ValidationError, match="WEBHOOK_ALLOW_PRIVATE"):
        settings()
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert settings().webhook_allow_private is True


def test_serve_script_listens_on_loopback_by_default():
    text = (ROOT / "scripts" / "serve.sh").read_text()
    assert 'HOST="${HOST:-127.0.0.1}"' in text


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
