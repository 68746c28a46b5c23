from __future__ import annotations

import pytest

from tests.conftest import assert_problem
from tests.logs.helpers import error_fields, local_today, set_goal

GOALS = "/api/v1/goals"


def targets(goal: dict) -> tuple:
    return (goal["kcal"], goal["protein_g"], goal["carbs_g"], goal["fat_g"])


async def daily_goal(client, user, day: str) -> dict | None:
    r = await client.get("/api/v1/summaries/daily", params={"date": day}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["goal"]


async def history(client, user, **params) -> dict:
    r = await client.get(f"{GOALS}/history", params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_no_goal_is_404_goal_not_set(client, user):
    r = await client.get(GOALS, headers=user.headers)
    assert_problem(r, 404, "goal-not-set")
    assert (await history(client, user))["total"] == 0


async def test_put_defaults_to_today_in_user_zone(client, make_user):
    # UTC+14: most of the UTC day this is already "tomorrow" compared with UTC.
    user = await make_user(tz="Pacific/Kiritimati")
    goal = await set_goal(client, user, 2200, 150, 230, 75)
    assert goal["effective_from"] == local_today("Pacific/Kiritimati").isoformat()
    assert targets(goal) == (2200, 150, 230, 75)
    assert goal["source"] == "manual"

    r = await client.get(GOALS, headers=user.headers)
    assert r.status_code == 200
    assert r.json() == goal


async def test_future_goal_is_not_current(client, user):
    await set_goal(client, user, effective_from="2099-01-01")
    assert_problem(await client.get(GOALS, headers=user.headers), 404, "goal-not-set")


async def test_same_effective_from_replaces(client, user):
    first = await set_goal(client, user, 2000, 100, 250, 70, effective_from="2024-03-01")
    second = await set_goal(client, user, 1800, 120, 200, 60, effective_from="2024-03-01")
    assert second["id"] == first["id"]
    assert targets(second) == (1800, 120, 200, 60)
    page = await history(client, user)
    assert page["total"] == 1
    assert targets(page["items"][0]) == (1800, 120, 200, 60)


async def test_history_newest_first_with_pagination(client, user):
    for day, kcal in [("2024-02-01", 2100), ("2024-03-01", 2200), ("2024-01-01", 2000)]:
        await set_goal(client, user, kcal, effective_from=day)
    page = await history(client, user, limit=2)
    assert [g["effective_from"] for g in page["items"]] == ["2024-03-01", "2024-02-01"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    page = await history(client, user, limit=2, offset=2)
    assert [(g["effective_from"], g["kcal"]) for g in page["items"]] == [("2024-01-01", 2000)]


async def test_history_only_lists_own_goals(client, user, make_user):
    other = await make_user()
    await set_goal(client, other, effective_from="2024-01-01")
    assert (await history(client, user))["total"] == 0


async def test_each_day_uses_the_goal_in_force_then(client, user):
    await set_goal(client, user, 2000, 100, 250, 70, effective_from="2024-01-01")
    await set_goal(client, user, 2500, 150, 300, 80, effective_from="2024-02-01")
    assert await daily_goal(client, user, "2023-12-31") is None
    jan = await daily_goal(client, user, "2024-01-31")
    assert (jan["effective_from"], *targets(jan)) == ("2024-01-01", 2000, 100, 250, 70)
    feb = await daily_goal(client, user, "2024-02-01")
    assert (feb["effective_from"], *targets(feb)) == ("2024-02-01", 2500, 150, 300, 80)
    later = await daily_goal(client, user, "2024-06-15")
    assert later["effective_from"] == "2024-02-01"
    current = (await client.get(GOALS, headers=user.headers)).json()
    assert current["effective_from"] == "2024-02-01"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kcal": 100}, "kcal"),
        ({"kcal": 10001}, "kcal"),
        ({"protein_g": -1}, "protein_g"),
        ({"fat_g": None}, "fat_g"),
        ({"effective_from": "2024-02-30"}, "effective_from"),
        ({"fiber_g": 30}, "fiber_g"),
    ],
)
async def test_invalid_goal_is_422(client, user, overrides, field):
    body = {"kcal": 2000, "protein_g": 100, "carbs_g": 250, "fat_g": 70, **overrides}
    r = await client.put(GOALS, json=body, headers=user.headers)
    problem = assert_problem(r, 422, "validation-error")
    assert error_fields(problem) == {field}
    assert (await history(client, user))["total"] == 0


async def test_goal_before_2000_is_422(client, user):
    r = await client.put(
        GOALS,
        json={
            "kcal": 2000,
            "protein_g": 1,
            "carbs_g": 1,
            "fat_g": 1,
            "effective_from": "1999-12-31",
        },
        headers=user.headers,
    )
    assert "too far in the past" in assert_problem(r, 422)["detail"]


async def test_goals_require_auth(client):
    assert_problem(await client.get(GOALS), 401, "unauthorized")
    assert_problem(await client.put(GOALS, json={}), 401, "unauthorized")
