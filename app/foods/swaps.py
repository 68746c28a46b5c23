"""Healthier swaps for a logged food: foods of the same kind that, for the same portion, bring
less energy density, saturated fat, sodium or sugars, or more protein or fiber.

"The same kind" is the same USDA classification: the WWEIA category for FNDDS foods (e.g.
"Yogurt, Greek"), the food group for SR28 foods. Candidates must be better on balance and not
markedly worse on anything:

- Each nutrient difference for the portion is expressed as a share of its Daily Value (FDA,
  21 CFR 101.9: 2,000 kcal, saturated fat 20 g, sodium 2,300 mg, protein 50 g, fiber 28 g;
  total sugars have no DV, so the added-sugars DV of 50 g scales them).
- `benefit` = sum of those shares, signed so that less kcal, saturated fat, sodium and sugars
  and more protein and fiber count positive. A swap needs a benefit of at least 2% of DVs and
  no single nutrient worse by more than 5% of its DV.
- Ranking: nutrient-profile distance, the Euclidean distance between the two foods' per-100 g
  profiles over kcal, protein, carbohydrate, fat, fiber, sugars, saturated fat and sodium, each
  divided by its DV (carbohydrate 275 g, fat 78 g). The closest healthier food comes first: a
  swap people will make is one that resembles what they ate; ties go to the larger benefit.

Foods the user's diet, allergies or exclusions rule out are never offered.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.errors import Unprocessable
from app.foods.models import Food
from app.logs import service as logs_service
from app.plans import service as plans_service
from app.plans.recipes import diet_tags_from_flags, food_flags
from app.users.models import UserProfile

# Daily Values (FDA) used as the scale of each nutrient.
DV: Mapping[str, float] = {
    "kcal": 2000,
    "protein_g": 50,
    "carbs_g": 275,
    "fat_g": 78,
    "fiber_g": 28,
    "sugars_g": 50,
    "sat_fat_g": 20,
    "sodium_mg": 2300,
}
# +1: more is better; -1: less is better.
DIRECTION: Mapping[str, int] = {
    "kcal": -1,
    "sat_fat_g": -1,
    "sodium_mg": -1,
    "sugars_g": -1,
    "protein_g": 1,
    "fiber_g": 1,
}
MIN_BENEFIT = 0.02
MAX_WORSE = 0.05
MAX_SWAPS = 5
# WWEIA 9999: "not included in a food category" (ingredient-only codes), never a swap.
_NO_CATEGORY = "9999"


class SwapsUnavailable(Unprocessable):
    code, title = "swaps-unavailable", "No swaps for this entry"


@dataclass(frozen=True)
class Swap:
    food: Food
    grams: float
    distance: float
    benefit: float
    differences: dict[str, float]
    improves: list[str]


def _profile(food: Food) -> dict[str, float]:
    return {k: float(getattr(food, k) or 0.0) for k in DV}


def distance(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    return math.sqrt(sum(((a[k] - b[k]) / DV[k]) ** 2 for k in DV))


def compare(original: Food, candidate: Food, grams: float) -> Swap | None:
    o, c = _profile(original), _profile(candidate)
    f = grams / 100
    diffs = {k: round((c[k] - o[k]) * f, 2) for k in DIRECTION}
    gains = {k: DIRECTION[k] * diffs[k] / DV[k] for k in DIRECTION}
    benefit = sum(gains.values())
    if benefit < MIN_BENEFIT or min(gains.values()) < -MAX_WORSE:
        return None
    improves = [k for k, g in gains.items() if g >= 0.01]
    if not improves:
        return None
    return Swap(candidate, grams, distance(o, c), benefit, diffs, improves)


def allowed(profile: UserProfile | None) -> tuple[set[str], set[str], list[str]]:
    """(required diet tags, allergens to avoid, excluded food terms) of the user."""
    if profile is None:
        return set(), set(), []
    tags, _groups = plans_service.PATTERNS.get(profile.dietary_pattern, ((), ()))
    return set(tags), set(profile.allergies), list(profile.excluded_foods)


def _acceptable(
    food: Food,
    original: Food,
    profile: UserProfile | None,
    diet: set[str],
    allergens: set[str],
    excluded: frozenset[uuid.UUID],
) -> bool:
    if food.id in excluded:
        return False
    flags = food_flags(food.food_group, food.name)
    if flags & allergens:
        return False
    tags = diet_tags_from_flags(flags)
    for tag in diet - {"keto"}:
        if tag not in tags:
            return False
    if "keto" in diet and (food.carbs_g or 0) > (original.carbs_g or 0):
        return False
    if profile is not None:
        for group in profile.excluded_food_groups:
            rule = plans_service.GROUP_RULES.get(group)
            if rule is not None and rule(food.food_group or "", food.name, flags):
                return False
    return True


async def swaps_for_entry(
    session: AsyncSession, user_id: uuid.UUID, entry_id: uuid.UUID
) -> tuple[Food, float, list[Swap]]:
    entry = await logs_service.get_entry(session, user_id, entry_id)
    if entry.food_id is None:
        raise SwapsUnavailable(
            "Swaps need an entry made from a food (a database food or parsed text), "
            "not one with typed nutrients"
        )
    original = await session.get(Food, entry.food_id)
    if original is None or original.food_group is None or original.kcal is None:
        raise SwapsUnavailable("The entry's food has no category to find swaps in")
    if original.category_code == _NO_CATEGORY:
        raise SwapsUnavailable("The entry's food is an ingredient without a food category")
    grams = float(entry.grams or 100.0)
    rows = list(
        await session.scalars(
            sa.select(Food).where(
                col(Food.owner_id).is_(None),
                col(Food.source) == original.source,
                col(Food.food_group) == original.food_group,
                col(Food.id) != original.id,
                col(Food.kcal).is_not(None),
            )
        )
    )
    profile = await session.get(UserProfile, user_id)
    diet, allergens, terms = allowed(profile)
    excluded = (
        plans_service.match_foods(terms, {f.id: f.name for f in rows}) if terms else frozenset()
    )
    found = []
    for food in rows:
        if not _acceptable(food, original, profile, diet, allergens, excluded):
            continue
        swap = compare(original, food, grams)
        if swap is not None:
            found.append(swap)
    found.sort(key=lambda s: (round(s.distance, 4), -s.benefit, s.food.name))
    return original, grams, found[:MAX_SWAPS]
