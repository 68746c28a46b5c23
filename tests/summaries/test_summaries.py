from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import assert_problem
from tests.logs.helpers import add_log, lenient, set_goal

DAILY = "/api/v1/summaries/daily"
WEEKLY = "/api/v1/summaries/weekly"
ZERO = dict.fromkeys(
    ("kcal", "protein_g", "carbs_g", "fat_g", "fiber_g", "sugars_g", "sat_fat_g", "sodium_mg"), 0
)


def nutrients(**values: float) -> dict:
    return {**ZERO, **values}


async def daily(client, user, day: str | None = None) -> dict:
    params = {"date": day} if day else {}
    r = await client.get(DAILY, params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def weekly(client, user, start: str | None = None) -> dict:
    params = {"start": start} if start else {}
    r = await client.get(WEEKLY, params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def cmp(goal: float, actual: float, percent: float | None, status: str) -> dict:
    return {
        "goal": goal,
        "actual": actual,
        "difference": round(actual - goal, 1),
        "percent": percent,
        "status": status,
    }


# --- daily ----------------------------------------------------------------------------------


async def seed_day(client, user, day: str = "2024-03-04") -> None:
    await add_log(client, user, date=day, meal_type="breakfast", fiber_g=5, sodium_mg=300)
    await add_log(
        client,
        user,
        date=day,
        meal_type="lunch",
        kcal=350,
        protein_g=25,
        carbs_g=35,
        fat_g=12,
        fiber_g=4.5,
        sugars_g=6,
    )
    await add_log(
        client,
        user,
        date=day,
        meal_type="lunch",
        kcal=250,
        protein_g=15,
        carbs_g=25,
        fat_g=8,
        sodium_mg=800.5,
        sat_fat_g=3,
    )


async def test_daily_totals_meals_and_comparison(client, user):
    await seed_day(client, user)
    await set_goal(client, user, 2000, 100, 250, 70, effective_from="2024-03-01")
    s = await daily(client, user, "2024-03-04")
    assert s["date"] == "2024-03-04"
    assert s["entries"] == 3
    assert s["totals"] == nutrients(
        kcal=1000,
        protein_g=60,
        carbs_g=110,
        fat_g=30,
        fiber_g=9.5,
        sugars_g=6,
        sat_fat_g=3,
        sodium_mg=1100.5,
    )
    meals = {m["meal_type"]: m for m in s["meals"]}
    assert [m["meal_type"] for m in s["meals"]] == ["breakfast", "lunch", "dinner", "snack"]
    assert meals["breakfast"] == {
        "meal_type": "breakfast",
        "entries": 1,
        "totals": nutrients(kcal=400, protein_g=20, carbs_g=50, fat_g=10, fiber_g=5, sodium_mg=300),
    }
    assert meals["lunch"]["entries"] == 2
    assert meals["lunch"]["totals"] == nutrients(
        kcal=600,
        protein_g=40,
        carbs_g=60,
        fat_g=20,
        fiber_g=4.5,
        sugars_g=6,
        sat_fat_g=3,
        sodium_mg=800.5,
    )
    assert meals["dinner"] == {"meal_type": "dinner", "entries": 0, "totals": ZERO}
    assert s["goal"] == {
        "effective_from": "2024-03-01",
        "kcal": 2000,
        "protein_g": 100,
        "carbs_g": 250,
        "fat_g": 70,
    }
    assert s["comparison"] == {
        "kcal": cmp(2000, 1000, 50.0, "under"),
        "protein_g": cmp(100, 60, 60.0, "under"),
        "carbs_g": cmp(250, 110, 44.0, "under"),
        "fat_g": cmp(70, 30, 42.9, "under"),
    }
    assert s["tolerance_pct"] == 10


@pytest.mark.parametrize(
    ("kcal", "status", "percent"),
    [
        (1799, "under", 90.0),
        (1800, "on_target", 90.0),
        (2000, "on_target", 100.0),
        (2200, "on_target", 110.0),
        (2201, "over", 110.0),
        (0, "under", 0.0),
    ],
)
async def test_daily_status_boundaries(client, user, kcal, status, percent):
    await set_goal(client, user, 2000, 100, 250, 70, effective_from="2024-03-01")
    if kcal:
        await add_log(client, user, kcal=kcal, protein_g=110, carbs_g=250, fat_g=77.5)
    c = (await daily(client, user, "2024-03-04"))["comparison"]
    assert c["kcal"] == cmp(2000, kcal, percent, status)
    if kcal:
        assert [c[k]["status"] for k in ("protein_g", "carbs_g", "fat_g")] == [
            "on_target",
            "on_target",
            "over",
        ]


async def test_daily_without_goal_has_null_goal_and_comparison(client, user):
    await seed_day(client, user)
    s = await daily(client, user, "2024-03-04")
    assert s["totals"]["kcal"] == 1000
    assert s["goal"] is None
    assert s["comparison"] is None


async def test_daily_never_counts_other_users_or_other_days(client, user, make_user):
    other = await make_user()
    await seed_day(client, other)
    await add_log(client, user, date="2024-03-03", kcal=999)
    await add_log(client, user, date="2024-03-05", kcal=777)
    await add_log(client, user, date="2024-03-04", kcal=123, protein_g=1, carbs_g=2, fat_g=3)
    s = await daily(client, user, "2024-03-04")
    assert s["entries"] == 1
    assert s["totals"] == nutrients(kcal=123, protein_g=1, carbs_g=2, fat_g=3)


async def test_daily_defaults_to_today_in_user_zone(client, make_user):
    user = await make_user(tz="Pacific/Kiritimati")
    today = dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    await add_log(client, user, date=today, kcal=321)
    s = await daily(client, user)
    assert (s["date"], s["totals"]["kcal"]) == (today, 321)


async def test_daily_bad_date_is_422(client, user):
    r = await client.get(DAILY, params={"date": "yesterday"}, headers=user.headers)
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["field"] == "date"


# --- weekly ---------------------------------------------------------------------------------


async def seed_week(client, user) -> None:
    """Week of Monday 2024-03-04; the goal changes on Thursday 03-07."""
    await set_goal(client, user, 2000, 100, 250, 70, effective_from="2024-01-01")
    await set_goal(client, user, 2500, 150, 300, 80, effective_from="2024-03-07")
    # Mon: everything exactly on the old goal.
    await add_log(client, user, date="2024-03-04", kcal=1200, protein_g=60, carbs_g=150, fat_g=40)
    await add_log(
        client,
        user,
        date="2024-03-04",
        meal_type="dinner",
        kcal=800,
        protein_g=40,
        carbs_g=100,
        fat_g=30,
        fiber_g=10,
    )
    # Tue: everything under the old goal.
    await add_log(client, user, date="2024-03-05", kcal=1500, protein_g=50, carbs_g=200, fat_g=60)
    # Wed: nothing. Thu: on the new goal except fat (100 > 80 + 10%).
    await add_log(client, user, date="2024-03-07", kcal=2600, protein_g=160, carbs_g=300, fat_g=100)
    # Outside the week: never counted.
    await add_log(client, user, date="2024-03-03", kcal=9000)
    await add_log(client, user, date="2024-03-11", kcal=9000)


async def test_weekly_numbers(client, user):
    await seed_week(client, user)
    w = await weekly(client, user, "2024-03-04")
    assert (w["start"], w["end"]) == ("2024-03-04", "2024-03-10")
    days = w["days"]
    assert [d["date"] for d in days] == [f"2024-03-{d:02d}" for d in range(4, 11)]
    assert [d["logged"] for d in days] == [True, True, False, True, False, False, False]
    assert [d["entries"] for d in days] == [2, 1, 0, 1, 0, 0, 0]
    assert [d["totals"]["kcal"] for d in days] == [2000, 1500, 0, 2600, 0, 0, 0]
    assert days[0]["totals"] == nutrients(
        kcal=2000, protein_g=100, carbs_g=250, fat_g=70, fiber_g=10
    )
    # The goal in force each day: the old one up to Wednesday, the new one from Thursday.
    assert [d["goal"]["kcal"] for d in days] == [2000, 2000, 2000, 2500, 2500, 2500, 2500]
    assert days[2]["goal"]["effective_from"] == "2024-01-01"
    assert days[3]["goal"]["effective_from"] == "2024-03-07"
    assert days[1]["comparison"]["kcal"] == cmp(2000, 1500, 75.0, "under")
    assert days[3]["comparison"]["fat_g"] == cmp(80, 100, 125.0, "over")
    assert days[3]["comparison"]["kcal"]["status"] == "on_target"

    assert w["totals"] == nutrients(kcal=6100, protein_g=310, carbs_g=750, fat_g=230, fiber_g=10)
    assert w["days_logged"] == 3
    assert w["daily_averages"] == nutrients(
        kcal=2033.3, protein_g=103.3, carbs_g=250, fat_g=76.7, fiber_g=3.3
    )
    assert (w["best_day"], w["worst_day"]) == ("2024-03-04", "2024-03-05")
    assert w["status_counts"] == {
        "kcal": {"under": 1, "on_target": 2, "over": 0},
        "protein_g": {"under": 1, "on_target": 2, "over": 0},
        "carbs_g": {"under": 1, "on_target": 2, "over": 0},
        "fat_g": {"under": 1, "on_target": 1, "over": 1},
    }
    assert w["adherence_pct"] == 58.3  # 7 of 12 (day, nutrient) pairs
    assert w["tolerance_pct"] == 10


async def test_weekly_without_goal_or_logs(client, user):
    await add_log(client, user, date="2024-03-06", kcal=1000)
    w = await weekly(client, user, "2024-03-04")
    assert w["days_logged"] == 1
    assert w["daily_averages"]["kcal"] == 1000
    assert (w["best_day"], w["worst_day"], w["adherence_pct"]) == (None, None, None)
    assert all(d["goal"] is None and d["comparison"] is None for d in w["days"])
    empty = await weekly(client, user, "2024-01-01")
    assert (empty["days_logged"], empty["totals"], empty["daily_averages"]) == (0, ZERO, ZERO)


async def test_weekly_start_need_not_be_monday(client, user):
    await add_log(client, user, date="2024-03-06", kcal=1000)
    w = await weekly(client, user, "2024-03-06")
    assert (w["start"], w["end"]) == ("2024-03-06", "2024-03-12")
    assert w["days"][0]["totals"]["kcal"] == 1000


async def test_weekly_ignores_other_users(client, user, make_user):
    other = await make_user()
    await seed_week(client, other)
    w = await weekly(client, user, "2024-03-04")
    assert (w["days_logged"], w["totals"]["kcal"], w["status_counts"]["kcal"]) == (
        0,
        0,
        {"under": 0, "on_target": 0, "over": 0},
    )


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
async def test_weekly_default_start_is_monday_in_user_zone(client, make_user, tz):
    user = await make_user(tz=tz)
    today = dt.datetime.now(ZoneInfo(tz)).date()
    monday = today - dt.timedelta(days=today.weekday())
    w = await weekly(client, user)
    assert w["start"] == monday.isoformat()
    assert w["end"] == (monday + dt.timedelta(days=6)).isoformat()


async def test_weekly_start_at_the_end_of_the_calendar_is_422(client, user):
    async with lenient(client) as c:
        r = await c.get(WEEKLY, params={"start": "9999-12-30"}, headers=user.headers)
    assert_problem(r, 422)
