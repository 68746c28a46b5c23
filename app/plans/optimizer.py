"""Day meal planner: pick one recipe and a quarter-step serving size per meal slot so the day
lands inside the user's kcal/macro tolerances, preferring liked foods and expiring inventory.

Two solvers share one objective (see README.md in this package):

* ``fast`` – pre-select a few candidates per slot, enumerate every combination with numpy,
  solve the serving sizes of each combination in closed form (ridge least squares on the four
  nutrient equations, one active-set pass for the serving bounds), try the floor/ceil grid
  corners and keep the best feasible plan; then one large-neighbourhood pass that tries every
  candidate in every slot with all servings re-solved.
* ``milp`` – the exact mixed-integer program over *all* candidates with HiGHS
  (``scipy.optimize.milp``): binary recipe choice per slot, integer quarter counts linked to it,
  hard tolerance constraints. Used when the fast path finds nothing (so a plan is only reported
  unreachable when it provably is) and for diagnosing why a day cannot be met.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from app.plans.recipes import ALL_TAGS, ALLERGENS, MEAL_TYPES, Recipe

MACROS: tuple[str, ...] = ("kcal", "protein_g", "carbs_g", "fat_g")
_MACRO_LABEL = {"kcal": "kcal", "protein_g": "protein", "carbs_g": "carbs", "fat_g": "fat"}
_MACRO_UNIT = {"kcal": "kcal", "protein_g": "g", "carbs_g": "g", "fat_g": "g"}
DEFAULT_SLOTS: tuple[str, ...] = ("breakfast", "lunch", "dinner", "snack")
# Typical share of the day's energy per meal; only steers candidate pre-selection and the
# serving-size prior, never a constraint.
_SLOT_SHARE = {"breakfast": 0.25, "lunch": 0.32, "dinner": 0.33, "snack": 0.10}

# Objective weights. Preferences are worth whole points; the deviation and serving-size terms
# are small so that among plans that all meet the tolerances the preferred one wins, and among
# equally preferred ones the closest-to-target, most natural-portioned one wins.
LIKE_BONUS = 1.0
# A recipe the user rated 4 or 5: worth more than one liked food, less than a day's fit.
FAVOUR_BONUS = 1.5
DEVIATION_WEIGHT = 0.1
SERVING_WEIGHT = 0.05
# Fast-path tuning, chosen on the benchmark (README.md): pull towards share-based servings,
# weight of macro fit against preference in pre-selection, rounding batch size.
_RIDGE = 0.05
_FIT_WEIGHT = 0.2
_ROUND_BATCH = 64
_POLISH = 16

# Seconds HiGHS may spend on one day. The MILP only runs when the fast path found nothing, so
# this bounds the rare slow request; with a feasible incumbent the plan is still returned.
MILP_TIME_LIMIT = 2.0

Diet = str | Iterable[str] | None
Solver = Literal["auto", "fast", "milp"]


# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MacroTargets:
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float

    def as_array(self) -> np.ndarray:
        return np.array([self.kcal, self.protein_g, self.carbs_g, self.fat_g], dtype=float)


@dataclass(frozen=True, slots=True)
class Tolerance:
    kcal_pct: float = 0.05
    macro_pct: float = 0.10
    macro_min_g: float = 10.0  # small targets get an absolute band: ±10% of 20 g is too tight

    def half_widths(self, targets: MacroTargets) -> np.ndarray:
        t = targets.as_array()
        hw = np.maximum(t * self.macro_pct, self.macro_min_g)
        hw[0] = t[0] * self.kcal_pct
        return hw


@dataclass(frozen=True, slots=True)
class ServingSteps:
    min_servings: float = 0.5
    max_servings: float = 3.0
    step: float = 0.25

    def grid(self) -> np.ndarray:
        n = round((self.max_servings - self.min_servings) / self.step)
        return self.min_servings + self.step * np.arange(n + 1)


@dataclass(frozen=True, slots=True)
class Preferences:
    liked_food_ids: frozenset[uuid.UUID] = frozenset()
    # food id -> days until it expires (0 = today); items already expired earn nothing.
    inventory: Mapping[uuid.UUID, float] = field(default_factory=dict)
    # recipes eaten in the last 3 days; never offered again
    recent_recipe_ids: frozenset[uuid.UUID] = frozenset()
    # the user's plan feedback: rated 1-2, never offered; rated 4-5, preferred (FAVOUR_BONUS)
    avoided_recipe_ids: frozenset[uuid.UUID] = frozenset()
    favoured_recipe_ids: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True, slots=True)
class MealOption:
    recipe: Recipe
    servings: float
    nutrients: dict[str, float]  # MACROS for these servings
    preference: float  # preference score of the recipe (likes + inventory)
    day_totals: dict[str, float]  # the day's totals if this option is chosen for its slot
    within_tolerance: bool  # ...and whether those totals meet every tolerance


@dataclass(frozen=True, slots=True)
class SlotPlan:
    slot: str
    options: tuple[MealOption, ...]  # options[0] is part of the planned day


@dataclass(frozen=True, slots=True)
class DayPlan:
    targets: MacroTargets
    slots: tuple[SlotPlan, ...]
    extra_snacks: tuple[MealOption, ...]
    totals: dict[str, float]
    met: bool
    reason: str | None
    solver: str  # "fast", "milp" or "none"
    deviations: dict[str, float]  # |total - target| / allowed half-width; <= 1 means met


# --------------------------------------------------------------------------------------------
# Filtering and preferences
# --------------------------------------------------------------------------------------------

_ALLERGY_ALIASES = {
    "milk": "dairy",
    "lactose": "dairy",
    "eggs": "egg",
    "wheat": "gluten",
    "tree nuts": "nuts",
    "tree-nuts": "nuts",
    "tree_nuts": "nuts",
    "nut": "nuts",
    "peanut": "peanuts",
    "soya": "soy",
    "seafood": "shellfish",
    "crustaceans": "shellfish",
}


def normalize_allergy(name: str) -> str:
    key = name.strip().lower()
    key = _ALLERGY_ALIASES.get(key, key)
    if key not in ALLERGENS:
        # Silently ignoring an allergy we do not understand could put someone in hospital.
        raise ValueError(f"unknown allergy {name!r}; known: {', '.join(ALLERGENS)}")
    return key


def _diet_tags(diet: Diet) -> frozenset[str]:
    if diet is None:
        return frozenset()
    items = [diet] if isinstance(diet, str) else list(diet)
    tags: set[str] = set()
    for item in items:
        key = item.strip().lower()
        if key in ("", "omnivore", "none", "any"):
            continue
        if key not in ALL_TAGS:
            raise ValueError(f"unknown diet {item!r}")
        tags.add(key)
    return frozenset(tags)


def feasible_recipes(
    recipes: Iterable[Recipe],
    diet: Diet = None,
    allergies: Iterable[str] = (),
    excluded_foods: Iterable[uuid.UUID] = (),
    excluded_groups: Iterable[str] = (),
) -> list[Recipe]:
    """Recipes compatible with a diet (e.g. "vegan", "keto" or several tags), allergies,
    and foods or USDA food groups the user never wants to see.

    Diet tags are re-derived from the ingredients rather than read from the stored tags, so a
    wrongly tagged recipe can never reach a user whose diet it breaks.
    """
    want = _diet_tags(diet)
    avoid = frozenset(normalize_allergy(a) for a in allergies)
    no_foods = frozenset(excluded_foods)
    no_groups = frozenset(g.strip().lower() for g in excluded_groups)
    out: list[Recipe] = []
    for r in recipes:
        if want and not want <= r.derived_tags:
            continue
        if avoid & r.allergens:
            continue
        if no_foods and no_foods & r.food_ids:
            continue
        if no_groups and any(g.lower() in no_groups for g in r.food_groups):
            continue
        out.append(r)
    return out


def _preference_scores(pool: Sequence[Recipe], prefs: Preferences) -> np.ndarray:
    """preference_score for a whole pool, with one bonus table and C-level set operations:
    UUID hashing is Python code, so per-recipe loops over food ids are kept off this path."""
    favoured = prefs.favoured_recipe_ids
    extra = (
        np.array([FAVOUR_BONUS if r.id in favoured else 0.0 for r in pool], dtype=float)
        if favoured
        else np.zeros(len(pool))
    )
    if not prefs.liked_food_ids and not prefs.inventory:
        return extra
    bonus: dict[uuid.UUID, float] = dict.fromkeys(prefs.liked_food_ids, LIKE_BONUS)
    for fid, days in prefs.inventory.items():
        bonus[fid] = bonus.get(fid, 0.0) + inventory_bonus(days)
    keys = frozenset(bonus)
    return extra + np.array(
        [
            0.0 if r.food_ids.isdisjoint(keys) else sum(bonus[f] for f in r.food_ids & keys)
            for r in pool
        ],
        dtype=float,
    )


def inventory_bonus(days_to_expiry: float) -> float:
    """Bonus for using an inventory food; grows as expiry nears (3.0 today, 2.0 tomorrow, ->1)."""
    if days_to_expiry < 0:
        return 0.0
    return 1.0 + 2.0 / (1.0 + days_to_expiry)


def preference_score(
    recipe: Recipe, prefs: Preferences, inventory_ids: frozenset[uuid.UUID] | None = None
) -> float:
    """Sum of bonuses: one per liked food in the recipe, plus each inventory food's bonus."""
    liked = prefs.liked_food_ids
    score = LIKE_BONUS * len(recipe.food_ids & liked) if liked else 0.0
    if recipe.id in prefs.favoured_recipe_ids:
        score += FAVOUR_BONUS
    if prefs.inventory:
        # frozenset & frozenset reuses cached hashes; UUID.__hash__ is slow Python code.
        inv = inventory_ids if inventory_ids is not None else frozenset(prefs.inventory)
        for fid in recipe.food_ids & inv:
            score += inventory_bonus(prefs.inventory[fid])
    return score


# --------------------------------------------------------------------------------------------
# Planner
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Problem:
    slots: tuple[str, ...]
    recipes: list[Recipe]
    macros: np.ndarray  # (R, 4) per serving
    pref: np.ndarray  # (R,)
    cands: list[np.ndarray]  # per slot: recipe indices allowed in that slot
    target: np.ndarray
    half: np.ndarray
    steps: ServingSteps
    share: np.ndarray  # per slot share of the day
    snack_idx: np.ndarray  # recipes that can be a snack, for the extra snack list


def _deviation(totals: np.ndarray, target: np.ndarray, half: np.ndarray) -> np.ndarray:
    return np.abs(totals - target) / half


_KCAL_PER_G = np.array([4.0, 4.0, 9.0])  # protein, carbs, fat


def _preselect(p: _Problem, k: int) -> list[np.ndarray]:
    """Per slot, the k candidates most worth enumerating.

    Most are the best by preference plus how well a kcal-scaled portion matches the slot's
    share of every macro. Two are "balancers": the recipes densest in the macros the day's
    split needs more of than the slot's recipes typically give, because a feasible day often
    pairs ordinary meals with one extreme dish (a protein shake, a handful of nuts).
    """
    out: list[np.ndarray] = []
    t_share = p.target[1:] * _KCAL_PER_G / max(p.target[0], 1.0)
    for s, idx in enumerate(p.cands):
        if len(idx) <= k:
            out.append(idx)
            continue
        m = p.macros[idx]
        kcal = np.maximum(m[:, 0], 1.0)
        slot_t = p.target * p.share[s]
        serv = np.clip(slot_t[0] / kcal, p.steps.min_servings, p.steps.max_servings)
        fit = (np.abs(m * serv[:, None] - slot_t) / p.half).sum(axis=1)
        score = p.pref[idx] - _FIT_WEIGHT * fit
        n_bal = min(2, k - 1)
        chosen = np.argsort(-score, kind="stable")[: k - n_bal].tolist()
        shares = m[:, 1:] * _KCAL_PER_G / kcal[:, None]  # (R, 3) energy shares
        need = t_share - shares.mean(axis=0)
        for j in np.argsort(-need)[:n_bal].tolist():
            col = shares[:, j].copy()
            col[chosen] = -np.inf
            chosen.append(int(np.argmax(col)))
        out.append(idx[np.array(chosen, dtype=int)])
    return out


_Found = tuple[np.ndarray, np.ndarray, float]  # recipe per slot, servings, objective


def _solve_fast(
    p: _Problem, k: int, neighbourhood_rounds: int = 0
) -> tuple[np.ndarray, np.ndarray] | None:
    """Best feasible (recipe indices, servings): every combination of k pre-selected candidates
    per slot, then optionally large-neighbourhood moves that try *every* candidate in each slot
    with all serving sizes re-solved."""
    sel = _preselect(p, k)
    grids = np.meshgrid(*sel, indexing="ij")
    combo = np.stack([g.ravel() for g in grids], axis=1)  # (C, S) recipe indices
    best = _best_combo(p, combo)
    if best is None:
        return None
    for _ in range(neighbourhood_rounds):
        penalty = float(p.pref[best[0]].sum()) - best[2]
        moves = _neighbours(p, best[0], penalty)
        found = _best_combo(p, moves, distinct=True, max_batches=1) if len(moves) else None
        if found is None or found[2] <= best[2] + 1e-9:
            break
        best = found
    return best[0], best[1]


def _neighbours(p: _Problem, chosen: np.ndarray, penalty: float) -> np.ndarray:
    """Every day that differs from ``chosen`` in exactly one slot's recipe and could beat it.

    A move changes the preference sum by the recipes' difference and can at best remove the
    current deviation/serving ``penalty``, so moves to recipes preferred less than that are
    skipped without losing anything.
    """
    used = np.zeros(len(p.recipes), dtype=bool)
    used[chosen] = True
    rows = []
    for s, idx in enumerate(p.cands):
        alt = idx[~used[idx]]
        alt = alt[p.pref[alt] > p.pref[chosen[s]] - penalty]
        block = np.repeat(chosen[None, :], len(alt), axis=0)
        block[:, s] = alt
        rows.append(block)
    return np.concatenate(rows) if rows else np.zeros((0, len(chosen)), dtype=int)


def _best_combo(
    p: _Problem, combo: np.ndarray, distinct: bool = False, max_batches: int | None = None
) -> _Found | None:
    """Best feasible day among the given recipe combinations (C, S).

    Per combination the servings are solved in closed form: a ridge least-squares fit of the
    four nutrient equations in tolerance units, one active-set pass for servings that hit the
    box, then the best floor/ceil corner on the serving grid, and a wider grid search for the
    few combinations that could still beat the result. ``max_batches`` caps the rounding work
    when only an improvement is of interest.
    """
    n_slots = combo.shape[1]
    if n_slots > 1 and not distinct:
        srt = np.sort(combo, axis=1)
        combo = combo[(srt[:, 1:] != srt[:, :-1]).all(axis=1)]
    if len(combo) == 0:
        return None
    lo, hi, step = p.steps.min_servings, p.steps.max_servings, p.steps.step
    a = p.macros[combo]  # (C, S, 4): per-serving macros of each slot's recipe
    w = 1.0 / p.half  # residuals in units of the allowed tolerance
    aw = a * w  # (C, S, 4)
    tw = p.target * w
    # Prior: the slot's share of the day's energy, so the under-determined direction (kcal is
    # almost a linear function of the macros) resolves to natural portions.
    x0 = np.clip((p.target[0] * p.share)[None, :] / np.maximum(a[:, :, 0], 1.0), lo, hi)
    lhs = aw @ aw.transpose(0, 2, 1)
    lhs += _RIDGE * np.eye(n_slots)
    rhs = aw @ tw + _RIDGE * x0
    x = np.linalg.solve(lhs, rhs[..., None])[..., 0]
    out = (x < lo) | (x > hi)
    if out.any():
        # Pin the servings that left the box to the bound and re-fit the others: clipping
        # alone would throw away the days that need a 3x shake or a half portion.
        rows = out.any(axis=1)
        pin = np.clip(x[rows], lo, hi)
        big = 1e6 * out[rows]
        lhs2 = lhs[rows] + big[:, :, None] * np.eye(n_slots)[None]
        rhs2 = rhs[rows] + big * pin
        x[rows] = np.linalg.solve(lhs2, rhs2[..., None])[..., 0]
    x = np.clip(x, lo, hi)
    # Only combinations whose continuous optimum is near the tolerance box can have a
    # feasible grid neighbour; rounding moves each slot by less than one step.
    cont = np.abs((x[:, None, :] @ aw)[:, 0, :] - tw)
    slack = (step * np.abs(aw)).sum(axis=1)
    near = (cont <= 1.0 + slack).all(axis=1)
    if not near.any():
        return None
    combo, a, x, cont = combo[near], a[near], x[near], cont[near]
    # Rounding is the expensive part, so visit combinations best-first by their continuous
    # objective and stop at the first batch that yields a feasible day.
    pref = p.pref[combo].sum(axis=1)
    cont_obj = (
        pref
        - DEVIATION_WEIGHT * cont.sum(axis=1)
        - SERVING_WEIGHT * np.abs(x - 1.0).sum(axis=1)
        - 10.0 * (cont.max(axis=1) > 1.0)
    )
    order = np.argsort(-cont_obj, kind="stable")
    corners = _offsets(n_slots, (0, 1), step)  # floor/ceil: (2^S, S)
    stop = len(order) if max_batches is None else max_batches * _ROUND_BATCH
    found: _Found | None = None
    for start in range(0, min(len(order), stop), _ROUND_BATCH):
        part = order[start : start + _ROUND_BATCH]
        found = _round_best(p, combo[part], a[part], x[part], pref[part], corners, w)
        if found is not None:
            break
    # Polish: the feasible servings of a combination form a long thin region (kcal is almost
    # 4P + 4C + 9F), so the grid cell around the least-squares point can miss it. Combinations
    # whose preference alone could still beat the day found get a wider lattice search.
    floor = found[2] if found is not None else -np.inf
    hopeful = order[pref[order] > floor + 1e-9][:_POLISH]
    if len(hopeful):
        wide = _offsets(n_slots, (-1, 0, 1, 2), step)
        better = _round_best(p, combo[hopeful], a[hopeful], x[hopeful], pref[hopeful], wide, w)
        if better is not None and (found is None or better[2] > found[2]):
            found = better
    return found


@functools.cache
def _offsets(n_slots: int, steps: tuple[int, ...], step: float) -> np.ndarray:
    """Grid offsets (in servings) from the floor of the continuous solution, one row each."""
    return step * np.array(list(itertools.product(steps, repeat=n_slots)), dtype=float)


def _round_best(
    p: _Problem,
    combo: np.ndarray,
    a: np.ndarray,
    x: np.ndarray,
    pref: np.ndarray,
    corners: np.ndarray,
    w: np.ndarray,
) -> _Found | None:
    """Best feasible grid point among ``corners`` offsets from the floor of the continuous
    servings ``x``."""
    lo, hi, step = p.steps.min_servings, p.steps.max_servings, p.steps.step
    base = np.clip(np.floor((x - lo) / step + 1e-9) * step + lo, lo, hi)
    xs = np.clip(base[:, None, :] + corners[None], lo, hi)  # (C, K, S)
    totals = xs @ a  # (C, K, 4)
    dev = np.abs(totals - p.target) * w
    ok = (dev <= 1.0 + 1e-9).all(axis=2)
    if not ok.any():
        return None
    obj = (
        pref[:, None]
        - DEVIATION_WEIGHT * dev.sum(axis=2)
        - SERVING_WEIGHT * np.abs(xs - 1.0).sum(axis=2)
    )
    obj = np.where(ok, obj, -np.inf)
    c, kk = divmod(int(np.argmax(obj)), obj.shape[1])
    return combo[c].copy(), xs[c, kk].copy(), float(obj[c, kk])


def _solve_milp(
    p: _Problem, soft: bool = False, time_limit: float | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """Exact plan over all candidates; with ``soft`` the tolerances become heavily penalised
    slacks so the result is the closest reachable day (used to explain failures)."""
    # Imported on use: scipy.optimize costs most of a second of every API start.
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    step = p.steps.step
    qmin = round(p.steps.min_servings / step)
    qmax = round(p.steps.max_servings / step)
    pairs = [(s, int(r)) for s, idx in enumerate(p.cands) for r in idx]
    n = len(pairs)
    if n == 0 or any(len(c) == 0 for c in p.cands):
        return None
    n_nut = 4
    # Variable layout: y[n] binary, q[n] integer quarter counts, e[n] |servings-1| if chosen,
    # d[4] deviation / half-width, and (soft) u[4], v[4] tolerance violations.
    iy, iq, ie = 0, n, 2 * n
    idv = 3 * n
    iu = idv + n_nut
    nv = iu + (2 * n_nut if soft else 0)
    c = np.zeros(nv)
    c[iy : iy + n] = -np.array([p.pref[r] for _, r in pairs])
    c[ie : ie + n] = SERVING_WEIGHT
    c[idv : idv + n_nut] = DEVIATION_WEIGHT
    if soft:
        c[iu:] = 1000.0
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo_b: list[float] = []
    hi_b: list[float] = []

    def add(coefs: Sequence[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(lo_b)
        for col, v in coefs:
            rows.append(r)
            cols.append(col)
            vals.append(v)
        lo_b.append(lo)
        hi_b.append(hi)

    for s in range(len(p.slots)):
        add([(iy + i, 1.0) for i, (ss, _) in enumerate(pairs) if ss == s], 1.0, 1.0)
    by_recipe: dict[int, list[int]] = {}
    for i, (_, r) in enumerate(pairs):
        by_recipe.setdefault(r, []).append(i)
    for idxs in by_recipe.values():
        if len(idxs) > 1:
            add([(iy + i, 1.0) for i in idxs], 0.0, 1.0)
    for i in range(n):
        add([(iq + i, 1.0), (iy + i, -qmin)], 0.0, np.inf)
        add([(iq + i, 1.0), (iy + i, -qmax)], -np.inf, 0.0)
        # e >= |q*step - y|: zero when the slot does not use this recipe.
        add([(ie + i, 1.0), (iq + i, -step), (iy + i, 1.0)], 0.0, np.inf)
        add([(ie + i, 1.0), (iq + i, step), (iy + i, -1.0)], 0.0, np.inf)
    for j in range(n_nut):
        coefs = [(iq + i, step * p.macros[r, j] / p.half[j]) for i, (_, r) in enumerate(pairs)]
        t = p.target[j] / p.half[j]
        # d_j >= |total_j - t_j| in half-width units
        add([*coefs, (idv + j, -1.0)], -np.inf, t)
        add([*coefs, (idv + j, 1.0)], t, np.inf)
        if soft:
            add([*coefs, (iu + j, 1.0)], t - 1.0, np.inf)
            add([*coefs, (iu + n_nut + j, -1.0)], -np.inf, t + 1.0)
        else:
            add(coefs, t - 1.0, t + 1.0)
    a = coo_matrix((vals, (rows, cols)), shape=(len(lo_b), nv)).tocsr()
    lb = np.zeros(nv)
    ub = np.full(nv, np.inf)
    ub[iy : iy + n] = 1.0
    ub[iq : iq + n] = qmax
    integrality = np.zeros(nv)
    integrality[iy : iy + 2 * n] = 1
    res = milp(
        c,
        constraints=LinearConstraint(a, np.array(lo_b), np.array(hi_b)),
        integrality=integrality,
        bounds=Bounds(lb, ub),
        options={"time_limit": time_limit or MILP_TIME_LIMIT, "disp": False},
    )
    if res.x is None:
        return None
    y = res.x[iy : iy + n]
    q = res.x[iq : iq + n]
    chosen = np.zeros(len(p.slots), dtype=int)
    servings = np.zeros(len(p.slots))
    for i, (s, r) in enumerate(pairs):
        if y[i] > 0.5:
            chosen[s] = r
            servings[s] = round(q[i]) * step
    return chosen, servings


def _macros(values: np.ndarray) -> dict[str, float]:
    # tolist() first: rounding numpy scalars one by one is several times slower.
    return {k: round(v, 1) for k, v in zip(MACROS, values.tolist(), strict=True)}


def _option(p: _Problem, r: int, servings: float, day_totals: np.ndarray) -> MealOption:
    tot = day_totals.tolist()
    ok = all(
        abs(v - t) <= h * (1.0 + 1e-9)
        for v, t, h in zip(tot, p.target.tolist(), p.half.tolist(), strict=True)
    )
    return MealOption(
        recipe=p.recipes[r],
        servings=float(servings),
        nutrients=_macros(p.macros[r] * servings),
        preference=float(p.pref[r]),
        day_totals={k: round(v, 1) for k, v in zip(MACROS, tot, strict=True)},
        within_tolerance=ok,
    )


def _replacement_table(
    p: _Problem, totals: np.ndarray, chosen: np.ndarray, servings: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For every (slot, candidate) pair: the best serving size when that candidate replaces the
    slot's first option with every other slot fixed, its day totals and ranking key.

    One vectorised pass over all slots (instead of a loop per slot) keeps the per-plan numpy
    call count, which dominates at this problem size, low.
    """
    slot_of = np.concatenate([np.full(len(c), s) for s, c in enumerate(p.cands)])
    idx = np.concatenate(p.cands)
    base = totals[None, :] - p.macros[chosen] * servings[:, None]  # (S, 4)
    grid = p.steps.grid()
    tot = base[slot_of][:, None, :] + p.macros[idx][:, None, :] * grid[None, :, None]
    dev = np.abs(tot - p.target) / p.half  # (N, G, 4)
    ok = (dev <= 1.0 + 1e-9).all(axis=2)
    obj = (
        p.pref[idx][:, None]
        - DEVIATION_WEIGHT * dev.sum(axis=2)
        - SERVING_WEIGHT * np.abs(grid - 1.0)[None, :]
    )
    # Feasible servings first; otherwise the closest (least worst-case deviation) one.
    key = np.where(ok, obj, -1e6 - dev.max(axis=2))
    best_g = key.argmax(axis=1)
    rows = np.arange(len(idx))
    return slot_of, idx, grid[best_g], tot[rows, best_g], key[rows, best_g]


def _variety_jitter(pool: Sequence[Recipe], seed: int | None) -> np.ndarray:
    """Deterministic per-(seed, recipe) bonus in [0, 0.3): a multiplicative hash of the recipe
    id rather than an RNG, because it must not depend on which recipes survived filtering and
    building a numpy Generator per plan costs more than the rest of the setup."""
    if seed is None:
        return np.zeros(len(pool))
    keys = np.array([r.id.int & 0xFFFFFFFF for r in pool], dtype=np.uint64)
    h = (keys * np.uint64(2654435761) + np.uint64((seed * 40503 + 12345) & 0xFFFFFFFF)) & np.uint64(
        0xFFFFFFFF
    )
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(2246822519)) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(13)
    return 0.3 * h.astype(float) / 4294967296.0


def plan_day(
    targets: MacroTargets,
    recipes: Sequence[Recipe],
    slots: Sequence[str] = DEFAULT_SLOTS,
    preferences: Preferences | None = None,
    steps: ServingSteps | None = None,
    tolerance: Tolerance | None = None,
    *,
    n_options: int = 3,
    n_extra_snacks: int = 3,
    solver: Solver = "auto",
    candidates_per_slot: int = 5,
    neighbourhood_rounds: int = 0,
    variety_seed: int | None = None,
    diet_label: str | None = None,
) -> DayPlan:
    """Plan one day from already-filtered ``recipes`` (see :func:`feasible_recipes`).

    ``variety_seed`` adds a small deterministic random bonus per recipe (below one "like") so
    consecutive days or similar users do not all get the same menu. ``neighbourhood_rounds``
    > 0 refines the fast path with single-slot swaps over all candidates: closer to the exact
    optimum on preferences for about 50 % more CPU (see README.md). ``diet_label`` only
    words the failure reason ("no feasible vegan recipes reach ...").
    """
    prefs = preferences or Preferences()
    steps = steps or ServingSteps()
    tolerance = tolerance or Tolerance()
    slots = tuple(slots)
    recent = prefs.recent_recipe_ids | prefs.avoided_recipe_ids
    pool = [r for r in recipes if r.id not in recent] if recent else list(recipes)
    macros = np.array([r.macro_vector for r in pool], dtype=float).reshape(len(pool), 4)
    pref = _preference_scores(pool, prefs) + _variety_jitter(pool, variety_seed)
    masks = np.array([r.meal_mask for r in pool], dtype=np.int64)
    cands = [
        np.flatnonzero(masks & (1 << MEAL_TYPES.index(s))) if s in MEAL_TYPES else np.zeros(0, int)
        for s in slots
    ]
    share = np.array([_SLOT_SHARE.get(s, 0.25) for s in slots], dtype=float)
    p = _Problem(
        slots=slots,
        recipes=pool,
        macros=macros,
        pref=pref,
        cands=cands,
        target=targets.as_array(),
        half=tolerance.half_widths(targets),
        steps=steps,
        share=share / share.sum(),
        snack_idx=np.flatnonzero(masks & (1 << MEAL_TYPES.index("snack"))),
    )
    label = f"{diet_label} " if diet_label else ""
    empty = [s for s, c in zip(slots, cands, strict=True) if len(c) == 0]
    if empty:
        return _no_plan(p, f"no feasible {label}recipes for {', '.join(empty)}")

    found: tuple[np.ndarray, np.ndarray] | None = None
    used = "none"
    if solver in ("auto", "fast"):
        used = "fast"
        found = _solve_fast(p, candidates_per_slot, neighbourhood_rounds)
        if found is None and solver == "auto":
            # A wider enumeration is still ~5x cheaper than the MILP and rescues most days.
            found = _solve_fast(p, 2 * candidates_per_slot, neighbourhood_rounds)
    if found is None and solver in ("auto", "milp"):
        found = _solve_milp(p)
        used = "milp"
    reason = None
    if found is None:
        used = "none"
        reason, found = _explain(p, label)
        if found is None:
            return _no_plan(p, reason)
    chosen, servings = found
    return _assemble(p, chosen, servings, used, reason, n_options, n_extra_snacks)


def _assemble(
    p: _Problem,
    chosen: np.ndarray,
    servings: np.ndarray,
    used: str,
    reason: str | None,
    n_options: int,
    n_extra_snacks: int,
) -> DayPlan:
    totals = (p.macros[chosen] * servings[:, None]).sum(axis=0)
    dev = _deviation(totals, p.target, p.half)
    met = bool(np.all(dev <= 1.0 + 1e-9))
    firsts = {int(r) for r in chosen}
    offered: set[int] = set(firsts)
    slot_of, idx, best_serv, best_tot, best_key = _replacement_table(p, totals, chosen, servings)
    slot_plans: list[SlotPlan] = []
    for s, slot in enumerate(p.slots):
        opts = [_option(p, int(chosen[s]), float(servings[s]), totals)]
        rows = np.flatnonzero(slot_of == s)
        ranked = rows[np.argsort(-best_key[rows], kind="stable")].tolist()
        # Never a dish already on the day; prefer dishes not yet offered in another slot so the
        # day shows as many different dishes as it can, but fall back to them if needed.
        fresh = [i for i in ranked if int(idx[i]) not in offered]
        repeat = [i for i in ranked if int(idx[i]) in offered and int(idx[i]) not in firsts]
        for i in (fresh + repeat)[: max(n_options - 1, 0)]:
            r = int(idx[i])
            opts.append(_option(p, r, float(best_serv[i]), best_tot[i]))
            offered.add(r)
        slot_plans.append(SlotPlan(slot=slot, options=tuple(opts)))
    extras = _extra_snacks(p, totals, offered, n_extra_snacks)
    return DayPlan(
        targets=MacroTargets(*(float(v) for v in p.target)),
        slots=tuple(slot_plans),
        extra_snacks=tuple(extras),
        totals=_macros(totals),
        met=met,
        reason=reason if not met else None,
        solver=used,
        deviations={k: round(d, 3) for k, d in zip(MACROS, dev.tolist(), strict=True)},
    )


def _extra_snacks(p: _Problem, totals: np.ndarray, offered: set[int], n: int) -> list[MealOption]:
    """Snacks beyond the plan (for a hungry day), best preference first, then most protein
    per kcal; shown at one serving and with the day totals they would lead to."""
    if n <= 0:
        return []
    snack = np.zeros(len(p.recipes), dtype=bool)
    snack[p.snack_idx] = True
    snack[list(offered)] = False
    idx = np.flatnonzero(snack)
    dens = p.macros[idx, 1] / np.maximum(p.macros[idx, 0], 1.0)
    order = np.lexsort((-dens, -p.pref[idx]))[:n]
    return [_option(p, int(idx[i]), 1.0, totals + p.macros[idx[i]]) for i in order]


def _no_plan(p: _Problem, reason: str) -> DayPlan:
    return DayPlan(
        targets=MacroTargets(*(float(v) for v in p.target)),
        slots=tuple(SlotPlan(slot=s, options=()) for s in p.slots),
        extra_snacks=(),
        totals=dict.fromkeys(MACROS, 0.0),
        met=False,
        reason=reason,
        solver="none",
        deviations={},
    )


def _fmt(key: str, value: float) -> str:
    return f"{value:.0f} {_MACRO_UNIT[key]}" if key == "kcal" else f"{value:.0f} g"


def _lp_reach(p: _Problem, j: int, maximize: bool) -> float | None:
    """Largest (or smallest) day total of macro ``j`` any plan can reach while staying inside
    the kcal band, from the LP relaxation (fractional recipe mixes per slot). Being a
    relaxation, a target beyond it is provably unreachable, which makes for an exact reason."""
    from scipy.optimize import linprog

    pairs = [(s, int(r)) for s, idx in enumerate(p.cands) for r in idx]
    n = len(pairs)
    lo_s, hi_s = p.steps.min_servings, p.steps.max_servings
    # Variables: y[n] (share of the slot given to a recipe), x[n] (its servings).
    c = np.zeros(2 * n)
    c[n:] = [(-1.0 if maximize else 1.0) * p.macros[r, j] for _, r in pairs]
    a_eq = np.zeros((len(p.slots), 2 * n))
    for i, (s, _) in enumerate(pairs):
        a_eq[s, i] = 1.0
    a_ub = np.zeros((2 * n + 2, 2 * n))
    b_ub = np.zeros(2 * n + 2)
    for i in range(n):
        a_ub[i, n + i], a_ub[i, i] = -1.0, lo_s  # x >= lo * y
        a_ub[n + i, n + i], a_ub[n + i, i] = 1.0, -hi_s  # x <= hi * y
    kcal = np.array([p.macros[r, 0] for _, r in pairs])
    a_ub[2 * n, n:], b_ub[2 * n] = kcal, p.target[0] + p.half[0]
    a_ub[2 * n + 1, n:], b_ub[2 * n + 1] = -kcal, -(p.target[0] - p.half[0])
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=np.ones(len(p.slots)),
        bounds=[(0.0, 1.0)] * n + [(0.0, hi_s)] * n,
        method="highs",
    )
    if res.status != 0:
        return None
    return float(-res.fun if maximize else res.fun)


def _explain(p: _Problem, label: str) -> tuple[str, tuple[np.ndarray, np.ndarray] | None]:
    """Name the nutrient that cannot be met and why, most fundamental cause first; also
    return the closest reachable day so the user still gets a plan to adjust."""
    lo_t = p.target - p.half
    hi_t = p.target + p.half
    smax, smin = p.steps.max_servings, p.steps.min_servings
    closest = _solve_milp(p, soft=True, time_limit=MILP_TIME_LIMIT / 2)
    macro_kcal = float(p.target[1:] @ np.array([4.0, 4.0, 9.0]))
    if abs(macro_kcal - p.target[0]) > 0.15 * p.target[0]:
        # Food energy is ~4/4/9 kcal per gram of protein/carbs/fat, so such targets contradict
        # themselves whatever the recipes.
        return (
            f"the targets contradict each other: {p.target[1]:.0f} g protein, "
            f"{p.target[2]:.0f} g carbs and {p.target[3]:.0f} g fat supply about "
            f"{macro_kcal:.0f} kcal, not {p.target[0]:.0f} kcal",
            closest,
        )
    # Per-nutrient reach ignoring everything else: the richest (or leanest) recipe of each slot
    # at its largest (or smallest) portion. If even that misses, no plan can exist.
    reach_hi = np.array([p.macros[c].max(axis=0) * smax for c in p.cands]).sum(axis=0)
    reach_lo = np.array([p.macros[c].min(axis=0) * smin for c in p.cands]).sum(axis=0)
    for j, key in enumerate(MACROS):
        what = _fmt(key, p.target[j]) + ("" if key == "kcal" else f" {_MACRO_LABEL[key]}")
        if reach_hi[j] < lo_t[j]:
            return (
                f"no feasible {label}recipes reach {what} "
                f"(at most {_fmt(key, reach_hi[j])} with {smax:g} servings per meal)",
                closest,
            )
        if reach_lo[j] > hi_t[j]:
            return (
                f"even the smallest portions ({smin:g} serving) of the feasible {label}recipes "
                f"exceed the {what} target (at least {_fmt(key, reach_lo[j])}, "
                f"allowed up to {_fmt(key, hi_t[j])})",
                closest,
            )
    kcal_band = f"{p.target[0] - p.half[0]:.0f}-{p.target[0] + p.half[0]:.0f} kcal"
    for j, key in enumerate(MACROS[1:], start=1):
        what = f"{p.target[j]:.0f} g {_MACRO_LABEL[key]}"
        top = _lp_reach(p, j, maximize=True)
        if top is not None and top < lo_t[j] - 1e-6:
            return (
                f"no feasible {label}recipes reach {what} within {kcal_band} (at most {top:.0f} g)",
                closest,
            )
        bottom = _lp_reach(p, j, maximize=False)
        if bottom is not None and bottom > hi_t[j] + 1e-6:
            return (
                f"no feasible {label}recipes stay at or below {hi_t[j]:.0f} g "
                f"{_MACRO_LABEL[key]} (target {what}) while reaching {kcal_band} "
                f"(at least {bottom:.0f} g)",
                closest,
            )
    if closest is None:
        return f"no combination of feasible {label}recipes meets the targets", None
    chosen, servings = closest
    totals = (p.macros[chosen] * servings[:, None]).sum(axis=0)
    dev = _deviation(totals, p.target, p.half)
    bad = [j for j in range(4) if dev[j] > 1.0 + 1e-9]
    if not bad:
        return f"no combination of feasible {label}recipes meets the targets", closest
    names = [_MACRO_LABEL[MACROS[j]] for j in bad]
    others = [_MACRO_LABEL[MACROS[j]] for j in range(4) if j not in bad]
    parts = [
        f"{_MACRO_LABEL[MACROS[j]]} {_fmt(MACROS[j], totals[j])} "
        f"(allowed {lo_t[j]:.0f}-{hi_t[j]:.0f})"
        for j in bad
    ]
    return (
        f"no combination of feasible {label}recipes reaches the {' and '.join(names)} "
        f"target while keeping {', '.join(others) or 'the rest'} in range; "
        f"closest day has {'; '.join(parts)}",
        closest,
    )
