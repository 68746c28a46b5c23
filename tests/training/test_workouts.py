"""Workout log: figures to the decimal, PRs, lb input, bounds, BOLA, activity of the day."""

from __future__ import annotations

import uuid

import pytest

from app.core.cache import profile_scope
from app.training import figures
from tests.conftest import assert_problem
from tests.events.helpers import outbox_rows
from tests.training.helpers import BENCH, PULLUPS, SQUAT, private_exercise, set_profile

DAY = "2024-05-01"


def bench_workout(**extra):
    return {
        "date": DAY,
        "duration_min": 60,
        "title": "Push",
        "exercises": [
            {
                "exercise_id": BENCH,
                "sets": [
                    {"reps": 10, "weight_kg": 40, "is_warmup": True},
                    {"reps": 5, "weight_kg": 100, "rpe": 8},
                    {"reps": 5, "weight_lb": 225, "rir": 1},
                    {"reps": 8, "weight_kg": 90, "rir": 6},
                ],
            },
            {"exercise_id": PULLUPS, "sets": [{"reps": 12}, {"reps": 10}]},
        ],
        **extra,
    }


def test_figures_exact():
    assert figures.epley_e1rm(100, 5) == 116.7  # 100 × (1 + 5/30)
    assert figures.epley_e1rm(100, 1) == 100.0
    assert figures.epley_e1rm(60, 10) == 80.0
    assert figures.epley_e1rm(100, 31) is None and figures.epley_e1rm(None, 5) is None
    assert figures.lb_to_kg(225) == 102.06
    assert figures.lb_to_kg(5) == 2.27
    assert figures.set_volume(100, 5, False) == 500.0
    assert figures.set_volume(100, 5, True) == 0.0
    assert figures.is_hard_set(False, None, 4) and not figures.is_hard_set(False, None, 5)
    assert figures.is_hard_set(False, 6, None) and not figures.is_hard_set(False, 5.5, None)
    assert not figures.is_hard_set(True, 10, 0)
    # 6 sets, no durations: 6 × (45 + 120) s = 16.5 min
    assert figures.estimated_duration_min([(None, False)] * 6) == 16.5


async def test_log_workout_figures(client, user):
    await set_profile(client, user, weight_kg=80)
    r = await client.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)
    assert r.status_code == 201, r.text
    w = r.json()
    bench, pullups = w["exercises"]
    assert bench["name"] == "Barbell Bench Press - Medium Grip"
    assert [s["weight_kg"] for s in bench["sets"]] == [40.0, 100.0, 102.06, 90.0]
    assert [s["volume_kg"] for s in bench["sets"]] == [0.0, 500.0, 510.3, 720.0]
    assert [s["e1rm_kg"] for s in bench["sets"]] == [53.3, 116.7, 119.1, 114.0]
    assert [s["is_hard"] for s in bench["sets"]] == [False, True, True, False]
    assert bench["volume_kg"] == 1730.3
    assert bench["best_set"] == {"set_number": 3, "reps": 5, "weight_kg": 102.06, "e1rm_kg": 119.1}
    assert bench["e1rm_kg"] == 119.1
    assert pullups["volume_kg"] == 0.0 and pullups["best_set"]["reps"] == 12
    assert w["total_volume_kg"] == 1730.3
    assert w["working_sets"] == 5
    assert w["pr_count"] == 0  # a first session has nothing to beat
    assert w["e1rm_formula"].startswith("Epley")
    # 3.5 MET × 80 kg × 1 h
    assert w["kcal"] == 280.0 and w["met"] == 3.5
    assert w["duration_min"] == 60 and not w["duration_estimated"]

    r = await client.get(f"/api/v1/workouts/{w['id']}", headers=user.headers)
    assert r.json() == w


async def test_personal_records(client, user):
    r = await client.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)
    assert r.status_code == 201
    second = {
        "date": "2024-05-04",
        "exercises": [
            {
                "exercise_id": BENCH,
                "sets": [
                    {"reps": 5, "weight_kg": 105},  # e1RM 122.5 > 119.1; first time at 105
                    {"reps": 9, "weight_kg": 90},  # 810 kg > 720 kg; 9 reps > 8 at 90 kg
                    {"reps": 3, "weight_kg": 100},  # nothing beaten
                    {"reps": 20, "weight_kg": 200, "is_warmup": True},  # warm-ups never count
                ],
            }
        ],
    }
    r = await client.post("/api/v1/workouts", json=second, headers=user.headers)
    assert r.status_code == 201, r.text
    w = r.json()
    sets = w["exercises"][0]["sets"]
    assert [s["prs"] for s in sets] == [["e1rm"], ["reps_at_weight", "volume"], [], []]
    assert w["pr_count"] == 2
    # Without duration_min: 4 sets × (45 s + 120 s) = 11 min; no weight known, no kcal.
    assert w["duration_min"] == 11.0 and w["duration_estimated"] and w["kcal"] is None


async def test_list_paginated_newest_first(client, user):
    for day in ("2024-05-01", "2024-05-03", "2024-05-02"):
        r = await client.post(
            "/api/v1/workouts", json=bench_workout(date=day), headers=user.headers
        )
        assert r.status_code == 201
    r = await client.get("/api/v1/workouts?limit=2", headers=user.headers)
    body = r.json()
    assert [i["date"] for i in body["items"]] == ["2024-05-03", "2024-05-02"]
    assert body["total"] == 3 and body["next_offset"] == 2
    assert body["items"][0]["total_volume_kg"] == 1730.3
    r = await client.get(
        "/api/v1/workouts",
        params={"start": "2024-05-02", "end": "2024-05-02"},
        headers=user.headers,
    )
    assert [i["date"] for i in r.json()["items"]] == ["2024-05-02"]
    r = await client.get(
        "/api/v1/workouts",
        params={"start": "2024-05-03", "end": "2024-05-02"},
        headers=user.headers,
    )
    assert_problem(r, 422)
    r = await client.get("/api/v1/workouts?limit=101", headers=user.headers)
    assert_problem(r, 422)


async def test_patch_recomputes_and_delete(client, user):
    await set_profile(client, user, weight_kg=80)
    r = await client.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)
    w = r.json()
    patch = {
        "title": "Legs",
        "duration_min": 30,
        "exercises": [{"exercise_id": SQUAT, "sets": [{"reps": 5, "weight_kg": 140}]}],
    }
    r = await client.patch(f"/api/v1/workouts/{w['id']}", json=patch, headers=user.headers)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["title"] == "Legs" and p["total_volume_kg"] == 700.0 and p["working_sets"] == 1
    assert p["exercises"][0]["e1rm_kg"] == 163.3  # 140 × 7/6
    assert p["kcal"] == 140.0  # 3.5 × 80 × 0.5 h
    assert p["activity_id"] == w["activity_id"]
    r = await client.get(f"/api/v1/activities/{w['activity_id']}", headers=user.headers)
    assert r.json()["kcal"] == 140.0 and r.json()["duration_min"] == 30

    r = await client.patch(
        f"/api/v1/workouts/{w['id']}", json={"notes": "felt good"}, headers=user.headers
    )
    assert r.json()["notes"] == "felt good" and r.json()["total_volume_kg"] == 700.0

    r = await client.delete(f"/api/v1/workouts/{w['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/v1/workouts/{w['id']}", headers=user.headers)
    assert_problem(r, 404, "workout-not-found")
    r = await client.get(f"/api/v1/activities/{w['activity_id']}", headers=user.headers)
    assert_problem(r, 404)


async def test_workout_becomes_the_days_activity(client, user):
    await set_profile(client, user, weight_kg=80)
    r = await client.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)
    w = r.json()
    r = await client.get(
        "/api/v1/activities/daily", params={"start": DAY, "end": DAY}, headers=user.headers
    )
    day = r.json()["days"][0]
    assert day["activities"] == 1 and day["kcal"] == 280.0 and day["duration_min"] == 60
    r = await client.get(f"/api/v1/activities/{w['activity_id']}", headers=user.headers)
    a = r.json()
    assert a["activity_type"] == "strength_training" and a["source"] == "workout"


async def test_instant_answered_in_utc_as_read_back(client, user):
    """An instant sent with an offset is answered in UTC by the write, as every read answers
    it: a client comparing the two sees one text for one instant."""
    r = await client.post(
        "/api/v1/workouts",
        json=bench_workout(date=None, started_at="2024-05-01T19:05:00+02:00"),
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    written = r.json()
    assert written["started_at"] == "2024-05-01T17:05:00Z"
    assert written["date"] == DAY
    r = await client.get(f"/api/v1/workouts/{written['id']}", headers=user.headers)
    assert r.json()["started_at"] == written["started_at"]
    r = await client.get("/api/v1/workouts", headers=user.headers)
    assert [w["started_at"] for w in r.json()["items"]] == [written["started_at"]]


async def test_tracker_session_counted_once(client, user):
    """A tracker's strength session at the same time: the workout links to it, no second
    activity is created, so the day's energy holds the session once."""
    await set_profile(client, user, weight_kg=80)
    r = await client.post(
        "/api/v1/activities",
        json={
            "started_at": "2024-05-01T17:00:00Z",
            "activity_type": "strength_training",
            "duration_min": 55,
            "kcal": 310,
            "source": "apple_health",
        },
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    tracker = r.json()
    r = await client.post(
        "/api/v1/workouts",
        json=bench_workout(date=None, started_at="2024-05-01T17:05:00Z"),
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    workout = r.json()
    assert workout["activity_id"] == tracker["id"]
    r = await client.get(
        "/api/v1/activities/daily", params={"start": DAY, "end": DAY}, headers=user.headers
    )
    assert r.json()["days"][0]["activities"] == 1 and r.json()["days"][0]["kcal"] == 310
    # Deleting the workout leaves the tracker's record alone.
    r = await client.delete(f"/api/v1/workouts/{workout['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/v1/activities/{tracker['id']}", headers=user.headers)
    assert r.status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"exercises": []},
        {"duration_min": 0},
        {"duration_min": 601},
        {"title": "x" * 121},
        {"notes": "bad\x00"},
        {"date": "2024-13-01"},
        {"started_at": "2024-05-01T10:00:00"},
        {"exercises": [{"exercise_id": BENCH, "sets": []}]},
        {"exercises": [{"exercise_id": BENCH, "sets": [{"weight_kg": 50}]}]},
        {"exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5, "weight_kg": 1001}]}]},
        {"exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5, "weight_kg": -1}]}]},
        {"exercises": [{"exercise_id": BENCH, "sets": [{"reps": 501}]}]},
        {"exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5, "rpe": 11}]}]},
        {"exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5, "rpe": 7.3}]}]},
        {"exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5, "rir": -1}]}]},
        {
            "exercises": [
                {"exercise_id": BENCH, "sets": [{"reps": 5, "weight_kg": 50, "weight_lb": 110}]}
            ]
        },
        {"exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5}] * 50}] * 5},
        {"exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5, "weight_kg": "1e309"}]}]},
        {"user_id": "00000000-0000-0000-0000-000000000000"},
    ],
)
async def test_bad_input_is_422(client, user, change):
    r = await client.post("/api/v1/workouts", json=bench_workout(**change), headers=user.headers)
    assert_problem(r, 422)
    r = await client.get("/api/v1/workouts", headers=user.headers)
    assert r.json()["total"] == 0  # nothing half-written


async def test_unknown_and_foreign_exercises(client, make_user):
    alice, bob = await make_user(), await make_user()
    secret = await private_exercise(client, alice)
    body = bench_workout(exercises=[{"exercise_id": secret, "sets": [{"reps": 5}]}])
    r = await client.post("/api/v1/workouts", json=body, headers=bob.headers)
    assert_problem(r, 422, "unknown-exercise")
    r = await client.post("/api/v1/workouts", json=body, headers=alice.headers)
    assert r.status_code == 201
    # A private exercise with logged sets cannot be deleted.
    r = await client.delete(f"/api/v1/exercises/{secret}", headers=alice.headers)
    assert_problem(r, 409, "exercise-in-use")


async def test_bola(client, make_user):
    alice, bob = await make_user(), await make_user()
    r = await client.post("/api/v1/workouts", json=bench_workout(), headers=alice.headers)
    wid = r.json()["id"]
    r = await client.get(f"/api/v1/workouts/{wid}", headers=bob.headers)
    assert_problem(r, 404, "workout-not-found")
    r = await client.patch(f"/api/v1/workouts/{wid}", json={"title": "x"}, headers=bob.headers)
    assert_problem(r, 404, "workout-not-found")
    r = await client.delete(f"/api/v1/workouts/{wid}", headers=bob.headers)
    assert_problem(r, 404, "workout-not-found")
    r = await client.get("/api/v1/workouts", headers=bob.headers)
    assert r.json()["total"] == 0
    r = await client.get(f"/api/v1/workouts/{wid}", headers=alice.headers)
    assert r.json()["title"] == "Push"
    r = await client.get("/api/v1/workouts")
    assert_problem(r, 401)


async def test_import_after_logging_replaces_the_workouts_activity(client, user):
    """The other order: the tracker's export arrives after the workout was logged."""
    await set_profile(client, user, weight_kg=80)
    r = await client.post(
        "/api/v1/workouts",
        json=bench_workout(date=None, started_at="2024-05-01T17:05:00Z"),
        headers=user.headers,
    )
    workout = r.json()
    xml = (
        b'<?xml version="1.0"?><HealthData>'
        b'<Workout workoutActivityType="HKWorkoutActivityTypeTraditionalStrengthTraining" '
        b'duration="55" durationUnit="min" totalEnergyBurned="310" totalEnergyBurnedUnit="kcal" '
        b'startDate="2024-05-01 17:00:00 +0000" endDate="2024-05-01 17:55:00 +0000"/>'
        b"</HealthData>"
    )
    r = await client.post(
        "/api/v1/activities/import/apple_health",
        files={"file": ("export.xml", xml, "application/xml")},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 1
    r = await client.get(
        "/api/v1/activities/daily", params={"start": DAY, "end": DAY}, headers=user.headers
    )
    assert r.json()["days"][0]["activities"] == 1 and r.json()["days"][0]["kcal"] == 310
    r = await client.get(f"/api/v1/workouts/{workout['id']}", headers=user.headers)
    assert r.json()["activity_id"] != workout["activity_id"]
    r = await client.get(f"/api/v1/activities/{workout['activity_id']}", headers=user.headers)
    assert_problem(r, 404)


async def test_write_stores_what_it_answers(client, user):
    """The answer is built from what the write sent, not read back: reading the workout, its
    activity and its event from the database gives the same figures and PR flags."""
    await set_profile(client, user, weight_kg=80)
    r = await client.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)
    assert r.status_code == 201, r.text
    first = r.json()
    heavier = {
        "date": "2024-05-03",
        "title": None,
        "notes": "PR day",
        "exercises": [
            {
                "exercise_id": BENCH,
                "sets": [
                    {"reps": 5, "weight_kg": 40, "is_warmup": True, "rpe": 3},
                    {"reps": 6, "weight_kg": 100, "rir": 2, "duration_s": 40},
                    {"reps": 3, "weight_kg": 110},
                ],
            },
            {"exercise_id": SQUAT, "sets": [{"reps": 5, "weight_kg": 120, "rpe": 9.5}]},
            {"exercise_id": PULLUPS, "sets": [{"reps": 13, "distance_m": 0.5}]},
        ],
    }
    r = await client.post("/api/v1/workouts", json=heavier, headers=user.headers)
    assert r.status_code == 201, r.text
    answered = r.json()
    bench, squat, pullups = answered["exercises"]
    # Bench before: best e1RM 119.1, 5 reps at 100 kg, best set volume 720. 100 × 6 beats the
    # reps at that load and the e1RM (120.0); 110 × 3 beats that new e1RM (121.0); no set
    # beats 720 kg of volume. The warm-up never counts.
    assert [s["prs"] for s in bench["sets"]] == [[], ["e1rm", "reps_at_weight"], ["e1rm"]]
    assert [s["e1rm_kg"] for s in bench["sets"]] == [46.7, 120.0, 121.0]
    assert squat["sets"][0]["prs"] == [] and squat["e1rm_kg"] == 140.0  # first session
    assert pullups["sets"][0]["prs"] == [] and pullups["volume_kg"] == 0.0
    assert answered["pr_count"] == 2 and answered["working_sets"] == 4
    assert answered["total_volume_kg"] == 600.0 + 330.0 + 600.0
    # No duration_min: 5 sets of work (40 s given, else 45 s) and 2 min rest each.
    assert answered["duration_estimated"] is True
    assert answered["duration_min"] == round((40 + 4 * 45 + 5 * 120) / 60, 1)
    assert answered["kcal"] == round(3.5 * 80 * answered["duration_min"] / 60, 1)
    assert answered["activity_id"] and answered["activity_id"] != first["activity_id"]

    r = await client.get(f"/api/v1/workouts/{answered['id']}", headers=user.headers)
    assert r.json() == answered
    r = await client.get(f"/api/v1/activities/{answered['activity_id']}", headers=user.headers)
    activity = r.json()
    assert (activity["date"], activity["duration_min"], activity["kcal"]) == (
        "2024-05-03",
        answered["duration_min"],
        answered["kcal"],
    )
    assert activity["source"] == "workout" and activity["met"] == 3.5
    events = await outbox_rows(client, "WorkoutLogged")
    assert [e.payload["workout_id"] for e in events] == [first["id"], answered["id"]]
    assert events[1].payload == {
        "workout_id": answered["id"],
        "date": "2024-05-03",
        "title": None,
        "duration_min": answered["duration_min"],
        "total_volume_kg": answered["total_volume_kg"],
        "working_sets": 4,
        "pr_count": 2,
        "kcal": answered["kcal"],
    }


async def test_stale_cached_zone_is_checked(client, app, make_user):
    """The zone a write reads from the cache may predate a change the cache missed (Redis);
    the write's own read checks it, and the workout gets the day of the user's real zone."""
    user = await make_user(tz="Asia/Tokyo")
    cache = app.state.resources.cache
    scope = profile_scope(uuid.UUID(user.id))
    _, v = await cache.get(scope, "tz")
    await cache.put(scope, "tz", "America/Los_Angeles", v)
    body = bench_workout(date=None, started_at="2024-03-09T15:30:00Z")
    r = await client.post("/api/v1/workouts", json=body, headers=user.headers)
    assert r.status_code == 201, r.text
    # 15:30 UTC is 00:30 on the 10th in Tokyo (and 07:30 on the 9th in Los Angeles).
    w = r.json()
    assert w["date"] == "2024-03-10"
    r = await client.get(f"/api/v1/activities/{w['activity_id']}", headers=user.headers)
    assert r.json()["date"] == "2024-03-10"
    # The stale zone was dropped, so the next write reads the real one again.
    assert (await cache.get(scope, "tz"))[0] in (None, "Asia/Tokyo")


async def test_failed_write_leaves_nothing(client, user):
    await set_profile(client, user, weight_kg=80)
    body = bench_workout()
    body["exercises"].append({"exercise_id": str(uuid.uuid4()), "sets": [{"reps": 5}]})
    r = await client.post("/api/v1/workouts", json=body, headers=user.headers)
    assert_problem(r, 422, "unknown-exercise")
    r = await client.get("/api/v1/workouts", headers=user.headers)
    assert r.json()["total"] == 0
    r = await client.get(
        "/api/v1/activities", params={"start": DAY, "end": DAY}, headers=user.headers
    )
    assert r.json()["total"] == 0
    assert await outbox_rows(client, "WorkoutLogged") == []


async def test_prs_against_bests_up_to_the_workouts_day(client, user):
    """Previous bests are the working sets dated up to the workout's day: heavier warm-ups,
    later workouts and the workout's other entries of the same exercise do not count. The
    same numbers on both backends (PostgreSQL reads each best from the top of an index,
    SQLite aggregates)."""

    async def log(day: str, *entries: tuple[str, list[dict]]) -> tuple[list, dict]:
        body = {
            "date": day,
            "duration_min": 45,
            "exercises": [{"exercise_id": ex, "sets": sets} for ex, sets in entries],
        }
        r = await client.post("/api/v1/workouts", json=body, headers=user.headers)
        assert r.status_code == 201, r.text
        return [[s["prs"] for s in e["sets"]] for e in r.json()["exercises"]], r.json()

    await log(
        "2024-05-10",
        (
            SQUAT,
            [
                {"reps": 5, "weight_kg": 150, "is_warmup": True},
                {"reps": 5, "weight_kg": 100},
                {"reps": 3, "weight_kg": 120},
                {"duration_s": 30, "weight_kg": 60},
            ],
        ),
    )
    await log("2024-05-20", (SQUAT, [{"reps": 5, "weight_kg": 130}]))
    # Dated between the two: measured against 2024-05-10 only (e1RM 132.0, 5 reps at 100,
    # 3 at 120, set volume 500).
    prs, w = await log(
        "2024-05-15",
        (
            SQUAT,
            [
                {"reps": 6, "weight_kg": 100},  # 6 > 5 at 100; 600 > 500; e1RM 120.0
                {"reps": 4, "weight_kg": 120},  # e1RM 136.0 > 132.0; 4 > 3 at 120; 480
                {"reps": 1, "weight_kg": 200, "is_warmup": True},
            ],
        ),
        # The same lift again starts from the history, not from the entry above.
        (SQUAT, [{"reps": 6, "weight_kg": 100}, {"reps": 5, "weight_kg": 110}]),
        (PULLUPS, [{"reps": 10}]),  # first session: nothing to beat
    )
    assert prs == [
        [["reps_at_weight", "volume"], ["e1rm", "reps_at_weight"], []],
        [["reps_at_weight", "volume"], []],
        [[]],
    ]
    assert w["pr_count"] == 3
    # After everything: e1RM 151.7 and 5 reps at 130 (2024-05-20), set volume 650.
    prs, w = await log("2024-05-25", (SQUAT, [{"reps": 6, "weight_kg": 130}]))
    assert prs == [[["e1rm", "reps_at_weight", "volume"]]]
    prs, w = await log("2024-05-26", (SQUAT, [{"reps": 6, "weight_kg": 130}]))
    assert prs == [[[]]]


def test_new_workout_row_has_every_column():
    """The plain row a new workout is inserted from names exactly the table's columns."""
    import dataclasses

    from app.training.models import Workout
    from app.training.workouts import NewWorkout

    columns = {c.key for c in Workout.__table__.columns}
    assert {f.name for f in dataclasses.fields(NewWorkout)} == columns


async def test_first_write_holds_one_pooled_connection(client_factory):
    """A write whose zone was not cached reads it through the request's session; on
    PostgreSQL the write then takes a connection of its own. With the session's still held,
    as many concurrent first writes as the pool has connections each held one and waited for
    another until the pool timed out: here a pool of one is that whole pool."""
    async with client_factory(db_pool_size=1) as c:
        from tests.conftest import create_user

        user = await create_user(c)
        await c.app.state.resources.cache.invalidate(profile_scope(uuid.UUID(user.id)))
        r = await c.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)
        assert r.status_code == 201, r.text
        assert r.json()["date"] == DAY and r.json()["working_sets"] == 5
