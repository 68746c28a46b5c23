"""Exercise catalogue: packed data, typo-tolerant search, filters, private and shared ones."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

from app.training.dataset import exercise_uuid, load_exercises
from tests.conftest import ROOT, assert_problem
from tests.training.helpers import BENCH, SQUAT, make_admin

SOURCE = ROOT.parent.parent / "shared" / "data" / "free-exercise-db" / "exercises.json"

PRIVATE = {
    "name": "Landmine Press",
    "equipment": "barbell",
    "mechanic": "compound",
    "force": "push",
    "primary_muscles": ["shoulders"],
    "secondary_muscles": ["chest", "triceps", "shoulders"],
    "instructions": ["Wedge one end of a barbell in a corner.", "Press it up."],
}


def test_packed_catalogue_has_every_source_exercise():
    records = load_exercises()
    assert len(records) == 873
    assert len({r.id for r in records}) == 873
    bench = next(r for r in records if r.slug == "Barbell_Bench_Press_-_Medium_Grip")
    assert bench.id == exercise_uuid(bench.slug)
    assert bench.primary_muscles == ("chest",)
    assert bench.equipment == "barbell" and bench.mechanic == "compound"


def test_build_is_deterministic(tmp_path):
    if not SOURCE.exists():  # the raw file lives beside the repository, not in it
        return
    out = ROOT / "app" / "training" / "data" / "exercises.json.gz"
    before = out.read_bytes()
    subprocess.run(
        [sys.executable, "scripts/build_exercises.py", str(SOURCE)], cwd=ROOT, check=True
    )
    assert out.read_bytes() == before
    doc = json.loads(gzip.decompress(before))
    assert len(doc["exercises"]) == 873


async def test_list_filters_and_total(client, user):
    r = await client.get("/api/v1/exercises?limit=5", headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 873 and len(body["items"]) == 5 and body["next_offset"] == 5
    names = [i["name"] for i in body["items"]]
    assert names == sorted(names)

    r = await client.get(
        "/api/v1/exercises",
        params={"muscle": "chest", "equipment": "barbell", "level": "beginner", "limit": 100},
        headers=user.headers,
    )
    body = r.json()
    assert body["total"] == len(body["items"]) > 0
    expected = sum(
        1
        for e in load_exercises()
        if "chest" in e.primary_muscles and e.equipment == "barbell" and e.level == "beginner"
    )
    assert body["total"] == expected
    for item in body["items"]:
        assert "chest" in item["primary_muscles"] and item["equipment"] == "barbell"
        assert item["source"] == "free_exercise_db"

    r = await client.get("/api/v1/exercises?category=cardio&limit=100", headers=user.headers)
    assert r.json()["total"] == 14


async def test_typo_tolerant_search(client, user):
    for q, expected in (
        ("barbel curl", "Barbell Curl"),
        ("romanian deadlift", "Romanian Deadlift"),
        ("pullup", "Pullups"),
        # A bare lift's name is the everyday barbell lift, not a strongman or band variant,
        # and a qualifier ("- Medium Grip") weighs less than a word of the name itself.
        ("squat", "Barbell Squat"),
        ("deadlift", "Barbell Deadlift"),
        ("curl", "Barbell Curl"),
        ("barbell bench press", "Barbell Bench Press - Medium Grip"),
        # Spacing, hyphens and plurals do not matter.
        ("pull up", "Pullups"),
        ("push-ups", "Pushups"),
        ("sit ups", "Sit-Up"),
    ):
        r = await client.get("/api/v1/exercises", params={"q": q}, headers=user.headers)
        assert r.status_code == 200, r.text
        assert r.json()["items"][0]["name"] == expected, (q, r.json()["items"][:3])
    r = await client.get("/api/v1/exercises", params={"q": "sqaut"}, headers=user.headers)
    top = r.json()["items"][0]
    assert top["name"].endswith("Squat") and top["score"] >= 70
    r = await client.get(
        "/api/v1/exercises", params={"q": "bench pres", "limit": 5}, headers=user.headers
    )
    assert all("Bench Press" in i["name"] for i in r.json()["items"])
    r = await client.get("/api/v1/exercises", params={"q": "zzzzqqq"}, headers=user.headers)
    assert r.json() == {"items": [], "total": 0, "limit": 20, "offset": 0, "next_offset": None}


async def test_get_one(client, user):
    r = await client.get(f"/api/v1/exercises/{BENCH}", headers=user.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Barbell Bench Press - Medium Grip"
    assert body["instructions"] and body["source"] == "free_exercise_db"
    r = await client.get(f"/api/v1/exercises/{exercise_uuid('nope')}", headers=user.headers)
    assert_problem(r, 404, "exercise-not-found")
    r = await client.get("/api/v1/exercises/not-a-uuid", headers=user.headers)
    assert_problem(r, 404)  # an id that does not parse names no resource (app/core/contract.py)
    r = await client.get(f"/api/v1/exercises/{BENCH}")
    assert_problem(r, 401)


async def test_private_exercise_visible_only_to_owner(client, make_user):
    alice, bob = await make_user(), await make_user()
    r = await client.post("/api/v1/exercises", json=PRIVATE, headers=alice.headers)
    assert r.status_code == 201, r.text
    ex = r.json()
    assert ex["source"] == "private"
    # A muscle named as both counts as primary only.
    assert ex["secondary_muscles"] == ["chest", "triceps"]
    r = await client.get("/api/v1/exercises", params={"q": "landmine pres"}, headers=alice.headers)
    assert r.json()["items"][0]["id"] == ex["id"]
    r = await client.get(
        "/api/v1/exercises",
        params={"muscle": "shoulders", "limit": 100, "offset": 0},
        headers=alice.headers,
    )
    alice_total = r.json()["total"]
    r = await client.get(
        "/api/v1/exercises", params={"muscle": "shoulders", "limit": 1}, headers=bob.headers
    )
    assert r.json()["total"] == alice_total - 1

    r = await client.get("/api/v1/exercises", params={"q": "landmine press"}, headers=bob.headers)
    assert ex["id"] not in [i["id"] for i in r.json()["items"]]
    r = await client.get(f"/api/v1/exercises/{ex['id']}", headers=bob.headers)
    assert_problem(r, 404, "exercise-not-found")
    r = await client.delete(f"/api/v1/exercises/{ex['id']}", headers=bob.headers)
    assert_problem(r, 404, "exercise-not-found")

    r = await client.delete(f"/api/v1/exercises/{ex['id']}", headers=alice.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/v1/exercises/{ex['id']}", headers=alice.headers)
    assert_problem(r, 404)


async def test_shared_exercises_are_for_admins(app, client, make_user):
    admin, user = await make_user(), await make_user()
    r = await client.post(
        "/api/v1/exercises", json={**PRIVATE, "shared": True}, headers=user.headers
    )
    assert_problem(r, 403, "forbidden")
    await make_admin(app, admin)
    r = await client.post(
        "/api/v1/exercises", json={**PRIVATE, "shared": True}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    shared = r.json()
    assert shared["source"] == "shared"
    r = await client.get(f"/api/v1/exercises/{shared['id']}", headers=user.headers)
    assert r.status_code == 200
    r = await client.delete(f"/api/v1/exercises/{shared['id']}", headers=user.headers)
    assert_problem(r, 403)
    r = await client.delete(f"/api/v1/exercises/{SQUAT}", headers=admin.headers)
    assert_problem(r, 403)
    r = await client.delete(f"/api/v1/exercises/{shared['id']}", headers=admin.headers)
    assert r.status_code == 204


async def test_create_validation(client, user):
    for bad in (
        {**PRIVATE, "primary_muscles": []},
        {**PRIVATE, "primary_muscles": ["wings"]},
        {**PRIVATE, "equipment": "spaceship"},
        {**PRIVATE, "name": "bad\x00name"},
        {**PRIVATE, "name": "x" * 121},
        {**PRIVATE, "instructions": ["step"] * 31},
        {**PRIVATE, "owner_id": "someone"},
    ):
        r = await client.post("/api/v1/exercises", json=bad, headers=user.headers)
        assert_problem(r, 422)
    r = await client.get("/api/v1/exercises?limit=101", headers=user.headers)
    assert_problem(r, 422)
    r = await client.get("/api/v1/exercises?muscle=wings", headers=user.headers)
    assert_problem(r, 422)
    r = await client.get("/api/v1/exercises?offset=10001", headers=user.headers)
    assert_problem(r, 422)
