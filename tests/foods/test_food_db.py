"""The food database of issue 11: both USDA sources searchable and loggable, full nutrients,
portions, barcodes and the loader's top-up of older databases."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from app.foods import loader
from app.foods.dataset import (
    NUTRIENT_FIELDS,
    fndds_by_code,
    fndds_uuid,
    food_uuid,
    foods_by_ndb,
    packaged_by_id,
)
from app.foods.gtin import InvalidGTIN, check_digit, normalize_gtin
from tests.conftest import assert_problem

BREAD = fndds_by_code()["51101000"]  # Bread, white


async def search(client, user, q: str, **params):
    r = await client.get("/api/v1/foods", params={"q": q, **params}, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_misspelt_chicken_breast_is_a_plain_cooked_breast(client, user):
    page = await search(client, user, "chiken brest", limit=10)
    top = page["items"][0]
    assert top["source"] == "fndds"
    assert top["food_group"] == "Chicken, whole pieces"
    assert top["name"].startswith("Chicken breast, ")
    # The generic cooked breast: FNDDS's "NS as to cooking method" form, not a processed one.
    assert "NS as to cooking method" in top["name"]
    for item in page["items"][:5]:
        assert not {"deli", "fried", "coated", "tenders"} & set(item["name"].lower().split()), item
    assert page["total"] >= 10


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("apple", "Apple, raw"),
        ("banana", "Banana, raw"),
        ("milk", "Milk, NFS"),
        ("potato", "Potato, NFS"),
        ("salmon", "Salmon, cooked, NS as to cooking method"),
        ("coke", "Soft drink, cola"),  # a synonym in FNDDS's additional descriptions
        ("pepsi", "Soft drink, cola"),  # also in an SR28 brand name, which does not count
        ("orange juice", "Orange juice, 100%, NFS"),
        ("whole milk", "Milk, whole"),
    ],
)
async def test_bare_names_find_the_plain_food_first(client, user, query, expected):
    items = (await search(client, user, query, limit=5))["items"]
    assert items[0]["name"] == expected, [i["name"] for i in items]


async def test_a_synonym_loses_to_a_food_named_so(client, user):
    """ "Imitation cheese" lists "cheddar" and "mozzarella" among its synonyms; the cheeses
    named so come first."""
    for query, cheese in (("cheddar", "Cheese, Cheddar"), ("mozzarella", "Cheese, Mozzarella")):
        names = [i["name"] for i in (await search(client, user, query, limit=5))["items"]]
        assert "Imitation cheese" not in names[:3], names
        assert any(n.startswith(cheese) for n in names[:3]), names


async def test_whole_foods_rank_above_processed_ones(client, user):
    names: list[str] = []
    for offset in range(0, 200, 50):
        page = await search(client, user, "apple", limit=50, offset=offset)
        names += [i["name"] for i in page["items"]]
    assert names[0] == "Apple, raw"
    for processed in ("Apple juice, 100%", "Apple pie filling", "Applesauce, regular"):
        if processed in names:
            assert names.index("Apple, raw") < names.index(processed)
    assert names.index("Apple, raw") < names.index("Apple juice, 100%")


async def test_search_pages_and_filters_by_source(client, user):
    first = await search(client, user, "egg", limit=5)
    second = await search(client, user, "egg", limit=5, offset=5)
    assert first["total"] == second["total"] > 100
    assert (first["limit"], first["offset"], first["next_offset"]) == (5, 0, 5)
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 10
    last = await search(client, user, "egg", limit=5, offset=first["total"] - 2)
    assert len(last["items"]) == 2 and last["next_offset"] is None

    sr28 = await search(client, user, "egg", source="sr28", limit=50)
    fndds = await search(client, user, "egg", source="fndds", limit=50)
    assert {i["source"] for i in sr28["items"]} == {"sr28"}
    assert {i["source"] for i in fndds["items"]} == {"fndds"}
    assert sr28["total"] + fndds["total"] == first["total"]
    assert sr28["items"][0]["name"].startswith("Egg, whole")
    assert sr28["items"][0]["code"] == sr28["items"][0]["code"].strip() != ""

    for bad in ({"source": "usda"}, {"offset": 1001}, {"limit": 0}):
        r = await client.get("/api/v1/foods", params={"q": "egg", **bad}, headers=user.headers)
        assert_problem(r, 422)
    empty = await search(client, user, "zzzqqqxxx")
    assert (empty["items"], empty["total"]) == ([], 0)


async def test_fndds_food_lists_portions_and_all_nutrients(client, user):
    r = await client.get(f"/api/v1/foods/{BREAD.id}", headers=user.headers)
    assert r.status_code == 200, r.text
    food = r.json()
    assert food["id"] == str(fndds_uuid("51101000"))
    assert (food["name"], food["source"], food["code"]) == ("Bread, white", "fndds", "51101000")
    assert (food["food_group"], food["category_code"]) == ("Yeast breads", "4202")
    assert food["ndb_no"] is None
    n = food["nutrients_per_100g"]
    assert set(n) == set(NUTRIENT_FIELDS)
    assert (n["kcal"], n["sodium_mg"]) == (270.0, 477.0)
    for key in ("fiber_g", "folate_ug", "thiamin_mg", "selenium_ug", "water_g", "choline_mg"):
        assert n[key] == BREAD.nutrients[key] and n[key] is not None
    assert n["trans_fat_g"] is None  # FNDDS does not publish it
    slice_ = next(p for p in food["portions"] if p["description"] == "1 medium or regular slice")
    assert slice_["grams"] == 28.0
    assert any(p["description"] == "Quantity not specified" for p in food["portions"])
    assert len(food["portions"]) == len(BREAD.portions)


async def test_sr28_food_has_the_full_nutrient_set(client, user):
    egg = foods_by_ndb()["01123"]
    r = await client.get(f"/api/v1/foods/{egg.id}", headers=user.headers)
    n = r.json()["nutrients_per_100g"]
    assert n["magnesium_mg"] == 12.0 and n["choline_mg"] == 293.8 and n["water_g"] == 76.15
    assert n["vitamin_b12_ug"] == egg.nutrients["vitamin_b12_ug"]


async def test_natural_log_entry_keeps_the_full_nutrient_snapshot(client, user):
    r = await client.post(
        "/api/v1/logs/natural",
        json={"text": "2 eggs and a slice of white bread", "date": "2024-05-01"},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    entries = r.json()["entries"]
    assert len(entries) == 2
    for entry in entries:
        food = packaged_by_id()[uuid.UUID(entry["food_id"])]
        snap = entry["nutrients"]
        assert snap is not None and len(snap) >= 30
        for key, per100 in food.nutrients.items():
            if per100 is not None:
                assert snap[key] == pytest.approx(per100 * entry["grams"] / 100, rel=1e-3, abs=1e-3)
        assert snap["kcal"] == pytest.approx(entry["kcal"], abs=0.06)
    # Stored, not only answered.
    listed = (await client.get("/api/v1/logs", headers=user.headers)).json()["items"]
    assert {e["id"]: e["nutrients"] for e in listed} == {e["id"]: e["nutrients"] for e in entries}

    # A typed correction wins in the snapshot too.
    eid = entries[0]["id"]
    r = await client.patch(f"/api/v1/logs/{eid}", json={"kcal": 111}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["nutrients"]["kcal"] == 111
    assert r.json()["nutrients"]["protein_g"] == entries[0]["nutrients"]["protein_g"]

    # Typed entries keep what was typed and no snapshot.
    r = await client.post(
        "/api/v1/logs",
        json={
            "meal_type": "lunch",
            "description": "x",
            "kcal": 1,
            "protein_g": 0,
            "carbs_g": 0,
            "fat_g": 0,
            "date": "2024-05-01",
        },
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["nutrients"] is None


async def test_parse_preview_applies_the_log_bounds(client, user):
    r = await client.post(
        "/api/v1/logs/parse", json={"text": "5000 cups of olive oil"}, headers=user.headers
    )
    body = assert_problem(r, 422)
    assert "olive oil" in body["detail"].lower()
    assert "grams" in body["detail"] or "kcal" in body["detail"]


# Barcodes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "gtin"),
    [
        ("036000291452", "00036000291452"),  # UPC-A
        ("0036000291452", "00036000291452"),  # the same product as EAN-13
        ("4006381333931", "04006381333931"),  # EAN-13
        ("96385074", "00000096385074"),  # EAN-8
        ("400-6381 333931", "04006381333931"),  # separators are ignored
        ("10036000291459", "10036000291459"),  # GTIN-14
    ],
)
def test_gtin_normalisation(code, gtin):
    assert normalize_gtin(code) == gtin


@pytest.mark.parametrize(
    "code", ["036000291453", "12345", "0" * 13, "abcdefghijkl", "٠٣٦٠٠٠٢٩١٤٥٢", "1" * 15]
)
def test_invalid_gtins(code):
    with pytest.raises(InvalidGTIN):
        normalize_gtin(code)


def test_check_digit():
    assert check_digit("03600029145") == 2
    assert check_digit("400638133393") == 1


BAR = {
    "name": "Crunchy oat bar",
    "kcal": 450,
    "protein_g": 8,
    "carbs_g": 64,
    "fat_g": 18,
    "gtin": "036000291452",
    "nutrients": {"iron_mg": 2.5, "magnesium_mg": 80},
    "portions": [{"amount": 1, "unit": "bar", "grams": 42}],
}


async def test_custom_food_with_barcode(client, make_user):
    owner, other = await make_user(), await make_user()
    r = await client.post("/api/v1/foods", json=BAR, headers=owner.headers)
    assert r.status_code == 201, r.text
    food = r.json()
    assert food["gtin"] == "00036000291452" and food["source"] == "custom"
    n = food["nutrients_per_100g"]
    assert (n["kcal"], n["iron_mg"], n["magnesium_mg"], n["zinc_mg"]) == (450, 2.5, 80, None)

    r = await client.get("/api/v1/foods/barcode/0036000291452", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == food["id"]
    assert_problem(
        await client.get("/api/v1/foods/barcode/036000291452", headers=other.headers),
        404,
        "food-not-found",
    )
    assert_problem(
        await client.get("/api/v1/foods/barcode/036000291453", headers=owner.headers),
        422,
        "invalid-barcode",
    )
    assert_problem(
        await client.post("/api/v1/foods", json=BAR, headers=owner.headers), 409, "barcode-taken"
    )
    # Another user may keep their own food for the same product.
    r = await client.post("/api/v1/foods", json=BAR, headers=other.headers)
    assert r.status_code == 201, r.text
    for bad in ({"gtin": "12345"}, {"gtin": "036000291453"}, {"nutrients": {"vitamin_q": 1}}):
        r = await client.post("/api/v1/foods", json={**BAR, **bad}, headers=owner.headers)
        assert_problem(r, 422)

    # Search finds it for its owner, by name, among the USDA foods.
    page = await search(client, owner, "crunchy oat bar", source="custom")
    assert [i["id"] for i in page["items"]] == [food["id"]]


# Loader ----------------------------------------------------------------------------------


async def test_loader_tops_up_an_older_database(app, client, user):
    """A database loaded by the SR28-only version: no FNDDS rows, SR28 rows without the full
    nutrient set. A normal start fills both in; a loaded database costs one query."""
    engine = app.state.resources.engine
    egg_id, bread_id = food_uuid("01123"), fndds_uuid("51101000")
    async with engine.begin() as conn:
        await conn.execute(sa.text("UPDATE foods SET nutrients = NULL WHERE source = 'sr28'"))
        await conn.execute(
            sa.text(
                "DELETE FROM food_portions WHERE food_id IN "
                "(SELECT id FROM foods WHERE source = 'fndds')"
            )
        )
        await conn.execute(sa.text("DELETE FROM foods WHERE source = 'fndds'"))
    assert (await loader.packaged_counts(engine)) == {"sr28": (8789, 0)}
    r = await client.get(f"/api/v1/foods/{egg_id}", headers=user.headers)
    # Until then the per-nutrient columns still answer.
    assert (
        r.json()["nutrients_per_100g"]["kcal"] == 143
        and r.json()["nutrients_per_100g"]["magnesium_mg"] is None
    )

    await loader.load_usda(engine)
    assert (await loader.packaged_counts(engine)) == {
        "sr28": (8789, 8789),
        "fndds": (7083, 7083),
    }
    r = await client.get(f"/api/v1/foods/{egg_id}", headers=user.headers)
    assert r.json()["nutrients_per_100g"]["magnesium_mg"] == 12.0
    r = await client.get(f"/api/v1/foods/{bread_id}", headers=user.headers)
    assert r.status_code == 200 and len(r.json()["portions"]) == len(BREAD.portions)
    async with engine.connect() as conn:
        n_portions = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM food_portions p JOIN foods f ON f.id = p.food_id "
                "WHERE f.source = 'fndds'"
            )
        )
    assert n_portions == 31766
