"""The shared catalogue: operators add, correct and retire foods and recipes every user sees;
users find them in search, by barcode, in the parser and in the planner, and stop finding them
once retired. Every change is audited; non-admins get 403."""

from __future__ import annotations

import uuid

import pytest

from app.foods.dataset import foods_by_ndb
from app.plans import catalog
from app.plans.recipes import load_recipes
from tests.admin.helpers import BAR_LOG, make_admin
from tests.conftest import assert_problem
from tests.logs.helpers import set_goal

FOODS = "/api/v1/admin/foods"
RECIPES = "/api/v1/admin/recipes"
AUDIT = "/api/v1/admin/audit"

CHICKEN = foods_by_ndb()["05064"]  # Chicken, broilers or fryers, breast, roasted
EGG = foods_by_ndb()["01123"]  # Egg, whole, raw
RICE = foods_by_ndb()["20041"]  # Rice, brown, cooked
BROCCOLI = foods_by_ndb()["11090"]  # Broccoli, raw
OATS = foods_by_ndb()["08120"]  # Oats, dry
MILK = foods_by_ndb()["01077"]  # Milk, whole
BANANA = foods_by_ndb()["09040"]  # Bananas, raw


def ean13(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


BAR = {
    "name": "Zorblax oat bar",
    "food_group": "Snacks",
    "kcal": 380,
    "protein_g": 20,
    "carbs_g": 45,
    "fat_g": 12,
    "fiber_g": 6,
    "sodium_mg": 150,
    "gtin": ean13("400638133393"),
    "nutrients": {"iron_mg": 3.5},
    "portions": [{"amount": 1, "unit": "bar", "grams": 60}],
}


@pytest.fixture
async def admin(app, make_user):
    op = await make_user(email="ops@example.com")
    await make_admin(app, op)
    return op


async def audit(client, admin, action: str) -> list[dict]:
    r = await client.get(AUDIT, params={"action": action}, headers=admin.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def search(client, user, q: str, **params) -> list[dict]:
    r = await client.get("/api/v1/foods", params={"q": q, **params}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_non_admins_get_403_everywhere(client, user):
    some = uuid.uuid4()
    calls = [
        ("GET", FOODS, None),
        ("POST", FOODS, BAR),
        ("PATCH", f"{FOODS}/{some}", {"kcal": 1}),
        ("DELETE", f"{FOODS}/{some}", None),
        ("GET", RECIPES, None),
        ("POST", RECIPES, {"name": "x", "meal_types": ["lunch"], "ingredients_text": "1 egg"}),
        ("PATCH", f"{RECIPES}/{some}", {"servings": 2}),
        ("DELETE", f"{RECIPES}/{load_recipes()[0].id}", None),
        ("POST", f"{RECIPES}/{load_recipes()[0].id}/restore", None),
    ]
    for method, url, body in calls:
        r = await client.request(method, url, json=body, headers=user.headers)
        assert_problem(r, 403, "forbidden")
        r = await client.request(method, url, json=body)
        assert_problem(r, 401)
    # Nothing was written by the refused calls.
    assert await search(client, user, "zorblax", source="shared") == []
    r = await client.get(f"/api/v1/recipes/{load_recipes()[0].id}", headers=user.headers)
    assert r.json()["retired_at"] is None


async def test_shared_food_lifecycle_as_users_see_it(client, admin, make_user):
    user = await make_user()
    r = await client.post(FOODS, json=BAR, headers=admin.headers)
    assert r.status_code == 201, r.text
    food = r.json()
    fid = food["id"]
    assert food["source"] == "shared" and food["name"] == "Zorblax oat bar"
    assert food["gtin"] == "0" + BAR["gtin"] and food["retired_at"] is None
    n = food["nutrients_per_100g"]
    assert (n["kcal"], n["protein_g"], n["iron_mg"], n["sodium_mg"]) == (380, 20, 3.5, 150)
    assert [(p["unit"], p["grams"]) for p in food["portions"]] == [("bar", 60)]

    # Another user finds it: search (all sources and `shared` only), by id, by barcode.
    hits = await search(client, user, "zorblax oat bar")
    assert hits[0]["id"] == fid and hits[0]["source"] == "shared" and hits[0]["kcal"] == 380
    assert [h["id"] for h in await search(client, user, "zorblax", source="shared")] == [fid]
    assert await search(client, user, "zorblax", source="off") == []
    got = (await client.get(f"/api/v1/foods/{fid}", headers=user.headers)).json()
    assert got["nutrients_per_100g"]["kcal"] == 380 and got["source"] == "shared"
    r = await client.get(f"/api/v1/foods/barcode/{BAR['gtin']}", headers=user.headers)
    assert r.status_code == 200 and r.json()["id"] == fid

    # ... logs it by id and through the text parser, with its portion.
    r = await client.post(
        "/api/v1/logs",
        json={**BAR_LOG, "food_id": fid},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    parsed = (
        await client.post(
            "/api/v1/logs/parse", json={"text": "1 zorblax oat bar"}, headers=user.headers
        )
    ).json()
    item = parsed["items"][0]
    assert item["food_id"] == fid and item["grams"] == 60 and item["kcal"] == 228
    r = await client.post(
        "/api/v1/logs/natural", json={"text": "2 zorblax oat bars"}, headers=user.headers
    )
    assert r.status_code == 201, r.text
    entry = r.json()["entries"][0]
    assert entry["food_id"] == fid and entry["grams"] == 120 and entry["kcal"] == 456

    # The operator corrects it: users see the new numbers; log entries keep their snapshot.
    r = await client.patch(
        f"{FOODS}/{fid}",
        json={"kcal": 400, "portions": [{"unit": "bar", "grams": 50}]},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["nutrients_per_100g"]["kcal"] == 400
    assert r.json()["nutrients_per_100g"]["iron_mg"] == 3.5  # the extras stay
    assert [(p["unit"], p["grams"]) for p in r.json()["portions"]] == [("bar", 50)]
    got = (await client.get(f"/api/v1/foods/{fid}", headers=user.headers)).json()
    assert got["nutrients_per_100g"]["kcal"] == 400
    logs = (await client.get("/api/v1/logs", headers=user.headers)).json()["items"]
    assert sorted(e["kcal"] for e in logs) == [228, 456]

    # Retired: out of search, barcode and the parser; by id it still answers, marked.
    assert (await client.delete(f"{FOODS}/{fid}", headers=admin.headers)).status_code == 204
    assert fid not in {h["id"] for h in await search(client, user, "zorblax oat bar")}
    assert await search(client, user, "zorblax", source="shared") == []
    got = (await client.get(f"/api/v1/foods/{fid}", headers=user.headers)).json()
    assert got["retired_at"] is not None and got["gtin"] is None
    r = await client.get(f"/api/v1/foods/barcode/{BAR['gtin']}", headers=user.headers)
    assert_problem(r, 404, "food-not-found")
    parsed = (
        await client.post(
            "/api/v1/logs/parse", json={"text": "1 zorblax oat bar"}, headers=user.headers
        )
    ).json()
    assert all(i["food_id"] != fid for i in parsed["items"])
    logs = (await client.get("/api/v1/logs", headers=user.headers)).json()["items"]
    assert sorted(e["kcal"] for e in logs) == [228, 456]
    assert {e["food_id"] for e in logs} == {fid}

    # Gone for operators' writes; its barcode is free for a new food.
    assert_problem(await client.delete(f"{FOODS}/{fid}", headers=admin.headers), 404)
    r = await client.patch(f"{FOODS}/{fid}", json={"kcal": 1}, headers=admin.headers)
    assert_problem(r, 404, "food-not-found")
    again = await client.post(FOODS, json=BAR, headers=admin.headers)
    assert again.status_code == 201, again.text
    assert again.json()["id"] != fid

    created = await audit(client, admin, "food.create")
    assert [e["target_id"] for e in created] == [again.json()["id"], fid]
    assert created[1]["detail"] == {"name": "Zorblax oat bar", "gtin": "0" + BAR["gtin"]}
    assert created[1]["actor_label"] == "ops@example.com"
    (upd,) = await audit(client, admin, "food.update")
    assert upd["detail"] == {
        "name": "Zorblax oat bar",
        "source": "shared",
        "fields": ["kcal", "portions"],
    }
    (dele,) = await audit(client, admin, "food.delete")
    assert dele["target_id"] == fid
    assert dele["detail"] == {
        "name": "Zorblax oat bar",
        "gtin": "0" + BAR["gtin"],
        "log_entries": 2,
        "inventory_items": 0,
    }


async def test_shared_food_validation_and_conflicts(client, admin):
    r = await client.post(FOODS, json=BAR, headers=admin.headers)
    fid = r.json()["id"]
    bad = [
        {**BAR, "kcal": 901},
        {**BAR, "protein_g": -1},
        {**BAR, "protein_g": 60, "carbs_g": 50},  # 122 g of macros in 100 g
        {**BAR, "gtin": "4006381333932"},  # wrong check digit
        {**BAR, "nutrients": {"unobtainium_mg": 1}},
        {**BAR, "portions": [{"unit": "bar", "grams": 0}]},
        {**BAR, "name": " "},
        {**BAR, "owner_id": str(uuid.uuid4())},
        {k: v for k, v in BAR.items() if k != "kcal"},
    ]
    for body in bad:
        assert_problem(await client.post(FOODS, json=body, headers=admin.headers), 422)
    # Same name (case-blind) or same barcode: 409.
    dup = {**BAR, "name": "ZORBLAX OAT BAR", "gtin": None}
    assert_problem(
        await client.post(FOODS, json=dup, headers=admin.headers), 409, "shared-food-exists"
    )
    dup = {**BAR, "name": "Other bar"}
    assert_problem(await client.post(FOODS, json=dup, headers=admin.headers), 409, "barcode-taken")

    other = (
        await client.post(
            FOODS, json={**BAR, "name": "Other bar", "gtin": None}, headers=admin.headers
        )
    ).json()
    patch_bad = [
        {"kcal": None},
        {"name": None},
        {"protein_g": 90},  # 90 + 45 + 12 per 100 g
        {"portions": [{"unit": "bar", "grams": 6000}]},
        {"source": "sr28"},
    ]
    for body in patch_bad:
        r = await client.patch(f"{FOODS}/{other['id']}", json=body, headers=admin.headers)
        assert_problem(r, 422)
    r = await client.patch(
        f"{FOODS}/{other['id']}", json={"name": "zorblax oat bar"}, headers=admin.headers
    )
    assert_problem(r, 409, "shared-food-exists")
    r = await client.patch(
        f"{FOODS}/{other['id']}", json={"gtin": BAR["gtin"]}, headers=admin.headers
    )
    assert_problem(r, 409, "barcode-taken")
    assert_problem(
        await client.patch(f"{FOODS}/{uuid.uuid4()}", json={"kcal": 1}, headers=admin.headers), 404
    )
    assert_problem(
        await client.patch(f"{FOODS}/not-a-uuid", json={"kcal": 1}, headers=admin.headers), 404
    )
    # Nothing half-written: the refused patches left the food as it was.
    got = (await client.get(f"/api/v1/foods/{other['id']}", headers=admin.headers)).json()
    assert got["name"] == "Other bar" and got["nutrients_per_100g"]["protein_g"] == 20
    assert got["gtin"] is None and got["portions"][0]["grams"] == 60
    # Clearing the barcode with null works.
    r = await client.patch(f"{FOODS}/{fid}", json={"gtin": None}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["gtin"] is None
    assert len(await audit(client, admin, "food.update")) == 1


async def test_shared_food_list_pagination_and_bola(client, admin, make_user):
    user = await make_user()
    for name in ("Alpha mix", "Beta mix", "Gamma bar"):
        r = await client.post(
            FOODS, json={**BAR, "name": name, "gtin": None}, headers=admin.headers
        )
        assert r.status_code == 201
    gamma = r.json()["id"]
    # A user's custom food is not the operators' to manage, and never listed.
    mine = await client.post(
        "/api/v1/foods", json={**BAR, "name": "My mix", "gtin": None}, headers=user.headers
    )
    assert mine.status_code == 201
    page = (await client.get(FOODS, params={"limit": 2}, headers=admin.headers)).json()
    assert page["total"] == 3 and [f["name"] for f in page["items"]] == ["Alpha mix", "Beta mix"]
    page = (await client.get(FOODS, params={"offset": 2}, headers=admin.headers)).json()
    assert [f["name"] for f in page["items"]] == ["Gamma bar"]
    page = (await client.get(FOODS, params={"q": "MIX"}, headers=admin.headers)).json()
    assert page["total"] == 2
    assert_problem(await client.get(FOODS, params={"limit": 201}, headers=admin.headers), 422)
    assert_problem(await client.get(FOODS, params={"status": "x"}, headers=admin.headers), 422)
    mid = mine.json()["id"]
    r = await client.patch(f"{FOODS}/{mid}", json={"kcal": 1}, headers=admin.headers)
    assert_problem(r, 404)
    assert_problem(await client.delete(f"{FOODS}/{mid}", headers=admin.headers), 404)
    packaged = str(CHICKEN.id)
    r = await client.delete(f"{FOODS}/{packaged}", headers=admin.headers)
    assert "shipped with the app" in assert_problem(r, 409, "usda-food-read-only")["detail"]
    r = await client.patch(f"{FOODS}/{packaged}", json={"kcal": 1}, headers=admin.headers)
    assert_problem(r, 409, "usda-food-read-only")
    got = (await client.get(f"/api/v1/foods/{mid}", headers=user.headers)).json()
    assert got["nutrients_per_100g"]["kcal"] == 380

    assert (await client.delete(f"{FOODS}/{gamma}", headers=admin.headers)).status_code == 204
    active = (await client.get(FOODS, headers=admin.headers)).json()
    retired = (await client.get(FOODS, params={"status": "retired"}, headers=admin.headers)).json()
    both = (await client.get(FOODS, params={"status": "all"}, headers=admin.headers)).json()
    assert (active["total"], retired["total"], both["total"]) == (2, 1, 3)
    assert retired["items"][0]["id"] == gamma and retired["items"][0]["retired_at"]
    views = await audit(client, admin, "food.view")
    assert len(views) == 6 and views[0]["detail"] == {"q": None, "source": None, "status": "all"}


# --- recipes ---------------------------------------------------------------------------------


def shared_recipe(name: str, meal: str, *ingredients: tuple[object, float], **extra) -> dict:
    return {
        "name": name,
        "meal_types": [meal],
        "servings": 1,
        "ingredients": [{"food_id": str(f.id), "grams": g} for f, g in ingredients],
        "steps": ["Cook.", "Eat."],
        **extra,
    }


DAY = [
    shared_recipe("Zorblax porridge", "breakfast", (OATS, 80), (MILK, 250), (BANANA, 100)),
    shared_recipe("Zorblax chicken bowl", "lunch", (CHICKEN, 150), (RICE, 200), (BROCCOLI, 100)),
    shared_recipe("Zorblax egg rice", "dinner", (EGG, 150), (RICE, 250), (BROCCOLI, 150)),
    shared_recipe("Zorblax banana milk", "snack", (BANANA, 120), (MILK, 200)),
]


async def retire_all_packaged(app, admin_id: str) -> None:
    """Bulk, through the service: 206 requests would only make the test slow."""
    async with app.state.resources.sessionmaker() as session:
        for r in load_recipes():
            await catalog.retire(session, uuid.UUID(admin_id), r.id)
        await session.commit()


async def test_planner_offers_shared_recipes_until_retired(app, client, admin, make_user):
    user = await make_user()
    await set_goal(client, user, kcal=2000, protein_g=110, carbs_g=250, fat_g=60)
    made = {}
    for body in DAY:
        r = await client.post(RECIPES, json=body, headers=admin.headers)
        assert r.status_code == 201, r.text
        made[body["meal_types"][0]] = r.json()
    lunch = made["lunch"]
    assert lunch["source"] == "shared" and lunch["custom"] is False
    # Nutrients from the USDA ingredients: 150 g roasted breast, 200 g rice, 100 g broccoli.
    kcal = sum(
        f.nutrients["kcal"] * g / 100 for f, g in ((CHICKEN, 150), (RICE, 200), (BROCCOLI, 100))
    )
    assert lunch["per_serving"]["kcal"] == pytest.approx(kcal, abs=0.1)
    assert "vegetarian" not in lunch["tags"] and "gluten-free" in lunch["tags"]
    assert "vegetarian" in made["breakfast"]["tags"] and "dairy" in made["breakfast"]["allergens"]

    # Users see it in the library and by id.
    r = await client.get("/api/v1/recipes", params={"q": "zorblax"}, headers=user.headers)
    assert r.json()["total"] == 4
    assert {i["source"] for i in r.json()["items"]} == {"shared"}
    got = (await client.get(f"/api/v1/recipes/{lunch['id']}", headers=user.headers)).json()
    assert got["per_serving"] == lunch["per_serving"] and got["retired_at"] is None

    # With the packaged library retired, the planner can only offer the shared recipes.
    await retire_all_packaged(app, admin.id)
    r = await client.post("/api/v1/plans/generate", json={}, headers=user.headers)
    assert r.status_code == 201, r.text
    (plan,) = r.json()["plans"]
    for slot in plan["slots"]:
        assert [o["recipe_id"] for o in slot["options"]] == [made[slot["slot"]]["id"]]
        assert slot["options"][0]["name"] == made[slot["slot"]]["name"]
        assert slot["options"][0]["custom"] is False

    # Diet rules hold for shared recipes: a vegetarian gets no chicken bowl, so no lunch.
    veg = await make_user()
    await set_goal(client, veg, kcal=2000, protein_g=110, carbs_g=250, fat_g=60)
    r = await client.patch(
        "/api/v1/users/me/profile", json={"dietary_pattern": "vegetarian"}, headers=veg.headers
    )
    assert r.status_code == 200, r.text
    r = await client.get(
        "/api/v1/recipes", params={"q": "zorblax", "feasible": True}, headers=veg.headers
    )
    assert lunch["id"] not in {i["id"] for i in r.json()["items"]} and r.json()["total"] == 3
    r = await client.post("/api/v1/plans/generate", json={}, headers=veg.headers)
    body = assert_problem(r, 422, "plan-infeasible")
    assert "lunch" in body["detail"]

    # Retiring the lunch recipe takes it away from everyone; stored plans keep their copy.
    assert (
        await client.delete(f"{RECIPES}/{lunch['id']}", headers=admin.headers)
    ).status_code == 204
    r = await client.get("/api/v1/recipes", params={"q": "zorblax"}, headers=user.headers)
    assert lunch["id"] not in {i["id"] for i in r.json()["items"]}
    got = (await client.get(f"/api/v1/recipes/{lunch['id']}", headers=user.headers)).json()
    assert got["retired_at"] is not None and got["name"] == "Zorblax chicken bowl"
    stored = (await client.get(f"/api/v1/plans/{plan['date']}", headers=user.headers)).json()
    assert stored["slots"][1]["options"][0]["recipe_id"] == lunch["id"]
    r = await client.post("/api/v1/plans/generate", json={}, headers=user.headers)
    assert "lunch" in assert_problem(r, 422, "plan-infeasible")["detail"]

    # Restored: offered again.
    r = await client.post(f"{RECIPES}/{lunch['id']}/restore", headers=admin.headers)
    assert r.status_code == 200 and r.json()["retired_at"] is None, r.text
    r = await client.post("/api/v1/plans/generate", json={}, headers=user.headers)
    assert r.status_code == 201, r.text
    assert r.json()["plans"][0]["slots"][1]["options"][0]["recipe_id"] == lunch["id"]

    actions = [
        e["action"]
        for e in (await client.get(AUDIT, params={"limit": 200}, headers=admin.headers)).json()[
            "items"
        ]
    ]
    assert actions.count("recipe.create") == 4
    assert actions.count("recipe.delete") == 1 and actions.count("recipe.restore") == 1


async def test_packaged_recipe_retire_and_restore(client, admin, make_user):
    user = await make_user()
    packaged = load_recipes()[0]
    rid = str(packaged.id)
    listed = (
        await client.get(RECIPES, params={"source": "packaged", "limit": 1}, headers=admin.headers)
    ).json()
    assert listed["total"] == len(load_recipes()) and listed["items"][0]["source"] == "packaged"

    r = await client.patch(f"{RECIPES}/{rid}", json={"servings": 3}, headers=admin.headers)
    assert_problem(r, 409, "packaged-recipe")
    assert (await client.delete(f"{RECIPES}/{rid}", headers=admin.headers)).status_code == 204
    assert_problem(
        await client.delete(f"{RECIPES}/{rid}", headers=admin.headers), 409, "recipe-retired"
    )
    page = (await client.get("/api/v1/recipes", params={"limit": 1}, headers=user.headers)).json()
    assert page["total"] == len(load_recipes()) - 1
    r = await client.get("/api/v1/recipes", params={"q": packaged.name}, headers=user.headers)
    assert rid not in {i["id"] for i in r.json()["items"]}
    got = (await client.get(f"/api/v1/recipes/{rid}", headers=user.headers)).json()
    assert got["retired_at"] is not None and got["source"] == "packaged"
    retired = (
        await client.get(RECIPES, params={"status": "retired"}, headers=admin.headers)
    ).json()
    assert [i["id"] for i in retired["items"]] == [rid]

    r = await client.post(f"{RECIPES}/{rid}/restore", headers=admin.headers)
    assert r.status_code == 200 and r.json()["retired_at"] is None
    assert_problem(
        await client.post(f"{RECIPES}/{rid}/restore", headers=admin.headers),
        409,
        "recipe-not-retired",
    )
    page = (await client.get("/api/v1/recipes", params={"limit": 1}, headers=user.headers)).json()
    assert page["total"] == len(load_recipes())
    (dele,) = await audit(client, admin, "recipe.delete")
    assert dele["target_id"] == rid
    assert dele["detail"] == {"name": packaged.name, "source": "packaged"}

    # Unknown ids and users' private recipes are not the operators' to touch: 404.
    mine = await client.post(
        "/api/v1/recipes",
        json=shared_recipe("My porridge", "breakfast", (OATS, 80), (MILK, 250)),
        headers=user.headers,
    )
    assert mine.status_code == 201
    for rid2 in (mine.json()["id"], str(uuid.uuid4())):
        assert_problem(
            await client.delete(f"{RECIPES}/{rid2}", headers=admin.headers), 404, "recipe-not-found"
        )
        r = await client.patch(f"{RECIPES}/{rid2}", json={"servings": 2}, headers=admin.headers)
        assert_problem(r, 404)
        assert_problem(await client.post(f"{RECIPES}/{rid2}/restore", headers=admin.headers), 404)
    listed = (
        await client.get(RECIPES, params={"q": "porridge", "status": "all"}, headers=admin.headers)
    ).json()
    assert "My porridge" not in {i["name"] for i in listed["items"]}


async def test_shared_recipe_validation_and_update(client, admin, make_user):
    user = await make_user()
    lunch = DAY[1]
    bad = [
        {**lunch, "servings": 0},
        {**lunch, "servings": 51},
        {**lunch, "prep_minutes": 1441},
        {**lunch, "meal_types": ["brunch"]},
        {**lunch, "ingredients": [{"food_id": str(CHICKEN.id), "grams": 5001}]},
        {**lunch, "ingredients": []},
        {**lunch, "name": ""},
    ]
    for body in bad:
        assert_problem(await client.post(RECIPES, json=body, headers=admin.headers), 422)
    r = await client.post(RECIPES, json={**lunch, "tags": ["vegan"]}, headers=admin.headers)
    body = assert_problem(r, 422, "tags-not-supported")
    assert "vegan" in body["detail"]
    r = await client.post(
        RECIPES,
        json={**lunch, "ingredients": [{"food_id": str(uuid.uuid4()), "grams": 10}]},
        headers=admin.headers,
    )
    assert_problem(r, 422, "unknown-food")
    # An operator's private food cannot go into a recipe everyone sees.
    mine = await client.post(
        "/api/v1/foods", json={**BAR, "name": "Private bar", "gtin": None}, headers=admin.headers
    )
    r = await client.post(
        RECIPES,
        json={**lunch, "ingredients": [{"food_id": mine.json()["id"], "grams": 60}]},
        headers=admin.headers,
    )
    assert_problem(r, 422, "unknown-food")
    r = await client.post(
        RECIPES,
        json={
            **{k: v for k, v in lunch.items() if k != "ingredients"},
            "ingredients_text": "3 blorptangs",
        },
        headers=admin.headers,
    )
    assert_problem(r, 422, "unrecognised-ingredients")
    assert (await client.get(RECIPES, params={"source": "shared"}, headers=admin.headers)).json()[
        "total"
    ] == 0

    # A shared food is an ingredient like a USDA one, by id or by text.
    bar = (await client.post(FOODS, json=BAR, headers=admin.headers)).json()
    r = await client.post(
        RECIPES,
        json={
            "name": "Zorblax snack plate",
            "meal_types": ["snack"],
            "ingredients_text": "1 zorblax oat bar\n1 banana",
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    plate = r.json()
    assert plate["ingredients"][0]["food_id"] == bar["id"]
    assert plate["ingredients"][0]["grams"] == 60

    r = await client.patch(
        f"{RECIPES}/{plate['id']}", json={"tags": ["keto"]}, headers=admin.headers
    )
    assert_problem(r, 422, "tags-not-supported")
    r = await client.patch(f"{RECIPES}/{plate['id']}", json={"servings": 2}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["per_serving"]["kcal"] == pytest.approx(
        plate["per_serving"]["kcal"] / 2, abs=0.1
    )
    got = (await client.get(f"/api/v1/recipes/{plate['id']}", headers=user.headers)).json()
    assert got["servings"] == 2
    (upd,) = await audit(client, admin, "recipe.update")
    assert upd["detail"] == {"name": "Zorblax snack plate", "fields": ["servings"]}
    assert (
        await client.delete(f"{RECIPES}/{plate['id']}", headers=admin.headers)
    ).status_code == 204
    r = await client.patch(f"{RECIPES}/{plate['id']}", json={"servings": 3}, headers=admin.headers)
    assert_problem(r, 409, "recipe-retired")


async def test_another_process_sees_the_change(app, client, admin, make_user):
    """A process holding the library of an older stamp rebuilds it at its next read."""
    user = await make_user()
    async with app.state.resources.sessionmaker() as session:
        stale = await catalog.library(session)
    r = await client.post(RECIPES, json=DAY[0], headers=admin.headers)
    rid = r.json()["id"]
    catalog._current = stale  # as if this process had not seen the change
    r = await client.get("/api/v1/recipes", params={"q": "zorblax"}, headers=user.headers)
    assert [i["id"] for i in r.json()["items"]] == [rid]
    assert catalog._current is not stale
