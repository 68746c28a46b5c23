"""Builders for profile, weight and targets tests (users and workouts)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import httpx

from tests.logs.helpers import local_today

if TYPE_CHECKING:
    from tests.conftest import TestUser

PROFILE = "/api/v1/users/me/profile"
TARGETS = "/api/v1/targets"
WEIGHTS = "/api/v1/weights"
GOALS_HISTORY = "/api/v1/goals/history"


def dob_for_age(age: int, tz: str = "UTC") -> str:
    """A date of birth giving `age` completed years today (birthday 10 days ago)."""
    today = local_today(tz) - dt.timedelta(days=10)
    try:
        dob = today.replace(year=today.year - age)
    except ValueError:  # 29 February
        dob = today.replace(year=today.year - age, day=28)
    return dob.isoformat()


def profile_body(**overrides: Any) -> dict[str, Any]:
    """The worked example: a 30-year-old man, 80 kg, 180 cm, moderately active, maintaining."""
    body: dict[str, Any] = {
        "sex": "male",
        "date_of_birth": dob_for_age(30),
        "height_cm": 180,
        "weight_kg": 80,
        "activity_level": "moderate",
        "goal": "maintain",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


async def put_profile(
    client: httpx.AsyncClient, user: TestUser, **overrides: Any
) -> dict[str, Any]:
    r = await client.put(PROFILE, json=profile_body(**overrides), headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def patch_profile(client: httpx.AsyncClient, user: TestUser, **fields: Any) -> dict[str, Any]:
    r = await client.patch(PROFILE, json=fields, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def get_targets(client: httpx.AsyncClient, user: TestUser) -> dict[str, Any]:
    r = await client.get(TARGETS, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def add_weight(
    client: httpx.AsyncClient, user: TestUser, weight_kg: float, date: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"weight_kg": weight_kg}
    if date is not None:
        body["date"] = date
    r = await client.post(WEIGHTS, json=body, headers=user.headers)
    assert r.status_code in (200, 201), r.text
    return r


async def goal_history(client: httpx.AsyncClient, user: TestUser) -> list[dict[str, Any]]:
    r = await client.get(GOALS_HISTORY, headers=user.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items
