from __future__ import annotations

import datetime as dt

from app.users import trend
from tests.conftest import assert_problem
from tests.logs.helpers import error_fields, local_today
from tests.users.helpers import PROFILE, WEIGHTS, add_weight, patch_profile, put_profile


async def weights(client, user, **params):
    r = await client.get(WEIGHTS, params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def profile_weight(client, user):
    return (await client.get(PROFILE, headers=user.headers)).json()["weight_kg"]


async def test_one_entry_per_day_later_replaces(client, user):
    r = await add_weight(client, user, 81.4, "2024-05-01")
    assert r.status_code == 201
    assert r.json()["date"] == "2024-05-01" and r.json()["weight_kg"] == 81.4
    assert r.json()["weight_lb"] == 179.5
    r = await add_weight(client, user, 80.9, "2024-05-01")
    assert r.status_code == 200 and r.json()["weight_kg"] == 80.9
    page = await weights(client, user)
    assert page["total"] == 1
    assert [(w["date"], w["weight_kg"]) for w in page["items"]] == [("2024-05-01", 80.9)]


async def test_pounds_are_stored_as_kilograms(client, user):
    r = await client.post(
        WEIGHTS, json={"date": "2024-05-02", "weight_lb": 180}, headers=user.headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["weight_kg"] == 81.65 and r.json()["weight_lb"] == 180.0


async def test_default_date_is_today_in_the_users_zone(client, make_user):
    for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        user = await make_user(tz=tz)
        r = await client.post(WEIGHTS, json={"weight_kg": 70}, headers=user.headers)
        assert r.json()["date"] == local_today(tz).isoformat()


async def test_invalid_weights_are_422(client, user):
    cases = [
        ({"weight_kg": 10}, {"weight_kg"}),
        ({"weight_lb": 2000}, {"weight_lb"}),
        ({"date": "2024-01-01"}, {"body"}),
        ({"weight_kg": 80, "weight_lb": 176}, {"body"}),
        ({"weight_kg": 80, "note": "x"}, {"note"}),
    ]
    for body, fields in cases:
        r = await client.post(WEIGHTS, json=body, headers=user.headers)
        assert error_fields(assert_problem(r, 422, "validation-error")) == fields, body
    future = (local_today("UTC") + dt.timedelta(days=2)).isoformat()
    r = await client.post(WEIGHTS, json={"weight_kg": 80, "date": future}, headers=user.headers)
    assert "future" in assert_problem(r, 422, "invalid-weight-date")["detail"]


async def test_list_is_newest_first_paginated_and_filtered(client, user):
    for day in range(1, 11):
        await add_weight(client, user, 80 - day / 10, f"2024-05-{day:02d}")
    page = await weights(client, user, limit=3)
    assert [w["date"] for w in page["items"]] == ["2024-05-10", "2024-05-09", "2024-05-08"]
    assert (page["total"], page["next_offset"]) == (10, 3)
    page = await weights(client, user, limit=3, offset=9)
    assert [w["date"] for w in page["items"]] == ["2024-05-01"] and page["next_offset"] is None
    page = await weights(client, user, start="2024-05-03", end="2024-05-05")
    assert [w["weight_kg"] for w in page["items"]] == [79.5, 79.6, 79.7]
    r = await client.get(
        WEIGHTS, params={"start": "2024-05-05", "end": "2024-05-01"}, headers=user.headers
    )
    assert_problem(r, 422)


async def test_newest_weight_is_the_profile_weight(client, user):
    await put_profile(client, user, weight_kg=85)
    await add_weight(client, user, 82, "2024-05-10")
    assert await profile_weight(client, user) == 82
    # A back-filled older reading does not replace the current weight.
    await add_weight(client, user, 83, "2024-05-01")
    assert await profile_weight(client, user) == 82
    await add_weight(client, user, 81, "2024-05-12")
    assert await profile_weight(client, user) == 81
    # Deleting the newest falls back to the newest remaining.
    r = await client.delete(f"{WEIGHTS}/2024-05-12", headers=user.headers)
    assert r.status_code == 204
    assert await profile_weight(client, user) == 82
    assert (await weights(client, user))["total"] == 2
    assert_problem(await client.delete(f"{WEIGHTS}/2024-05-12", headers=user.headers), 404)


async def test_weights_are_private(client, make_user):
    alice = await make_user()
    bob = await make_user()
    await add_weight(client, alice, 60, "2024-05-01")
    assert (await weights(client, bob))["total"] == 0
    assert_problem(await client.delete(f"{WEIGHTS}/2024-05-01", headers=bob.headers), 404)
    assert (await weights(client, alice))["total"] == 1
    assert await profile_weight(client, bob) is None
    assert_problem(await client.get(WEIGHTS), 401)


async def test_trend_matches_weight_trend_on_a_synthetic_series(client, user):
    """35 days losing 0.1 kg a day (0.7 kg a week) with ±0.3 kg day-to-day noise."""
    today = local_today("UTC")
    await put_profile(client, user, weight_kg=90, goal="lose", target_weight_kg=85)
    entries = []
    for i in range(34, -1, -1):
        day = today - dt.timedelta(days=i)
        w = round(90 - 0.1 * (34 - i) + (0.3 if i % 2 else -0.3), 2)
        entries.append((day, w))
        await add_weight(client, user, w, day.isoformat())
    r = await client.get(f"{WEIGHTS}/trend", params={"days": 30}, headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    ref = trend.weight_trend(entries, target_weight_kg=85)
    assert body["latest_date"] == today.isoformat()
    assert body["latest_trend_kg"] == ref.latest_trend_kg
    assert body["weekly_rate_kg"] == ref.weekly_rate_kg
    assert -0.75 < body["weekly_rate_kg"] < -0.5
    assert body["projected_date"] == ref.projected_date.isoformat()
    assert body["target_weight_kg"] == 85
    # The series covers the last 30 days, smoothed with the earlier days as history.
    assert len(body["series"]) == 30
    assert body["series"][-1] == {
        "date": today.isoformat(),
        "weight_kg": entries[-1][1],
        "trend_kg": ref.series[-1].trend_kg,
    }
    assert [s["step"] for s in body["explanation"]] == ["trend", "weekly_rate", "projection"]


async def test_trend_without_weights(client, user):
    r = await client.get(f"{WEIGHTS}/trend", headers=user.headers)
    body = r.json()
    assert body["latest_trend_kg"] is None and body["series"] == []
    assert body["projected_date"] is None


async def test_trend_follows_a_changed_target(client, user):
    await patch_profile(client, user, target_weight_kg=70)
    r = await client.get(f"{WEIGHTS}/trend", headers=user.headers)
    assert r.json()["target_weight_kg"] == 70
