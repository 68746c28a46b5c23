"""Food search, food details, custom foods, parse preview and natural-language logging."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from app.foods import loader
from app.foods.dataset import food_uuid
from tests.conftest import assert_problem

EGG = str(food_uuid("01123"))  # Egg, whole, raw, fresh


async def search(client, user, q: str, **params):
    r = await client.get("/api/v1/foods", params={"q": q, **params}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_search_ranks_common_foods_first(client, user):
    names = [i["name"] for i in await search(client, user, "egg", limit=5)]
    assert names[0].startswith("Egg, whole"), names
    assert "mix" not in names[0].lower()

    top = (await search(client, user, "chiken brest"))[0]["name"].lower()
    assert "chicken" in top and "breast" in top, top

    top = (await search(client, user, "coke"))[0]["name"].lower()
    assert "cola" in top, top


async def test_search_validation_and_auth(client, user):
    assert_problem(await client.get("/api/v1/foods", params={"q": "egg"}), 401)
    r = await client.get("/api/v1/foods", params={"q": ""}, headers=user.headers)
    assert_problem(r, 422)
    r = await client.get("/api/v1/foods", params={"q": "egg", "limit": 51}, headers=user.headers)
    assert_problem(r, 422)


async def test_food_detail_has_nutrients_and_measures(client, user):
    r = await client.get(f"/api/v1/foods/{EGG}", headers=user.headers)
    assert r.status_code == 200, r.text
    food = r.json()
    assert food["name"] == "Egg, whole, raw, fresh"
    assert food["source"] == "sr28" and food["ndb_no"] == "01123" and food["code"] == "01123"
    n = food["nutrients_per_100g"]
    assert (n["kcal"], n["protein_g"], n["fat_g"], n["carbs_g"]) == (143.0, 12.56, 9.51, 0.72)
    assert {
        "seq": 1,
        "description": "1 large",
        "amount": 1.0,
        "unit": "large",
        "grams": 50.0,
    } in food["portions"]

    r = await client.get(f"/api/v1/foods/{uuid.uuid4()}", headers=user.headers)
    assert_problem(r, 404, "food-not-found")


CUSTOM = {
    "name": "Zorblax protein bar",
    "kcal": 380,
    "protein_g": 30,
    "carbs_g": 40,
    "fat_g": 12,
    "portions": [{"amount": 1, "unit": "bar", "grams": 60}],
}


async def test_custom_food_is_private_and_parsed(client, make_user):
    owner, other = await make_user(), await make_user()
    r = await client.post("/api/v1/foods", json=CUSTOM, headers=owner.headers)
    assert r.status_code == 201, r.text
    food = r.json()
    assert food["source"] == "custom" and food["portions"][0]["grams"] == 60

    assert (await search(client, owner, "zorblax"))[0]["id"] == food["id"]
    assert all(i["id"] != food["id"] for i in await search(client, other, "zorblax"))
    r = await client.get(f"/api/v1/foods/{food['id']}", headers=other.headers)
    assert_problem(r, 404)

    r = await client.post(
        "/api/v1/logs/parse", json={"text": "2 zorblax protein bars"}, headers=owner.headers
    )
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert item["food_id"] == food["id"]
    assert item["grams"] == 120.0
    assert item["kcal"] == pytest.approx(456.0, abs=0.1)
    assert item["protein_g"] == pytest.approx(36.0, abs=0.1)

    r = await client.delete(f"/api/v1/foods/{food['id']}", headers=other.headers)
    assert_problem(r, 404)
    r = await client.delete(f"/api/v1/foods/{food['id']}", headers=owner.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/v1/foods/{food['id']}", headers=owner.headers)
    assert_problem(r, 404)


async def test_custom_food_validation(client, user):
    bad = {**CUSTOM, "protein_g": 60, "carbs_g": 50}
    body = assert_problem(await client.post("/api/v1/foods", json=bad, headers=user.headers), 422)
    assert "100 g" in body["detail"] or any("100 g" in e["message"] for e in body["errors"])
    r = await client.post("/api/v1/foods", json={**CUSTOM, "kcal": 1200}, headers=user.headers)
    assert {e["field"] for e in assert_problem(r, 422)["errors"]} == {"kcal"}
    r = await client.post("/api/v1/foods", json={**CUSTOM, "USDA": True}, headers=user.headers)
    assert_problem(r, 422)


async def matched_food(client, user, food_id: str) -> dict:
    r = await client.get(f"/api/v1/foods/{food_id}", headers=user.headers)
    assert r.status_code == 200
    return r.json()["nutrients_per_100g"]


async def test_parse_preview_numbers_come_from_the_data(client, user):
    r = await client.post(
        "/api/v1/logs/parse", json={"text": "2 eggs n wheat toast"}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["path"] == "deterministic" and body["fallback_reason"] is None
    assert len(body["items"]) == 2
    egg = body["items"][0]
    assert "egg" in egg["food"].lower() and egg["quantity"] == 2
    assert egg["grams"] == pytest.approx(100, abs=1)
    per100 = await matched_food(client, user, egg["food_id"])
    assert egg["kcal"] == pytest.approx(per100["kcal"] * egg["grams"] / 100, abs=0.2)
    assert "bread" in body["items"][1]["food"].lower()
    total = sum(i["kcal"] for i in body["items"])
    assert body["totals"]["kcal"] == pytest.approx(total, abs=0.3)
    # A preview saves nothing.
    r = await client.get("/api/v1/logs", headers=user.headers)
    assert r.json()["total"] == 0


async def test_parse_reports_unmatched_words(client, user):
    r = await client.post(
        "/api/v1/logs/parse", json={"text": "an apple and 3 blorptangs"}, headers=user.headers
    )
    body = r.json()
    assert [i["food"].split(",")[0] for i in body["items"]] == ["Apple"]
    assert any("blorptang" in u for u in body["unmatched"]), body["unmatched"]


async def test_natural_logging_saves_linked_entries(client, user):
    r = await client.post(
        "/api/v1/logs/natural",
        json={"text": "chicken breast 200g with rice", "meal_type": "dinner", "date": "2024-05-01"},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["entries"]) == len(body["items"]) == 2
    for entry, item in zip(body["entries"], body["items"], strict=True):
        assert entry["food_id"] == item["food_id"] and entry["source"] == "natural"
        assert entry["meal_type"] == "dinner" and entry["date"] == "2024-05-01"
        assert entry["kcal"] == item["kcal"]
    assert body["items"][0]["grams"] == 200.0
    r = await client.get("/api/v1/summaries/daily?date=2024-05-01", headers=user.headers)
    assert r.json()["totals"]["kcal"] == pytest.approx(body["totals"]["kcal"], abs=0.2)


async def test_natural_logging_nothing_recognised(client, user):
    r = await client.post(
        "/api/v1/logs/natural", json={"text": "qwzx blorf zzyzx"}, headers=user.headers
    )
    body = assert_problem(r, 422, "nothing-recognised")
    assert body["unmatched"]
    assert (await client.get("/api/v1/logs", headers=user.headers)).json()["total"] == 0


async def test_natural_logging_is_all_or_nothing(client, user):
    # 10 kg of rice exceeds the 5 kg bound of one entry: the apple must not be saved either.
    r = await client.post(
        "/api/v1/logs/natural",
        json={"text": "an apple and 10 kg of rice", "date": "2024-05-01"},
        headers=user.headers,
    )
    assert_problem(r, 422)
    assert (await client.get("/api/v1/logs", headers=user.headers)).json()["total"] == 0


async def test_natural_logging_counts_against_write_limit(client_factory):
    async with client_factory(rate_limit_log_writes_per_minute=1) as c:
        from tests.conftest import create_user

        u = await create_user(c)
        body = {"text": "an apple", "date": "2024-05-01"}
        assert (
            await c.post("/api/v1/logs/natural", json=body, headers=u.headers)
        ).status_code == 201
        r = await c.post("/api/v1/logs/natural", json=body, headers=u.headers)
        assert_problem(r, 429)
        assert int(r.headers["Retry-After"]) >= 1


async def test_loader_is_idempotent(app):
    engine = app.state.resources.engine
    for _ in range(2):
        loaded = await loader.load_usda(engine, force=True)
    assert loaded == {"sr28": (8789, 15438), "fndds": (7083, 31766)}
    async with engine.connect() as conn:
        n_foods = await conn.scalar(sa.text("SELECT count(*) FROM foods WHERE ndb_no IS NOT NULL"))
        n_portions = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM food_portions p JOIN foods f ON f.id = p.food_id "
                "WHERE f.ndb_no IS NOT NULL"
            )
        )
    assert (n_foods, n_portions) == (8789, 15438)


async def test_a_word_no_food_has_after_a_food_with_custom_foods_is_unmatched(client, user):
    # With custom foods every word is a query word; one no food has ("kcal"), after a food
    # of two or more words, left the tie-break by the food before with no foods (a 500).
    r = await client.post("/api/v1/foods", json=CUSTOM, headers=user.headers)
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/logs/parse", json={"text": "fried rice, about 300 kcal"}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["food"] for i in body["items"]] == ["Rice, fried, NFS"]
    assert body["unmatched"] == ["kcal"]
