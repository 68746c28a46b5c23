from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import assert_problem
from tests.logs.helpers import error_fields, local_today
from tests.users.helpers import PROFILE, dob_for_age, patch_profile, profile_body, put_profile


async def test_empty_profile_has_defaults(client, user):
    r = await client.get(PROFILE, headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["complete"] is False
    assert body["missing_fields"] == [
        "sex",
        "date_of_birth",
        "height_cm",
        "weight_kg",
        "activity_level",
        "goal",
    ]
    assert body["units"] == "metric" and body["imperial"] is None
    assert body["goal_mode"] == "manual" and body["add_activity_kcal"] is False
    assert body["wake_time"] == "07:00"
    assert body["meal_slots"] == ["breakfast", "lunch", "dinner", "snack"]
    assert body["dietary_pattern"] == "omnivore"
    assert body["timezone"] == "UTC"


async def test_put_stores_exact_values(client, user):
    dob = dob_for_age(34)
    body = await put_profile(
        client,
        user,
        sex="female",
        date_of_birth=dob,
        height_cm=168.5,
        weight_kg=72.4,
        activity_level="light",
        goal="lose",
        target_weight_kg=65,
        weekly_rate_kg=0.4,
        body_fat_pct=31.5,
        dietary_pattern="vegetarian",
        allergies=["peanuts", "sesame", "peanuts"],
        excluded_foods=["  cilantro ", "Liver", "liver"],
        excluded_food_groups=["alcohol"],
        liked_foods=["oats", "tofu"],
        liked_exercises=["swimming"],
        goal_mode="manual",
        add_activity_kcal=True,
        wake_time="06:15",
        meal_slots=["breakfast", "dinner"],
    )
    expected = {
        "sex": "female",
        "date_of_birth": dob,
        "age_years": 34,
        "height_cm": 168.5,
        "weight_kg": 72.4,
        "activity_level": "light",
        "goal": "lose",
        "target_weight_kg": 65.0,
        "weekly_rate_kg": 0.4,
        "body_fat_pct": 31.5,
        "dietary_pattern": "vegetarian",
        "allergies": ["peanuts", "sesame"],
        "excluded_foods": ["cilantro", "Liver"],
        "excluded_food_groups": ["alcohol"],
        "liked_foods": ["oats", "tofu"],
        "liked_exercises": ["swimming"],
        "goal_mode": "manual",
        "add_activity_kcal": True,
        "wake_time": "06:15",
        "meal_slots": ["breakfast", "dinner"],
        "complete": True,
        "missing_fields": [],
    }
    assert {k: body[k] for k in expected} == expected
    again = (await client.get(PROFILE, headers=user.headers)).json()
    assert again == body


async def test_put_replaces_and_patch_changes_only_sent_fields(client, user):
    await put_profile(client, user, body_fat_pct=20, liked_foods=["rice"], wake_time="05:30")
    body = await patch_profile(client, user, activity_level="very_active", liked_foods=["eggs"])
    assert body["activity_level"] == "very_active"
    assert body["liked_foods"] == ["eggs"]
    assert body["body_fat_pct"] == 20 and body["wake_time"] == "05:30"
    assert body["weight_kg"] == 80 and body["height_cm"] == 180
    # PUT resets what it does not send.
    body = await put_profile(client, user)
    assert (
        body["body_fat_pct"] is None and body["liked_foods"] == [] and body["wake_time"] == "07:00"
    )
    assert body["activity_level"] == "moderate"
    # null clears an optional field.
    await patch_profile(client, user, body_fat_pct=18)
    assert (await patch_profile(client, user, body_fat_pct=None))["body_fat_pct"] is None


async def test_patch_can_build_a_profile_bit_by_bit(client, user):
    body = await patch_profile(client, user, sex="female", height_cm=160)
    assert body["complete"] is False
    assert body["missing_fields"] == ["date_of_birth", "weight_kg", "activity_level", "goal"]


async def test_imperial_inputs_are_stored_metric(client, user):
    body = await put_profile(
        client,
        user,
        height_cm=...,
        weight_kg=...,
        height_ft=5,
        height_in=11,
        weight_lb=180,
        goal="lose",
        target_weight_lb=165,
        weekly_rate_lb=1,
        units="imperial",
    )
    assert body["height_cm"] == 180.34
    assert body["weight_kg"] == 81.65
    assert body["target_weight_kg"] == 74.84
    assert body["weekly_rate_kg"] == 0.454
    assert body["imperial"] == {
        "height_ft": 5,
        "height_in": 11.0,
        "weight_lb": 180.0,
        "target_weight_lb": 165.0,
        "weekly_rate_lb": 1.0,
    }
    # Total inches alone work too; metric responses never carry the imperial block.
    body = await patch_profile(client, user, height_in=70, units="metric")
    assert body["height_cm"] == 177.8 and body["imperial"] is None


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"height_cm": 90}, {"height_cm"}),
        ({"height_cm": 300}, {"height_cm"}),
        ({"weight_kg": 20}, {"weight_kg"}),
        ({"weight_kg": 500}, {"weight_kg"}),
        ({"weight_kg": ..., "weight_lb": 1000}, {"weight_lb"}),
        ({"height_cm": ..., "height_ft": 2, "height_in": 0}, {"height_ft"}),
        ({"body_fat_pct": 90}, {"body_fat_pct"}),
        ({"sex": "other"}, {"sex"}),
        ({"activity_level": "couch"}, {"activity_level"}),
        ({"goal": "bulk"}, {"goal"}),
        ({"dietary_pattern": "carnivore"}, {"dietary_pattern"}),
        ({"allergies": ["pollen"]}, {"allergies.0"}),
        ({"excluded_foods": ["x" * 81]}, {"excluded_foods.0"}),
        ({"liked_foods": ["a"] * 51}, {"liked_foods"}),
        ({"meal_slots": ["brunch"]}, {"meal_slots.0"}),
        ({"meal_slots": []}, {"meal_slots"}),
        ({"wake_time": "25:00"}, {"wake_time"}),
        ({"units": "furlongs"}, {"units"}),
        ({"goal_mode": "magic"}, {"goal_mode"}),
        ({"timezone": "Mars/Olympus"}, {"timezone"}),
        ({"shoe_size": 44}, {"shoe_size"}),
        ({"date_of_birth": "not-a-date"}, {"date_of_birth"}),
    ],
)
async def test_invalid_fields_are_422_naming_the_field(client, user, overrides, fields):
    r = await client.put(PROFILE, json=profile_body(**overrides), headers=user.headers)
    body = assert_problem(r, 422, "validation-error")
    assert error_fields(body) == fields


@pytest.mark.parametrize(
    ("overrides", "fields", "words"),
    [
        # Age outside 13-120, and a birth date in the future.
        ({"date_of_birth": dob_for_age(12)}, {"date_of_birth"}, "age of 12"),
        ({"date_of_birth": dob_for_age(121)}, {"date_of_birth"}, "age of 121"),
        ({"date_of_birth": "2098-01-01"}, {"date_of_birth"}, "future"),
        # 1% of 80 kg is 0.8 kg/week.
        ({"goal": "lose", "weekly_rate_kg": 0.9}, {"weekly_rate_kg"}, "more than 1%"),
        ({"goal": "gain", "weekly_rate_lb": 2}, {"weekly_rate_lb"}, "more than 1%"),
        ({"goal": "lose", "target_weight_kg": 85}, {"target_weight_kg"}, "not below"),
        ({"goal": "gain", "target_weight_kg": 70}, {"target_weight_kg"}, "not above"),
        ({"goal": "maintain", "weekly_rate_kg": 0.3}, {"weekly_rate_kg"}, "maintain"),
        ({"goal": "lose", "weekly_rate_kg": 0}, {"weekly_rate_kg"}, "non-zero"),
        ({"height_cm": 180, "height_in": 70}, {"height_in"}, "not both"),
        ({"weight_kg": 80, "weight_lb": 176}, {"weight_lb"}, "not both"),
        ({"height_cm": ..., "height_ft": 5, "height_in": 12}, {"height_in"}, "below 12"),
        ({"height_cm": ..., "height_in": 30}, {"height_in"}, "between 100 and 250"),
        ({"sex": ..., "goal": ...}, {"sex", "goal"}, "required"),
        ({"sex": None}, {"sex"}, "sex"),  # null is refused by the schema itself (issue 14)
    ],
)
async def test_inconsistent_profiles_are_422(client, user, overrides, fields, words):
    r = await client.put(PROFILE, json=profile_body(**overrides), headers=user.headers)
    body = assert_problem(r, 422, "validation-error")
    assert error_fields(body) == fields
    assert words in body["detail"]
    # Nothing was stored.
    assert (await client.get(PROFILE, headers=user.headers)).json()["complete"] is False


async def test_patch_is_checked_against_the_stored_profile(client, user):
    await put_profile(client, user, goal="lose", weekly_rate_kg=0.5)
    r = await client.patch(PROFILE, json={"weekly_rate_kg": 1.5}, headers=user.headers)
    assert error_fields(assert_problem(r, 422)) == {"weekly_rate_kg"}
    r = await client.patch(PROFILE, json={"target_weight_kg": 90}, headers=user.headers)
    assert error_fields(assert_problem(r, 422)) == {"target_weight_kg"}
    # Switching the goal keeps the magnitude and flips its direction.
    body = await patch_profile(client, user, goal="gain")
    assert body["weekly_rate_kg"] == 0.5 and body["goal"] == "gain"
    body = await patch_profile(client, user, goal="maintain")
    assert body["weekly_rate_kg"] is None


async def test_timezone_is_stored_on_the_account_and_drops_caches(client, user):
    # Read through the cached zone first so a stale cache would show.
    assert (await client.get(PROFILE, headers=user.headers)).json()["timezone"] == "UTC"
    body = await put_profile(client, user, timezone="Pacific/Kiritimati")
    assert body["timezone"] == "Pacific/Kiritimati"
    me = (await client.get("/api/v1/users/me", headers=user.headers)).json()
    assert me["timezone"] == "Pacific/Kiritimati"
    # The new zone decides "today" at once (UTC+14: usually a day ahead of UTC).
    r = await client.post(
        "/api/v1/logs",
        json={
            "meal_type": "lunch",
            "description": "soup",
            "kcal": 200,
            "protein_g": 5,
            "carbs_g": 20,
            "fat_g": 5,
        },
        headers=user.headers,
    )
    assert r.json()["date"] == local_today("Pacific/Kiritimati").isoformat()
    r = await client.patch(PROFILE, json={"timezone": "Nowhere/Land"}, headers=user.headers)
    assert error_fields(assert_problem(r, 422)) == {"timezone"}


async def test_age_is_checked_in_the_users_time_zone(client, user):
    tz = "Pacific/Kiritimati"
    today = local_today(tz)
    # Thirteen today in Kiritimati.
    try:
        dob = today.replace(year=today.year - 13)
    except ValueError:
        dob = today.replace(year=today.year - 13, day=28) + dt.timedelta(days=1)
    body = await put_profile(client, user, timezone=tz, date_of_birth=dob.isoformat())
    assert body["age_years"] == 13


async def test_profile_requires_auth_and_is_private(client, make_user):
    alice = await make_user()
    bob = await make_user()
    await put_profile(client, alice, weight_kg=61, liked_foods=["figs"])
    theirs = (await client.get(PROFILE, headers=bob.headers)).json()
    assert theirs["weight_kg"] is None and theirs["liked_foods"] == []
    await put_profile(client, bob, weight_kg=90)
    assert (await client.get(PROFILE, headers=alice.headers)).json()["weight_kg"] == 61
    assert_problem(await client.get(PROFILE), 401)
