"""Shared builders for log entries, used by the logs, summaries, cache and rate-limit tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

if TYPE_CHECKING:
    from tests.conftest import TestUser


def log_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": "2024-03-04",
        "meal_type": "breakfast",
        "description": "oatmeal with berries",
        "kcal": 400,
        "protein_g": 20,
        "carbs_g": 50,
        "fat_g": 10,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


async def add_log(client: httpx.AsyncClient, user: TestUser, **overrides: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/logs", json=log_body(**overrides), headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def set_goal(
    client: httpx.AsyncClient,
    user: TestUser,
    kcal: float = 2000,
    protein_g: float = 100,
    carbs_g: float = 250,
    fat_g: float = 70,
    effective_from: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kcal": kcal,
        "protein_g": protein_g,
        "carbs_g": carbs_g,
        "fat_g": fat_g,
    }
    if effective_from:
        body["effective_from"] = effective_from
    r = await client.put("/api/v1/goals", json=body, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def local_today(tz: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(tz)).date()


def error_fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


@asynccontextmanager
async def lenient(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the same app whose unhandled errors come back as their 500 responses
    (instead of raising in the test), so a test can assert on the status."""
    app = client._transport.app  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
