from __future__ import annotations

import datetime as dt
import io
import time
import zipfile

import pytest

from app.activities.met import estimate_activity, estimate_kcal
from tests.conftest import assert_problem, create_user
from tests.logs.helpers import error_fields, local_today
from tests.users.helpers import add_weight, get_targets, patch_profile, put_profile

ACTIVITIES = "/api/v1/activities"
IMPORT = f"{ACTIVITIES}/import/apple_health"


async def post_activity(client, user, **body):
    return await client.post(ACTIVITIES, json=body, headers=user.headers)


async def add_activity(client, user, **body):
    r = await post_activity(client, user, **body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_kcal_estimated_from_met_and_weight(client, user):
    await add_weight(client, user, 72.5)
    a = await add_activity(
        client, user, date="2024-05-01", activity_type="Running", duration_min=40
    )
    assert a["activity_type"] == "running"
    assert a["kcal"] == estimate_kcal("running", 40, 72.5) == 473.7  # 9.8 × 72.5 × 40/60
    assert (a["kcal_estimated"], a["met"], a["source"]) == (True, 9.8, "manual")
    # With a distance, walking and running use the Compendium's speed-specific MET.
    a = await add_activity(
        client, user, date="2024-05-01", activity_type="walk", duration_min=60, distance_km=6.4
    )
    ref = estimate_activity("walking", 60, 72.5, distance_km=6.4)
    assert (a["kcal"], a["met"]) == (ref.kcal, ref.met)
    assert ref.met_source == "speed"


async def test_given_kcal_is_kept(client, user):
    a = await add_activity(
        client,
        user,
        date="2024-05-01",
        activity_type="cycling",
        duration_min=45,
        distance_km=18.5,
        kcal=420,
        steps=0,
    )
    assert (a["kcal"], a["kcal_estimated"], a["met"]) == (420, False, None)
    assert (a["distance_km"], a["duration_min"], a["steps"]) == (18.5, 45, 0)
    got = await client.get(f"{ACTIVITIES}/{a['id']}", headers=user.headers)
    assert got.json() == a


async def test_no_weight_and_no_kcal_is_422(client, user):
    r = await post_activity(client, user, activity_type="yoga", duration_min=30)
    body = assert_problem(r, 422, "weight-unknown")
    assert "weight" in body["detail"] and "kcal" in body["detail"]
    # The profile's weight is enough.
    await patch_profile(client, user, weight_kg=60)
    a = await add_activity(client, user, activity_type="yoga", duration_min=30)
    assert a["kcal"] == 75.0  # 2.5 × 60 × 0.5


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"activity_type": "quidditch", "duration_min": 30, "kcal": 1}, {"activity_type"}),
        ({"activity_type": "running", "kcal": 100}, {"body"}),
        ({"activity_type": "running", "duration_min": -5, "kcal": 1}, {"duration_min"}),
        ({"activity_type": "running", "duration_min": 2000, "kcal": 1}, {"duration_min"}),
        ({"activity_type": "running", "duration_min": 5, "kcal": -1}, {"kcal"}),
        ({"activity_type": "daily_steps"}, {"body"}),
        (
            {"activity_type": "running", "duration_min": 5, "kcal": 1, "source": "polar"},
            {"source"},
        ),
        (
            {
                "activity_type": "running",
                "duration_min": 5,
                "kcal": 1,
                "started_at": "2024-05-01T07:00:00",
            },
            {"started_at"},
        ),
    ],
)
async def test_invalid_activities_are_422(client, user, body, fields):
    r = await post_activity(client, user, **body)
    assert error_fields(assert_problem(r, 422, "validation-error")) == fields


@pytest.mark.parametrize(
    ("tz", "started_at", "local_day"),
    [
        ("America/Los_Angeles", "2024-03-10T07:59:00Z", "2024-03-09"),
        ("America/Los_Angeles", "2024-03-10T08:00:00Z", "2024-03-10"),
        ("Asia/Tokyo", "2024-03-09T15:30:00Z", "2024-03-10"),
    ],
)
async def test_started_at_falls_on_the_local_day(client, make_user, tz, started_at, local_day):
    user = await make_user(tz=tz)
    a = await add_activity(
        client, user, started_at=started_at, activity_type="hiit", duration_min=20, kcal=200
    )
    assert a["date"] == local_day
    r = await post_activity(
        client,
        user,
        date="2024-03-11",
        started_at=started_at,
        activity_type="hiit",
        duration_min=20,
        kcal=200,
    )
    assert local_day in assert_problem(r, 422, "invalid-activity-date")["detail"]


async def test_default_date_is_today_in_the_users_zone(client, make_user):
    user = await make_user(tz="Pacific/Kiritimati")
    a = await add_activity(client, user, activity_type="golf", duration_min=90, kcal=300)
    assert a["date"] == local_today("Pacific/Kiritimati").isoformat()


async def test_list_get_delete_and_privacy(client, make_user):
    alice = await make_user()
    bob = await make_user()
    ids = []
    for day in ("2024-05-01", "2024-05-02", "2024-05-03"):
        ids.append(
            (
                await add_activity(
                    client, alice, date=day, activity_type="rowing", duration_min=20, kcal=150
                )
            )["id"]
        )
    await add_activity(
        client, alice, date="2024-05-02", activity_type="yoga", duration_min=20, kcal=50
    )
    r = await client.get(ACTIVITIES, params={"limit": 2}, headers=alice.headers)
    page = r.json()
    assert page["total"] == 4 and page["next_offset"] == 2
    assert [a["date"] for a in page["items"]] == ["2024-05-03", "2024-05-02"]
    r = await client.get(
        ACTIVITIES,
        params={"start": "2024-05-02", "end": "2024-05-02", "activity_type": "rowing"},
        headers=alice.headers,
    )
    assert [a["id"] for a in r.json()["items"]] == [ids[1]]

    # Bob sees none of it and cannot touch it.
    assert (await client.get(ACTIVITIES, headers=bob.headers)).json()["total"] == 0
    assert_problem(await client.get(f"{ACTIVITIES}/{ids[0]}", headers=bob.headers), 404)
    assert_problem(await client.delete(f"{ACTIVITIES}/{ids[0]}", headers=bob.headers), 404)
    r = await client.get(
        f"{ACTIVITIES}/daily",
        params={"start": "2024-05-01", "end": "2024-05-03"},
        headers=bob.headers,
    )
    assert r.json()["days"] == []

    assert (await client.delete(f"{ACTIVITIES}/{ids[0]}", headers=alice.headers)).status_code == 204
    assert_problem(
        await client.get(f"{ACTIVITIES}/{ids[0]}", headers=alice.headers), 404, "activity-not-found"
    )
    assert (await client.get(ACTIVITIES, headers=alice.headers)).json()["total"] == 3


async def test_daily_totals(client, user):
    await add_activity(
        client,
        user,
        date="2024-05-01",
        activity_type="running",
        duration_min=30,
        kcal=300,
        distance_km=5,
        steps=5000,
    )
    await add_activity(
        client, user, date="2024-05-01", activity_type="yoga", duration_min=45, kcal=100
    )
    await add_activity(
        client,
        user,
        date="2024-05-02",
        activity_type="walking",
        duration_min=20,
        kcal=80,
        steps=2000,
        distance_km=1.5,
    )
    # A recorded step count for the day wins over the workouts' own steps (it includes them).
    await add_activity(client, user, date="2024-05-02", activity_type="daily_steps", steps=9000)
    await add_activity(
        client, user, date="2024-05-05", activity_type="cycling", duration_min=60, kcal=500
    )
    r = await client.get(
        f"{ACTIVITIES}/daily",
        params={"start": "2024-05-01", "end": "2024-05-04"},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "start": "2024-05-01",
        "end": "2024-05-04",
        "days": [
            {
                "date": "2024-05-01",
                "activities": 2,
                "duration_min": 75.0,
                "kcal": 400.0,
                "steps": 5000,
                "distance_km": 5.0,
            },
            {
                "date": "2024-05-02",
                "activities": 1,
                "duration_min": 20.0,
                "kcal": 80.0,
                "steps": 9000,
                "distance_km": 1.5,
            },
        ],
    }
    r = await client.get(
        f"{ACTIVITIES}/daily",
        params={"start": "2024-01-01", "end": "2025-06-01"},
        headers=user.headers,
    )
    assert_problem(r, 422)


# --- add yesterday's active kcal --------------------------------------------------------------


async def test_add_activity_kcal_adds_yesterdays_net_kcal(client, user):
    today = local_today("UTC")
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    await put_profile(client, user)
    base = (await get_targets(client, user))["kcal"]
    await add_activity(
        client, user, date=yesterday, activity_type="cycling", duration_min=60, kcal=300
    )
    # Off by default: nothing added.
    t = await get_targets(client, user)
    assert t["kcal"] == base and t["active_kcal"]["opted_in"] is False

    await patch_profile(client, user, add_activity_kcal=True)
    t = await get_targets(client, user)
    assert t["kcal"] == base + 300 and t["extra_active_kcal"] == 300
    assert t["active_kcal"] == {
        **t["active_kcal"],
        "date": yesterday,
        "kcal": 300.0,
        "activities": 1,
    }
    # An estimated activity counts net of resting energy: kcal × (MET − 1) / MET.
    run = await add_activity(client, user, date=yesterday, activity_type="running", duration_min=30)
    net = run["kcal"] * (run["met"] - 1) / run["met"]
    t = await get_targets(client, user)
    assert t["active_kcal"]["kcal"] == round(300 + net, 1)
    assert t["kcal"] == round(base + 300 + net)
    # Today's activities count tomorrow, not today.
    await add_activity(
        client, user, date=today.isoformat(), activity_type="rowing", duration_min=60, kcal=400
    )
    assert (await get_targets(client, user))["kcal"] == round(base + 300 + net)


async def test_add_activity_kcal_without_activity_is_the_baseline(client, user):
    await put_profile(client, user, add_activity_kcal=True)
    t = await get_targets(client, user)
    assert t["kcal"] == 2759 and t["extra_active_kcal"] == 0
    assert t["active_kcal"]["activities"] == 0 and "baseline" in t["active_kcal"]["note"]


# --- Apple Health import --------------------------------------------------------------------

EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="en_US">
 <ExportDate value="2024-01-10 20:00:00 -0800"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" unit="count"
  startDate="2024-01-02 08:00:00 -0800" endDate="2024-01-02 08:10:00 -0800" value="4000"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Watch" unit="count"
  startDate="2024-01-02 09:00:00 -0800" endDate="2024-01-02 09:10:00 -0800" value="4200"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" unit="count"
  startDate="2024-01-03 23:30:00 -0800" endDate="2024-01-03 23:40:00 -0800" value="700"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min"
  totalDistance="5" totalDistanceUnit="km" totalEnergyBurned="320" totalEnergyBurnedUnit="kcal"
  startDate="2024-01-02 07:00:00 -0800" endDate="2024-01-02 07:30:00 -0800"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeYoga" duration="1" durationUnit="hr"
  startDate="2024-01-03 22:30:00 -0800" endDate="2024-01-03 23:30:00 -0800"/>
</HealthData>
"""


async def upload(client, user, data: bytes, name="export.xml", url=IMPORT):
    return await client.post(
        url, files={"file": (name, data, "application/octet-stream")}, headers=user.headers
    )


async def test_import_apple_health_is_idempotent(client, make_user):
    user = await make_user(tz="America/Los_Angeles")
    await add_weight(client, user, 70, "2024-01-01")
    r = await upload(client, user, EXPORT.encode())
    assert r.status_code == 200, r.text
    assert r.json() == {
        "provider": "apple_health",
        "total": 4,
        "imported": 4,
        "updated": 0,
        "skipped": 0,
    }
    items = (await client.get(ACTIVITIES, headers=user.headers)).json()["items"]
    got = {(a["date"], a["activity_type"]): a for a in items}
    run = got[("2024-01-02", "running")]
    assert (run["kcal"], run["kcal_estimated"], run["distance_km"], run["source"]) == (
        320,
        False,
        5,
        "apple_health",
    )
    assert run["started_at"] == "2024-01-02T15:00:00Z"
    # No energy in the file: estimated from MET and the user's weight. Local dates as written.
    yoga = got[("2024-01-03", "yoga")]
    assert (yoga["kcal"], yoga["kcal_estimated"]) == (estimate_kcal("yoga", 60, 70), True)
    # Steps: the larger source per day (phone and watch count the same steps).
    assert got[("2024-01-02", "daily_steps")]["steps"] == 4200
    assert got[("2024-01-03", "daily_steps")]["steps"] == 700

    # The same file again changes nothing; a zip of it neither.
    r = await upload(client, user, EXPORT.encode())
    assert r.json() == {
        "provider": "apple_health",
        "total": 4,
        "imported": 0,
        "updated": 0,
        "skipped": 4,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("apple_health_export/export.xml", EXPORT)
    r = await upload(client, user, buf.getvalue(), name="export.zip")
    assert r.json()["skipped"] == 4
    assert (await client.get(ACTIVITIES, headers=user.headers)).json()["total"] == 4

    # A newer export with more steps that day updates the row in place.
    newer = EXPORT.replace('value="700"', 'value="900"')
    r = await upload(client, user, newer.encode())
    assert (r.json()["updated"], r.json()["skipped"], r.json()["imported"]) == (1, 3, 0)
    r = await client.get(
        f"{ACTIVITIES}/daily",
        params={"start": "2024-01-02", "end": "2024-01-03"},
        headers=user.headers,
    )
    days = r.json()["days"]
    assert [(d["date"], d["steps"], d["activities"]) for d in days] == [
        ("2024-01-02", 4200, 1),
        ("2024-01-03", 900, 1),
    ]


async def test_import_is_per_user(client, make_user):
    alice = await make_user()
    bob = await make_user()
    await upload(client, alice, EXPORT.encode())
    r = await upload(client, bob, EXPORT.encode())
    assert r.json()["imported"] == 4
    assert (await client.get(ACTIVITIES, headers=alice.headers)).json()["total"] == 4


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"this is not xml", "not a valid XML"),
        (b"<Other/>", "HealthData"),
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><HealthData/>', "entity"),
        (b"PK\x03\x04garbage", "zip"),
    ],
)
async def test_bad_import_file_is_422(client, user, data, words):
    r = await upload(client, user, data)
    body = assert_problem(r, 422, "invalid-import-file")
    assert words in body["detail"]
    assert (await client.get(ACTIVITIES, headers=user.headers)).json()["total"] == 0


async def test_unknown_provider_is_422(client, user):
    r = await upload(client, user, EXPORT.encode(), url=f"{ACTIVITIES}/import/garmin")
    body = assert_problem(r, 422, "unknown-provider")
    assert "apple_health" in body["detail"]
    r = await client.post(IMPORT, headers=user.headers)
    assert error_fields(assert_problem(r, 422)) == {"file"}


async def test_activity_writes_are_rate_limited(client_factory):
    async with client_factory(rate_limit_log_writes_per_minute=2) as c:
        user = await create_user(c)
        body = {"date": "2024-05-01", "activity_type": "yoga", "duration_min": 10, "kcal": 30}
        for _ in range(2):
            assert (await c.post(ACTIVITIES, json=body, headers=user.headers)).status_code == 201
        r = await c.post(ACTIVITIES, json=body, headers=user.headers)
        assert_problem(r, 429, "rate-limited")
        assert int(r.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("started_at", ["0001-01-01T00:30:00+14:00", "9999-12-31T23:00:00-10:00"])
async def test_started_at_at_the_end_of_time_is_422(client, user, started_at):
    r = await post_activity(
        client, user, started_at=started_at, activity_type="yoga", duration_min=10, kcal=30
    )
    # Outside the API's one date range (app/core/contract.py), refused before the service.
    assert_problem(r, 422, "validation-error")


async def test_zip_bomb_is_refused_quickly(client, user):
    """A 320 MiB export.xml in a zip of about 330 KB (issue 14: one like it cost 69 s of CPU):
    413 before the XML is parsed, and nothing imported."""
    from tests.core.test_archive import bomb

    data = bomb(320)
    assert len(data) < 2 * 1024 * 1024
    start = time.process_time()
    r = await upload(client, user, data, name="export.zip")
    elapsed = time.process_time() - start
    body = assert_problem(r, 413, "payload-too-large")
    assert "compressed more than 100 to 1" in body["detail"]
    assert elapsed < 1.0, elapsed
    assert (await client.get(ACTIVITIES, headers=user.headers)).json()["total"] == 0
