"""Build ``app/foods/data/usda_fndds.json.gz`` from the USDA FNDDS 2017-2018 tables.

Usage: ``python scripts/build_fndds.py [FNDDS_DIR]`` (default ``../shared/data/usda-fndds``
relative to the repository root; that folder's README says where the files come from).

Output shape (consumed by ``app.foods.dataset.load_fndds_foods``)::

    {"source": "USDA FNDDS 2017-2018", "basis": "per 100 g edible portion",
     "nutrients": [our field names],
     "categories": {"<wweia code>": "<wweia name>"},
     "foods": [[food_code, description, additional_descriptions | null, wweia_code,
                [values in "nutrients" order]], ...],
     "portions": {"<food_code>": [[seq, description, grams], ...]}}

Only generic portions are kept (rows with an empty subcode; the others belong to one brand).
"Quantity not specified" stays: it is FNDDS's default portion for the food. The output is
byte-for-byte deterministic (sorted rows, ordered keys, gzip header without time or name).
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections import defaultdict
from pathlib import Path

from packdata import pack, run

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO_ROOT.parent / "shared" / "data" / "usda-fndds"
OUT = REPO_ROOT / "app" / "foods" / "data" / "usda_fndds.json.gz"

# FNDDS column header -> our field name (same names as scripts/build_foods.py gives SR28).
# Every one of the 65 published nutrients is kept; the pack lists them in NUTRIENT_FIELDS order.
COLUMNS: dict[str, str] = {
    "Energy (kcal)": "kcal",
    "Protein (g)": "protein_g",
    "Carbohydrate (g)": "carbs_g",
    "Sugars, total (g)": "sugars_g",
    "Fiber, total dietary (g)": "fiber_g",
    "Total Fat (g)": "fat_g",
    "Fatty acids, total saturated (g)": "sat_fat_g",
    "Fatty acids, total monounsaturated (g)": "mono_fat_g",
    "Fatty acids, total polyunsaturated (g)": "poly_fat_g",
    "Cholesterol (mg)": "cholesterol_mg",
    "Retinol (mcg)": "retinol_ug",
    "Vitamin A, RAE (mcg_RAE)": "vitamin_a_ug",
    "Carotene, alpha (mcg)": "alpha_carotene_ug",
    "Carotene, beta (mcg)": "beta_carotene_ug",
    "Cryptoxanthin, beta (mcg)": "beta_cryptoxanthin_ug",
    "Lycopene (mcg)": "lycopene_ug",
    "Lutein + zeaxanthin (mcg)": "lutein_zeaxanthin_ug",
    "Thiamin (mg)": "thiamin_mg",
    "Riboflavin (mg)": "riboflavin_mg",
    "Niacin (mg)": "niacin_mg",
    "Vitamin B-6 (mg)": "vitamin_b6_mg",
    "Folic acid (mcg)": "folic_acid_ug",
    "Folate, food (mcg)": "folate_food_ug",
    "Folate, DFE (mcg_DFE)": "folate_ug",
    "Folate, total (mcg)": "folate_total_ug",
    "Choline, total (mg)": "choline_mg",
    "Vitamin B-12 (mcg)": "vitamin_b12_ug",
    "Vitamin B-12, added (mcg)": "vitamin_b12_added_ug",
    "Vitamin C (mg)": "vitamin_c_mg",
    "Vitamin D (D2 + D3) (mcg)": "vitamin_d_ug",
    "Vitamin E (alpha-tocopherol) (mg)": "vitamin_e_mg",
    "Vitamin E, added (mg)": "vitamin_e_added_mg",
    "Vitamin K (phylloquinone) (mcg)": "vitamin_k_ug",
    "Calcium (mg)": "calcium_mg",
    "Phosphorus (mg)": "phosphorus_mg",
    "Magnesium (mg)": "magnesium_mg",
    "Iron (mg)": "iron_mg",
    "Zinc (mg)": "zinc_mg",
    "Copper (mg)": "copper_mg",
    "Selenium (mcg)": "selenium_ug",
    "Potassium (mg)": "potassium_mg",
    "Sodium (mg)": "sodium_mg",
    "Caffeine (mg)": "caffeine_mg",
    "Theobromine (mg)": "theobromine_mg",
    "Alcohol (g)": "alcohol_g",
    "4:0 (g)": "fa_4_0_g",
    "6:0 (g)": "fa_6_0_g",
    "8:0 (g)": "fa_8_0_g",
    "10:0 (g)": "fa_10_0_g",
    "12:0 (g)": "fa_12_0_g",
    "14:0 (g)": "fa_14_0_g",
    "16:0 (g)": "fa_16_0_g",
    "18:0 (g)": "fa_18_0_g",
    "16:1 (g)": "fa_16_1_g",
    "18:1 (g)": "fa_18_1_g",
    "20:1 (g)": "fa_20_1_g",
    "22:1 (g)": "fa_22_1_g",
    "18:2 (g)": "fa_18_2_g",
    "18:3 (g)": "fa_18_3_g",
    "18:4 (g)": "fa_18_4_g",
    "20:4 (g)": "fa_20_4_g",
    "20:5 n-3 (g)": "fa_20_5_n3_g",
    "22:5 n-3 (g)": "fa_22_5_n3_g",
    "22:6 n-3 (g)": "fa_22_6_n3_g",
    "Water (g)": "water_g",
}


def _num(text: str) -> float | int:
    # Integers stay integers so the JSON is shorter and values print the way USDA wrote them.
    value = float(text)
    return int(value) if value.is_integer() else value


def _field_order() -> list[str]:
    sys.path.insert(0, str(REPO_ROOT))
    from app.foods.dataset import NUTRIENT_FIELDS

    mine = set(COLUMNS.values())
    return [f for f in NUTRIENT_FIELDS if f in mine]


def build(src: Path) -> bytes:
    fields = _field_order()
    if set(fields) != set(COLUMNS.values()):
        raise SystemExit("COLUMNS names a field that is not in NUTRIENT_FIELDS")

    with gzip.open(src / "nutrients.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        missing = set(COLUMNS) - set(header)
        if missing:
            raise SystemExit(f"nutrients.csv.gz lacks columns: {sorted(missing)}")
        by_field = {COLUMNS[h]: i for i, h in enumerate(header) if h in COLUMNS}
        values = {row[0]: [_num(row[by_field[f]]) for f in fields] for row in reader}

    categories: dict[str, str] = {}
    foods: list[list[object]] = []
    with open(src / "foods.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["food_code"]
            categories[row["wweia_category_code"]] = row["wweia_category"]
            foods.append(
                [
                    code,
                    row["description"],
                    row["additional_descriptions"] or None,
                    row["wweia_category_code"],
                    values[code],
                ]
            )
    foods.sort(key=lambda f: str(f[0]))

    portions: dict[str, list[list[object]]] = defaultdict(list)
    with open(src / "portions.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["subcode"]:
                continue
            portions[row["food_code"]].append(
                [int(row["seq"]), row["description"], _num(row["grams"])]
            )

    doc = {
        "source": "USDA FNDDS 2017-2018",
        "basis": "per 100 g edible portion",
        "nutrients": fields,
        "categories": dict(sorted(categories.items())),
        "foods": foods,
        # Stable sort on seq keeps the published order of the few duplicated seq numbers.
        "portions": {
            code: sorted(rows, key=lambda p: int(str(p[0])))
            for code, rows in sorted(portions.items())
        },
    }
    return pack(doc)


def main(argv: list[str]) -> int:
    return run(argv, build, DEFAULT_SRC, OUT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
