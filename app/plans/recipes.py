"""The built-in recipe library: loading, per-serving nutrients and ingredient-derived diet facts.

Recipes are stored without nutrients (``data/recipes.json``, written by
``scripts/recipes_source.py``); every number is computed here from the USDA SR28 foods the
ingredients reference, so a data fix in the food table flows into every recipe. Diet and
allergen facts are likewise derived from each ingredient's USDA food group and name, and the
stored tags are only trusted after :func:`check_tags` agrees with them.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from app.foods.dataset import NUTRIENT_FIELDS, FoodRecord, foods_by_ndb

MEAL_TYPES: tuple[str, ...] = ("breakfast", "lunch", "dinner", "snack")
DIET_TAGS: tuple[str, ...] = (
    "vegetarian",
    "vegan",
    "pescatarian",
    "gluten-free",
    "dairy-free",
    "nut-free",
    "egg-free",
    "soy-free",
)
MACRO_TAGS: tuple[str, ...] = ("high-protein", "low-carb", "keto")
ALL_TAGS: frozenset[str] = frozenset(DIET_TAGS + MACRO_TAGS)
ALLERGENS: tuple[str, ...] = (
    "dairy",
    "egg",
    "gluten",
    "nuts",
    "peanuts",
    "soy",
    "fish",
    "shellfish",
    "sesame",
)

# Fixed forever: recipe ids end up in stored plans and user histories.
RECIPE_NAMESPACE = uuid.UUID("0c9f6a53-5d8e-5a51-9a55-3f1d2c7b8e11")

DATA_FILE = "recipes.json"


def recipe_uuid(slug: str) -> uuid.UUID:
    return uuid.uuid5(RECIPE_NAMESPACE, slug)


# --------------------------------------------------------------------------------------------
# Ingredient facts
# --------------------------------------------------------------------------------------------

_MEAT_GROUPS = frozenset(
    {
        "Beef Products",
        "Pork Products",
        "Lamb, Veal, and Game Products",
        "Poultry Products",
        "Sausages and Luncheon Meats",
    }
)
_SEAFOOD_GROUP = "Finfish and Shellfish Products"
_DAIRY_EGG_GROUP = "Dairy and Egg Products"
_NUT_SEED_GROUP = "Nut and Seed Products"
_BAKED_GROUP = "Baked Products"


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")", re.IGNORECASE)


# Name keywords catch composite foods outside the "obvious" group (fish sauce, almond milk,
# pesto, mayonnaise, soy sauce made from wheat...). Word boundaries matter: "eggplant",
# "butternut", "chickpea" and "buckwheat" must not trip the egg/dairy/meat/gluten rules.
_MEAT_RX = _rx(
    r"beef\b",
    r"pork\b",
    r"chicken\b",
    r"turkey\b",
    r"lamb\b",
    r"veal\b",
    r"bacon\b",
    r"ham\b",
    r"sausage",
    r"salami",
    r"pepperoni",
    r"jerky",
    r"venison",
    r"duck\b",
)
_GELATIN_RX = _rx(r"gelatin")
_FISH_RX = _rx(
    r"fish\b",
    r"anchov",
    r"salmon",
    r"tuna\b",
    r"sardine",
    r"cod\b",
    r"mackerel",
    r"trout",
    r"tilapia",
    r"halibut",
    r"haddock",
    r"pollock",
    r"herring",
    r"worcestershire",
)
_SHELLFISH_RX = _rx(
    r"crustaceans",
    r"mollusks",
    r"shrimp",
    r"prawn",
    r"crab",
    r"lobster",
    r"oyster",
    r"clam",
    r"mussel",
    r"scallop",
    r"squid",
    r"octopus",
    r"crayfish",
)
_DAIRY_RX = _rx(
    r"milk\b",
    r"buttermilk",
    r"cheese",
    r"butter\b",
    r"cream\b",
    r"yogurt",
    r"whey",
    r"casein",
    r"kefir",
    r"ghee",
    r"pesto",
    r"lactose",
)
_NOT_DAIRY_RX = _rx(
    r"(?:almond|coconut|rice|oat|cashew|hemp|soy)\s*milk",
    r"peanut butter",
    r"(?:almond|cashew|nut|sesame|apple|cocoa|seed) butter",
    r"tofu yogurt",
    r"soy yogurt",
    r"cream of tartar",
    r"coconut cream",
)
_EGG_RX = _rx(r"eggs?\b", r"mayonnaise", r"meringue")
_HONEY_RX = _rx(r"honey\b")
_GLUTEN_RX = _rx(
    r"wheat",
    r"bread",
    r"pasta",
    r"spaghetti",
    r"macaroni",
    r"noodles",
    r"flour",
    r"barley",
    r"\brye\b",
    r"bulgur",
    r"couscous",
    r"semolina",
    r"seitan",
    r"gluten",
    r"crackers",
    r"bagel",
    r"pita",
    r"croissant",
    r"cereals?, oats",
    r"\boats\b",
    r"teriyaki",
    r"spelt",
    r"farro",
)
# Regular oats are grown and milled next to wheat, so they stay flagged unless certified GF.
_NOT_GLUTEN_RX = _rx(
    r"buckwheat",
    r"rice noodles",
    r"noodles, chinese, cellophane",
    r"chickpea flour",
    r"rice flour",
    r"corn flour",
    r"almond flour",
    r"coconut flour",
    r"soy flour",
    r"potato flour",
    r"tortillas, ready-to-bake or -fry, corn",
    r"gluten-free",
)
_NUT_RX = _rx(
    r"almond",
    r"walnut",
    r"cashew",
    r"pecan",
    r"pistachio",
    r"hazelnut",
    r"filbert",
    r"macadamia",
    r"brazilnut",
    r"brazil nut",
    r"pine nut",
    r"pesto",
    r"praline",
)
_PEANUT_RX = _rx(r"peanut")
_SOY_RX = _rx(r"soy", r"tofu", r"tempeh", r"miso\b", r"edamame", r"natto", r"teriyaki")
_SESAME_RX = _rx(r"sesame", r"tahini", r"hummus")


def food_flags(group: str | None, name: str) -> frozenset[str]:
    """What a food contains that diets and allergies care about.

    Flags: meat, fish, shellfish, dairy, egg, honey, gelatin (animal origin) and the allergens
    gluten, nuts, peanuts, soy, sesame (fish/shellfish/dairy/egg double as allergens). The
    USDA food group is authoritative where it is unambiguous; names cover composite foods.
    """
    flags: set[str] = set()
    g = group or ""
    lname = name.lower()
    if g in _MEAT_GROUPS or _MEAT_RX.search(lname):
        flags.add("meat")
    if _GELATIN_RX.search(lname):
        flags.add("gelatin")
    if g == _SEAFOOD_GROUP:
        flags.add("shellfish" if _SHELLFISH_RX.search(lname) else "fish")
    else:
        if _FISH_RX.search(lname):
            flags.add("fish")
        if _SHELLFISH_RX.search(lname):
            flags.add("shellfish")
    if g == _DAIRY_EGG_GROUP:
        # The group mixes both; eggs are named "Egg, ..." and nothing dairy is.
        if lname.startswith("egg"):
            flags.add("egg")
        else:
            flags.add("dairy")
    if _DAIRY_RX.search(lname) and not _NOT_DAIRY_RX.search(lname):
        flags.add("dairy")
    # Egg also hides outside the dairy-and-egg group: egg noodles, mayonnaise.
    if _EGG_RX.search(lname):
        flags.add("egg")
    if _HONEY_RX.search(lname):
        flags.add("honey")
    if (g == _BAKED_GROUP and not lname.startswith("leavening")) or _GLUTEN_RX.search(lname):
        if not _NOT_GLUTEN_RX.search(lname):
            flags.add("gluten")
    if g == _NUT_SEED_GROUP and lname.startswith("nuts,") and "coconut" not in lname:
        # Coconut sits in this group but is not a tree-nut allergen for practical purposes.
        flags.add("nuts")
    if _NUT_RX.search(lname):
        flags.add("nuts")
    if _PEANUT_RX.search(lname):
        flags.add("peanuts")
    if _SOY_RX.search(lname):
        flags.add("soy")
    if _SESAME_RX.search(lname):
        flags.add("sesame")
    return frozenset(flags)


def diet_tags_from_flags(flags: Iterable[str]) -> frozenset[str]:
    """Diet/"free-from" tags that are true for a dish whose ingredients carry ``flags``."""
    f = set(flags)
    tags: set[str] = set()
    animal_flesh = {"meat", "fish", "shellfish", "gelatin"}
    if not f & animal_flesh:
        tags.add("vegetarian")
        if not f & {"dairy", "egg", "honey"}:
            tags.add("vegan")
    if not f & {"meat", "gelatin"}:
        tags.add("pescatarian")
    if "gluten" not in f:
        tags.add("gluten-free")
    if "dairy" not in f:
        tags.add("dairy-free")
    if not f & {"nuts", "peanuts"}:
        tags.add("nut-free")
    if "egg" not in f:
        tags.add("egg-free")
    if "soy" not in f:
        tags.add("soy-free")
    return frozenset(tags)


def macro_tags(per_serving: Mapping[str, float]) -> frozenset[str]:
    """Macro tags from per-serving nutrients, using energy shares so portion size is moot."""
    kcal = max(per_serving.get("kcal", 0.0), 1.0)
    protein = per_serving.get("protein_g", 0.0)
    carbs = per_serving.get("carbs_g", 0.0)
    fat = per_serving.get("fat_g", 0.0)
    net_carbs = max(carbs - per_serving.get("fiber_g", 0.0), 0.0)
    tags: set[str] = set()
    if protein >= 15 and 4 * protein >= 0.30 * kcal:
        tags.add("high-protein")
    if carbs <= 20 and 4 * carbs <= 0.26 * kcal:
        tags.add("low-carb")
    if net_carbs <= 10 and 4 * net_carbs <= 0.10 * kcal and 9 * fat >= 0.50 * kcal:
        tags.add("keto")
    return frozenset(tags)


# --------------------------------------------------------------------------------------------
# Recipes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ingredient:
    food_id: uuid.UUID
    ndb_no: str
    name: str
    grams: float  # for the whole recipe
    group: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Recipe:
    id: uuid.UUID
    slug: str
    name: str
    meal_types: tuple[str, ...]
    cuisine: str
    servings: int
    prep_minutes: int
    steps: tuple[str, ...]
    ingredients: tuple[Ingredient, ...]
    tags: frozenset[str]
    per_serving: dict[str, float] = field(hash=False, compare=False)
    food_groups: frozenset[str]
    allergens: frozenset[str]
    flags: frozenset[str]  # allergens plus animal-origin flags (meat, fish, honey...)
    food_ids: frozenset[uuid.UUID]
    # Every tag that is actually true, recomputed from ingredients; filters trust this, not
    # the stored ``tags``.
    derived_tags: frozenset[str]
    # Hot-path copies for the planner: (kcal, protein_g, carbs_g, fat_g) per serving and a
    # bit per MEAL_TYPES entry.
    macro_vector: tuple[float, float, float, float]
    meal_mask: int


class RecipeDataError(ValueError):
    pass


def recipe_from_dict(
    data: Mapping[str, Any], foods: Mapping[str, FoodRecord] | None = None
) -> Recipe:
    """Build a :class:`Recipe` from its JSON form, computing nutrients and facts from SR28."""
    foods = foods if foods is not None else foods_by_ndb()
    slug = str(data["slug"])
    servings = int(data["servings"])
    if servings < 1:
        raise RecipeDataError(f"{slug}: servings must be >= 1")
    meal_types = tuple(str(m) for m in data["meal_types"])
    if not meal_types or any(m not in MEAL_TYPES for m in meal_types):
        raise RecipeDataError(f"{slug}: bad meal_types {meal_types}")
    totals = dict.fromkeys(NUTRIENT_FIELDS, 0.0)
    ingredients: list[Ingredient] = []
    flags: set[str] = set()
    groups: set[str] = set()
    for raw in data["ingredients"]:
        ndb = str(raw["ndb_no"])
        food = foods.get(ndb)
        if food is None:
            raise RecipeDataError(f"{slug}: unknown NDB number {ndb}")
        grams = float(raw["grams"])
        if grams <= 0:
            raise RecipeDataError(f"{slug}: non-positive grams for {ndb}")
        for key in NUTRIENT_FIELDS:
            value = food.nutrients.get(key)
            if value is not None:
                # Missing SR28 values count as zero: for the macros they are absent only
                # where the food really has (almost) none, e.g. fiber in meat.
                totals[key] += value * grams / 100.0
        ingredients.append(
            Ingredient(
                food_id=food.id,
                ndb_no=ndb,
                name=food.name,
                grams=grams,
                group=food.group,
                note=raw.get("note"),
            )
        )
        flags |= food_flags(food.group, food.name)
        if food.group:
            groups.add(food.group)
    per_serving = {k: v / servings for k, v in totals.items()}
    tags = frozenset(str(t) for t in data.get("tags", ()))
    unknown = tags - ALL_TAGS
    if unknown:
        raise RecipeDataError(f"{slug}: unknown tags {sorted(unknown)}")
    facts = frozenset(flags)
    return Recipe(
        id=recipe_uuid(slug),
        slug=slug,
        name=str(data["name"]),
        meal_types=meal_types,
        cuisine=str(data["cuisine"]),
        servings=servings,
        prep_minutes=int(data["prep_minutes"]),
        steps=tuple(str(s) for s in data["steps"]),
        ingredients=tuple(ingredients),
        tags=tags,
        per_serving=per_serving,
        food_groups=frozenset(groups),
        allergens=facts & frozenset(ALLERGENS),
        flags=facts,
        food_ids=frozenset(i.food_id for i in ingredients),
        derived_tags=diet_tags_from_flags(facts) | macro_tags(per_serving),
        macro_vector=(
            per_serving["kcal"],
            per_serving["protein_g"],
            per_serving["carbs_g"],
            per_serving["fat_g"],
        ),
        meal_mask=sum(1 << MEAL_TYPES.index(m) for m in set(meal_types)),
    )


def derive_tags(recipe: Recipe) -> frozenset[str]:
    """Every tag that is actually true for the recipe, from its ingredients and nutrients."""
    return diet_tags_from_flags(recipe.flags) | macro_tags(recipe.per_serving)


def check_tags(recipe: Recipe) -> list[str]:
    """Problems with the recipe's stored tags; empty when every claimed tag holds."""
    derived = derive_tags(recipe)
    problems = []
    for tag in sorted(recipe.tags - derived):
        culprits = _culprits(recipe, tag)
        why = f" (because of {', '.join(culprits)})" if culprits else ""
        problems.append(f"{recipe.slug}: tagged {tag!r} but it is not{why}")
    return problems


_TAG_BREAKERS: dict[str, frozenset[str]] = {
    "vegetarian": frozenset({"meat", "fish", "shellfish", "gelatin"}),
    "vegan": frozenset({"meat", "fish", "shellfish", "gelatin", "dairy", "egg", "honey"}),
    "pescatarian": frozenset({"meat", "gelatin"}),
    "gluten-free": frozenset({"gluten"}),
    "dairy-free": frozenset({"dairy"}),
    "nut-free": frozenset({"nuts", "peanuts"}),
    "egg-free": frozenset({"egg"}),
    "soy-free": frozenset({"soy"}),
}


def _culprits(recipe: Recipe, tag: str) -> list[str]:
    breakers = _TAG_BREAKERS.get(tag)
    if breakers is None:
        return []
    return [i.name for i in recipe.ingredients if food_flags(i.group, i.name) & breakers]


@functools.cache
def load_recipes() -> tuple[Recipe, ...]:
    """The packaged recipe library, computed once per process."""
    raw = resources.files("app.plans").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    data = json.loads(raw)
    foods = foods_by_ndb()
    return tuple(recipe_from_dict(r, foods) for r in data["recipes"])


@functools.cache
def recipes_by_id() -> Mapping[uuid.UUID, Recipe]:
    return {r.id: r for r in load_recipes()}


@functools.cache
def recipes_by_slug() -> Mapping[str, Recipe]:
    return {r.slug: r for r in load_recipes()}


def recipes_for_meal(recipes: Sequence[Recipe], meal_type: str) -> list[Recipe]:
    return [r for r in recipes if meal_type in r.meal_types]
