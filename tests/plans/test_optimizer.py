"""The day planner: tolerances, filters, preferences, alternatives and failure reasons."""

from __future__ import annotations

import uuid

import pytest

from app.foods.dataset import foods_by_ndb
from app.plans.optimizer import (
    MACROS,
    DayPlan,
    MacroTargets,
    Preferences,
    ServingSteps,
    feasible_recipes,
    inventory_bonus,
    plan_day,
)
from app.plans.recipes import Recipe, food_flags, load_recipes

LIB = load_recipes()


def _bounds(target: float, key: str) -> tuple[float, float]:
    if key == "kcal":
        half = 0.05 * target
    else:
        half = max(0.10 * target, 10.0)
    return target - half, target + half


def assert_within_tolerance(plan: DayPlan, targets: MacroTargets) -> None:
    """Recompute the day from the recipes' own per-serving nutrients, independently."""
    assert plan.met, plan.reason
    assert plan.reason is None
    for key in MACROS:
        firsts = [s.options[0] for s in plan.slots]
        total = sum(o.recipe.per_serving[key] * o.servings for o in firsts)
        lo, hi = _bounds(getattr(targets, key), key)
        assert lo - 1e-6 <= total <= hi + 1e-6, (key, total, lo, hi)
        assert plan.totals[key] == pytest.approx(total, abs=0.06)


def _first_recipes(plan: DayPlan) -> list[Recipe]:
    return [s.options[0].recipe for s in plan.slots]


def _all_recipes(plan: DayPlan) -> list[Recipe]:
    return [o.recipe for s in plan.slots for o in s.options] + [o.recipe for o in plan.extra_snacks]


USERS = [
    ("omnivore", MacroTargets(2000, 150, 200, 67), ()),
    ("omnivore", MacroTargets(3400, 200, 420, 100), ()),
    ("omnivore", MacroTargets(1500, 130, 120, 55), ("gluten",)),
    ("vegetarian", MacroTargets(2200, 110, 270, 75), ("nuts", "peanuts")),
    ("vegan", MacroTargets(2400, 110, 330, 70), ()),
    ("vegan", MacroTargets(1800, 80, 250, 50), ("gluten",)),
    ("pescatarian", MacroTargets(2600, 160, 280, 90), ("shellfish",)),
    ("keto", MacroTargets(1800, 120, 25, 140), ()),
    ("keto", MacroTargets(2800, 170, 35, 222), ("fish",)),
    ("omnivore", MacroTargets(2100, 105, 330, 40), ()),  # low fat
]


@pytest.mark.parametrize(("diet", "targets", "allergies"), USERS)
def test_first_options_hit_targets(
    diet: str, targets: MacroTargets, allergies: tuple[str, ...]
) -> None:
    pool = feasible_recipes(LIB, diet, allergies)
    plan = plan_day(targets, pool, diet_label=diet)
    assert_within_tolerance(plan, targets)
    assert [s.slot for s in plan.slots] == ["breakfast", "lunch", "dinner", "snack"]
    for s in plan.slots:
        assert s.slot in s.options[0].recipe.meal_types
        assert s.options[0].within_tolerance
    # One dish per slot: never the same recipe twice on a day.
    firsts = _first_recipes(plan)
    assert len({r.id for r in firsts}) == len(firsts)


@pytest.mark.parametrize(("diet", "targets", "allergies"), USERS)
def test_diet_and_allergies_respected_everywhere(
    diet: str, targets: MacroTargets, allergies: tuple[str, ...]
) -> None:
    plan = plan_day(targets, feasible_recipes(LIB, diet, allergies))
    forbidden = {
        "vegan": {"meat", "fish", "shellfish", "gelatin", "dairy", "egg", "honey"},
        "vegetarian": {"meat", "fish", "shellfish", "gelatin"},
        "pescatarian": {"meat", "gelatin"},
    }.get(diet, set()) | set(allergies)
    for r in _all_recipes(plan):
        for ing in r.ingredients:
            assert not (food_flags(ing.group, ing.name) & forbidden), (r.slug, ing.name)
        if diet == "keto":
            assert "keto" in r.derived_tags


def test_feasible_recipes_filters() -> None:
    foods = foods_by_ndb()
    tofu = foods["16126"].id
    assert all("soy" not in r.allergens for r in feasible_recipes(LIB, None, ["Soya"]))
    assert all(tofu not in r.food_ids for r in feasible_recipes(LIB, excluded_foods=[tofu]))
    no_fish = feasible_recipes(LIB, excluded_groups=["finfish and shellfish products"])
    assert no_fish and all("Finfish and Shellfish Products" not in r.food_groups for r in no_fish)
    assert len(feasible_recipes(LIB, "omnivore")) == len(LIB)
    both = feasible_recipes(LIB, ["vegan", "gluten-free"])
    assert both and all({"vegan", "gluten-free"} <= r.derived_tags for r in both)
    with pytest.raises(ValueError, match="unknown allergy"):
        feasible_recipes(LIB, None, ["kryptonite"])
    with pytest.raises(ValueError, match="unknown diet"):
        feasible_recipes(LIB, "carnivore")


def test_servings_are_quarter_steps_in_range() -> None:
    steps = ServingSteps()
    for _, targets, _ in USERS[:4]:
        plan = plan_day(targets, LIB)
        for o in [o for s in plan.slots for o in s.options] + list(plan.extra_snacks):
            assert steps.min_servings <= o.servings <= steps.max_servings
            assert (o.servings * 4) == int(o.servings * 4)
    coarse = ServingSteps(min_servings=1.0, max_servings=2.0, step=0.5)
    plan = plan_day(MacroTargets(2200, 120, 260, 75), LIB, steps=coarse)
    assert plan.met
    assert all(o.servings in (1.0, 1.5, 2.0) for s in plan.slots for o in s.options)


def test_alternatives_are_distinct_and_reoptimised() -> None:
    targets = MacroTargets(2300, 140, 250, 80)
    plan = plan_day(targets, LIB)
    firsts = {r.id for r in _first_recipes(plan)}
    offered_alts: list[str] = []
    for s in plan.slots:
        assert len(s.options) == 3
        ids = [o.recipe.id for o in s.options]
        assert len(set(ids)) == 3
        for alt in s.options[1:]:
            assert alt.recipe.id not in firsts
            assert s.slot in alt.recipe.meal_types
            # Swapping it in keeps the day on target: the serving size was re-optimised.
            assert alt.within_tolerance
            others = [o.options[0] for o in plan.slots if o is not s]
            for key in MACROS:
                day = alt.recipe.per_serving[key] * alt.servings + sum(
                    o.recipe.per_serving[key] * o.servings for o in others
                )
                lo, hi = _bounds(getattr(targets, key), key)
                assert lo - 1e-6 <= day <= hi + 1e-6
            offered_alts.append(alt.recipe.slug)
    assert len(set(offered_alts)) == len(offered_alts)
    assert plan.extra_snacks
    for o in plan.extra_snacks:
        assert "snack" in o.recipe.meal_types and o.recipe.id not in firsts


def test_recent_recipes_are_excluded() -> None:
    targets = MacroTargets(2000, 130, 220, 65)
    first = plan_day(targets, LIB)
    recent = frozenset(r.id for r in _all_recipes(first))
    second = plan_day(targets, LIB, preferences=Preferences(recent_recipe_ids=recent))
    assert_within_tolerance(second, targets)
    assert not recent & {r.id for r in _all_recipes(second)}


def _food_not_in(plan: DayPlan) -> uuid.UUID:
    """A protein food with several recipes that the plan does not use."""
    foods = foods_by_ndb()
    used = {fid for r in _first_recipes(plan) for fid in r.food_ids}
    for ndb in ("16114", "15016", "16057", "15237", "16070", "05064"):  # tempeh, cod, ...
        if foods[ndb].id not in used:
            return foods[ndb].id
    raise AssertionError("every candidate food is already used")


def test_liked_food_changes_the_choice() -> None:
    targets = MacroTargets(2200, 130, 250, 75)
    base = plan_day(targets, LIB)
    food = _food_not_in(base)
    liked = plan_day(targets, LIB, preferences=Preferences(liked_food_ids=frozenset({food})))
    assert_within_tolerance(liked, targets)
    assert any(food in r.food_ids for r in _first_recipes(liked))
    assert any(s.options[0].preference >= 1.0 for s in liked.slots)


def test_expiring_inventory_changes_the_choice() -> None:
    targets = MacroTargets(2200, 130, 250, 75)
    base = plan_day(targets, LIB)
    food = _food_not_in(base)
    plan = plan_day(targets, LIB, preferences=Preferences(inventory={food: 1.0}))
    assert_within_tolerance(plan, targets)
    assert any(food in r.food_ids for r in _first_recipes(plan))


def test_inventory_bonus_grows_as_expiry_nears() -> None:
    assert inventory_bonus(0) > inventory_bonus(1) > inventory_bonus(3) > inventory_bonus(14) > 1.0
    assert inventory_bonus(-1) == 0.0


def test_variety_seed_varies_menus_deterministically() -> None:
    targets = MacroTargets(2200, 130, 250, 75)
    a = plan_day(targets, LIB, variety_seed=1)
    b = plan_day(targets, LIB, variety_seed=1)
    menus = {
        tuple(r.slug for r in _first_recipes(plan_day(targets, LIB, variety_seed=s)))
        for s in range(6)
    }
    assert [r.slug for r in _first_recipes(a)] == [r.slug for r in _first_recipes(b)]
    assert len(menus) >= 3


def test_infeasible_protein_gives_a_reason() -> None:
    pool = feasible_recipes(LIB, "vegan", ["soy", "gluten"])
    plan = plan_day(MacroTargets(2400, 220, 200, 80), pool, diet_label="vegan")
    assert not plan.met
    assert plan.reason is not None
    assert plan.reason.startswith("no feasible vegan recipes reach 220 g protein")
    # The closest day is still returned so the user has something to adjust.
    assert all(s.options for s in plan.slots)


def test_contradictory_targets_are_called_out() -> None:
    # 150 g protein + 40 g carbs + 40 g fat is ~1,120 kcal, not 2,000.
    plan = plan_day(MacroTargets(2000, 150, 40, 40), LIB)
    assert not plan.met
    assert plan.reason is not None and "contradict" in plan.reason and "1120 kcal" in plan.reason


def test_unreachable_low_carb_gives_a_reason() -> None:
    pool = feasible_recipes(LIB, "vegan")
    plan = plan_day(MacroTargets(2000, 100, 30, 180), pool, diet_label="vegan")
    assert not plan.met and plan.reason is not None
    assert "vegan recipes" in plan.reason and "30 g carbs" in plan.reason


def test_keto_without_dairy_at_high_kcal_names_carbs() -> None:
    pool = feasible_recipes(LIB, "keto", ["dairy"])
    plan = plan_day(MacroTargets(3140, 180, 23, 282), pool, diet_label="keto")
    assert not plan.met and plan.reason is not None
    assert plan.reason.startswith("no feasible keto recipes stay at or below 33 g carbs")


def test_missing_slot_recipes_gives_a_reason() -> None:
    no_snacks = [r for r in LIB if r.meal_types == ("dinner",)]
    plan = plan_day(MacroTargets(2000, 120, 200, 70), no_snacks, diet_label="test")
    assert not plan.met and plan.reason == "no feasible test recipes for breakfast, lunch, snack"


def test_custom_slots_two_snacks() -> None:
    targets = MacroTargets(2600, 160, 290, 85)
    plan = plan_day(targets, LIB, slots=("breakfast", "lunch", "snack", "dinner", "snack"))
    assert_within_tolerance(plan, targets)
    assert [s.slot for s in plan.slots] == ["breakfast", "lunch", "snack", "dinner", "snack"]
    firsts = _first_recipes(plan)
    assert len({r.id for r in firsts}) == 5


def test_exact_milp_agrees_with_fast_path() -> None:
    targets = MacroTargets(2100, 140, 210, 75)
    prefs = Preferences(liked_food_ids=frozenset({foods_by_ndb()["09040"].id}))
    fast = plan_day(targets, LIB, preferences=prefs, solver="fast")
    exact = plan_day(targets, LIB, preferences=prefs, solver="milp")
    assert fast.solver == "fast" and exact.solver == "milp"
    assert_within_tolerance(fast, targets)
    assert_within_tolerance(exact, targets)

    def score(p: DayPlan) -> float:
        return sum(s.options[0].preference for s in p.slots)

    # The MILP is exact, so the fast path can at most match its preference score.
    assert score(exact) >= score(fast) - 1e-9
