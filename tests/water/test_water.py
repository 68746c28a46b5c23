"""Water entries, the daily goal and the daily summary's water."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.logs.helpers import local_today
from tests.users.helpers import PROFILE, profile_body

WATER = "/api/v1/water"


async def test_water_day_against_a_goal_from_weight(client, user):
    r = await client.put(PROFILE, json=profile_body(weight_kg=80), headers=user.headers)
    assert r.status_code == 200, r.text
    for ml in (250, 500):
        r = await client.post(WATER, json={"ml": ml}, headers=user.headers)
        assert r.status_code == 201, r.text
        assert r.json()["ml"] == ml and r.json()["date"] == local_today("UTC").isoformat()
    r = await client.get(WATER, headers=user.headers)
    body = r.json()
    assert (body["total_ml"], body["goal_ml"], body["goal_basis"]) == (750, 2800, "weight")
    assert body["percent"] == 26.8
    assert [e["ml"] for e in body["entries"]] == [250, 500]
    summary = (await client.get("/api/v1/summaries/daily", headers=user.headers)).json()
    assert summary["water"] == {
        "total_ml": 750,
        "goal_ml": 2800,
        "goal_basis": "weight",
        "percent": 26.8,
    }


async def test_goal_from_profile_setting_or_default(client, user):
    r = await client.get(WATER, headers=user.headers)
    assert (r.json()["goal_ml"], r.json()["goal_basis"]) == (2000, "default")
    r = await client.patch(PROFILE, json={"water_goal_ml": 3000}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["water_goal_ml"] == 3000
    r = await client.get(WATER, headers=user.headers)
    assert (r.json()["goal_ml"], r.json()["goal_basis"]) == (3000, "profile")
    r = await client.patch(PROFILE, json={"water_goal_ml": 50}, headers=user.headers)
    assert_problem(r, 422)


async def test_water_on_a_past_day_and_deleting(client, user):
    r = await client.post(WATER, json={"ml": 400, "date": "2024-03-04"}, headers=user.headers)
    entry = r.json()
    r = await client.get(WATER + "?date=2024-03-04", headers=user.headers)
    assert r.json()["total_ml"] == 400
    assert (await client.get(WATER, headers=user.headers)).json()["total_ml"] == 0
    r = await client.delete(f"{WATER}/{entry['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.get(WATER + "?date=2024-03-04", headers=user.headers)
    assert r.json()["total_ml"] == 0
    assert_problem(await client.delete(f"{WATER}/{entry['id']}", headers=user.headers), 404)


async def test_bad_water_is_refused(client, user):
    for body in ({"ml": 0}, {"ml": 5001}, {"ml": "lots"}, {"ml": 200, "date": "3000-01-01"}, {}):
        r = await client.post(WATER, json=body, headers=user.headers)
        assert_problem(r, 422)
    for _ in range(4):
        r = await client.post(WATER, json={"ml": 5000}, headers=user.headers)
        assert r.status_code == 201
    r = await client.post(WATER, json={"ml": 100}, headers=user.headers)
    assert_problem(r, 422, "too-much-water")
    assert (await client.get(WATER, headers=user.headers)).json()["total_ml"] == 20000


async def test_another_users_water_is_invisible(client, user, make_user):
    r = await client.post(WATER, json={"ml": 300}, headers=user.headers)
    entry_id = r.json()["id"]
    other = await make_user()
    assert (await client.get(WATER, headers=other.headers)).json()["total_ml"] == 0
    assert_problem(await client.delete(f"{WATER}/{entry_id}", headers=other.headers), 404)
    assert (await client.get(WATER, headers=user.headers)).json()["total_ml"] == 300
    assert_problem(await client.get(WATER), 401)
