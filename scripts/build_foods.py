"""Build ``app/foods/data/usda_sr28.json.gz`` from the USDA SR28 ASCII tables.

Usage: ``python scripts/build_foods.py [SR28_DIR]`` (default ``../shared/data/usda-sr28`` relative
to the repository root). The output is byte-for-byte deterministic: rows are sorted, JSON keys are
ordered and the gzip header carries no timestamp or file name, so rebuilding yields no git diff.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO_ROOT.parent / "shared" / "data" / "usda-sr28"
OUT = REPO_ROOT / "app" / "foods" / "data" / "usda_sr28.json.gz"

# SR28 nutrient number -> our field name; order matches app.foods.dataset.NUTRIENT_FIELDS.
NUTRIENTS: tuple[tuple[str, str], ...] = (
    ("208", "kcal"),
    ("203", "protein_g"),
    ("204", "fat_g"),
    ("205", "carbs_g"),
    ("291", "fiber_g"),
    ("269", "sugars_g"),
    ("606", "sat_fat_g"),
    ("601", "cholesterol_mg"),
    ("307", "sodium_mg"),
    ("306", "potassium_mg"),
    ("301", "calcium_mg"),
    ("303", "iron_mg"),
    ("320", "vitamin_a_ug"),
    ("401", "vitamin_c_mg"),
    ("328", "vitamin_d_ug"),
    ("418", "vitamin_b12_ug"),
)


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

    wanted = {nutr_no: i for i, (nutr_no, _) in enumerate(NUTRIENTS)}
    values: dict[str, list[float | int | None]] = defaultdict(lambda: [None] * len(NUTRIENTS))
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
        "nutrients": [name for _, name in NUTRIENTS],
        "groups": group_names,
        "foods": foods,
    }
    payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buf = io.BytesIO()
    # mtime=0 and no filename keep the archive identical across rebuilds.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(payload)
    return buf.getvalue()


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else DEFAULT_SRC
    data = build(src)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
