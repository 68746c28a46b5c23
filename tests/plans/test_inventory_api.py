"""Grocery inventory: CRUD, validation, privacy and receipts."""

from __future__ import annotations

import uuid

from app.foods.dataset import food_uuid, foods_by_ndb
from tests.conftest import assert_problem

EGG = str(food_uuid("01123"))  # Egg, whole, raw, fresh
MILK = str(food_uuid("01077"))  # Milk, whole, 3.25% milkfat, with added vitamin D
SPINACH = str(food_uuid("11457"))  # Spinach, raw


async def add(client, user, **body):
    r = await client.post("/api/v1/inventory", json=body, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def listing(client, user, **params):
    r = await client.get("/api/v1/inventory", params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_crud_sorted_by_soonest_expiry(client, make_user):
    owner, other = await make_user(), await make_user()
    eggs = await add(client, owner, food_id=EGG, grams=600, expires_on="2030-01-20")
    milk = await add(client, owner, food_id=MILK, grams=1000, expires_on="2030-01-05")
    spinach = await add(client, owner, food_id=SPINACH, grams=300)
    assert eggs["food"] == "Egg, whole, raw, fresh" and eggs["grams"] == 600
    assert spinach["expires_on"] is None

    body = await listing(client, owner)
    assert [i["id"] for i in body["items"]] == [milk["id"], eggs["id"], spinach["id"]]
    assert body["total"] == 3 and body["next_offset"] is None
    second = await listing(client, owner, limit=1, offset=1)
    assert [i["id"] for i in second["items"]] == [eggs["id"]] and second["next_offset"] == 2

    url = f"/api/v1/inventory/{eggs['id']}"
    r = await client.patch(url, json={"grams": 300, "expires_on": None}, headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["grams"] == 300 and r.json()["expires_on"] is None
    r = await client.patch(url, json={"expires_on": "2030-01-01"}, headers=owner.headers)
    assert r.json()["grams"] == 300 and r.json()["expires_on"] == "2030-01-01"
    body = await listing(client, owner)
    assert [i["id"] for i in body["items"]] == [eggs["id"], milk["id"], spinach["id"]]

    # Another user sees nothing and can touch nothing.
    assert (await listing(client, other))["total"] == 0
    assert_problem(await client.get(url, headers=other.headers), 404, "inventory-item-not-found")
    assert_problem(await client.patch(url, json={"grams": 1}, headers=other.headers), 404)
    assert_problem(await client.delete(url, headers=other.headers), 404)

    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert_problem(await client.get(url, headers=owner.headers), 404)
    assert (await listing(client, owner))["total"] == 2


async def test_validation(client, user):
    async def post(body):
        return await client.post("/api/v1/inventory", json=body, headers=user.headers)

    def fields(r):
        return {e["field"] for e in assert_problem(r, 422)["errors"]}

    assert fields(await post({"food_id": EGG, "grams": 0})) == {"grams"}
    assert fields(await post({"food_id": EGG, "grams": 60_000})) == {"grams"}
    assert fields(await post({"food_id": "not-a-uuid", "grams": 10})) == {"food_id"}
    assert fields(await post({"food_id": EGG, "grams": 10, "expires_on": "1899-12-31"})) == {
        "expires_on"
    }
    assert fields(await post({"food_id": EGG, "grams": 10, "colour": "red"})) == {"colour"}
    r = await post({"food_id": str(uuid.uuid4()), "grams": 10})
    assert_problem(r, 422, "unknown-food")

    item = await add(client, user, food_id=EGG, grams=100)
    r = await client.patch(
        f"/api/v1/inventory/{item['id']}", json={"grams": None}, headers=user.headers
    )
    assert_problem(r, 422)
    assert_problem(await client.get("/api/v1/inventory"), 401)
    r = await client.get("/api/v1/inventory", params={"limit": 0}, headers=user.headers)
    assert_problem(r, 422)


async def test_custom_food_inventory_is_private(client, make_user):
    owner, other = await make_user(), await make_user()
    r = await client.post(
        "/api/v1/foods",
        json={"name": "Grandma's jam", "kcal": 250, "protein_g": 0, "carbs_g": 60, "fat_g": 0},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    jam = r.json()["id"]
    assert (await add(client, owner, food_id=jam, grams=400))["food"] == "Grandma's jam"
    r = await client.post(
        "/api/v1/inventory", json={"food_id": jam, "grams": 400}, headers=other.headers
    )
    assert_problem(r, 422, "unknown-food")


async def test_receipt_adds_recognised_lines_in_one_go(client, user):
    text = (
        "SPINACH BABY 300 g   2.49\n"
        "6 eggs\n"
        "zorblax crunch 4.99\n"
        "whole milk 1 liter $1.89\n"
        "\n"
        "TOTAL 9.37\n"
    )
    r = await client.post(
        "/api/v1/inventory/receipt",
        json={"text": text, "expires_on": "2030-02-01"},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["unrecognised"] == ["zorblax crunch 4.99", "TOTAL 9.37"]
    got = {a["line"]: a["item"] for a in body["added"]}
    assert got["SPINACH BABY 300 g   2.49"]["food_id"] == SPINACH
    assert got["SPINACH BABY 300 g   2.49"]["grams"] == 300.0
    # A count with no size is the food's medium unit (SR28: 1 medium egg = 44 g).
    medium = next(p.grams for p in foods_by_ndb()["01123"].portions if p.unit == "medium")
    assert got["6 eggs"]["food_id"] == EGG and got["6 eggs"]["grams"] == 6 * medium
    milk = got["whole milk 1 liter $1.89"]
    assert "milk" in milk["food"].lower() and "whole" in milk["food"].lower()
    assert 1000 <= milk["grams"] <= 1040  # a litre of a fluid milk, not of milk powder
    assert all(a["item"]["expires_on"] == "2030-02-01" for a in body["added"])

    listed = await listing(client, user)
    assert listed["total"] == 3
    assert {i["id"] for i in listed["items"]} == {a["item"]["id"] for a in body["added"]}

    r = await client.post(
        "/api/v1/inventory/receipt", json={"text": "qwxyz\nzorblax"}, headers=user.headers
    )
    problem = assert_problem(r, 422, "nothing-recognised")
    assert problem["unrecognised"] == ["qwxyz", "zorblax"]
    assert (await listing(client, user))["total"] == 3
    r = await client.post("/api/v1/inventory/receipt", json={"text": ""}, headers=user.headers)
    assert_problem(r, 422)


async def test_an_empty_receipt_body_is_a_422_problem_not_a_500(client, user):
    # Found by schemathesis: the whole-body JSON error has an empty location.
    for content in (b"", b"{", b"null"):
        r = await client.post(
            "/api/v1/inventory/receipt",
            content=content,
            headers={**user.headers, "content-type": "application/json"},
        )
        body = assert_problem(r, 422)
        assert body["status"] == 422
    r = await client.get("/api/v1/inventory", headers=user.headers)
    assert r.status_code == 200
    assert r.json()["items"] == []
