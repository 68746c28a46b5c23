"""The issue's "done when", end to end through the API as a user would: a receipt photo
(rendered here, read by Tesseract) confirmed into the inventory, a generated plan, one of its
slots logged, the inventory depleted with every change in the ledger, the log edited and
deleted giving the grams back, and the shopping list comparing by ingredient with the used-up
items kept. Runs on whichever backend the suite runs on (both in CI)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.foods.dataset import food_uuid, load_usda_foods
from app.foods.ingredients import FoodFacts, facts, grams_factor
from tests.inventory.helpers import inventory_by_food, ledger
from tests.inventory.test_receipt_images import receipt_image, requires_tesseract
from tests.logs.helpers import local_today, set_goal

LENTILS_RAW = str(food_uuid("16069"))
EGG = str(food_uuid("01123"))
POTATOES_RAW = str(food_uuid("11352"))
RECEIPT = [
    "FRESH MART",
    "2 lb lentils 3.49",
    "12 eggs 2.99",
    "3 lb potatoes 2.99",
    "TOTAL 9.47",
]


def usda_facts() -> dict[str, FoodFacts]:
    return {str(f.id): facts(f) for f in load_usda_foods()}


def pantry_share(option: dict[str, Any], stock: dict[str, dict], info: dict) -> float:
    """Grams of the option's ingredients whose ingredient key is in stock."""
    keys = {info[fid].key for fid, item in stock.items() if item["grams"] > 0}
    return sum(
        i["grams"]
        for i in option["ingredients"]
        if i["food_id"] in info and info[i["food_id"]].key in keys
    )


def expected_take(
    option: dict[str, Any], stock: dict[str, dict], info: dict, scale: float = 1.0
) -> dict[str, float]:
    """Grams each stock item loses when the option is eaten: per ingredient of the same key,
    its grams converted by the two foods' cooked/raw yield, at most what the item holds."""
    left = {fid: item["grams"] for fid, item in stock.items()}
    out: dict[str, float] = {}
    for ing in option["ingredients"]:
        src = info.get(ing["food_id"])
        if src is None:
            continue
        for fid in stock:
            if info[fid].key != src.key or left[fid] <= 0:
                continue
            take = round(min(left[fid], ing["grams"] * scale * grams_factor(src, info[fid])), 2)
            left[fid] -= take
            out[fid] = out.get(fid, 0.0) + take
            break
    return out


@requires_tesseract
async def test_receipt_photo_to_shopping_list(client, user):
    today = local_today("UTC")
    await set_goal(client, user, effective_from=str(today - dt.timedelta(days=3)))
    info = usda_facts()

    # 1. The photo: read, previewed line by line with match and confidence, nothing stored.
    r = await client.post(
        "/api/v1/inventory/receipt",
        files={"image": ("receipt.png", receipt_image(RECEIPT, fmt="PNG"), "image/png")},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    preview = r.json()
    assert (preview["status"], preview["read_by"]) == ("pending", "tesseract")
    matched = {m["food_id"]: m for m in preview["lines"] if m["status"] == "matched"}
    assert {fid: m["grams"] for fid, m in matched.items()} == {
        LENTILS_RAW: 907.2,
        EGG: 528.0,
        POTATOES_RAW: 1360.8,
    }
    assert all(0 < m["confidence"] <= 1 for m in matched.values())
    assert await inventory_by_food(client, user) == {}

    # 2. Confirmed: the inventory holds what was bought, each purchase in the ledger.
    r = await client.post(
        f"/api/v1/inventory/receipt/{preview['receipt_id']}/confirm", headers=user.headers
    )
    assert r.status_code == 201, r.text
    stock = await inventory_by_food(client, user)
    grams = {LENTILS_RAW: 907.2, EGG: 528.0, POTATOES_RAW: 1360.8}
    assert {fid: i["grams"] for fid, i in stock.items()} == grams
    bought = await ledger(client, user)
    assert sorted((x["food_id"], x["delta_g"], x["reason"]) for x in bought) == sorted(
        (fid, g, "bought") for fid, g in grams.items()
    )

    # 3. A generated plan; the slot option using the most of the pantry is chosen.
    r = await client.post("/api/v1/plans/generate", json={"days": 1}, headers=user.headers)
    assert r.status_code == 201, r.text
    (plan,) = r.json()["plans"]
    assert plan["date"] == str(today) and all(s["options"] for s in plan["slots"])
    best = max(
        (
            (pantry_share(opt, stock, info), s["slot"], n, opt)
            for s in plan["slots"]
            for n, opt in enumerate(s["options"])
        ),
        key=lambda t: t[0],
    )
    share, slot, index, option = best
    assert share > 0, "no option of the plan uses the eggs, lentils or potatoes in stock"
    r = await client.put(
        f"/api/v1/plans/{today}/slots/{slot}", json={"option": index}, headers=user.headers
    )
    assert r.status_code == 200, r.text

    # 4. Logging the slot takes its ingredients from the stock, converted by yield.
    r = await client.post(
        f"/api/v1/plans/{today}/log", json={"slots": [slot]}, headers=user.headers
    )
    assert r.status_code == 201, r.text
    (entry,) = r.json()["entries"]
    taken = expected_take(option, stock, info)
    assert taken
    after = await inventory_by_food(client, user)
    for fid, item in stock.items():
        assert after[fid]["grams"] == pytest.approx(item["grams"] - taken.get(fid, 0.0), abs=0.02)
    rows = [x for x in await ledger(client, user, source="log") if x["source_id"] == entry["id"]]
    assert {x["food_id"]: x["delta_g"] for x in rows} == {
        fid: pytest.approx(-g, abs=0.02) for fid, g in taken.items()
    }
    assert {x["reason"] for x in rows} == {"log"}

    # 5. Editing the portion takes the same items again, scaled; deleting gives all back.
    half = round(entry["grams"] / 2, 1)
    r = await client.patch(
        f"/api/v1/logs/{entry['id']}", json={"grams": half}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    scale = half / entry["grams"]
    assert r.json()["kcal"] == pytest.approx(entry["kcal"] * scale, abs=0.05)
    after = await inventory_by_food(client, user)
    for fid, g in taken.items():
        assert after[fid]["grams"] == pytest.approx(stock[fid]["grams"] - g * scale, abs=0.05)
    r = await client.delete(f"/api/v1/logs/{entry['id']}", headers=user.headers)
    assert r.status_code == 204
    after = await inventory_by_food(client, user)
    assert {fid: i["grams"] for fid, i in after.items()} == {
        fid: pytest.approx(i["grams"], abs=0.01) for fid, i in stock.items()
    }

    # 6. Eating every egg: the item stays, used up, and the shopping list remembers it.
    r = await client.post(
        "/api/v1/logs/natural",
        json={"text": "12 eggs", "meal_type": "snack"},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    assert (await inventory_by_food(client, user))[EGG]["used_up"] is True
    r = await client.get(
        "/api/v1/plans/shopping-list",
        params={"start": str(today), "end": str(today)},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    shopping = r.json()
    lines = shopping["items"] + shopping["covered"]
    egg = info[EGG].key
    if egg in {g["ingredient"] for g in lines}:
        # The plan needs eggs: they are on the list to buy, none counted from the inventory.
        (need,) = [g for g in shopping["items"] if g["ingredient"] == egg]
        assert need["inventory_g"] == 0.0 and need["grams"] == need["needed_g"] > 0
        assert shopping["used_up"] == []
    else:
        assert [(g["food_id"], g["ingredient"]) for g in shopping["used_up"]] == [(EGG, egg)]
    # Every planned ingredient is listed once per ingredient key, with the lentils and
    # potatoes in stock counted in the planned food's own grams (cooked/raw yield).
    assert len({g["ingredient"] for g in lines}) == len(lines)
    in_stock = {info[LENTILS_RAW].key: LENTILS_RAW, info[POTATOES_RAW].key: POTATOES_RAW}
    for g in lines:
        fid = in_stock.get(g["ingredient"])
        planned = info[g["food_id"]]
        want = 0.0 if fid is None else stock[fid]["grams"] * grams_factor(info[fid], planned)
        assert g["inventory_g"] == pytest.approx(want, abs=0.1), g
        assert g["grams"] == pytest.approx(max(g["needed_g"] - g["inventory_g"], 0), abs=0.1)
