"""Operators' catalogue beyond the basics: shared exercises (with PATCH), imported (Open Food
Facts) products they correct and retire, USDA foods they cannot touch, retired foods that no
new log, pantry item, receipt line or recipe may use, and the per-operator rate limit."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from app.foods.models import Food
from app.foods.off_import import import_off
from tests.admin.helpers import BAR_LOG, make_admin
from tests.admin.test_catalog import AUDIT, BAR, CHICKEN, FOODS, audit
from tests.conftest import assert_problem, create_user
from tests.training.test_exercises import PRIVATE, SQUAT

EXERCISES = "/api/v1/admin/exercises"


async def _admin(app, make_user, email="ops@example.com"):
    op = await make_user(email=email)
    await make_admin(app, op)
    return op


async def test_shared_exercise_lifecycle(app, client, make_user):
    admin, user = await _admin(app, make_user), await make_user()
    body = {**PRIVATE, "name": "Zorblax Press"}
    r = await client.post(EXERCISES, json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    ex = r.json()
    assert ex["source"] == "shared" and ex["name"] == "Zorblax Press"
    # The duplicate primary muscle is not repeated among the secondary ones.
    assert ex["secondary_muscles"] == ["chest", "triceps"]

    # Users find it, by name and by muscle.
    r = await client.get("/api/v1/exercises", params={"q": "zorblax"}, headers=user.headers)
    assert r.json()["items"][0]["id"] == ex["id"]

    # Corrected: name and muscles; the muscle filter follows.
    r = await client.patch(
        f"{EXERCISES}/{ex['id']}",
        json={"name": "Zorblax shoulder press", "primary_muscles": ["chest"]},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Zorblax shoulder press"
    assert r.json()["primary_muscles"] == ["chest"]
    assert r.json()["secondary_muscles"] == ["triceps"]
    by_muscle = await client.get(
        "/api/v1/exercises",
        params={"q": "zorblax", "muscle": "chest"},
        headers=user.headers,
    )
    assert [i["id"] for i in by_muscle.json()["items"]] == [ex["id"]]
    by_muscle = await client.get(
        "/api/v1/exercises",
        params={"q": "zorblax", "muscle": "shoulders"},
        headers=user.headers,
    )
    assert by_muscle.json()["items"] == []
    for bad in ({"name": None}, {"primary_muscles": []}, {"level": "godlike"}, {"shared": True}):
        r = await client.patch(f"{EXERCISES}/{ex['id']}", json=bad, headers=admin.headers)
        assert_problem(r, 422)

    # Listed for operators (shared only: no catalogue, no private ones).
    mine = await client.post("/api/v1/exercises", json=PRIVATE, headers=user.headers)
    assert mine.status_code == 201
    page = (await client.get(EXERCISES, headers=admin.headers)).json()
    assert page["total"] == 1 and page["items"][0]["id"] == ex["id"]

    # Catalogue: 403; someone's private one and unknown ids: 404; nothing changes.
    r = await client.patch(f"{EXERCISES}/{SQUAT}", json={"name": "x"}, headers=admin.headers)
    assert_problem(r, 403)
    assert_problem(await client.delete(f"{EXERCISES}/{SQUAT}", headers=admin.headers), 403)
    for other in (mine.json()["id"], str(uuid.uuid4())):
        r = await client.patch(f"{EXERCISES}/{other}", json={"name": "x"}, headers=admin.headers)
        assert_problem(r, 404, "exercise-not-found")
        assert_problem(await client.delete(f"{EXERCISES}/{other}", headers=admin.headers), 404)
    got = (await client.get(f"/api/v1/exercises/{mine.json()['id']}", headers=user.headers)).json()
    assert got["name"] == "Landmine Press"

    # In use by a logged set: 409, and it stays.
    workout = {
        "date": "2024-05-01",
        "duration_min": 30,
        "exercises": [{"exercise_id": ex["id"], "sets": [{"reps": 8, "weight_kg": 30}]}],
    }
    w = await client.post("/api/v1/workouts", json=workout, headers=user.headers)
    assert w.status_code == 201, w.text
    r = await client.delete(f"{EXERCISES}/{ex['id']}", headers=admin.headers)
    assert_problem(r, 409, "exercise-in-use")
    r = await client.delete(f"/api/v1/workouts/{w.json()['id']}", headers=user.headers)
    assert r.status_code == 204
    assert (
        await client.delete(f"{EXERCISES}/{ex['id']}", headers=admin.headers)
    ).status_code == 204
    r = await client.get(f"/api/v1/exercises/{ex['id']}", headers=user.headers)
    assert_problem(r, 404)

    # Audited: who, what, target, when; the refused calls wrote nothing.
    (created,) = await audit(client, admin, "exercise.create")
    assert created["target_id"] == ex["id"] and created["target_type"] == "exercise"
    assert created["actor_label"] == "ops@example.com" and created["created_at"]
    (updated,) = await audit(client, admin, "exercise.update")
    assert updated["detail"] == {
        "name": "Zorblax shoulder press",
        "fields": ["name", "primary_muscles"],
    }
    (deleted,) = await audit(client, admin, "exercise.delete")
    assert deleted["detail"] == {"name": "Zorblax shoulder press"}


async def test_shared_exercises_by_the_user_route_are_audited(app, client, make_user):
    admin, user = await _admin(app, make_user), await make_user()
    shared = {**PRIVATE, "shared": True}
    assert_problem(await client.post("/api/v1/exercises", json=shared, headers=user.headers), 403)
    r = await client.post("/api/v1/exercises", json=shared, headers=admin.headers)
    assert r.status_code == 201
    xid = r.json()["id"]
    assert_problem(await client.delete(f"/api/v1/exercises/{xid}", headers=user.headers), 403)
    # A user's own exercise is not an operator's action: no audit row.
    mine = (await client.post("/api/v1/exercises", json=PRIVATE, headers=user.headers)).json()
    r = await client.delete(f"/api/v1/exercises/{mine['id']}", headers=user.headers)
    assert r.status_code == 204
    assert (
        await client.delete(f"/api/v1/exercises/{xid}", headers=admin.headers)
    ).status_code == 204
    (created,) = await audit(client, admin, "exercise.create")
    (deleted,) = await audit(client, admin, "exercise.delete")
    assert created["target_id"] == deleted["target_id"] == xid
    assert deleted["actor_id"] == admin.id


async def test_non_admins_get_403_on_exercise_routes(client, user):
    some = uuid.uuid4()
    for method, url, body in (
        ("GET", EXERCISES, None),
        ("POST", EXERCISES, PRIVATE),
        ("PATCH", f"{EXERCISES}/{some}", {"name": "x"}),
        ("DELETE", f"{EXERCISES}/{some}", None),
    ):
        r = await client.request(method, url, json=body, headers=user.headers)
        assert_problem(r, 403, "forbidden")
        assert_problem(await client.request(method, url, json=body), 401)


async def test_retired_shared_food_is_refused_for_new_uses(app, client, make_user):
    admin, user = await _admin(app, make_user), await make_user()
    fid = (await client.post(FOODS, json=BAR, headers=admin.headers)).json()["id"]
    # Before: logged, stocked, and read on a receipt (the same foods the parser reads).
    r = await client.post("/api/v1/logs", json={**BAR_LOG, "food_id": fid}, headers=user.headers)
    assert r.status_code == 201, r.text
    entry = r.json()
    r = await client.post(
        "/api/v1/inventory", json={"food_id": fid, "grams": 300}, headers=user.headers
    )
    assert r.status_code == 201, r.text
    item = r.json()
    r = await client.post(
        "/api/v1/inventory/receipt",
        json={"text": "2 zorblax oat bar", "confirm": False},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["lines"][0]["food_id"] == fid and receipt["lines"][0]["status"] == "matched"

    assert (await client.delete(f"{FOODS}/{fid}", headers=admin.headers)).status_code == 204

    # After: every new use is refused with a problem naming it.
    r = await client.post("/api/v1/logs", json={**BAR_LOG, "food_id": fid}, headers=user.headers)
    body = assert_problem(r, 422, "food-retired")
    assert body["food_id"] == fid and "Zorblax oat bar" in body["detail"]
    r = await client.post(
        "/api/v1/inventory", json={"food_id": fid, "grams": 100}, headers=user.headers
    )
    assert_problem(r, 422, "food-retired")
    r = await client.post(
        f"/api/v1/inventory/receipt/{receipt['receipt_id']}/confirm", json={}, headers=user.headers
    )
    assert_problem(r, 422, "food-retired")
    recipe = {
        "name": "Bar plate",
        "meal_types": ["snack"],
        "ingredients": [{"food_id": fid, "grams": 60}],
    }
    assert_problem(
        await client.post("/api/v1/recipes", json=recipe, headers=user.headers),
        422,
        "food-retired",
    )
    assert_problem(
        await client.post("/api/v1/admin/recipes", json=recipe, headers=admin.headers),
        422,
        "food-retired",
    )
    # A new receipt no longer reads it.
    r = await client.post(
        "/api/v1/inventory/receipt",
        json={"text": "2 zorblax oat bar", "confirm": False},
        headers=user.headers,
    )
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert all(line.get("food_id") != fid for line in r.json()["lines"])

    # What existed keeps its snapshot and still works: the entry, its edit, the pantry item.
    got = (await client.get(f"/api/v1/logs/{entry['id']}", headers=user.headers)).json()
    assert (got["food_id"], got["kcal"], got["grams"]) == (fid, 228, 60)
    r = await client.patch(f"/api/v1/logs/{entry['id']}", json={"kcal": 230}, headers=user.headers)
    assert r.status_code == 200 and r.json()["kcal"] == 230
    got = (await client.get(f"/api/v1/inventory/{item['id']}", headers=user.headers)).json()
    assert got["food_id"] == fid and got["grams"] == 300
    r = await client.get("/api/v1/inventory", headers=user.headers)
    assert [i["id"] for i in r.json()["items"]] == [item["id"]]


async def _import_product(app, tmp_path, **fields) -> Food:
    product = {
        "code": "3017620422003",
        "product_name": "Nutella",
        "brands": "Ferrero",
        "nutriments": {
            "energy-kcal_100g": 539,
            "proteins_100g": 6.3,
            "carbohydrates_100g": 57.5,
            "fat_100g": 30.9,
        },
        **fields,
    }
    path = tmp_path / "off.jsonl"
    path.write_text(json.dumps(product) + "\n", encoding="utf-8")
    await import_off(app.state.resources.engine, path)
    async with app.state.resources.sessionmaker() as session:
        food = await session.scalar(sa.select(Food).where(Food.source == "off"))
    assert food is not None
    return food


async def test_imported_products_are_corrected_and_retired(app, client, make_user, tmp_path):
    admin, user = await _admin(app, make_user), await make_user()
    food = await _import_product(app, tmp_path)
    fid, gtin = str(food.id), food.gtin
    page = (await client.get(FOODS, params={"source": "off"}, headers=admin.headers)).json()
    assert [f["id"] for f in page["items"]] == [fid] and page["total"] == 1
    both = (await client.get(FOODS, headers=admin.headers)).json()
    assert fid in {f["id"] for f in both["items"]}
    assert (await client.get(FOODS, params={"source": "shared"}, headers=admin.headers)).json()[
        "total"
    ] == 0

    r = await client.patch(
        f"{FOODS}/{fid}", json={"kcal": 540, "fiber_g": 3.4}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["nutrients_per_100g"]["kcal"] == 540 and r.json()["source"] == "off"
    got = (await client.get(f"/api/v1/foods/{fid}", headers=user.headers)).json()
    assert got["nutrients_per_100g"]["fiber_g"] == 3.4
    r = await client.patch(f"{FOODS}/{fid}", json={"gtin": "4006381333931"}, headers=admin.headers)
    assert_problem(r, 422, "imported-barcode-fixed")
    (upd,) = await audit(client, admin, "food.update")
    assert upd["detail"] == {"name": "Nutella", "source": "off", "fields": ["fiber_g", "kcal"]}

    assert (await client.delete(f"{FOODS}/{fid}", headers=admin.headers)).status_code == 204
    r = await client.get(f"/api/v1/foods/barcode/{gtin}", headers=user.headers)
    assert_problem(r, 404, "food-not-found")
    r = await client.get("/api/v1/foods", params={"q": "nutella"}, headers=user.headers)
    assert fid not in {h["id"] for h in r.json()["items"]}
    r = await client.post("/api/v1/logs", json={**BAR_LOG, "food_id": fid}, headers=user.headers)
    assert_problem(r, 422, "food-retired")
    # It keeps its barcode, so the next import updates the row (still retired), not a copy.
    again = await _import_product(app, tmp_path, product_name="Nutella 2")
    assert str(again.id) == fid and again.retired_at is not None and again.name == "Nutella 2"
    (dele,) = await audit(client, admin, "food.delete")
    assert dele["detail"]["gtin"] == gtin and dele["target_id"] == fid


async def test_usda_foods_are_read_only(app, client, make_user):
    admin = await _admin(app, make_user)
    for method, body in (("PATCH", {"kcal": 1}), ("DELETE", None)):
        r = await client.request(method, f"{FOODS}/{CHICKEN.id}", json=body, headers=admin.headers)
        assert "USDA" in assert_problem(r, 409, "usda-food-read-only")["detail"]
    got = (await client.get(f"/api/v1/foods/{CHICKEN.id}", headers=admin.headers)).json()
    assert got["nutrients_per_100g"]["kcal"] == CHICKEN.nutrients["kcal"]
    assert got["retired_at"] is None
    assert await audit(client, admin, "food.update") == []


async def test_admin_routes_are_rate_limited_per_operator(client_factory):
    async with client_factory(rate_limit_admin_per_minute=3) as c:
        op = await create_user(c, email="ops1@example.com")
        other_op = await create_user(c, email="ops2@example.com")
        plain = await create_user(c)
        await make_admin(c.app, op)
        await make_admin(c.app, other_op)
        for i in range(3):
            r = await c.get(AUDIT, headers=op.headers)
            assert r.status_code == 200, r.text
            assert r.headers["RateLimit-Remaining"] == str(2 - i)
        # Views and writes share the budget.
        r = await c.post(FOODS, json=BAR, headers=op.headers)
        body = assert_problem(r, 429, "rate-limited")
        assert "3 requests per minute" in body["detail"]
        assert int(r.headers["Retry-After"]) >= 1
        assert_problem(await c.get(EXERCISES, headers=op.headers), 429)
        # Refused: nothing written, no audit row for the refused requests.
        r = await c.get(AUDIT, params={"limit": 200}, headers=other_op.headers)
        assert r.status_code == 200
        assert {e["action"] for e in r.json()["items"]} == {"user.role", "audit.view"}
        assert sum(e["action"] == "audit.view" for e in r.json()["items"]) == 3
        # Another operator has their own budget; a non-admin gets 403, never 429.
        for _ in range(5):
            assert_problem(await c.get(AUDIT, headers=plain.headers), 403)
