"""History, stats (hard sets per muscle per week, PRs) and body measurements with Navy %BF."""

from __future__ import annotations

from app.training import figures
from tests.conftest import assert_problem
from tests.training.helpers import BENCH, SQUAT, set_profile
from tests.training.test_workouts import bench_workout


def squat_day(day: str, weight: float = 100, reps: int = 5, sets: int = 3) -> dict:
    return {
        "date": day,
        "duration_min": 45,
        "exercises": [{"exercise_id": SQUAT, "sets": [{"reps": reps, "weight_kg": weight}] * sets}],
    }


def test_navy_formula_published_example():
    # Published worked example: a man 70 in tall, 34 in waist, 15 in neck ≈ 17.5 %.
    assert figures.navy_body_fat_pct("male", 70 * 2.54, 34 * 2.54, 15 * 2.54) == 17.5
    # Women, by hand: 163.205·log10(30 + 39 − 13) − 97.684·log10(65) − 78.387 = 29.8
    assert figures.navy_body_fat_pct("female", 65 * 2.54, 30 * 2.54, 13 * 2.54, 39 * 2.54) == 29.8
    assert figures.navy_body_fat_pct("female", 165, 76, 33) is None  # hips needed
    assert figures.navy_body_fat_pct("male", 180, 30, 40) is None  # waist below neck


async def test_history(client, user):
    await client.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)
    second = {
        "date": "2024-05-04",
        "exercises": [
            {
                "exercise_id": BENCH,
                "sets": [{"reps": 3, "weight_kg": 110}, {"reps": 8, "weight_kg": 80}],
            }
        ],
    }
    await client.post("/api/v1/workouts", json=second, headers=user.headers)
    r = await client.get(f"/api/v1/exercises/{BENCH}/history", headers=user.headers)
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["total"] == 2 and h["e1rm_formula"].startswith("Epley")
    newest, oldest = h["sessions"]
    assert newest["date"] == "2024-05-04"
    # 110 × (1 + 3/30) = 121.0; volume 330 + 640
    assert newest["e1rm_kg"] == 121.0 and newest["volume_kg"] == 970.0
    assert newest["best_set"] == {"set_number": 1, "reps": 3, "weight_kg": 110.0, "e1rm_kg": 121.0}
    assert oldest["e1rm_kg"] == 119.1 and oldest["volume_kg"] == 1730.3
    assert oldest["working_sets"] == 3 and oldest["max_reps"] == 8

    r = await client.get(
        f"/api/v1/exercises/{BENCH}/history", params={"start": "2024-05-02"}, headers=user.headers
    )
    assert [s["date"] for s in r.json()["sessions"]] == ["2024-05-04"]
    r = await client.get(f"/api/v1/exercises/{SQUAT}/history", headers=user.headers)
    assert r.json()["sessions"] == [] and r.json()["total"] == 0


async def test_history_bola(client, make_user):
    alice, bob = await make_user(), await make_user()
    await client.post("/api/v1/workouts", json=bench_workout(), headers=alice.headers)
    r = await client.get(f"/api/v1/exercises/{BENCH}/history", headers=bob.headers)
    assert r.json()["total"] == 0
    r = await client.post(
        "/api/v1/exercises",
        json={"name": "Mine", "primary_muscles": ["neck"]},
        headers=alice.headers,
    )
    r = await client.get(f"/api/v1/exercises/{r.json()['id']}/history", headers=bob.headers)
    assert_problem(r, 404, "exercise-not-found")


async def test_stats(client, user):
    await set_profile(client, user, weight_kg=80)
    await client.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)  # Wed
    await client.post("/api/v1/workouts", json=squat_day("2024-05-06"), headers=user.headers)
    r = await client.post(
        "/api/v1/workouts", json=squat_day("2024-05-08", weight=105), headers=user.headers
    )
    # The first set beats the last session's e1RM and set volume; the next two only equal it.
    assert r.json()["pr_count"] == 1
    r = await client.get(
        "/api/v1/workouts/stats",
        params={"start": "2024-04-29", "end": "2024-05-12"},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["sessions"] == 3
    assert st["total_volume_kg"] == 1730.3 + 1500 + 1575
    assert st["working_sets"] == 5 + 3 + 3
    assert st["duration_min"] == 60 + 45 + 45
    assert st["kcal"] == 280.0 + 210.0 + 210.0
    weeks = {
        (w["week_start"], w["muscle"]): w["hard_sets"] for w in st["hard_sets_per_muscle_week"]
    }
    assert weeks == {
        # bench: 2 hard sets (the RIR 6 set and the warm-up are not); pull-ups: 2 unrated
        ("2024-04-29", "chest"): 2.0,
        ("2024-04-29", "shoulders"): 1.0,
        ("2024-04-29", "triceps"): 1.0,
        ("2024-04-29", "lats"): 2.0,
        ("2024-04-29", "biceps"): 1.0,
        ("2024-04-29", "middle back"): 1.0,
        # squat: 6 sets over the week, quadriceps primary, four secondary muscles
        ("2024-05-06", "quadriceps"): 6.0,
        ("2024-05-06", "calves"): 3.0,
        ("2024-05-06", "glutes"): 3.0,
        ("2024-05-06", "hamstrings"): 3.0,
        ("2024-05-06", "lower back"): 3.0,
    }
    assert [p["date"] for p in st["prs"]] == ["2024-05-08"]
    assert st["prs"][0]["prs"] == ["e1rm", "volume"] and st["prs"][0]["e1rm_kg"] == 122.5

    r = await client.get(
        "/api/v1/workouts/stats",
        params={"start": "2024-05-07", "end": "2024-05-06"},
        headers=user.headers,
    )
    assert_problem(r, 422)
    r = await client.get(
        "/api/v1/workouts/stats",
        params={"start": "2023-01-01", "end": "2024-05-06"},
        headers=user.headers,
    )
    assert_problem(r, 422)
    r = await client.get("/api/v1/workouts/stats?start=2024-05-01", headers=user.headers)
    assert_problem(r, 422)


async def test_measurements(client, make_user):
    user = await make_user()
    r = await client.post(
        "/api/v1/measurements",
        json={"date": "2024-05-01", "waist_cm": 86.36, "neck_cm": 38.1, "arm_cm": 36},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["navy_body_fat_pct"] is None  # no sex or height yet
    await set_profile(client, user, sex="male", height_cm=177.8)
    r = await client.get("/api/v1/measurements", headers=user.headers)
    m = r.json()["items"][0]
    assert m["navy_body_fat_pct"] == 17.5 and m["navy_formula"].startswith("US Navy")
    assert m["arm_cm"] == 36.0
    # The same day again replaces it.
    r = await client.post(
        "/api/v1/measurements",
        json={"date": "2024-05-01", "waist_cm": 90, "neck_cm": 38.1, "body_fat_pct": 20},
        headers=user.headers,
    )
    assert r.status_code == 201
    assert r.json()["arm_cm"] is None and r.json()["body_fat_pct"] == 20
    r = await client.post(
        "/api/v1/measurements", json={"date": "2024-04-01", "chest_cm": 100}, headers=user.headers
    )
    r = await client.get("/api/v1/measurements?limit=1", headers=user.headers)
    assert r.json()["total"] == 2 and r.json()["items"][0]["date"] == "2024-05-01"
    assert r.json()["next_offset"] == 1

    other = await make_user()
    r = await client.get("/api/v1/measurements", headers=other.headers)
    assert r.json()["total"] == 0
    r = await client.delete("/api/v1/measurements/2024-05-01", headers=other.headers)
    assert_problem(r, 404, "measurement-not-found")
    r = await client.delete("/api/v1/measurements/2024-05-01", headers=user.headers)
    assert r.status_code == 204
    r = await client.delete("/api/v1/measurements/2024-05-01", headers=user.headers)
    assert_problem(r, 404)

    for bad in (
        {},
        {"waist_cm": 0},
        {"waist_cm": 301},
        {"body_fat_pct": 90},
        {"date": "2999-01-01", "waist_cm": 80},
    ):
        r = await client.post("/api/v1/measurements", json=bad, headers=user.headers)
        assert_problem(r, 422)
