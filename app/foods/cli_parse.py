"""``nexfitra parse``: parse meal text offline and print foods, grams and macros.

nexfitra parse "2 eggs n toast"        # readable table
nexfitra parse --jsonl < meals.txt      # one JSON object per input line
"""

from __future__ import annotations

import argparse
import json
import sys

from app.foods.dataset import MACRO_FIELDS
from app.foods.parser import ParseResult, default_index, parse


def _round(value: float, digits: int) -> float:
    r = round(value, digits)
    return 0.0 if r == 0 else r


def to_jsonl_dict(result: ParseResult) -> dict[str, object]:
    """A compact JSON-ready view: ids, grams and macros per item and in total."""
    return {
        "text": result.text,
        "items": [
            {
                "food_id": str(it.food.id),
                "food": it.food.name,
                "quantity": _round(it.quantity, 3),
                "unit": it.unit,
                "grams": _round(it.grams, 1),
                "kcal": _round(it.nutrients.get("kcal", 0.0), 1),
                "protein_g": _round(it.nutrients.get("protein_g", 0.0), 2),
                "carbs_g": _round(it.nutrients.get("carbs_g", 0.0), 2),
                "fat_g": _round(it.nutrients.get("fat_g", 0.0), 2),
                "confidence": _round(it.confidence, 3),
            }
            for it in result.items
        ],
        "totals": {
            k: _round(result.totals.get(k, 0.0), 1 if k == "kcal" else 2) for k in MACRO_FIELDS
        },
    }


def _table(result: ParseResult) -> str:
    lines = [
        f"{'qty':>6}  {'unit':<14} {'grams':>7}  {'kcal':>6} {'prot':>6} {'carb':>6} "
        f"{'fat':>6}  {'conf':>4}  food"
    ]
    for it in result.items:
        n = it.nutrients
        lines.append(
            f"{it.quantity:>6g}  {it.unit[:14]:<14} {it.grams:>7.1f}  {n['kcal']:>6.0f} "
            f"{n['protein_g']:>6.1f} {n['carbs_g']:>6.1f} {n['fat_g']:>6.1f}  "
            f"{it.confidence:>4.2f}  {it.food.name}"
        )
    t = result.totals
    lines.append(
        f"{'total':>6}  {'':<14} {sum(i.grams for i in result.items):>7.1f}  {t['kcal']:>6.0f} "
        f"{t['protein_g']:>6.1f} {t['carbs_g']:>6.1f} {t['fat_g']:>6.1f}"
    )
    if result.unmatched:
        lines.append("unmatched: " + ", ".join(result.unmatched))
    return "\n".join(lines)


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="nexfitra parse", description="Parse meal descriptions.")
    ap.add_argument("text", nargs="*", help="meal description (words are joined)")
    ap.add_argument(
        "--jsonl", action="store_true", help="read one description per stdin line, write JSONL"
    )
    args = ap.parse_args(argv)
    if args.jsonl:
        index = default_index()
        for line in sys.stdin:
            line = line.strip()
            if line:
                out = to_jsonl_dict(parse(line, index))
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    if not args.text:
        ap.error("give a meal description, or --jsonl to read lines from stdin")
    print(_table(parse(" ".join(args.text))))
    return 0
