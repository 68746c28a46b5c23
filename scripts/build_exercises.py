"""Build ``app/training/data/exercises.json.gz`` from the Free Exercise DB.

Usage: ``python scripts/build_exercises.py [exercises.json]`` (default
``../shared/data/free-exercise-db/exercises.json`` relative to the repository root). The output
is byte-for-byte deterministic: rows sorted by source id, keys ordered, and a gzip header with no
timestamp or file name, so rebuilding yields no git diff. Image names are dropped (the photos are
not shipped).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from packdata import pack, run

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO_ROOT.parent / "shared" / "data" / "free-exercise-db" / "exercises.json"
OUT = REPO_ROOT / "app" / "training" / "data" / "exercises.json.gz"
FIELDS = (
    "id",
    "name",
    "force",
    "level",
    "mechanic",
    "equipment",
    "category",
    "primaryMuscles",
    "secondaryMuscles",
    "instructions",
)


def _clean(row: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for key in FIELDS:
        value = row.get(key)
        if isinstance(value, str):
            value = " ".join(value.split())
        elif isinstance(value, list):
            value = [" ".join(str(v).split()) for v in value if str(v).strip()]
        out.append(value)
    return out


def build(src: Path) -> bytes:
    rows = json.loads(src.read_text(encoding="utf-8"))
    exercises = sorted((_clean(r) for r in rows), key=lambda r: r[0])
    ids = [r[0] for r in exercises]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate exercise ids in the source")
    doc = {
        "source": "Free Exercise DB (yuhonas/free-exercise-db, dist/exercises.json), Unlicense",
        "fields": list(FIELDS),
        "exercises": exercises,
    }
    return pack(doc)


def main(argv: list[str]) -> int:
    return run(argv, build, DEFAULT_SRC, OUT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
