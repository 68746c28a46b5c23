"""Accuracy and latency of the deterministic meal parser against a labelled CSV.

Usage: ``python benchmarks/parse_accuracy.py PATH.csv [--half A|B] [--context meal|ingredient]
[--worst N]``

The CSV needs the columns meal_description, carb, protein, fat, energy and units
(``natural`` or ``metric``). For each group it prints carbohydrate Acc@7.5g (share of meals whose
estimated carbs are within 7.5 g of the reference), mean absolute errors of carbs, protein, fat
and kcal, and per-meal parse latency p50/p99 with the index already built (one core): wall clock,
and this thread's CPU time, which stays meaningful on a busy shared machine.

``--half`` keeps one of two halves of the meals, so failures can be studied on half A while half
B stays unseen: a change that helps A and hurts B fits sentences, not language. Each meal is
written twice (natural units and metric); the file lists the natural rows and the metric rows in
the same meal order, so the i-th natural row and the i-th metric row describe one meal (they carry
identical reference nutrients, which is checked). A meal goes to half A when the first byte of the
SHA-1 of its natural-units text is even, so both rows of a meal always land in the same half and
the split is the same as ``../shared/eval/score.py``'s.
"""

from __future__ import annotations

import argparse
import csv
import gc
import hashlib
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


def _halves(records: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    nat = [r for r in records if r.get("units") == "natural"]
    met = [r for r in records if r.get("units") == "metric"]
    if len(nat) != len(met) or any(
        (n["carb"], n["energy"]) != (m["carb"], m["energy"]) for n, m in zip(nat, met, strict=True)
    ):
        raise SystemExit("--half needs paired natural/metric rows in the same meal order")
    out: dict[str, list[dict[str, str]]] = {"A": [], "B": []}
    for n, m in zip(nat, met, strict=True):
        half = "A" if hashlib.sha1(n["meal_description"].encode()).digest()[0] % 2 == 0 else "B"
        out[half] += [n, m]
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--worst", type=int, default=0, help="also print the N largest carb errors")
    ap.add_argument("--half", choices=["A", "B"], help="only this half of the meals")
    ap.add_argument("--context", choices=["meal", "ingredient"], default="meal")
    args = ap.parse_args(argv)
    if args.worst and args.half != "A":
        ap.error("--worst shows failures: study half A only (--half A)")

    default_index()  # built once, outside the timings
    # As the server does once its index is built (app/main.py): the index's objects are kept out
    # of the collector's walks, which otherwise land, tens of ms each, on whichever meal is
    # parsing when a full collection starts.
    gc.collect()
    gc.freeze()
    rows: list[Row] = []
    with args.csv.open(newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    if args.half:
        records = _halves(records)[args.half]
    for rec in records:
        text = rec["meal_description"]
        t0, c0 = time.perf_counter(), time.thread_time()
        result = parse(text, context=args.context)
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
            for it in parse(r.text, context=args.context).items:
                print(
                    f"    {it.quantity:g} {it.unit} = {it.grams:.0f} g  {it.food.name[:80]}"
                    f"  carbs {it.nutrients['carbs_g']:.1f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
