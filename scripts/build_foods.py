"""Build ``app/foods/data/usda_sr28.json.gz`` from the USDA SR28 ASCII tables.

Usage: ``python scripts/build_foods.py [SR28_DIR]`` (default ``../shared/data/usda-sr28`` relative
to the repository root). The output is byte-for-byte deterministic: rows are sorted, JSON keys are
ordered and the gzip header carries no timestamp or file name, so rebuilding yields no git diff.
"""

from __future__ import annotations

import gzip
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from packdata import pack, run

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO_ROOT.parent / "shared" / "data" / "usda-sr28"
OUT = REPO_ROOT / "app" / "foods" / "data" / "usda_sr28.json.gz"

# SR28 nutrient number -> our field name (the same names scripts/build_fndds.py gives FNDDS).
# The pack lists them in app.foods.dataset.NUTRIENT_FIELDS order.
NUTRIENTS: dict[str, str] = {
    "208": "kcal",
    "203": "protein_g",
    "204": "fat_g",
    "205": "carbs_g",
    "291": "fiber_g",
    "269": "sugars_g",
    "606": "sat_fat_g",
    "601": "cholesterol_mg",
    "307": "sodium_mg",
    "306": "potassium_mg",
    "301": "calcium_mg",
    "303": "iron_mg",
    "320": "vitamin_a_ug",  # RAE
    "401": "vitamin_c_mg",
    "328": "vitamin_d_ug",  # D2 + D3
    "418": "vitamin_b12_ug",
    "645": "mono_fat_g",
    "646": "poly_fat_g",
    "605": "trans_fat_g",
    "304": "magnesium_mg",
    "309": "zinc_mg",
    "305": "phosphorus_mg",
    "312": "copper_mg",
    "315": "manganese_mg",
    "317": "selenium_ug",
    "323": "vitamin_e_mg",  # alpha-tocopherol
    "430": "vitamin_k_ug",  # phylloquinone
    "415": "vitamin_b6_mg",
    "404": "thiamin_mg",
    "405": "riboflavin_mg",
    "406": "niacin_mg",
    "410": "pantothenic_acid_mg",
    "435": "folate_ug",  # DFE
    "421": "choline_mg",
    "262": "caffeine_mg",
    "221": "alcohol_g",
    "255": "water_g",
    "319": "retinol_ug",
    "322": "alpha_carotene_ug",
    "321": "beta_carotene_ug",
    "334": "beta_cryptoxanthin_ug",
    "337": "lycopene_ug",
    "338": "lutein_zeaxanthin_ug",
    "431": "folic_acid_ug",
    "432": "folate_food_ug",
    "417": "folate_total_ug",
    "578": "vitamin_b12_added_ug",
    "573": "vitamin_e_added_mg",
    "263": "theobromine_mg",
    "607": "fa_4_0_g",
    "608": "fa_6_0_g",
    "609": "fa_8_0_g",
    "610": "fa_10_0_g",
    "611": "fa_12_0_g",
    "612": "fa_14_0_g",
    "613": "fa_16_0_g",
    "614": "fa_18_0_g",
    "626": "fa_16_1_g",
    "617": "fa_18_1_g",
    "628": "fa_20_1_g",
    "630": "fa_22_1_g",
    "618": "fa_18_2_g",
    "619": "fa_18_3_g",
    "627": "fa_18_4_g",
    "620": "fa_20_4_g",
    "629": "fa_20_5_n3_g",
    "631": "fa_22_5_n3_g",
    "621": "fa_22_6_n3_g",
}


def _rows(path: Path) -> Iterator[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if line:
                yield [f.strip("~") for f in line.split("^")]


def _num(text: str) -> float | int:
    # Integers stay integers so the JSON is shorter and values print the way USDA wrote them.
    value = float(text)
    return int(value) if value.is_integer() else value


def build(src: Path) -> bytes:
    groups = {code: desc for code, desc, *_ in _rows(src / "FD_GROUP.txt")}
    group_names = sorted(groups.values())
    group_idx = {name: i for i, name in enumerate(group_names)}

    sys.path.insert(0, str(REPO_ROOT))
    from app.foods.dataset import NUTRIENT_FIELDS

    if set(NUTRIENTS.values()) != set(NUTRIENT_FIELDS):
        raise SystemExit("NUTRIENTS and NUTRIENT_FIELDS disagree")
    fields = [f for f in NUTRIENT_FIELDS if f in set(NUTRIENTS.values())]
    wanted = {nutr_no: fields.index(name) for nutr_no, name in NUTRIENTS.items()}
    values: dict[str, list[float | int | None]] = defaultdict(lambda: [None] * len(fields))
    for ndb_no, nutr_no, val, *_ in _rows(src / "NUT_DATA.txt.gz"):
        if nutr_no in wanted and val != "":
            values[ndb_no][wanted[nutr_no]] = _num(val)

    portions: dict[str, list[list[object]]] = defaultdict(list)
    for ndb_no, seq, amount, desc, grams, *_ in _rows(src / "WEIGHT.txt"):
        portions[ndb_no].append([int(seq), _num(amount), desc, _num(grams)])

    foods = []
    for row in _rows(src / "FOOD_DES.txt"):
        ndb_no, group_code, long_desc = row[0], row[1], row[2]
        group = groups.get(group_code)
        foods.append(
            [
                ndb_no,
                long_desc,
                group_idx[group] if group is not None else None,
                values[ndb_no],
                sorted(portions.get(ndb_no, []), key=lambda p: p[0]),  # type: ignore[arg-type,return-value]
            ]
        )
    foods.sort(key=lambda f: f[0])  # type: ignore[arg-type,return-value]

    doc = {
        "source": "USDA National Nutrient Database for Standard Reference, Release 28 (2016)",
        "basis": "per 100 g edible portion",
        "nutrients": fields,
        "groups": group_names,
        "foods": foods,
    }
    return pack(doc)


def main(argv: list[str]) -> int:
    return run(argv, build, DEFAULT_SRC, OUT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
