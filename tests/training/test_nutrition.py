"""Training-day and rest-day targets: carb cycling with the week's average unchanged."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.core.timeutil import local_today, week_start
from app.training import nutrition
from app.training.models import Program
from app.users.models import UserProfile
from tests.training.helpers import set_profile

PROFILE = {
    "sex": "male",
    "date_of_birth": "1990-01-01",
    "height_cm": 180,
    "weight_kg": 80,
    "activity_level": "moderate",
    "goal": "maintain",
}
MONDAY = dt.date(2024, 4, 29)


def program(days: int = 3) -> Program:
    weekdays = {2: [0, 3], 3: [0, 2, 4], 4: [0, 1, 3, 4], 6: [0, 1, 2, 3, 4, 5]}[days]
    week = {"days": [{"weekday": w} for w in weekdays]}
    return Program(
        user_id=uuid.uuid4(),
        start_date=MONDAY,
        active_from=MONDAY,
        weeks=1,
        params={},
        plan={"weeks": [week]},
    )


def test_split_exact_and_week_average_kept():
    p = program(3)
    train = nutrition.cycle(p, None, MONDAY, 2000, 250)
    rest = nutrition.cycle(p, None, MONDAY + dt.timedelta(days=1), 2000, 250)
    assert train is not None and rest is not None
    # 2000 × (1 + 0.2 × 4/7) = 2228.6; carbs + 228.6 / 4
    assert (train.day_type, train.kcal, train.carbs_g, train.adjustment_kcal) == (
        "training",
        2229,
        307,
        229,
    )
    # 2000 × (1 − 0.2 × 3/7) = 1828.6; carbs − 171.4 / 4
    assert (rest.day_type, rest.kcal, rest.carbs_g) == ("rest", 1829, 207)
    week = [nutrition.cycle(p, None, MONDAY + dt.timedelta(days=i), 2000, 250) for i in range(7)]
    assert sum(c.kcal for c in week if c) / 7 == pytest.approx(2000, abs=1)
    assert [c.day_type for c in week if c] == [
        "training",
        "rest",
        "training",
        "rest",
        "training",
        "rest",
        "rest",
    ]


def test_rest_day_carbs_floor_and_switches():
    p = program(3)
    rest = nutrition.cycle(p, None, MONDAY + dt.timedelta(days=1), 2000, 120)
    assert rest is not None and rest.carbs_g == 100  # never below the floor
    train = nutrition.cycle(p, None, MONDAY, 2000, 120)
    assert train is not None
    assert 3 * train.kcal + 4 * rest.kcal == pytest.approx(7 * 2000, abs=4)
    off = UserProfile(user_id=p.user_id, carb_cycling=False)
    assert nutrition.cycle(p, off, MONDAY, 2000, 250) is None
    assert nutrition.cycle(None, None, MONDAY, 2000, 250) is None
    assert nutrition.cycle(p, None, MONDAY + dt.timedelta(days=7), 2000, 250) is None


async def test_targets_follow_the_program(client, user):
    await set_profile(client, user, **PROFILE)
    today = local_today("UTC")
    monday = week_start(today)
    r = await client.get("/api/v1/targets", params={"date": str(monday)}, headers=user.headers)
    plain = r.json()
    assert plain["carb_cycling"] is None
    r = await client.post(
        "/api/v1/programs/generate", json={"days_per_week": 3}, headers=user.headers
    )
    assert r.status_code == 201
    days = []
    for i in range(7):
        d = monday + dt.timedelta(days=i)
        r = await client.get("/api/v1/targets", params={"date": str(d)}, headers=user.headers)
        assert r.status_code == 200, r.text
        days.append(r.json())
    types = [d["carb_cycling"]["day_type"] for d in days]
    assert types == ["training", "rest", "training", "rest", "training", "rest", "rest"]
    assert sum(d["kcal"] for d in days) / 7 == pytest.approx(plain["kcal"], abs=1)
    for d in days:
        assert d["protein_g"] == plain["protein_g"] and d["fat_g"] == plain["fat_g"]
        assert d["carb_cycling"]["base_kcal"] == plain["kcal"]
        assert d["kcal"] - plain["kcal"] == d["carb_cycling"]["adjustment_kcal"]
        assert d["explanation"][-1]["step"] == "carb_cycling"
    assert days[0]["kcal"] > plain["kcal"] > days[1]["kcal"]
    assert days[0]["carbs_g"] > plain["carbs_g"] > days[1]["carbs_g"]

    await set_profile(client, user, carb_cycling=False)
    r = await client.get("/api/v1/targets", params={"date": str(monday)}, headers=user.headers)
    assert r.json()["kcal"] == plain["kcal"] and r.json()["carb_cycling"] is None

    r = await client.get(
        "/api/v1/targets",
        params={"date": str(today + dt.timedelta(days=400))},
        headers=user.headers,
    )
    assert r.status_code == 422


async def test_meal_plan_uses_the_days_targets(client, user):
    await set_profile(client, user, **PROFILE)
    r = await client.post(
        "/api/v1/programs/generate", json={"days_per_week": 3}, headers=user.headers
    )
    assert r.status_code == 201
    today = local_today("UTC")
    r = await client.post(
        "/api/v1/plans/generate", json={"start": str(today), "days": 2}, headers=user.headers
    )
    assert r.status_code == 201, r.text
    for plan in r.json()["plans"]:
        t = await client.get("/api/v1/targets", params={"date": plan["date"]}, headers=user.headers)
        t = t.json()
        assert t["carb_cycling"] is not None
        assert plan["targets"]["kcal"] == pytest.approx(t["kcal"])
        assert plan["targets"]["carbs_g"] == pytest.approx(t["carbs_g"])
