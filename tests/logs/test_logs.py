from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import col

from app.auth.models import User
from app.logs import router as log_router
from app.logs.models import LogEntry
from tests.conftest import BACKEND, assert_problem
from tests.logs.helpers import add_log, error_fields, lenient, local_today, log_body

LOGS = "/api/v1/logs"


async def post_log(client, user, **overrides):
    return await client.post(LOGS, json=log_body(**overrides), headers=user.headers)


async def list_logs(client, user, **params):
    r = await client.get(LOGS, params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


# --- create ---------------------------------------------------------------------------------


async def test_create_with_date(client, user):
    r = await post_log(
        client, user, date="2024-03-04", grams=300, fiber_g=6.5, sodium_mg=120, sugars_g=9
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["date"] == "2024-03-04"
    assert body["consumed_at"] is None
    assert (body["meal_type"], body["description"], body["source"]) == (
        "breakfast",
        "oatmeal with berries",
        "manual",
    )
    assert (body["kcal"], body["protein_g"], body["carbs_g"], body["fat_g"]) == (400, 20, 50, 10)
    assert (body["grams"], body["fiber_g"], body["sodium_mg"], body["sugars_g"]) == (
        300,
        6.5,
        120,
        9,
    )
    assert body["sat_fat_g"] is None


async def test_create_without_date_is_today_in_user_zone(client, make_user):
    user = await make_user(tz="Pacific/Kiritimati")
    body = (await post_log(client, user, date=...)).json()
    assert body["date"] == local_today("Pacific/Kiritimati").isoformat()
    assert body["consumed_at"] is not None


@pytest.mark.parametrize(
    ("tz", "consumed_at", "local_day"),
    [
        ("America/Los_Angeles", "2024-03-10T06:30:00Z", "2024-03-09"),
        # 2024-03-10 is the spring-forward day in Los Angeles (UTC-8 before, UTC-7 after).
        ("America/Los_Angeles", "2024-03-10T07:59:00Z", "2024-03-09"),
        ("America/Los_Angeles", "2024-03-10T08:00:00Z", "2024-03-10"),
        ("America/Los_Angeles", "2024-03-11T06:59:00Z", "2024-03-10"),
        ("America/Los_Angeles", "2024-03-11T07:00:00Z", "2024-03-11"),
        ("Asia/Tokyo", "2024-03-09T15:30:00Z", "2024-03-10"),
        ("Asia/Tokyo", "2024-03-09T14:59:59Z", "2024-03-09"),
        ("UTC", "2024-03-10T01:00:00+05:00", "2024-03-09"),
    ],
)
async def test_consumed_at_falls_on_local_day(client, make_user, tz, consumed_at, local_day):
    user = await make_user(tz=tz)
    r = await post_log(client, user, date=..., consumed_at=consumed_at)
    assert r.status_code == 201, r.text
    assert r.json()["date"] == local_day
    stored = dt.datetime.fromisoformat(r.json()["consumed_at"])
    assert stored == dt.datetime.fromisoformat(consumed_at)


async def test_date_and_consumed_at_must_agree(client, make_user):
    user = await make_user(tz="America/Los_Angeles")
    r = await post_log(client, user, date="2024-03-10", consumed_at="2024-03-10T06:30:00Z")
    body = assert_problem(r, 422, "invalid-log-date")
    assert "2024-03-09" in body["detail"]
    ok = await post_log(client, user, date="2024-03-09", consumed_at="2024-03-10T06:30:00Z")
    assert ok.status_code == 201
    assert (await list_logs(client, user))["total"] == 1


async def test_naive_consumed_at_is_422(client, user):
    r = await post_log(client, user, date=..., consumed_at="2024-03-10T06:30:00")
    body = assert_problem(r, 422, "validation-error")
    assert error_fields(body) == {"consumed_at"}


async def test_date_after_tomorrow_is_422(client, user):
    tomorrow = local_today("UTC") + dt.timedelta(days=1)
    r = await post_log(client, user, date=(tomorrow + dt.timedelta(days=1)).isoformat())
    body = assert_problem(r, 422, "invalid-log-date")
    assert "future" in body["detail"]
    assert (await post_log(client, user, date=tomorrow.isoformat())).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kcal": -1}, "kcal"),
        ({"protein_g": -0.5}, "protein_g"),
        ({"kcal": 20000}, "kcal"),
        ({"description": "x" * 501}, "description"),
        ({"description": "   "}, "description"),
        ({"calories": 100}, "calories"),
        ({"meal_type": "brunch"}, "meal_type"),
        ({"kcal": ...}, "kcal"),
        ({"grams": 0}, "grams"),
    ],
)
async def test_invalid_fields_are_422_naming_the_field(client, user, overrides, field):
    r = await post_log(client, user, **overrides)
    body = assert_problem(r, 422, "validation-error")
    assert error_fields(body) == {field}
    assert field in body["detail"]
    assert (await list_logs(client, user))["total"] == 0


async def test_description_of_500_chars_is_accepted(client, user):
    assert (await post_log(client, user, description="x" * 500)).status_code == 201


async def test_macros_heavier_than_the_food_are_422(client, user):
    r = await post_log(client, user, grams=50, protein_g=20, carbs_g=30, fat_g=10)
    body = assert_problem(r, 422, "validation-error")
    assert "add up to 60 g" in body["errors"][0]["message"]
    assert (await post_log(client, user, grams=60, protein_g=20, carbs_g=30, fat_g=10)).is_success


async def test_writes_follow_a_time_zone_change(client, make_user):
    """Writes read the zone cached next to the rate limit; a zone change must still apply to
    the very next write."""
    user = await make_user(tz="Pacific/Kiritimati")  # UTC+14
    instant = "2024-03-04T12:00:00Z"
    days = []
    for _ in range(2):  # the first write caches the zone, the second reads it from the cache
        r = await post_log(client, user, date=..., consumed_at=instant)
        days.append(r.json()["date"])
    r = await client.patch(
        "/api/v1/users/me", json={"timezone": "Pacific/Pago_Pago"}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    for _ in range(2):
        r = await post_log(client, user, date=..., consumed_at=instant)
        days.append(r.json()["date"])
    assert days == ["2024-03-05", "2024-03-05", "2024-03-04", "2024-03-04"]


async def test_cached_zone_comes_with_the_rate_limit_reply(client, make_user, monkeypatch):
    user = await make_user(tz="Asia/Tokyo")
    await add_log(client, user, date=..., consumed_at="2024-03-09T15:30:00Z")
    calls = []
    real = log_router.auth_service.timezone_hint

    async def counting(*args, **kwargs):
        calls.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(log_router.auth_service, "timezone_hint", counting)
    entry = await add_log(client, user, date=..., consumed_at="2024-03-09T15:30:00Z")
    assert entry["date"] == "2024-03-10"
    # With Redis the limiter's script read the zone; the memory backends read it separately.
    assert len(calls) == (0 if BACKEND == "server" else 1)


async def test_write_for_an_account_deleted_meanwhile_is_401_and_stores_nothing(client, user):
    await add_log(client, user)  # caches the zone, so the next write finds it without the row
    engine = client._transport.app.state.resources.engine
    async with engine.begin() as conn:
        await conn.execute(sa.delete(User).where(col(User.id) == uuid.UUID(user.id)))
    assert_problem(await post_log(client, user), 401, "unauthorized")
    async with engine.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(LogEntry)
            .where(col(LogEntry.user_id) == uuid.UUID(user.id))
        )
    assert count == 0


# --- list -----------------------------------------------------------------------------------


async def seed_week(client, user):
    """One entry a day 2024-03-01..05, alternating breakfast/dinner, kcal 100..500."""
    meals = ["breakfast", "dinner", "breakfast", "dinner", "breakfast"]
    for i, meal in enumerate(meals):
        await add_log(client, user, date=f"2024-03-0{i + 1}", meal_type=meal, kcal=100 * (i + 1))


async def test_list_newest_first_with_pagination(client, user):
    await seed_week(client, user)
    page = await list_logs(client, user, limit=2)
    assert [e["date"] for e in page["items"]] == ["2024-03-05", "2024-03-04"]
    assert (page["total"], page["limit"], page["offset"], page["next_offset"]) == (5, 2, 0, 2)
    page = await list_logs(client, user, limit=2, offset=2)
    assert [e["kcal"] for e in page["items"]] == [300, 200]
    assert page["next_offset"] == 4
    page = await list_logs(client, user, limit=2, offset=4)
    assert [e["date"] for e in page["items"]] == ["2024-03-01"]
    assert page["next_offset"] is None


async def test_list_orders_same_day_by_time(client, user):
    await add_log(client, user, date=..., consumed_at="2024-03-04T08:00:00Z", description="a")
    await add_log(client, user, date=..., consumed_at="2024-03-04T19:00:00Z", description="c")
    await add_log(client, user, date=..., consumed_at="2024-03-04T12:00:00Z", description="b")
    page = await list_logs(client, user)
    assert [e["description"] for e in page["items"]] == ["c", "b", "a"]


async def test_list_filters_by_date_range_and_meal(client, user):
    await seed_week(client, user)
    page = await list_logs(client, user, start="2024-03-02", end="2024-03-04")
    assert [e["date"] for e in page["items"]] == ["2024-03-04", "2024-03-03", "2024-03-02"]
    assert page["total"] == 3
    page = await list_logs(client, user, meal_type="dinner")
    assert [e["kcal"] for e in page["items"]] == [400, 200]
    page = await list_logs(client, user, start="2024-03-03", meal_type="breakfast")
    assert [e["date"] for e in page["items"]] == ["2024-03-05", "2024-03-03"]


async def test_list_only_shows_own_entries(client, user, make_user):
    other = await make_user()
    await add_log(client, other)
    assert (await list_logs(client, user))["total"] == 0
    assert (await list_logs(client, other))["total"] == 1


async def test_list_start_after_end_is_422(client, user):
    r = await client.get(
        LOGS, params={"start": "2024-03-05", "end": "2024-03-01"}, headers=user.headers
    )
    body = assert_problem(r, 422)
    assert "2024-03-05" in body["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"meal_type": "brunch"}, "meal_type"),
        ({"start": "2024-13-01"}, "start"),
    ],
)
async def test_list_bad_query_is_422(client, user, params, field):
    r = await client.get(LOGS, params=params, headers=user.headers)
    body = assert_problem(r, 422, "validation-error")
    assert error_fields(body) == {field}
    assert body["errors"][0]["location"] == "query"


# --- single entry ---------------------------------------------------------------------------


async def test_get_patch_delete_own_entry(client, user):
    entry = await add_log(client, user, grams=200, fiber_g=4)
    url = f"{LOGS}/{entry['id']}"
    r = await client.get(url, headers=user.headers)
    assert r.json() == entry

    r = await client.patch(url, json={"kcal": 450, "meal_type": "lunch"}, headers=user.headers)
    assert r.status_code == 200, r.text
    patched = r.json()
    assert (patched["kcal"], patched["meal_type"]) == (450, "lunch")
    unchanged = {k: v for k, v in entry.items() if k not in ("kcal", "meal_type", "updated_at")}
    assert {k: patched[k] for k in unchanged} == unchanged
    assert (await client.get(url, headers=user.headers)).json() == patched

    r = await client.delete(url, headers=user.headers)
    assert r.status_code == 204
    assert_problem(await client.get(url, headers=user.headers), 404, "log-not-found")
    assert_problem(await client.delete(url, headers=user.headers), 404, "log-not-found")


async def test_patch_can_clear_optional_fields_and_move_the_day(client, user):
    entry = await add_log(client, user, fiber_g=4)
    url = f"{LOGS}/{entry['id']}"
    r = await client.patch(url, json={"fiber_g": None, "date": "2024-03-01"}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["fiber_g"], r.json()["date"], r.json()["kcal"]) == (None, "2024-03-01", 400)


@pytest.mark.parametrize("change", [{"kcal": None}, {"description": None}, {"date": None}])
async def test_patch_required_field_to_null_is_422_and_changes_nothing(client, user, change):
    entry = await add_log(client, user)
    url = f"{LOGS}/{entry['id']}"
    r = await client.patch(url, json={**change, "fat_g": 12}, headers=user.headers)
    body = assert_problem(r, 422, "validation-error")
    assert "cannot be null" in body["errors"][0]["message"]
    assert (await client.get(url, headers=user.headers)).json() == entry


async def test_patch_macros_heavier_than_stored_grams_is_422(client, user):
    entry = await add_log(client, user, grams=100, protein_g=20, carbs_g=50, fat_g=10)
    url = f"{LOGS}/{entry['id']}"
    r = await client.patch(url, json={"carbs_g": 90}, headers=user.headers)
    body = assert_problem(r, 422)
    assert "more than the entry's 100 g" in body["detail"]
    assert (await client.get(url, headers=user.headers)).json()["carbs_g"] == 50


async def test_other_users_entry_is_404_and_untouched(client, user, make_user):
    other = await make_user()
    entry = await add_log(client, other)
    url = f"{LOGS}/{entry['id']}"
    assert_problem(await client.get(url, headers=user.headers), 404, "log-not-found")
    r = await client.patch(url, json={"kcal": 1}, headers=user.headers)
    assert_problem(r, 404, "log-not-found")
    assert_problem(await client.delete(url, headers=user.headers), 404, "log-not-found")
    assert (await client.get(url, headers=other.headers)).json() == entry


async def test_unknown_and_malformed_ids(client, user):
    r = await client.get(f"{LOGS}/00000000-0000-4000-8000-000000000000", headers=user.headers)
    assert_problem(r, 404, "log-not-found")
    # An id that does not parse names no resource: 404 (issue 14), not a validation error.
    r = await client.get(f"{LOGS}/not-a-uuid", headers=user.headers)
    body = assert_problem(r, 404, "not-found")
    assert "entry_id" in body["detail"]


async def test_patch_date_keeps_time_only_when_still_on_that_day(client, make_user):
    user = await make_user(tz="Asia/Tokyo")
    # 2024-03-04T16:00Z is 01:00 on 03-05 in Tokyo.
    entry = await add_log(client, user, date=..., consumed_at="2024-03-04T16:00:00Z")
    assert entry["date"] == "2024-03-05"
    url = f"{LOGS}/{entry['id']}"
    r = await client.patch(url, json={"date": "2024-03-05", "kcal": 1}, headers=user.headers)
    assert (r.json()["date"], r.json()["consumed_at"]) == ("2024-03-05", entry["consumed_at"])
    r = await client.patch(url, json={"date": "2024-03-01"}, headers=user.headers)
    assert (r.json()["date"], r.json()["consumed_at"]) == ("2024-03-01", None)


async def test_patch_consumed_at_moves_the_day(client, make_user):
    user = await make_user(tz="America/Los_Angeles")
    entry = await add_log(client, user, date="2024-03-01")
    url = f"{LOGS}/{entry['id']}"
    r = await client.patch(url, json={"consumed_at": "2024-03-10T06:30:00Z"}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["date"] == "2024-03-09"
    r = await client.patch(
        url,
        json={"consumed_at": "2024-03-10T06:30:00Z", "date": "2024-03-10"},
        headers=user.headers,
    )
    assert_problem(r, 422, "invalid-log-date")
    assert (await client.get(url, headers=user.headers)).json()["date"] == "2024-03-09"


async def test_patch_to_a_future_date_is_422_and_changes_nothing(client, user):
    entry = await add_log(client, user)
    url = f"{LOGS}/{entry['id']}"
    far = (local_today("UTC") + dt.timedelta(days=3)).isoformat()
    r = await client.patch(url, json={"date": far, "kcal": 5}, headers=user.headers)
    assert_problem(r, 422, "invalid-log-date")
    assert (await client.get(url, headers=user.headers)).json() == entry


@pytest.mark.parametrize("consumed_at", ["0001-01-01T00:30:00+14:00", "9999-12-31T23:00:00-10:00"])
async def test_consumed_at_at_the_end_of_time_is_422(client, user, consumed_at):
    async with lenient(client) as c:
        r = await c.post(
            LOGS, json=log_body(date=..., consumed_at=consumed_at), headers=user.headers
        )
    assert_problem(r, 422)


async def test_patch_grams_alone_scales_every_nutrient(client, user):
    entry = await add_log(
        client, user, grams=300, kcal=600, protein_g=30, carbs_g=60, fat_g=21, fiber_g=6
    )
    url = f"{LOGS}/{entry['id']}"
    r = await client.patch(url, json={"grams": 150}, headers=user.headers)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["grams"], got["kcal"], got["protein_g"], got["carbs_g"], got["fat_g"]) == (
        150,
        300,
        15,
        30,
        10.5,
    )
    assert got["fiber_g"] == 3
    # Figures sent with the grams are the user's own: nothing is scaled.
    r = await client.patch(url, json={"grams": 300, "kcal": 500}, headers=user.headers)
    got = r.json()
    assert (got["grams"], got["kcal"], got["protein_g"], got["fat_g"]) == (300, 500, 15, 10.5)


async def test_patch_grams_scales_a_food_entrys_full_snapshot(client, user):
    r = await client.post(
        "/api/v1/logs/natural", json={"text": "200 g banana"}, headers=user.headers
    )
    assert r.status_code == 201, r.text
    (before,) = r.json()["entries"]
    assert before["food_id"] and before["grams"] == 200
    r = await client.patch(f"{LOGS}/{before['id']}", json={"grams": 50}, headers=user.headers)
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["kcal"] == pytest.approx(before["kcal"] / 4, abs=0.01)
    assert after["carbs_g"] == pytest.approx(before["carbs_g"] / 4, abs=0.01)
    assert before["nutrients"]["potassium_mg"] > 0
    for key, value in before["nutrients"].items():
        assert after["nutrients"][key] == pytest.approx(value / 4, abs=0.001), key
