"""Every parse output of a set of meals, written exactly, to prove a speed change changed none.

Usage: ``PYTHONHASHSEED=0 python benchmarks/parse_snapshot.py MEALS.csv OUT.txt
[--against OLD.txt]``

For each meal (column ``meal_description``) and both contexts (meal, ingredient) one line holds
the items (food id and name, text, quantity, unit, grams, confidence, every nutrient, the
alternatives' ids), the unmatched words and the totals, floats written with ``repr`` so that a
last-digit change shows. Run it at the base commit and after the change, with the same
PYTHONHASHSEED (some sums run over sets, whose order follows the string hash: without a fixed
seed two runs of the same code can differ in the last digit of a score), and compare; with
``--against`` it compares itself and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.foods.parser import ParseResult, default_index, parse


def _line(context: str, r: ParseResult) -> str:
    items = [
        (
            str(it.food.id),
            it.food.name,
            it.text,
            repr(it.quantity),
            it.unit,
            repr(it.grams),
            repr(it.confidence),
            sorted((k, repr(v)) for k, v in it.nutrients.items()),
            [str(a.id) for a in it.alternatives],
        )
        for it in r.items
    ]
    totals = sorted((k, repr(v)) for k, v in r.totals.items())
    return repr((context, r.text, items, r.unmatched, totals))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--against", type=Path, help="an earlier snapshot to compare with")
    args = ap.parse_args(argv)
    default_index()
    with args.csv.open(newline="", encoding="utf-8") as fh:
        texts = [row["meal_description"] for row in csv.DictReader(fh)]
    lines = [_line(ctx, parse(t, context=ctx)) for ctx in ("meal", "ingredient") for t in texts]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.against is None:
        return 0
    old = args.against.read_text(encoding="utf-8").splitlines()
    differ = [i for i, (a, b) in enumerate(zip(old, lines, strict=False)) if a != b]
    if len(old) != len(lines) or differ:
        print(f"{len(differ)} of {len(lines)} outputs differ (lines {differ[:10]})")
        return 1
    print(f"all {len(lines)} outputs identical")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
