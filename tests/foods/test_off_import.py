"""`nexfitra foods import-off`: Open Food Facts exports (CSV and JSONL) as shared foods."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest
import sqlalchemy as sa

from app import cli
from app.core import config
from app.foods.off_import import import_off
from tests.conftest import assert_problem

NUTELLA = {
    "code": "3017620422003",
    "product_name": "Nutella",
    "brands": "Ferrero",
    "main_category_en": "Spreads",
    "serving_quantity": "15",
    "nutriments": {
        "energy-kcal_100g": 539,
        "proteins_100g": 6.3,
        "carbohydrates_100g": 57.5,
        "fat_100g": 30.9,
        "sugars_100g": 56.3,
        "saturated-fat_100g": 10.6,
        "salt_100g": 0.107,
        "calcium_100g": 0.108,
        "iron_100g": 0.0042,
        "vitamin-d_100g": 0.0000025,
    },
}
COLA = {
    "code": "5449000000996",
    "product_name": "Coca-Cola Original Taste",
    "brands": "Coca-Cola",
    "nutriments": {
        "energy_100g": 180,  # kJ only: 43 kcal
        "proteins_100g": 0,
        "carbohydrates_100g": 10.6,
        "fat_100g": 0,
        "sodium_100g": "0.0",
    },
}


def _jsonl(*objs: object) -> str:
    return "".join(
        (o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n" for o in objs
    )


async def _shared(engine, gtin: str):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                sa.text(
                    "SELECT name, brand, kcal, sodium_mg, source, code, owner_id, food_group "
                    "FROM foods WHERE gtin = :g AND owner_id IS NULL"
                ),
                {"g": gtin},
            )
        ).all()


async def test_jsonl_import_is_shared_idempotent_and_safe(app, client, make_user, tmp_path):
    engine = app.state.resources.engine
    path = tmp_path / "products.jsonl"
    path.write_text(
        _jsonl(
            NUTELLA,
            COLA,
            "{not json",
            [1, 2, 3],
            {**NUTELLA, "code": "3017620422004"},  # bad check digit
            {"code": "4006381333931", "product_name": "No macros"},
            {**COLA, "code": "96385074", "nutriments": {**COLA["nutriments"], "fat_100g": 1e308}},
            {**COLA, "code": "4006381333931", "product_name": "x\x00"},
            {
                **COLA,
                "code": "4006381333931",
                "nutriments": {
                    "energy-kcal_100g": 50,
                    "fat_100g": 90,
                    "proteins_100g": 20,
                    "carbohydrates_100g": 0,
                },
            },
            "",
        ),
        encoding="utf-8",
    )
    report = await import_off(engine, path)
    # Read = the product objects; the two lines that are not one are skipped as invalid JSON.
    assert (report.read, report.inserted, report.updated) == (7, 2, 0)
    assert dict(report.skipped) == {
        "invalid JSON": 2,
        "invalid barcode": 1,
        "missing macros": 1,
        "implausible values": 2,
        "no name": 1,
    }
    (row,) = await _shared(engine, "03017620422003")
    assert row.name == "Nutella" and row.brand == "Ferrero" and row.source == "off"
    assert row.code == "03017620422003" and row.owner_id is None and row.food_group == "Spreads"
    assert row.kcal == 539 and row.sodium_mg == pytest.approx(42.8)
    (cola,) = await _shared(engine, "05449000000996")
    assert cola.kcal == pytest.approx(43.02, abs=0.01)

    # Any user finds it by barcode (as UPC/EAN, any length) and by search.
    user = await make_user()
    r = await client.get("/api/v1/foods/barcode/3017620422003", headers=user.headers)
    assert r.status_code == 200, r.text
    food = r.json()
    assert food["source"] == "off" and food["brand"] == "Ferrero"
    n = food["nutrients_per_100g"]
    assert (n["calcium_mg"], n["iron_mg"], n["vitamin_d_ug"]) == (108.0, 4.2, 2.5)
    assert food["portions"] == [
        {
            "seq": 1,
            "description": "1 serving (15 g)",
            "amount": 1.0,
            "unit": "serving",
            "grams": 15.0,
        }
    ]
    r = await client.get("/api/v1/foods", params={"q": "nutela"}, headers=user.headers)
    assert r.json()["items"][0]["id"] == food["id"]
    r = await client.get(
        "/api/v1/foods", params={"q": "ferrero", "source": "off"}, headers=user.headers
    )
    assert [i["name"] for i in r.json()["items"]] == ["Nutella"]

    # A user's own food for the barcode comes first for that user only.
    own = {
        "name": "My nutella",
        "kcal": 500,
        "protein_g": 6,
        "carbs_g": 50,
        "fat_g": 30,
        "gtin": "3017620422003",
    }
    mine = (await client.post("/api/v1/foods", json=own, headers=user.headers)).json()
    r = await client.get("/api/v1/foods/barcode/03017620422003", headers=user.headers)
    assert r.json()["id"] == mine["id"]
    other = await make_user()
    r = await client.get("/api/v1/foods/barcode/03017620422003", headers=other.headers)
    assert r.json()["id"] == food["id"]

    # Importing again updates in place: same id, new values, no duplicates.
    path.write_text(_jsonl({**NUTELLA, "product_name": "Nutella hazelnut spread"}), "utf-8")
    report = await import_off(engine, path)
    assert (report.inserted, report.updated) == (0, 1)
    (row,) = await _shared(engine, "03017620422003")
    assert row.name == "Nutella hazelnut spread"
    r = await client.get("/api/v1/foods/barcode/3017620422003", headers=other.headers)
    assert r.json()["id"] == food["id"] and len(r.json()["portions"]) == 1


async def test_csv_import_with_limit_and_gzip(app, tmp_path):
    engine = app.state.resources.engine
    header = [
        "code",
        "product_name",
        "brands",
        "energy-kcal_100g",
        "proteins_100g",
        "carbohydrates_100g",
        "fat_100g",
        "fiber_100g",
        "sodium_100g",
    ]
    rows = [
        ["4006381333931", "Oat flakes", "Brand A", "372", "13.5", "58.7", "7", "10", "0.005"],
        ["96385074", "Rice cakes", "", "387", "8", "81", "3", "4", "0.01"],
        ["036000291452", "Tomato soup\x00", "", "30", "1", "5", "1", "1", "0.3"],
        ["4006381333931", "Oat flakes, fine", "Brand A", "370", "13", "59", "7", "10", "0.005"],
    ]
    tsv = "\n".join("\t".join(r) for r in [header, *rows]) + "\n"
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(tsv.encode()))
    report = await import_off(engine, path, limit=2)
    assert report.truncated and report.read == 2
    assert (report.inserted, dict(report.skipped)) == (2, {"NUL byte": 1})
    (oats,) = await _shared(engine, "04006381333931")
    assert oats.name == "Oat flakes" and oats.sodium_mg == pytest.approx(5)

    # Comma-separated and quoted, as a spreadsheet writes it; the later duplicate wins.
    csv_path = tmp_path / "export.csv"
    csv_path.write_text(
        ",".join(header) + "\n"
        '4006381333931,"Oat flakes, fine",Brand A,370,13,59,7,10,0.005\n'
        '4006381333931,"Oat flakes, extra fine",Brand A,371,13,59,7,10,0.005\n',
        encoding="utf-8",
    )
    report = await import_off(engine, csv_path)
    assert (report.inserted, report.updated) == (0, 1)
    (oats,) = await _shared(engine, "04006381333931")
    assert oats.name == "Oat flakes, extra fine" and oats.kcal == 371


async def test_hostile_files_are_bounded(app, tmp_path):
    engine = app.state.resources.engine
    bomb = tmp_path / "bomb.jsonl.gz"
    line = json.dumps({**COLA, "code": "5449000000996"}) + "\n"
    bomb.write_bytes(gzip.compress(line.encode() * 20_000))  # ~4 MB from ~10 KB
    report = await import_off(engine, bomb, max_bytes=100_000)
    assert report.truncated and report.read < 1000

    long_line = tmp_path / "long.jsonl"
    long_line.write_text('{"code": "' + "1" * 3_000_000 + '"}\n' + json.dumps(NUTELLA) + "\n")
    report = await import_off(engine, long_line)
    assert report.skipped["line too long"] == 1 and report.read == 1

    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"code": ' + "[" * 100_000 + "\n")
    report = await import_off(engine, deep)
    assert report.skipped["invalid JSON"] == 1

    no_code = tmp_path / "nocode.csv"
    no_code.write_text("name,kcal\nx,1\n")
    with pytest.raises(ValueError, match="code"):
        await import_off(engine, no_code)


async def test_cli_imports_a_file(base_settings, tmp_path, monkeypatch, capsys):
    path = tmp_path / "one.jsonl"
    path.write_text(_jsonl(NUTELLA))
    monkeypatch.setenv("DATABASE_URL", base_settings.database_url)
    if base_settings.redis_url:
        monkeypatch.setenv("REDIS_URL", base_settings.redis_url)
    config.get_settings.cache_clear()
    try:
        # The CLI runs its own event loop, as it does from a shell.
        code = await asyncio.to_thread(cli.main, ["foods", "import-off", str(path)])
    finally:
        config.get_settings.cache_clear()
    assert code == 0
    assert "1 products read" in capsys.readouterr().out
    assert cli.main(["foods", "import-off", str(tmp_path / "missing.jsonl")]) == 2


async def test_barcode_route_validates(client, user):
    assert_problem(await client.get("/api/v1/foods/barcode/" + "1" * 41, headers=user.headers), 404)
    assert_problem(await client.get("/api/v1/foods/barcode/96385074"), 401)
