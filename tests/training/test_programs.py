"""Programs: generator rules, double progression to the kilo, following and adapting."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.core.timeutil import local_today, week_start
from app.training import generator, programs
from app.training.dataset import EQUIPMENT, exercise_uuid
from tests.conftest import assert_problem, create_user
from tests.training.helpers import SQUAT, set_profile

CANDIDATES = programs._catalogue_candidates()


def params(**kw):
    base = dict(
        goal="hypertrophy",
        days_per_week=4,
        session_minutes=60,
        equipment=("barbell", "cable", "dumbbell", "machine"),
        experience="intermediate",
    )
    return generator.Params(**{**base, **kw})


def lifts(plan, week=0):
    return [e for d in plan["weeks"][week]["days"] for e in d["exercises"]]


def test_deterministic_and_split_by_days():
    assert generator.generate(CANDIDATES, params()) == generator.generate(CANDIDATES, params())
    expected = {2: "full_body", 3: "full_body", 4: "upper_lower", 6: "push_pull_legs"}
    for days, split in expected.items():
        plan = generator.generate(CANDIDATES, params(days_per_week=days))
        assert plan["split"] == split
        assert len(plan["weeks"][0]["days"]) == days
    plan = generator.generate(CANDIDATES, params(days_per_week=4))
    assert [d["name"] for d in plan["weeks"][0]["days"]] == ["Upper", "Lower", "Upper", "Lower"]
    assert [d["weekday"] for d in plan["weeks"][0]["days"]] == [0, 1, 3, 4]
    first = plan["weeks"][0]["days"][0]["exercises"][0]
    assert first["name"] == "Barbell Bench Press - Medium Grip"
    assert (first["sets"], first["reps_min"], first["reps_max"], first["rpe"]) == (4, 6, 10, 7.5)


def test_equipment_compound_first_and_balance():
    for equipment in (("body only",), ("dumbbell",), ("kettlebells", "bands")):
        plan = generator.generate(CANDIDATES, params(equipment=equipment, days_per_week=3))
        for day in plan["weeks"][0]["days"]:
            assert day["exercises"], day
            for e in day["exercises"]:
                assert e["equipment"] in (*equipment, "body only"), e
            mechanics = [e["mechanic"] == "compound" for e in day["exercises"]]
            assert mechanics == sorted(mechanics, reverse=True)  # compound lifts first
    plan = generator.generate(CANDIDATES, params(days_per_week=6))
    bal = plan["balance"]
    assert abs(bal["push_sets"] - bal["pull_sets"]) <= 0.25 * max(
        bal["push_sets"], bal["pull_sets"]
    )
    for muscle in ("chest", "quadriceps", "hamstrings", "lats", "shoulders"):
        assert bal["sets_per_muscle"].get(muscle, 0) >= 6, (muscle, bal)


def test_liked_in_disliked_never():
    bench = exercise_uuid("Barbell_Bench_Press_-_Medium_Grip")
    liked = exercise_uuid("Dumbbell_Flyes")
    plan = generator.generate(CANDIDATES, params(disliked=(bench,), liked=(liked,)))
    ids = {e["exercise_id"] for w in range(4) for e in lifts(plan, w)}
    assert str(bench) not in ids and str(liked) in ids


def test_periodisation_and_deload():
    plan = generator.generate(CANDIDATES, params(weeks=8))
    assert plan["periodisation"].startswith("Block periodisation")
    assert [w["deload"] for w in plan["weeks"]] == [False, False, False, True] * 2
    sets = [sum(e["sets"] for e in lifts(plan, w)) for w in range(8)]
    assert sets[0] == sets[1] == sets[2] and sets[4] == sets[0]
    assert 0.55 <= sets[3] / sets[0] <= 0.65  # about 40% less volume
    rpe = [lifts(plan, w)[0]["rpe"] for w in range(4)]
    assert rpe == [7.5, 8.0, 8.5, 5.5]


PLANNED = {"reps_min": 6, "reps_max": 10, "rpe": 8}


def test_double_progression_exact():
    d = dt.date(2024, 5, 6)
    t = programs.target_for(PLANNED, [(d, [(10, 60.0)] * 3)], [], imperial=False)
    assert (t["target_load_kg"], t["target_reps"]) == (62.5, 6)
    t = programs.target_for(PLANNED, [(d, [(10, 60.0), (9, 60.0), (8, 60.0)])], [], False)
    assert (t["target_load_kg"], t["target_reps"]) == (60.0, 9)
    # Lighter back-off sets don't count: the top load's sets decide.
    t = programs.target_for(PLANNED, [(d, [(10, 60.0), (10, 60.0), (6, 50.0)])], [], False)
    assert t["target_load_kg"] == 62.5
    # 135 lb for 3 × 10 → 140 lb = 63.5 kg.
    t = programs.target_for(PLANNED, [(d, [(10, 61.23)] * 3)], [], imperial=True)
    assert t["target_load_kg"] == 63.5
    # Three scheduled sessions skipped since the last one: −10 %.
    skipped = [d + dt.timedelta(days=n) for n in (12, 9, 5)]
    t = programs.target_for(PLANNED, [(d, [(8, 100.0)] * 3)], skipped, False)
    assert (t["target_load_kg"], t["missed_in_a_row"], t["target_reps"]) == (90.0, 3, 6)
    # Or three sessions in a row below the range.
    failed = [(d - dt.timedelta(days=n), [(5, 100.0)] * 3) for n in (0, 3, 7)]
    t = programs.target_for(PLANNED, failed, [], False)
    assert (t["target_load_kg"], t["missed_in_a_row"]) == (90.0, 3)
    # 57.5 kg − 10 % = 51.75 → nearest plate step 52.5.
    t = programs.target_for(PLANNED, [(d, [(8, 57.5)])], skipped, False)
    assert t["target_load_kg"] == 52.5
    t = programs.target_for(PLANNED, [], [], False)
    assert t["target_load_kg"] is None and t["target_reps"] == 10
    t = programs.target_for(PLANNED, [(d, [(7, None)] * 3)], [], False)
    assert t["target_load_kg"] is None and t["target_reps"] == 8


def test_strip_numbers():
    text = "Great plan for you. Do 5 sets of squats. Rest three minutes.\nSleep well."
    assert programs.strip_numbers(text) == "Great plan for you.\nSleep well."


async def test_generate_follow_log_progress(client, user):
    await set_profile(
        client, user, training_goal="strength", training_days_per_week=3, weight_kg=80
    )
    r = await client.post(
        "/api/v1/programs/generate",
        json={"equipment": ["barbell"], "experience": "beginner"},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    prog = r.json()
    today = local_today("UTC")
    monday = week_start(today)
    assert prog["params"]["goal"] == "strength" and prog["params"]["days_per_week"] == 3
    assert prog["split"] == "full_body" and prog["start_date"] == str(monday)
    assert prog["end_date"] == str(monday + dt.timedelta(days=27))
    assert prog["periodisation_model"].startswith("Block periodisation")
    assert prog["text_source"] == "template" and "strength" in prog["text"]
    day1 = prog["weeks"][0]["days"][0]
    assert day1["date"] == str(monday) and day1["exercises"][0]["exercise_id"] == SQUAT

    r = await client.get("/api/v1/programs/current", headers=user.headers)
    assert r.json()["id"] == prog["id"]

    r = await client.get(
        "/api/v1/programs/current/day", params={"date": str(monday)}, headers=user.headers
    )
    day = r.json()
    assert not day["rest_day"] and day["name"] == "Full body A" and day["week"] == 1
    squat = day["exercises"][0]
    assert (squat["sets"], squat["reps_min"], squat["reps_max"]) == (4, 3, 5)
    assert squat["target_load_kg"] is None and squat["last_session"] is None

    tuesday = monday + dt.timedelta(days=1)
    r = await client.get(
        "/api/v1/programs/current/day", params={"date": str(tuesday)}, headers=user.headers
    )
    assert r.json()["rest_day"] and r.json()["exercises"] == []
    r = await client.post(
        f"/api/v1/programs/current/day/{tuesday}/log",
        json={"exercises": [{"exercise_id": SQUAT, "sets": [{"reps": 5}]}]},
        headers=user.headers,
    )
    assert_problem(r, 422, "rest-day")

    sets = [{"reps": 5, "weight_kg": 100}] * 4
    r = await client.post(
        f"/api/v1/programs/current/day/{monday}/log",
        json={"duration_min": 50, "exercises": [{"exercise_id": SQUAT, "sets": sets}]},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Full body A (week 1)" and r.json()["date"] == str(monday)

    next_monday = monday + dt.timedelta(days=7)
    r = await client.get(
        "/api/v1/programs/current/day", params={"date": str(next_monday)}, headers=user.headers
    )
    squat = r.json()["exercises"][0]
    assert squat["exercise_id"] == SQUAT
    # All four sets reached 5 reps: 100 kg + 2.5 kg, back to 3 reps.
    assert (squat["target_load_kg"], squat["target_reps"]) == (102.5, 3)
    assert squat["target_load_lb"] == 226.0
    assert squat["last_session"] == {"date": str(monday), "load_kg": 100.0, "reps": [5, 5, 5, 5]}

    r = await client.get(
        "/api/v1/programs/current/day",
        params={"date": str(monday + dt.timedelta(days=28))},
        headers=user.headers,
    )
    assert_problem(r, 422, "outside-program")


async def test_profile_change_regenerates_coming_weeks(client, user):
    r = await client.post(
        "/api/v1/programs/generate", json={"days_per_week": 3}, headers=user.headers
    )
    before = r.json()
    await set_profile(client, user, training_days_per_week=5)
    r = await client.get("/api/v1/programs/current", headers=user.headers)
    after = r.json()
    assert after["id"] == before["id"] and after["params"]["days_per_week"] == 5
    assert after["weeks"][0] == before["weeks"][0]  # this week stays
    assert [len(w["days"]) for w in after["weeks"]] == [3, 5, 5, 5]
    # Equipment too: only what is left is used from next week.
    await set_profile(client, user, training_equipment=["dumbbell"])
    r = await client.get("/api/v1/programs/current", headers=user.headers)
    for w in r.json()["weeks"][1:]:
        for d in w["days"]:
            assert {e["equipment"] for e in d["exercises"]} <= {"dumbbell", "body only"}


async def test_program_errors_and_bola(client, make_user):
    alice, bob = await make_user(), await make_user()
    r = await client.get("/api/v1/programs/current", headers=alice.headers)
    assert_problem(r, 404, "program-not-found")
    r = await client.post("/api/v1/programs/generate", json={}, headers=alice.headers)
    assert r.status_code == 201
    assert r.json()["params"]["equipment"] == sorted(EQUIPMENT)
    r = await client.get("/api/v1/programs/current", headers=bob.headers)
    assert_problem(r, 404, "program-not-found")
    r = await client.get("/api/v1/programs/current/day", headers=bob.headers)
    assert_problem(r, 404)
    for bad in (
        {"days_per_week": 7},
        {"days_per_week": 1},
        {"goal": "bulk"},
        {"equipment": ["rocket"]},
        {"weeks": 0},
        {"weeks": 17},
        {"liked_exercise_ids": [str(uuid.uuid4())]},
        {"liked_exercise_ids": [SQUAT], "disliked_exercise_ids": [SQUAT]},
    ):
        r = await client.post("/api/v1/programs/generate", json=bad, headers=alice.headers)
        assert_problem(r, 422)
    r = await client.post(
        "/api/v1/exercises",
        json={"name": "Secret", "primary_muscles": ["chest"]},
        headers=alice.headers,
    )
    secret = r.json()["id"]
    r = await client.post(
        "/api/v1/programs/generate", json={"liked_exercise_ids": [secret]}, headers=bob.headers
    )
    assert_problem(r, 422)


@pytest.mark.parametrize("mode", ["valid", "http_500"])
async def test_llm_text_never_carries_numbers(client_factory, mode):
    from tests.llm.fake_openai import FakeOpenAI

    fake = FakeOpenAI(
        mode=mode,
        content="A balanced plan that builds strength. Do 5 sets of squats at RPE 8.\n"
        "Brace your core before each squat.",
    )
    await fake.start()
    try:
        async with client_factory(
            llm_base_url=fake.base_url, llm_model="fake-model", llm_max_retries=0
        ) as c:
            user = await create_user(c)
            r = await c.post("/api/v1/programs/generate", json={}, headers=user.headers)
    finally:
        await fake.close()
    assert r.status_code == 201, r.text
    body = r.json()
    if mode == "http_500":
        assert body["text_source"] == "template"
        return
    assert body["text_source"] == "llm"
    assert "A balanced plan that builds strength." in body["text"]
    assert "Brace your core before each squat." in body["text"]
    assert "5 sets" not in body["text"]
