"""Recipes (built-in and private), meal plans, choosing and logging options, shopping lists.

The numbers all come from `recipes.py` (nutrients computed from USDA ingredients) and
`optimizer.py` (the day plan); this module loads what the user's profile, goals, inventory and
past plans say, hands it to them, and stores the result. A stored plan is a self-contained
snapshot (recipe names, servings, nutrients and ingredient grams per option), so later edits to
a custom recipe or food never rewrite a plan, and logging or shopping from it needs no lookups.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col

from app.core.cache import Cache, user_scope
from app.core.concurrency import gather_limited
from app.core.db import dialect_insert
from app.core.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.core.types import utcnow
from app.foods import service as foods_service
from app.foods.dataset import NUTRIENT_FIELDS, FoodRecord
from app.foods.ingredients import FoodFacts, grams_factor, ingredient_key
from app.foods.models import Food
from app.foods.parser import default_index_async, parse
from app.goals import service as goals_service
from app.goals.models import Goal
from app.inventory import pantry as inventory_pantry
from app.inventory import service as inventory_service
from app.llm.client import LLMClient
from app.llm.plan_text import PlanTextWriter, describe_plan
from app.logs import service as logs_service
from app.logs.schemas import NUTRIENT_KEYS, LogCreate
from app.plans import catalog
from app.plans import feedback as feedback_service
from app.plans.models import CustomRecipe, MealPlan, SharedRecipe
from app.plans.recipes import (
    Recipe,
    RecipeDataError,
    check_tags,
    food_flags,
    recipes_by_id,
)
from app.plans.schemas import (
    CustomRecipeIn,
    IngredientIn,
    IngredientOut,
    Nutrients,
    PlanOut,
    RecipeOut,
    RecipeSource,
    RecipeSummary,
    ShoppingItem,
    ShoppingList,
    UsedUpItem,
)
from app.training import nutrition as training_nutrition
from app.users import targets as targets_service
from app.users.models import DEFAULT_MEAL_SLOTS, UserProfile

# The optimizer (and numpy with it) is imported where a plan is made, not with the app: numpy
# is 0.1 s of CPU at every start of a server that may never plan a day.
if TYPE_CHECKING:
    from app.plans import optimizer

MAX_CUSTOM_RECIPES = 500
RECENT_DAYS = 3  # a recipe planned within 3 days of a day is not offered on it
MAX_SHOPPING_DAYS = 31
# How far from the user's today a plan may be generated.
PLAN_DAYS_BACK = 7
PLAN_DAYS_AHEAD = 60
_MACROS = ("kcal", "protein_g", "carbs_g", "fat_g")


RecipeNotFound = catalog.RecipeNotFound


class UnrecognisedIngredients(Unprocessable):
    code, title = "unrecognised-ingredients", "Unrecognised ingredients"


class UnknownFood(Unprocessable):
    code, title = "unknown-food", "Unknown food"


class TagsNotSupported(Unprocessable):
    code, title = "tags-not-supported", "Tags contradict the ingredients"


class PlanNotFound(NotFound):
    code, title = "plan-not-found", "No plan for that day"


class TargetsUnavailable(Conflict):
    code, title = "targets-unavailable", "No targets to plan for"


class SlotNotInPlan(Unprocessable):
    code, title = "slot-not-in-plan", "Slot not in the plan"


class InvalidPlanRange(Unprocessable):
    code, title = "invalid-plan-range", "Invalid date range"


class PlanInfeasible(Unprocessable):
    """No plan at all can be made: a slot has no recipe the user's constraints allow (or no
    combination fits them). Nothing is stored; the nightly run copies the previous day."""

    code, title = "plan-infeasible", "No plan can meet your constraints"


# --------------------------------------------------------------------------------------------
# Recipes: built-in and custom as one `Recipe` type
# --------------------------------------------------------------------------------------------


def _snapshot(food: FoodRecord, grams: float) -> dict[str, Any]:
    return {
        "food_id": str(food.id),
        "name": food.name,
        "group": food.group,
        "grams": round(grams, 1),
        "nutrients": {k: food.nutrients.get(k) for k in NUTRIENT_FIELDS},
    }


def custom_recipe(row: CustomRecipe) -> Recipe:
    """A custom recipe as a library `Recipe` (computed like the packaged ones)."""
    return catalog.stored_recipe(row)


def is_custom(recipe: Recipe) -> bool:
    return recipe.slug.startswith("custom-")


async def custom_rows(session: AsyncSession, user_id: uuid.UUID) -> list[CustomRecipe]:
    rows = await session.scalars(
        sa.select(CustomRecipe)
        .where(col(CustomRecipe.user_id) == user_id)
        .order_by(col(CustomRecipe.created_at))
    )
    return list(rows)


async def user_recipes(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[list[Recipe], dict[uuid.UUID, CustomRecipe]]:
    """The library (packaged and shared) plus the user's own recipes, and the custom rows by
    id."""
    lib = await catalog.library(session)
    rows = await custom_rows(session, user_id)
    return [*lib.recipes, *(custom_recipe(r) for r in rows)], {r.id: r for r in rows}


def _per_serving(recipe: Recipe) -> Nutrients:
    return Nutrients(**{k: round(recipe.per_serving.get(k, 0.0), 1) for k in NUTRIENT_KEYS})


def _source(recipe: Recipe) -> RecipeSource:
    return "custom" if is_custom(recipe) else "shared" if catalog.is_shared(recipe) else "packaged"


def recipe_summary(recipe: Recipe, row: CustomRecipe | SharedRecipe | None = None) -> RecipeSummary:
    return RecipeSummary(
        id=recipe.id,
        name=recipe.name,
        custom=is_custom(recipe),
        source=_source(recipe),
        meal_types=list(recipe.meal_types),
        cuisine=(row.cuisine if row is not None else recipe.cuisine) or None,
        servings=recipe.servings,
        prep_minutes=recipe.prep_minutes,
        tags=sorted(recipe.derived_tags),
        per_serving=_per_serving(recipe),
    )


def recipe_out(
    recipe: Recipe,
    row: CustomRecipe | SharedRecipe | None = None,
    retired_at: dt.datetime | None = None,
) -> RecipeOut:
    return RecipeOut(
        **recipe_summary(recipe, row).model_dump(),
        allergens=sorted(recipe.allergens),
        ingredients=[
            IngredientOut(
                food_id=i.food_id,
                food=i.name,
                grams=round(i.grams, 1),
                grams_per_serving=round(i.grams / recipe.servings, 1),
                note=i.note,
            )
            for i in recipe.ingredients
        ],
        steps=list(recipe.steps),
        created_at=row.created_at if row is not None else None,
        updated_at=row.updated_at if row is not None else None,
        retired_at=retired_at,
    )


def _matches_query(recipe: Recipe, words: Sequence[str]) -> bool:
    hay = " ".join([recipe.name, recipe.cuisine, *(i.name for i in recipe.ingredients)]).lower()
    return all(w in hay for w in words)


async def list_recipes(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    q: str | None,
    tags: Sequence[str],
    meal_type: str | None,
    feasible: bool,
    limit: int,
    offset: int,
) -> tuple[list[RecipeSummary], int]:
    """Built-in and own recipes, by name; filters trust tags derived from the ingredients."""
    pool, rows = await user_recipes(session, user_id)
    if feasible:
        rules = diet_rules(await session.get(UserProfile, user_id), pool)
        pool = rules.apply(pool)
    want = frozenset(tags)
    words = q.lower().split() if q else []
    found = [
        r
        for r in pool
        if (not want or want <= r.derived_tags)
        and (meal_type is None or meal_type in r.meal_types)
        and (not words or _matches_query(r, words))
    ]
    found.sort(key=lambda r: (r.name.lower(), str(r.id)))
    page = found[offset : offset + limit]
    return [recipe_summary(r, rows.get(r.id)) for r in page], len(found)


async def _own_row(session: AsyncSession, user_id: uuid.UUID, recipe_id: uuid.UUID) -> CustomRecipe:
    row = await session.get(CustomRecipe, recipe_id)
    # Another user's recipe is indistinguishable from a missing one.
    if row is None or row.user_id != user_id:
        raise RecipeNotFound(f"No recipe {recipe_id}")
    return row


async def get_recipe(session: AsyncSession, user_id: uuid.UUID, recipe_id: uuid.UUID) -> RecipeOut:
    """Any packaged or shared recipe, retired ones too (stored plans link to them), or one of
    the user's own."""
    shared = await session.get(SharedRecipe, recipe_id)
    if shared is not None or recipe_id in recipes_by_id():
        entry = await catalog.get_entry(session, recipe_id)
        return recipe_out(entry.recipe, entry.row, entry.retired_at)
    row = await _own_row(session, user_id, recipe_id)
    return recipe_out(custom_recipe(row), row)


_PREPARATION = re.compile(
    r",\s*(?:finely |roughly |thinly )?(?:diced|chopped|sliced|minced|grated|peeled|crushed"
    r"|cubed|halved|quartered|shredded|rinsed|drained|to taste|divided|optional)\b.*$",
    re.IGNORECASE,
)


async def resolve_ingredients(
    session: AsyncSession,
    user_id: uuid.UUID | None,
    ingredients: Sequence[IngredientIn] | None,
    text: str | None,
) -> list[dict[str, Any]]:
    """Ingredient snapshots from `[{food_id, grams}]` or from text read by the food parser:
    USDA foods, the operators' shared foods and the user's own. `user_id` None: an operators'
    shared recipe, which everyone sees, so no one's private food.

    A text line counts only when the parser recognised all of it: an ingredient read half-way
    would silently change the nutrients, so such lines are refused and named."""
    custom = (
        await foods_service.parser_records(session, user_id)
        if user_id is not None
        else await foods_service.shared_records(session)
    )
    if ingredients is not None:
        known = {**catalog.usda_by_id(), **{r.id: r for r in custom}}
        unknown = [str(i.food_id) for i in ingredients if i.food_id not in known]
        if unknown:
            # A retired shared food is named as such, not as unknown.
            retired = await session.scalar(
                sa.select(Food)
                .where(
                    col(Food.id).in_([uuid.UUID(u) for u in unknown]),
                    col(Food.source) == "shared",
                    col(Food.retired_at).is_not(None),
                )
                .limit(1)
            )
            if retired is not None:
                foods_service.refuse_retired(retired)
            whose = "USDA, shared nor yours" if user_id is not None else "USDA nor shared"
            raise UnknownFood(
                f"Unknown foods (neither {whose}): " + ", ".join(unknown),
                extra={"food_ids": unknown},
            )
        return [_snapshot(known[i.food_id], i.grams) for i in ingredients]
    out: list[dict[str, Any]] = []
    bad: list[str] = []
    # Awaited: in the first seconds after start-up the index is still being built (app/main.py),
    # and waiting for it synchronously would block the event loop.
    index = await default_index_async()
    for line in (text or "").splitlines():
        line = line.strip().lstrip("-*•").strip()
        if not line:
            continue
        result = parse(_PREPARATION.sub("", line), index=index, extra=custom, context="ingredient")
        items = [it for it in result.items if 0 < it.grams <= 5000]
        if not items or len(items) != len(result.items) or not inventory_service.fully_read(result):
            bad.append(line)
            continue
        out.extend(_snapshot(it.food, it.grams) for it in items)
    if bad:
        raise UnrecognisedIngredients(
            "Could not read these ingredient lines: " + "; ".join(bad),
            extra={"unrecognised": bad},
        )
    if not out:
        raise UnrecognisedIngredients(
            "ingredients_text has no ingredient", extra={"unrecognised": []}
        )
    if len(out) > 50:
        raise Unprocessable("A recipe has at most 50 ingredients")
    return out


async def _apply_changes(
    session: AsyncSession,
    user_id: uuid.UUID | None,
    row: CustomRecipe | SharedRecipe,
    changes: dict[str, Any],
) -> None:
    if "ingredients" in changes or "ingredients_text" in changes:
        given = changes.pop("ingredients", None)
        parsed = [IngredientIn.model_validate(i) for i in given] if given is not None else None
        row.ingredients = await resolve_ingredients(
            session, user_id, parsed, changes.pop("ingredients_text", None)
        )
        flag_modified(row, "ingredients")
    for key, value in changes.items():
        if key == "meal_types":
            value = list(dict.fromkeys(value))
        elif key == "tags":
            value = sorted(set(value))
        setattr(row, key, value)


def _checked(row: CustomRecipe | SharedRecipe) -> Recipe:
    try:
        recipe = catalog.stored_recipe(row)
    except RecipeDataError as exc:
        raise Unprocessable(str(exc).split(": ", 1)[-1]) from exc
    problems = [p.removeprefix(f"{recipe.slug}: ") for p in check_tags(recipe)]
    if problems:
        raise TagsNotSupported("; ".join(problems), extra={"problems": problems})
    return recipe


async def create_custom(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, body: CustomRecipeIn
) -> RecipeOut:
    count = await session.scalar(
        sa.select(sa.func.count())
        .select_from(CustomRecipe)
        .where(col(CustomRecipe.user_id) == user_id)
    )
    if (count or 0) >= MAX_CUSTOM_RECIPES:
        raise Unprocessable(f"A user can keep at most {MAX_CUSTOM_RECIPES} custom recipes")
    ingredients = await resolve_ingredients(
        session, user_id, body.ingredients, body.ingredients_text
    )
    row = CustomRecipe(
        user_id=user_id,
        name=body.name,
        cuisine=body.cuisine,
        meal_types=list(dict.fromkeys(body.meal_types)),
        servings=body.servings,
        prep_minutes=body.prep_minutes,
        steps=list(body.steps),
        ingredients=ingredients,
        tags=sorted(set(body.tags)),
    )
    recipe = _checked(row)
    session.add(row)
    await _commit(session)
    await cache.invalidate(user_scope(user_id))
    return recipe_out(recipe, row)


async def update_custom(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    recipe_id: uuid.UUID,
    changes: dict[str, Any],
) -> RecipeOut:
    row = await _own_row(session, user_id, recipe_id)
    await _apply_changes(session, user_id, row, changes)
    recipe = _checked(row)
    row.updated_at = utcnow()
    session.add(row)
    await _commit(session)
    await cache.invalidate(user_scope(user_id))
    return recipe_out(recipe, row)


async def delete_custom(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, recipe_id: uuid.UUID
) -> None:
    """Plans keep their snapshot of the recipe; it is only no longer offered."""
    row = await _own_row(session, user_id, recipe_id)
    await session.delete(row)
    await session.commit()
    await cache.invalidate(user_scope(user_id))


async def new_shared(
    session: AsyncSession, actor_id: uuid.UUID, body: CustomRecipeIn
) -> tuple[SharedRecipe, Recipe]:
    """An operators' shared recipe, checked like a custom one (ingredients from USDA and
    shared foods, claimed tags against the ingredients), added to the session and the
    library's stamp renewed; the caller commits."""
    ingredients = await resolve_ingredients(session, None, body.ingredients, body.ingredients_text)
    row = SharedRecipe(
        name=body.name,
        cuisine=body.cuisine,
        meal_types=list(dict.fromkeys(body.meal_types)),
        servings=body.servings,
        prep_minutes=body.prep_minutes,
        steps=list(body.steps),
        ingredients=ingredients,
        tags=sorted(set(body.tags)),
        created_by=actor_id,
    )
    recipe = _checked(row)
    await catalog.add_shared(session, row)
    return row, recipe


async def change_shared(
    session: AsyncSession, recipe_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[SharedRecipe, Recipe]:
    """Applies a patch to a shared recipe (packaged ones answer 409); the caller commits."""
    row = await catalog.editable_row(session, recipe_id)
    await _apply_changes(session, None, row, changes)
    recipe = _checked(row)
    row.updated_at = utcnow()
    session.add(row)
    await catalog.touch(session)
    await session.flush()
    return row, recipe


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Unauthorized("Account no longer exists") from exc


# --------------------------------------------------------------------------------------------
# What the profile allows and prefers
# --------------------------------------------------------------------------------------------


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")", re.IGNORECASE)


_GroupRule = Callable[[str, str, frozenset[str]], bool]  # (USDA group, name, flags)
_POULTRY = _rx(r"chicken", r"turkey", r"duck", r"goose", r"quail")
_PORK = _rx(r"pork", r"bacon", r"ham\b", r"prosciutto", r"chorizo", r"salami", r"pepperoni")
_BEEF = _rx(r"beef", r"veal")
_GRAIN_GROUPS = frozenset({"Cereal Grains and Pasta", "Baked Products", "Breakfast Cereals"})
_SUGAR = _rx(r"sugars?\b", r"syrup", r"honey", r"molasses", r"jams?\b", r"candies", r"chocolate")
_ALCOHOL = _rx(r"alcoholic", r"wine", r"beer", r"liqueur", r"rum\b", r"vodka", r"whisk", r"sake\b")
_CAFFEINE = _rx(r"coffee", r"tea\b", r"espresso", r"cola", r"energy drink", r"cocoa", r"chocolate")

# The profile's excluded food groups, as rules on each ingredient food.
GROUP_RULES: dict[str, _GroupRule] = {
    "meat": lambda g, n, f: "meat" in f,
    "poultry": lambda g, n, f: g == "Poultry Products" or bool(_POULTRY.search(n)),
    "pork": lambda g, n, f: g == "Pork Products" or bool(_PORK.search(n)),
    "beef": lambda g, n, f: g == "Beef Products" or bool(_BEEF.search(n)),
    "fish": lambda g, n, f: "fish" in f,
    "shellfish": lambda g, n, f: "shellfish" in f,
    "dairy": lambda g, n, f: "dairy" in f,
    "eggs": lambda g, n, f: "egg" in f,
    "grains": lambda g, n, f: g in _GRAIN_GROUPS or "gluten" in f,
    "legumes": lambda g, n, f: g == "Legumes and Legume Products",
    "nuts": lambda g, n, f: bool(f & {"nuts", "peanuts"}),
    "soy": lambda g, n, f: "soy" in f,
    "added_sugar": lambda g, n, f: g == "Sweets" or bool(_SUGAR.search(n)),
    "alcohol": lambda g, n, f: bool(_ALCOHOL.search(n)),
    "caffeine": lambda g, n, f: bool(_CAFFEINE.search(n)),
}

# Dietary patterns as (diet tags the recipe must carry, food groups it must not use).
# Mediterranean is a style rather than a restriction; paleo leaves out grains, legumes, dairy
# and added sugar.
PATTERNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "omnivore": ((), ()),
    "mediterranean": ((), ()),
    "vegetarian": (("vegetarian",), ()),
    "vegan": (("vegan",), ()),
    "pescatarian": (("pescatarian",), ()),
    "keto": (("keto",), ()),
    "paleo": ((), ("grains", "legumes", "dairy", "added_sugar")),
}


def _term_rx(term: str) -> re.Pattern[str] | None:
    """Every word of `term` as a whole word of the food name, singular or plural."""
    parts = []
    for w in re.findall(r"[a-z]+", term.lower()):
        if w.endswith("ies") and len(w) > 4:
            stem = w[:-3] + "(?:y|ies)"
        elif w.endswith("y") and len(w) > 2:
            stem = w[:-1] + "(?:y|ies)"
        elif w.endswith(("oes", "shes", "ches", "sses", "xes")) and len(w) > 4:
            stem = w[:-2] + "(?:es)?"
        elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
            stem = w[:-1] + "s?"
        else:
            stem = w + "(?:e?s)?"
        parts.append(rf"(?=.*\b{stem}\b)")
    return re.compile("".join(parts), re.IGNORECASE) if parts else None


def match_foods(terms: Iterable[str], foods: Mapping[uuid.UUID, str]) -> frozenset[uuid.UUID]:
    """Ids of the foods whose name contains every word of one of `terms`."""
    out: set[uuid.UUID] = set()
    for term in terms:
        rx = _term_rx(term)
        if rx is not None:
            out.update(fid for fid, name in foods.items() if rx.search(name))
    return frozenset(out)


def constraint_label(profile: UserProfile) -> str | None:
    """The profile's hard constraints in words ("vegan and nut-free"), for failure reasons."""
    words = [profile.dietary_pattern] if profile.dietary_pattern != "omnivore" else []
    for allergy in dict.fromkeys(profile.allergies):
        words.append(f"{allergy.removesuffix('s')}-free")
    if not words:
        return None
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclasses.dataclass(frozen=True)
class DietRules:
    diet: tuple[str, ...]
    label: str | None
    allergies: tuple[str, ...]
    excluded_food_ids: frozenset[uuid.UUID]
    liked_food_ids: frozenset[uuid.UUID]
    slots: tuple[str, ...]

    def apply(self, recipes: Sequence[Recipe]) -> list[Recipe]:
        from app.plans import optimizer

        return optimizer.feasible_recipes(
            recipes,
            diet=self.diet or None,
            allergies=self.allergies,
            excluded_foods=self.excluded_food_ids,
        )


def _ingredient_foods(recipes: Iterable[Recipe]) -> dict[uuid.UUID, tuple[str, str]]:
    return {i.food_id: (i.name, i.group or "") for r in recipes for i in r.ingredients}


def diet_rules(profile: UserProfile | None, pool: Sequence[Recipe]) -> DietRules:
    from app.plans import optimizer

    if profile is None:
        return DietRules((), None, (), frozenset(), frozenset(), tuple(DEFAULT_MEAL_SLOTS))
    tags, pattern_groups = PATTERNS.get(profile.dietary_pattern, ((), ()))
    foods = _ingredient_foods(pool)
    names = {fid: name for fid, (name, _) in foods.items()}
    rules = [
        GROUP_RULES[g] for g in (*pattern_groups, *profile.excluded_food_groups) if g in GROUP_RULES
    ]
    by_group = {
        fid
        for fid, (name, group) in foods.items()
        if rules and any(rule(group, name, food_flags(group, name)) for rule in rules)
    }
    excluded = match_foods(profile.excluded_foods, names) | by_group
    slots = tuple(s for s in dict.fromkeys(profile.meal_slots) if s in optimizer.DEFAULT_SLOTS)
    return DietRules(
        diet=tags,
        label=constraint_label(profile),
        allergies=tuple(profile.allergies),
        excluded_food_ids=excluded,
        # A liked food the user also excluded stays excluded.
        liked_food_ids=match_foods(profile.liked_foods, names) - excluded,
        slots=slots or tuple(DEFAULT_MEAL_SLOTS),
    )


# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------


def _day_targets(
    profile: UserProfile | None,
    goals: Sequence[Goal],
    day: dt.date,
    data: targets_service.TargetData,
    include_active: bool,
) -> tuple[optimizer.MacroTargets, str]:
    """The profile's targets for `day` (yesterday's activity added when opted in and
    `include_active`), else the goal in force that day. A user in manual goal mode who set a
    goal is planned against that goal: it is the number they chose to follow."""
    from app.plans import optimizer

    goal = goals_service.goal_for_day(goals, day)
    manual = profile is None or profile.goal_mode != "auto"
    if not (manual and goal is not None):
        try:
            t = targets_service.report_from(
                profile, day, data, include_active=include_active
            ).targets
        except targets_service.ProfileIncomplete:
            t = None
        if t is not None:
            return optimizer.MacroTargets(t.kcal, t.protein_g, t.carbs_g, t.fat_g), "profile"
    if goal is not None:
        return optimizer.MacroTargets(goal.kcal, goal.protein_g, goal.carbs_g, goal.fat_g), "goal"
    raise TargetsUnavailable(
        f"No targets for {day}: complete your profile (GET /api/v1/targets says what is "
        "missing) or set a goal (PUT /api/v1/goals)"
    )


def _cycled(
    target: tuple[optimizer.MacroTargets, str],
    program: Any,
    profile: UserProfile | None,
    day: dt.date,
) -> tuple[optimizer.MacroTargets, str]:
    """The day's targets with training/rest-day carb cycling (app/training/nutrition.py),
    the same numbers GET /api/v1/targets?date= shows for that day."""
    from app.plans import optimizer

    t, source = target
    shift = training_nutrition.cycle(program, profile, day, t.kcal, t.carbs_g)
    if shift is None:
        return target
    return optimizer.MacroTargets(shift.kcal, t.protein_g, shift.carbs_g, t.fat_g), source


def chosen_options(plan: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(slot, chosen option) of every slot that has options."""
    out = []
    for slot in plan.get("slots", []):
        options = slot.get("options") or []
        if options:
            idx = slot.get("chosen", 0)
            out.append((slot["slot"], options[idx if 0 <= idx < len(options) else 0]))
    return out


async def _nearby_recipes_many(
    session: AsyncSession, requests: Sequence[PlanRequest]
) -> dict[uuid.UUID, dict[dt.date, set[uuid.UUID]]]:
    """Per request, the chosen recipes of the stored plans within RECENT_DAYS of its days
    (not the days themselves: they are being replaced). One query for all requests."""
    if not requests:
        return {}
    window = dt.timedelta(days=RECENT_DAYS)
    lo = min(r.start for r in requests) - window
    hi = max(r.end for r in requests) + window
    rows = await session.execute(
        sa.select(col(MealPlan.user_id), col(MealPlan.date), col(MealPlan.plan)).where(
            col(MealPlan.user_id).in_([r.user_id for r in requests]),
            col(MealPlan.date) >= lo,
            col(MealPlan.date) <= hi,
        )
    )
    by_user = {r.user_id: r for r in requests}
    out: dict[uuid.UUID, dict[dt.date, set[uuid.UUID]]] = {r.user_id: {} for r in requests}
    for uid, day, plan in rows.all():
        req = by_user[uid]
        if req.start - window <= day < req.start or req.end < day <= req.end + window:
            out[uid][day] = {uuid.UUID(str(opt["recipe_id"])) for _, opt in chosen_options(plan)}
    return out


def _option_dict(opt: optimizer.MealOption) -> dict[str, Any]:
    r, s = opt.recipe, opt.servings
    share = s / r.servings  # the fraction of the whole recipe these servings are
    nutrients = {k: round(r.per_serving.get(k, 0.0) * s, 1) for k in NUTRIENT_KEYS}
    nutrients.update({k: float(opt.nutrients[k]) for k in _MACROS})
    # The full set goes into the plan too: a slot logged later carries the same nutrient
    # snapshot as an entry logged from a food, even if the recipe changed meanwhile.
    full = {k: round(v * s, 4) for k in NUTRIENT_FIELDS if (v := r.per_serving.get(k)) is not None}
    return {
        "recipe_id": str(r.id),
        "name": r.name,
        "custom": is_custom(r),
        "servings": s,
        "grams": round(sum(i.grams for i in r.ingredients) * share, 1),
        "nutrients": nutrients,
        "snapshot": full | nutrients,
        "day_totals": {k: float(opt.day_totals[k]) for k in _MACROS},
        "within_tolerance": opt.within_tolerance,
        "ingredients": [
            {"food_id": str(i.food_id), "food": i.name, "grams": round(i.grams * share, 1)}
            for i in r.ingredients
        ],
    }


def plan_dict(
    day: dt.date, targets: optimizer.MacroTargets, source: str, plan: optimizer.DayPlan
) -> dict[str, Any]:
    firsts = [_option_dict(s.options[0]) for s in plan.slots if s.options]
    return {
        "date": day.isoformat(),
        "targets": {k: float(getattr(targets, k)) for k in _MACROS},
        "targets_source": source,
        "slots": [
            {"slot": s.slot, "chosen": 0, "options": [_option_dict(o) for o in s.options]}
            for s in plan.slots
        ],
        "snack_options": [_option_dict(o) for o in plan.extra_snacks],
        # The sum of the options as shown (each rounded), so the numbers add up on screen.
        "totals": _sum_macros(firsts) if firsts else {k: float(plan.totals[k]) for k in _MACROS},
        "deviations": dict(plan.deviations),
        "met": plan.met,
        "reason": plan.reason,
        "solver": plan.solver,
    }


def _words_input(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The day in the shape `describe_plan` reads: chosen meals, totals and targets."""
    return {
        "meals": [
            {"meal_type": slot, "recipe": opt["name"], **{k: opt["nutrients"][k] for k in _MACROS}}
            for slot, opt in chosen_options(plan)
        ],
        "totals": plan["totals"],
        "targets": plan["targets"],
    }


def _foods_in_stock(
    by_key: Mapping[str, float], pool: Sequence[Recipe], shift: int, lib: catalog.Library
) -> dict[uuid.UUID, float]:
    """Days to expiry per recipe ingredient food whose ingredient is in stock: a recipe
    using boiled potatoes is favoured when raw potatoes are in the kitchen."""
    if not by_key:
        return {}
    library = lib.foods_by_key()
    out: dict[uuid.UUID, float] = {}
    for key, days in by_key.items():
        for fid in library.get(key, ()):
            out[fid] = days - shift
    for r in pool:
        if is_custom(r):
            for i in r.ingredients:
                left = by_key.get(ingredient_key(i.name))
                if left is not None:
                    out[i.food_id] = left - shift
    return out


def _variety_seed(user_id: uuid.UUID, day: dt.date) -> int:
    return (user_id.int ^ (day.toordinal() * 2654435761)) & 0x7FFFFFFF


def _plan_days(
    user_id: uuid.UUID,
    days: Sequence[tuple[dt.date, optimizer.MacroTargets]],
    pool: Sequence[Recipe],
    rules: DietRules,
    expiry: Mapping[uuid.UUID, float],
    recent: dict[dt.date, set[uuid.UUID]],
    *,
    avoid: frozenset[uuid.UUID] = frozenset(),
    favour: frozenset[uuid.UUID] = frozenset(),
) -> list[optimizer.DayPlan]:
    """Plans the days in order. A recipe planned within RECENT_DAYS before or after a day (a
    stored plan's chosen option, or a first option of this span) is not offered on it.
    CPU only (numpy and HiGHS), run off the event loop."""
    from app.plans import optimizer

    start = days[0][0]
    out = []
    for day, targets in days:
        shift = (day - start).days
        blocked: set[uuid.UUID] = set()
        for n in range(1, RECENT_DAYS + 1):
            blocked |= recent.get(day - dt.timedelta(days=n), set())
            blocked |= recent.get(day + dt.timedelta(days=n), set())
        prefs = optimizer.Preferences(
            liked_food_ids=rules.liked_food_ids,
            inventory={fid: d - shift for fid, d in expiry.items()},
            recent_recipe_ids=frozenset(blocked),
            avoided_recipe_ids=avoid,
            favoured_recipe_ids=favour,
        )
        plan = optimizer.plan_day(
            targets,
            pool,
            slots=rules.slots,
            preferences=prefs,
            variety_seed=_variety_seed(user_id, day),
            diet_label=rules.label,
        )
        recent[day] = {s.options[0].recipe.id for s in plan.slots if s.options}
        out.append(plan)
    return out


async def store_plans(
    session: AsyncSession,
    user_id: uuid.UUID,
    plans: Sequence[tuple[dict[str, Any], str | None, str | None]],
) -> None:
    """Upserts (plan, text, text_source) per day in one transaction: a regenerated day replaces
    its row, and a concurrent generation of the same day cannot create a second one."""
    try:
        await _store_many(session, [(user_id, *p) for p in plans])
    except IntegrityError as exc:
        raise Unauthorized("Account no longer exists") from exc


async def _store_many(
    session: AsyncSession,
    plans: Sequence[tuple[uuid.UUID, dict[str, Any], str | None, str | None]],
) -> list[MealPlan]:
    """One upsert of (user, plan, text, text_source) rows, committed; answers the stored rows
    (built from what was written and the ids RETURNING gives, so the plans are not read back
    and decoded again). Rolls back and re-raises IntegrityError (a user deleted meanwhile)."""
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "date": dt.date.fromisoformat(plan["date"]),
            "plan": plan,
            "text": text,
            "text_source": source,
            "created_at": now,
            "updated_at": now,
        }
        for user_id, plan, text, source in plans
    ]
    # Executemany form: the statement compiles once per process and is cached, where
    # `.values(rows)` compiled a new multi-row statement for every batch.
    stmt = dialect_insert(session)(MealPlan)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "date"],
        set_={
            "plan": stmt.excluded.plan,
            "text": stmt.excluded.text,
            "text_source": stmt.excluded.text_source,
            "updated_at": stmt.excluded.updated_at,
        },
    ).returning(
        col(MealPlan.id),
        col(MealPlan.created_at),
        sort_by_parameter_order=True,
    )
    try:
        result = await session.execute(stmt, rows)
        stored = result.all()
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise
    # A replaced day keeps its row's id and created_at.
    return [
        MealPlan(**{**row, "id": got[0], "created_at": got[1]})
        for row, got in zip(rows, stored, strict=True)
    ]


@dataclasses.dataclass(frozen=True)
class PlanRequest:
    """Plan `days` local days from `start` for one user. `include_active` off plans for the
    baseline even when the user opted in to adding yesterday's activity (the pipeline turns it
    off when an activity import failed, so stale or partial activity is not used)."""

    user_id: uuid.UUID
    start: dt.date
    days: int = 1
    include_active: bool = True

    @property
    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)


@dataclasses.dataclass
class _PlanJob:
    request: PlanRequest
    targets: list[tuple[optimizer.MacroTargets, str]]
    feasible: Sequence[Recipe]
    rules: DietRules
    expiry: Mapping[uuid.UUID, float]
    recent: dict[dt.date, set[uuid.UUID]]
    # From the user's plan feedback: recipes rated 1-2 (never offered), 4-5 (preferred).
    avoid: frozenset[uuid.UUID] = frozenset()
    favour: frozenset[uuid.UUID] = frozenset()


# Diet rules and the feasible library for profiles without custom recipes, by the profile
# fields they depend on: most users share a handful of combinations, and working them out
# (name matching over every ingredient) costs more than planning the day. Kept on the library
# (`catalog.Library.rules_cache`), so an operator's change starts a fresh memo.
_LIBRARY_RULES_MAX = 4096


def _rules_key(profile: UserProfile | None) -> tuple[Any, ...] | None:
    if profile is None:
        return None
    return (
        profile.dietary_pattern,
        tuple(profile.excluded_food_groups),
        tuple(profile.excluded_foods),
        tuple(profile.liked_foods),
        tuple(profile.allergies),
        tuple(profile.meal_slots),
    )


def _rules_and_pool(
    profile: UserProfile | None, customs: Sequence[CustomRecipe], lib: catalog.Library
) -> tuple[DietRules, Sequence[Recipe]]:
    if customs:
        pool = [*lib.recipes, *(custom_recipe(r) for r in customs)]
        rules = diet_rules(profile, pool)
        return rules, rules.apply(pool)
    memo = lib.rules_cache
    key = _rules_key(profile)
    hit: tuple[DietRules, Sequence[Recipe]] | None = memo.get(key)
    if hit is None:
        rules = diet_rules(profile, lib.recipes)
        hit = (rules, rules.apply(lib.recipes))
        if len(memo) >= _LIBRARY_RULES_MAX:
            memo.clear()
        memo[key] = hit
    return hit


# One planning thread per process: planning is CPU work under the GIL, so more threads only
# add lock hand-offs (measured: 45% more CPU per plan with four concurrent batches).
_PLANNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="planner")


def _plan_jobs(jobs: Sequence[_PlanJob]) -> list[list[optimizer.DayPlan] | Exception]:
    """CPU only (numpy and HiGHS), run off the event loop; one user's failure is that user's
    answer, not the batch's."""
    out: list[list[optimizer.DayPlan] | Exception] = []
    for job in jobs:
        try:
            out.append(
                _plan_days(
                    job.request.user_id,
                    [(d, t) for d, (t, _) in zip(job.request.dates, job.targets, strict=True)],
                    job.feasible,
                    job.rules,
                    job.expiry,
                    job.recent,
                    avoid=job.avoid,
                    favour=job.favour,
                )
            )
        except Exception as exc:
            out.append(exc)
    return out


async def generate_many(
    session: AsyncSession,
    cache: Cache,
    requests: Sequence[PlanRequest],
    llm: PlanTextWriter | None,
) -> dict[uuid.UUID, list[MealPlan] | Exception]:
    """Plans, stores (replacing those days' plans) and answers the stored rows of several
    users at once, one request per user; a user whose plan cannot be made gets the exception
    (TargetsUnavailable, ...) instead. Reads and writes are set-based over the batch, which
    is what lets the nightly pipeline plan thousands of users a minute."""
    user_ids = [r.user_id for r in requests]
    if len(set(user_ids)) != len(user_ids):
        raise ValueError("one request per user")
    if not requests:
        return {}
    lo = min(r.start for r in requests)
    hi = max(r.end for r in requests)
    profiles = {
        p.user_id: p
        for p in await session.scalars(
            sa.select(UserProfile).where(col(UserProfile.user_id).in_(user_ids))
        )
    }
    goals = await goals_service.goals_for_range_many(session, user_ids, lo, hi)
    active_for = [
        r.user_id
        for r in requests
        if r.include_active and (p := profiles.get(r.user_id)) and p.add_activity_kcal
    ]
    all_days = sorted({d for r in requests for d in r.dates})
    data = await targets_service.load_target_data(session, user_ids, all_days, active_for)
    programs = await training_nutrition.active_programs(session, user_ids)
    customs: dict[uuid.UUID, list[CustomRecipe]] = {}
    for row in await session.scalars(
        sa.select(CustomRecipe)
        .where(col(CustomRecipe.user_id).in_(user_ids))
        .order_by(col(CustomRecipe.created_at))
    ):
        customs.setdefault(row.user_id, []).append(row)
    expiry = await inventory_service.days_to_expiry_many(session, user_ids, lo)
    recent = await _nearby_recipes_many(session, requests)
    rated = await feedback_service.preferences_many(session, user_ids)
    lib = await catalog.library(session)
    results: dict[uuid.UUID, list[MealPlan] | Exception] = {}
    jobs: list[_PlanJob] = []
    for req in requests:
        uid = req.user_id
        try:
            profile = profiles.get(uid)
            targets = [
                _cycled(
                    _day_targets(profile, goals.get(uid, []), d, data, req.include_active),
                    programs.get(uid),
                    profile,
                    d,
                )
                for d in req.dates
            ]
            rules, feasible = _rules_and_pool(profile, customs.get(uid, []), lib)
            # Expiry is counted from the earliest start of the batch; shift to this one's.
            shift = (req.start - lo).days
            stock = _foods_in_stock(expiry.get(uid, {}), feasible, shift, lib)
            avoid, favour = rated[uid]
            jobs.append(_PlanJob(req, targets, feasible, rules, stock, recent[uid], avoid, favour))
        except Exception as exc:
            results[uid] = exc
    # Nothing is written before the plans are computed, so no transaction stays open meanwhile
    # (the ORM rows read above are expired by this: everything needed was taken from them).
    await session.rollback()
    planned = (
        await asyncio.get_running_loop().run_in_executor(_PLANNER, _plan_jobs, jobs) if jobs else []
    )

    dicts: list[tuple[uuid.UUID, dict[str, Any]]] = []
    for job, days_planned in zip(jobs, planned, strict=True):
        if isinstance(days_planned, Exception):
            results[job.request.user_id] = days_planned
            continue
        empty = _infeasible(job.request.dates, days_planned)
        if empty is not None:
            results[job.request.user_id] = empty
            continue
        for d, (t, src), day_plan in zip(job.request.dates, job.targets, days_planned, strict=True):
            dicts.append((job.request.user_id, plan_dict(d, t, src, day_plan)))
    words = await _describe_all([p for _, p in dicts], llm)
    stored = [(uid, p, text, src) for (uid, p), (text, src) in zip(dicts, words, strict=True)]
    saved: list[MealPlan] = []
    if stored:
        try:
            saved = await _store_many(session, stored)
        except IntegrityError:
            # Someone in the batch was deleted meanwhile: store one user at a time.
            for uid in dict.fromkeys(u for u, *_ in stored):
                try:
                    saved += await _store_many(session, [s for s in stored if s[0] == uid])
                except IntegrityError:
                    results[uid] = Unauthorized("Account no longer exists")
    done = [uid for uid in dict.fromkeys(u for u, *_ in stored) if uid not in results]
    await gather_limited(cache.invalidate(user_scope(uid)) for uid in done)
    for plan_row in sorted(saved, key=lambda r: r.date):
        got = results.setdefault(plan_row.user_id, [])
        assert isinstance(got, list)
        got.append(plan_row)
    return results


def _infeasible(
    dates: Sequence[dt.date], plans: Sequence[optimizer.DayPlan]
) -> PlanInfeasible | None:
    """The first day of a span that has a slot without any option: storing it would hand the
    user an empty plan, so the whole span is refused with the optimiser's reason."""
    for day, plan in zip(dates, plans, strict=True):
        empty = [s.slot for s in plan.slots if not s.options]
        if empty:
            reason = plan.reason or f"no recipe fits your constraints for {', '.join(empty)}"
            return PlanInfeasible(
                f"No plan for {day}: {reason}",
                extra={"date": day.isoformat(), "reason": reason},
            )
    return None


# Concurrent LLM calls while wording a batch of plans.
_DESCRIBE_CONCURRENCY = 8


async def _describe_all(
    plans: Sequence[Mapping[str, Any]], llm: PlanTextWriter | None
) -> list[tuple[str, str]]:
    return await gather_limited(
        (describe_plan(_words_input(p), llm) for p in plans), _DESCRIBE_CONCURRENCY
    )


async def generate(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    start: dt.date,
    days: int,
    llm: LLMClient | None,
    *,
    include_active: bool = True,
) -> list[MealPlan]:
    """Plans `days` local days from `start`, stores them (replacing those days' plans) and
    answers the stored rows."""
    request = PlanRequest(user_id, start, days, include_active)
    result = (await generate_many(session, cache, [request], llm))[user_id]
    if isinstance(result, Exception):
        raise result
    return result


def plan_cache_key(day: dt.date) -> str:
    """Key of a day's plan read in the user's cache scope (`user_scope`)."""
    return f"plan:{day}"


def check_start(start: dt.date, today: dt.date) -> None:
    lo = today - dt.timedelta(days=PLAN_DAYS_BACK)
    hi = today + dt.timedelta(days=PLAN_DAYS_AHEAD)
    if not lo <= start <= hi:
        raise InvalidPlanRange(f"start must be between {lo} and {hi} (today is {today})")


def _sum_macros(options: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    options = list(options)
    return {k: round(sum(float(o["nutrients"][k]) for o in options), 1) for k in _MACROS}


def plan_out(row: MealPlan) -> PlanOut:
    plan = row.plan
    return PlanOut.model_validate(
        {
            **{k: plan[k] for k in ("targets", "targets_source", "slots", "snack_options")},
            **{k: plan[k] for k in ("totals", "deviations", "met", "reason")},
            "date": row.date,
            "chosen_totals": _sum_macros(opt for _, opt in chosen_options(plan)),
            "fallback_from": plan.get("fallback_from"),
            "text": row.text,
            "text_source": row.text_source,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


async def find_plan(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> MealPlan | None:
    return await session.scalar(
        sa.select(MealPlan)
        .where(col(MealPlan.user_id) == user_id, col(MealPlan.date) == day)
        # Fresh values even when this session loaded the row before an upsert replaced it.
        .execution_options(populate_existing=True)
    )


async def get_plan(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> MealPlan:
    row = await find_plan(session, user_id, day)
    if row is None:
        raise PlanNotFound(f"No meal plan for {day}; generate one with POST /api/v1/plans/generate")
    return row


def _slot(plan: dict[str, Any], name: str, day: dt.date) -> dict[str, Any]:
    for slot in plan.get("slots", []):
        if slot["slot"] == name:
            return dict(slot)
    raise SlotNotInPlan(f"The plan for {day} has no {name} slot")


async def choose(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    day: dt.date,
    slot_name: str,
    option: int,
) -> MealPlan:
    row = await get_plan(session, user_id, day)
    plan = copy.deepcopy(row.plan)
    slot = _slot(plan, slot_name, day)
    n = len(slot.get("options") or [])
    if option >= n:
        raise Unprocessable(
            f"The {slot_name} slot of {day} has {n} option{'s' if n != 1 else ''}; "
            f"option {option} does not exist"
        )
    for s in plan["slots"]:
        if s["slot"] == slot_name:
            s["chosen"] = option
    row.plan = plan
    flag_modified(row, "plan")
    row.updated_at = utcnow()
    session.add(row)
    await session.commit()
    await cache.invalidate(user_scope(user_id))
    return row


def _servings_text(servings: float) -> str:
    return f"{servings:g} serving" + ("" if servings == 1 else "s")


async def log_plan(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    tz: str,
    day: dt.date,
    slots: Sequence[str] | None,
) -> list[dict[str, Any]]:
    """One food log entry per chosen option (of every slot, or of `slots`), all or none; the
    recipes' ingredients are taken from the inventory in the same transaction."""
    row = await get_plan(session, user_id, day)
    chosen = dict(chosen_options(row.plan))
    if slots is None:
        wanted = list(chosen)
    else:
        wanted = list(dict.fromkeys(slots))
        for name in wanted:
            _slot(row.plan, name, day)
            if name not in chosen:
                raise SlotNotInPlan(f"The {name} slot of {day} has no option to log")
    if not wanted:
        raise SlotNotInPlan(f"The plan for {day} has no option to log")
    # Logging a slot twice would count its food twice; the database refuses it as well
    # (uq_log_entries_plan_slot), this names the slots.
    logged = await logs_service.meal_types_logged(session, user_id, day, "plan")
    if already := [n for n in wanted if n in logged]:
        names = ", ".join(already)
        raise logs_service.PlanSlotAlreadyLogged(
            f"Already logged for {day}: {names}. Delete those entries to log them again, "
            "or pass `slots` without them"
        )
    entries = []
    for name in wanted:
        opt = chosen[name]
        entry = {
            "date": day,
            "meal_type": name,
            "description": f"{opt['name']} ({_servings_text(float(opt['servings']))})"[:500],
            "grams": opt["grams"] if opt["grams"] > 0 else None,
            **{k: float(opt["nutrients"][k]) for k in NUTRIENT_KEYS},
        }
        try:
            LogCreate.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first.get("loc", ()))
            raise Unprocessable(f"{entry['description']}: {field} {first.get('msg')}") from exc
        uses = [
            inventory_pantry.Use(uuid.UUID(str(i["food_id"])), float(i["grams"]))
            for i in opt.get("ingredients", [])
        ]
        # Plans stored before the full snapshot was kept have only the columns' nutrients.
        snap = {**(opt.get("snapshot") or {}), **{k: entry[k] for k in NUTRIENT_KEYS}}
        entries.append(
            {**entry, "nutrients": snap, "source": "plan", "food_id": None, "_uses": uses}
        )
    return await logs_service.create_entries(session, cache, user_id, tz, entries)


async def shopping_list(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> ShoppingList:
    """Ingredients of the chosen options of [start, end], summed per ingredient key (any
    preparation or salt level of a food counts, raw and cooked converted by the cooked/raw
    yield), minus what the inventory holds (items that expire before `start` do not count);
    plus the inventory items eaten up that the plans do not need."""
    if end < start:
        raise InvalidPlanRange(f"start ({start}) is after end ({end})")
    if (end - start).days + 1 > MAX_SHOPPING_DAYS:
        raise InvalidPlanRange(f"A shopping list covers at most {MAX_SHOPPING_DAYS} days")
    plans = list(
        await session.scalars(
            sa.select(col(MealPlan.plan))
            .where(
                col(MealPlan.user_id) == user_id,
                col(MealPlan.date) >= start,
                col(MealPlan.date) <= end,
            )
            .order_by(col(MealPlan.date))
        )
    )
    wanted: list[tuple[uuid.UUID, str, float]] = []
    for plan in plans:
        for _, opt in chosen_options(plan):
            for ing in opt["ingredients"]:
                wanted.append((uuid.UUID(str(ing["food_id"])), ing["food"], float(ing["grams"])))
    in_stock = await inventory_service.stock(session, user_id, start)
    info = await inventory_pantry.food_facts(session, [w[0] for w in wanted] + list(in_stock))
    # Per ingredient: the first food the plans name for it, and the grams of that food needed.
    needed: dict[str, list[Any]] = {}
    for fid, name, grams in wanted:
        facts = info.get(fid) or FoodFacts(fid, name, None)
        entry = needed.setdefault(facts.key, [facts, 0.0])
        entry[1] += grams * grams_factor(facts, entry[0])
    have: dict[str, float] = {}
    for fid, grams in in_stock.items():
        held = info.get(fid)
        if held is not None and held.key in needed:
            have[held.key] = have.get(held.key, 0.0) + grams * grams_factor(
                held, needed[held.key][0]
            )
    items: list[ShoppingItem] = []
    covered: list[ShoppingItem] = []
    for key, (rep, grams) in needed.items():
        got = have.get(key, 0.0)
        item = ShoppingItem(
            food_id=rep.id,
            food=rep.name,
            ingredient=key,
            needed_g=round(grams, 1),
            inventory_g=round(got, 1),
            grams=round(max(grams - got, 0.0), 1),
        )
        (items if item.grams > 0 else covered).append(item)
    items.sort(key=lambda i: (-i.grams, i.food))
    covered.sort(key=lambda i: i.food)
    used: list[UsedUpItem] = []
    seen = set(needed) | {ingredient_key(info[f].name) for f in in_stock if f in info}
    for gone, name in await inventory_service.used_up(session, user_id):
        key = ingredient_key(name)
        if key not in seen:
            seen.add(key)
            used.append(
                UsedUpItem(food_id=gone.food_id, food=name, ingredient=key, since=gone.updated_at)
            )
    return ShoppingList(
        start=start, end=end, plans=len(plans), items=items, covered=covered, used_up=used
    )
