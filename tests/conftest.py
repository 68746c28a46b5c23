"""Test harness: one backend per run, chosen by NEXFITRA_TEST_BACKEND.

- `embedded` (default): SQLite file + in-process cache and limiter.
- `server`: PostgreSQL + Redis (TEST_DATABASE_URL / TEST_REDIS_URL, defaulting to the local
  servers on 127.0.0.1). If they cannot be reached the run fails; it never skips.

The schema is built by the real Alembic migrations once per run; each test then starts from
empty user tables, an empty cache and fresh rate limits. The packaged USDA foods are loaded once.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from app import models as _all_models  # noqa: F401  (every table on the metadata)
from app.cli import migrate
from app.core.cache import MemoryCache
from app.core.config import Settings
from app.core.ratelimit import MemoryRateLimiter
from app.main import create_app

BACKEND = os.environ.get("NEXFITRA_TEST_BACKEND", "embedded")
if BACKEND not in ("embedded", "server"):
    raise RuntimeError(f"NEXFITRA_TEST_BACKEND must be embedded or server, not {BACKEND!r}")

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/nexfitra_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Packaged reference data that stays loaded between tests (the USDA sources).
SHARED_DATA = {
    "foods": "DELETE FROM foods WHERE source NOT IN ('sr28', 'fndds')",
    "food_portions": (
        "DELETE FROM food_portions WHERE food_id IN "
        "(SELECT id FROM foods WHERE source NOT IN ('sr28', 'fndds'))"
    ),
    # What says the USDA foods above are loaded (a test that loads them again may change it).
    "data_fingerprints": "DELETE FROM data_fingerprints WHERE name NOT LIKE 'foods:%'",
    # The packaged exercise catalogue (slug set); private and admin-added ones go.
    "exercises": "DELETE FROM exercises WHERE slug IS NULL",
    "exercise_muscles": (
        "DELETE FROM exercise_muscles WHERE exercise_id IN "
        "(SELECT id FROM exercises WHERE slug IS NULL)"
    ),
}


def pytest_report_header(config: pytest.Config) -> str:
    return f"nexfitra backend: {BACKEND}"


async def _ensure_postgres_database(url: str) -> None:
    import asyncpg

    u = make_url(url)
    try:
        conn = await asyncpg.connect(
            host=u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            database="postgres",
            timeout=5,
        )
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.exit(f"PostgreSQL at {u.host}:{u.port} is unreachable: {exc}", returncode=3)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", u.database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{u.database}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(
        host=u.host,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database=u.database,
    )
    try:
        # A clean schema every run, so the migrations below really build it from nothing.
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def _ensure_redis(url: str) -> None:
    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
        await client.flushdb()
    except Exception as exc:
        pytest.exit(f"Redis at {url} is unreachable: {exc}", returncode=3)
    finally:
        await client.aclose()


def make_settings(base: Settings, **overrides: Any) -> Settings:
    return base.model_copy(update=overrides)


@pytest.fixture(scope="session")
async def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    common: dict[str, Any] = dict(
        environment="test",
        jwt_secret="test-secret-" + "x" * 40,
        # Generous limits so ordinary tests never trip them; the limiter tests lower them.
        rate_limit_auth_per_minute=10_000,
        rate_limit_log_writes_per_minute=10_000,
        rate_limit_admin_per_minute=10_000,
        rate_limit_export_per_hour=10_000,
        llm_base_url=None,
        llm_api_key=None,
        # Webhook tests deliver to receivers on 127.0.0.1; the SSRF tests turn this off.
        webhook_allow_private=True,
    )
    if BACKEND == "server":
        await _ensure_postgres_database(TEST_DATABASE_URL)
        await _ensure_redis(TEST_REDIS_URL)
        settings = Settings(database_url=TEST_DATABASE_URL, redis_url=TEST_REDIS_URL, **common)
    else:
        db = tmp_path_factory.mktemp("db") / "nexfitra-test.db"
        settings = Settings(database_url=f"sqlite+aiosqlite:///{db}", redis_url=None, **common)
    await asyncio.to_thread(migrate, "head", settings.database_url)
    return settings


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def app(base_settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(base_settings) as application:
        yield application


async def reset_state(app: FastAPI) -> None:
    """Empties every table (children first) except the packaged reference data."""
    res = app.state.resources
    async with res.engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            await conn.execute(sa.text(SHARED_DATA.get(table.name, f"DELETE FROM {table.name}")))
    if res.redis is not None:
        await res.redis.flushdb()
    if isinstance(res.cache, MemoryCache):
        res.cache.clear()
    if isinstance(res.limiter, MemoryRateLimiter):
        res.limiter.clear()
    res.revocations.clear()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    await reset_state(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest.fixture
def client_factory(base_settings: Settings, app: FastAPI) -> Callable[..., Any]:
    """A client for an app with some settings changed (same database, fresh state)."""

    @asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        await reset_state(app)
        async with running_app(make_settings(base_settings, **overrides)) as other:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=other), base_url="http://testserver"
            ) as c:
                c.app = other  # type: ignore[attr-defined]
                yield c

    return factory


@dataclass
class TestUser:
    id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def create_user(
    client: httpx.AsyncClient,
    email: str | None = None,
    password: str = "s3cret-pass",
    tz: str | None = None,
) -> TestUser:
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    r = await client.post("/api/v1/auth/signup", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    tokens = r.json()
    user = TestUser(
        user_id, email.lower(), password, tokens["access_token"], tokens["refresh_token"]
    )
    if tz:
        r = await client.patch("/api/v1/users/me", json={"timezone": tz}, headers=user.headers)
        assert r.status_code == 200, r.text
    return user


@pytest.fixture
def make_user(client: httpx.AsyncClient) -> Callable[..., Awaitable[TestUser]]:
    async def factory(**kw: Any) -> TestUser:
        return await create_user(client, **kw)

    return factory


@pytest.fixture
async def user(make_user: Callable[..., Awaitable[TestUser]]) -> TestUser:
    return await make_user()


def assert_problem(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The body is RFC 9457 problem+json with the given status (and problem type suffix)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"].startswith("https://")
    if code:
        assert body["type"].endswith("/" + code), body["type"]
    return body


ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def live_server(application: FastAPI) -> AsyncIterator[str]:
    """A real uvicorn server for `application` in this event loop (its lifespan already ran);
    yields the base URL. For clients that need a socket: a browser, the CLI in a thread."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
