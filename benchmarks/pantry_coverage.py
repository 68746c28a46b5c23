"""Inventory-aware planning: share of planned grams the pantry covers, vs inventory-blind.

Synthetic users (fixed seed) each get a realistic pantry and a week of plans:

- Pantry: 15-25 staples drawn from the ingredients of the recipe library, weighted by how many
  recipes use them (rice, eggs, onions, olive oil are far more likely than tahini), bought in
  the form shops sell them (`as_bought`: raw, unsalted) in pack sizes of 250 g-2 kg, with
  expiry 2-14 days out for perishables (vegetables, fruit, dairy and eggs, meat and fish) and
  none for the rest.
- Targets: 1,600-3,000 kcal, balanced split; omnivore 70 %, vegetarian 30 %.
- Each day is planned with the real optimiser, the recipes of the previous 3 days blocked. The
  inventory-aware planner gets the pantry as the API gives it (`_foods_in_stock`: ingredient
  keys mapped to recipe foods, days to expiry); the blind one gets none. Eating the first
  option of each slot depletes the pantry by ingredient key, raw/cooked grams converted by the
  SR28 yield, exactly as logging a plan does.

Coverage = grams of planned ingredients taken from the pantry / all planned ingredient grams
(in the recipes' own food grams), over the week.

Usage: .venv/bin/python benchmarks/pantry_coverage.py [--users N] [--days D] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.foods.dataset import FoodRecord, load_usda_foods  # noqa: E402
from app.foods.ingredients import FoodFacts, as_bought, facts, grams_factor  # noqa: E402
from app.plans import catalog, optimizer  # noqa: E402
from app.plans.recipes import Recipe, load_recipes  # noqa: E402
from app.plans.service import _foods_in_stock  # noqa: E402

PERISHABLE = {
    "Vegetables and Vegetable Products",
    "Fruits and Fruit Juices",
    "Dairy and Egg Products",
    "Poultry Products",
    "Beef Products",
    "Pork Products",
    "Finfish and Shellfish Products",
    "Lamb, Veal, and Game Products",
}
PACKS_G = (250, 400, 500, 750, 1000, 1500, 2000)
# The packaged library alone, as a database with no operator changes gives it.
LIBRARY = catalog.Library(None, load_recipes(), frozenset())


def staples() -> tuple[list[FoodRecord], np.ndarray]:
    """Bought forms of the library's ingredients and how many recipes use each."""
    usda = {f.id: f for f in load_usda_foods()}
    uses: Counter[str] = Counter()
    bought: dict[str, FoodRecord] = {}
    for r in load_recipes():
        for key in {facts(usda[i.food_id]).key for i in r.ingredients if i.food_id in usda}:
            uses[key] += 1
        for i in r.ingredients:
            if i.food_id in usda:
                food = as_bought(usda[i.food_id])
                bought.setdefault(facts(food).key, food)
    keys = sorted(bought)
    weights = np.array([uses[k] for k in keys], dtype=float)
    return [bought[k] for k in keys], weights / weights.sum()


def pantry(
    rng: np.random.Generator, foods: list[FoodRecord], p: np.ndarray
) -> dict[str, tuple[FoodFacts, float, float]]:
    """ingredient key -> (bought food, grams, days to expiry)."""
    n = int(rng.integers(15, 26))
    out = {}
    for idx in rng.choice(len(foods), size=n, replace=False, p=p):
        food = foods[int(idx)]
        days = float(rng.integers(2, 15)) if food.group in PERISHABLE else 30.0
        out[facts(food).key] = (facts(food), float(rng.choice(PACKS_G)), days)
    return out


def simulate(
    rng_seed: int,
    targets: optimizer.MacroTargets,
    pool: list[Recipe],
    stock: dict[str, tuple[FoodFacts, float, float]],
    days: int,
    aware: bool,
) -> tuple[float, float, int, int]:
    """(grams covered by the pantry, grams planned, days met, days planned)."""
    usda = {f.id: f for f in load_usda_foods()}
    left = {k: g for k, (_, g, _) in stock.items()}
    recent: list[set] = []
    covered = planned = 0.0
    met = 0
    for d in range(days):
        by_key = {k: exp - d for k, (_, _, exp) in stock.items() if left[k] > 0.5 and exp - d >= 0}
        prefs = optimizer.Preferences(
            inventory=_foods_in_stock(by_key, pool, 0, LIBRARY) if aware else {},
            recent_recipe_ids=frozenset().union(*recent[-3:]) if recent else frozenset(),
        )
        plan = optimizer.plan_day(targets, pool, preferences=prefs, variety_seed=rng_seed + d)
        met += plan.met
        firsts = [s.options[0] for s in plan.slots if s.options]
        recent.append({o.recipe.id for o in firsts})
        for o in firsts:
            share = o.servings / o.recipe.servings
            for ing in o.recipe.ingredients:
                need = ing.grams * share
                planned += need
                food = usda.get(ing.food_id)
                if food is None:
                    continue
                eaten = facts(food)
                have = stock.get(eaten.key)
                if have is None or left[eaten.key] <= 0 or have[2] - d < 0:
                    continue
                factor = grams_factor(eaten, have[0])  # pantry grams per gram eaten
                take = min(left[eaten.key], need * factor)
                left[eaten.key] -= take
                covered += take / factor
    return covered, planned, met, days


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=20261202)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    foods, p = staples()
    library = list(load_recipes())
    pools = {
        "omnivore": optimizer.feasible_recipes(library),
        "vegetarian": optimizer.feasible_recipes(library, diet="vegetarian"),
    }
    totals = {True: [0.0, 0.0, 0, 0], False: [0.0, 0.0, 0, 0]}
    per_user = {True: [], False: []}
    cpu = time.process_time()
    for u in range(args.users):
        kcal = float(rng.uniform(1600, 3000))
        targets = optimizer.MacroTargets(kcal, kcal * 0.20 / 4, kcal * 0.50 / 4, kcal * 0.30 / 9)
        pool = pools["vegetarian" if rng.random() < 0.3 else "omnivore"]
        stock = pantry(rng, foods, p)
        for aware in (True, False):
            c, g, m, n = simulate(args.seed + u * 101, targets, pool, stock, args.days, aware)
            for i, v in enumerate((c, g, m, n)):
                totals[aware][i] += v
            per_user[aware].append(c / g if g else 0.0)
    cpu = time.process_time() - cpu
    print(f"users {args.users}, {args.days} days each, seed {args.seed}; CPU {cpu:.1f} s")
    print(f"pantry: 15-25 staples per user from {len(foods)} ingredient keys of the library")
    for aware, label in ((True, "inventory-aware"), (False, "inventory-blind")):
        c, g, m, n = totals[aware]
        shares = np.array(per_user[aware])
        print(
            f"{label:16s} covered {100 * c / g:5.1f} % of {g / 1000:,.0f} kg planned "
            f"(per user: median {100 * np.median(shares):.1f} %, "
            f"p10 {100 * np.percentile(shares, 10):.1f} %, "
            f"p90 {100 * np.percentile(shares, 90):.1f} %); "
            f"days within tolerance {int(m)}/{int(n)}"
        )
    gain = totals[True][0] / totals[True][1] - totals[False][0] / totals[False][1]
    print(f"gain: +{100 * gain:.1f} percentage points of planned grams from the pantry")


if __name__ == "__main__":
    main()
