"""Accuracy and latency of the deterministic meal parser against a labelled CSV.

Usage: ``python benchmarks/parse_accuracy.py PATH.csv [--worst N]``

The CSV needs the columns meal_description, carb, protein, fat, energy and units
(``natural`` or ``metric``). For each group it prints carbohydrate Acc@7.5g (share of meals whose
estimated carbs are within 7.5 g of the reference), mean absolute errors of carbs, protein, fat
and kcal, and per-meal parse latency p50/p99 with the index already built (one core): wall clock,
and this thread's CPU time, which stays meaningful on a busy shared machine.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.foods.parser import default_index, parse

TOLERANCE_G = 7.5


@dataclass
class Row:
    text: str
    units: str
    ref: dict[str, float]
    est: dict[str, float]
    ms: float
    cpu_ms: float


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]


def _report(label: str, rows: list[Row]) -> None:
    if not rows:
        return
    n = len(rows)
    acc = sum(abs(r.est["carbs_g"] - r.ref["carbs_g"]) <= TOLERANCE_G for r in rows) / n
    mae = {
        k: statistics.fmean(abs(r.est[k] - r.ref[k]) for r in rows)
        for k in ("carbs_g", "protein_g", "fat_g", "kcal")
    }
    ms = [r.ms for r in rows]
    cpu = [r.cpu_ms for r in rows]
    print(
        f"{label:<8} n={n:<5} carb Acc@7.5g={acc * 100:5.1f}%  "
        f"MAE carbs={mae['carbs_g']:5.1f} g  protein={mae['protein_g']:5.1f} g  "
        f"fat={mae['fat_g']:5.1f} g  kcal={mae['kcal']:6.1f}  "
        f"latency p50={_pct(ms, 0.5):.2f} ms  p99={_pct(ms, 0.99):.2f} ms "
        f"(cpu p50={_pct(cpu, 0.5):.2f} p99={_pct(cpu, 0.99):.2f})"
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--worst", type=int, default=0, help="also print the N largest carb errors")
    args = ap.parse_args(argv)

    default_index()  # built once, outside the timings
    rows: list[Row] = []
    with args.csv.open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            text = rec["meal_description"]
            t0, c0 = time.perf_counter(), time.thread_time()
            result = parse(text)
            ms = (time.perf_counter() - t0) * 1000
            cpu_ms = (time.thread_time() - c0) * 1000
            ref = {
                "carbs_g": float(rec["carb"]),
                "protein_g": float(rec["protein"]),
                "fat_g": float(rec["fat"]),
                "kcal": float(rec["energy"]),
            }
            est = {k: result.totals.get(k, 0.0) for k in ref}
            rows.append(Row(text, rec.get("units", ""), ref, est, ms, cpu_ms))

    for units in ("natural", "metric"):
        _report(units, [r for r in rows if r.units == units])
    _report("overall", rows)

    if args.worst:
        worst = sorted(rows, key=lambda r: -abs(r.est["carbs_g"] - r.ref["carbs_g"]))
        for r in worst[: args.worst]:
            print(f"\n[{r.units}] est {r.est['carbs_g']:.1f} ref {r.ref['carbs_g']:.1f}: {r.text}")
            for it in parse(r.text).items:
                print(
                    f"    {it.quantity:g} {it.unit} = {it.grams:.0f} g  {it.food.name[:80]}"
                    f"  carbs {it.nutrients['carbs_g']:.1f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
