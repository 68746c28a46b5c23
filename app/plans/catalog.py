"""The recipe library every user's planner draws on: the packaged recipes operators have not
retired, plus the operators' shared recipes.

Each process keeps the library it built (computed recipes, the diet-rule cache) for the stamp
it read from `catalog_stamps`; every operator change renews the stamp in its transaction, so a
process sees the change at its next read, whichever process made it. One primary-key read per
request buys that.

The write functions flush but never commit: the admin service adds the audit row and commits,
so a change, its audit entry and the new stamp are one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import dialect_insert
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.types import utcnow
from app.foods.dataset import FoodRecord, load_usda_foods
from app.foods.ingredients import ingredient_key
from app.plans.models import CatalogStamp, CustomRecipe, RetiredRecipe, SharedRecipe
from app.plans.recipes import Recipe, load_recipes, recipe_from_dict, recipes_by_id

LIBRARY = "recipes"
# Every process computes all shared recipes when the library changes; their number is bounded.
MAX_SHARED_RECIPES = 1000


class RecipeNotFound(NotFound):
    code, title = "recipe-not-found", "Recipe not found"


class PackagedRecipe(Conflict):
    code, title = "packaged-recipe", "Packaged recipes cannot be edited"


class RecipeRetired(Conflict):
    code, title = "recipe-retired", "Recipe is retired"


class RecipeNotRetired(Conflict):
    code, title = "recipe-not-retired", "Recipe is not retired"


@functools.cache
def usda_by_id() -> Mapping[uuid.UUID, FoodRecord]:
    return {f.id: f for f in load_usda_foods()}


def snapshot_record(ing: Mapping[str, Any]) -> FoodRecord:
    """The live USDA record when the food is a USDA one (data fixes flow in), else the
    snapshot taken when the recipe was written."""
    food_id = uuid.UUID(str(ing["food_id"]))
    live = usda_by_id().get(food_id)
    if live is not None:
        return live
    return FoodRecord(
        id=food_id,
        ndb_no=None,
        name=str(ing["name"]),
        group=ing.get("group"),
        nutrients=dict(ing.get("nutrients") or {}),
        portions=(),
    )


def stored_recipe(row: CustomRecipe | SharedRecipe) -> Recipe:
    """A stored (custom or shared) recipe as a library `Recipe`: nutrients, flags and tags
    computed by the same code as the packaged ones (`recipe_from_dict`, keyed by food id
    instead of NDB number). The slug says which kind it is."""
    foods: dict[str, FoodRecord] = {}
    ingredients = []
    for ing in row.ingredients:
        rec = snapshot_record(ing)
        foods[str(rec.id)] = rec
        ingredients.append({"ndb_no": str(rec.id), "grams": ing["grams"]})
    kind = "custom" if isinstance(row, CustomRecipe) else "shared"
    data = {
        "slug": f"{kind}-{row.id}",
        "name": row.name,
        "meal_types": row.meal_types,
        "cuisine": row.cuisine or "",
        "servings": row.servings,
        "prep_minutes": row.prep_minutes,
        "steps": row.steps,
        "ingredients": ingredients,
        "tags": row.tags,
    }
    return dataclasses.replace(recipe_from_dict(data, foods), id=row.id)


def is_shared(recipe: Recipe) -> bool:
    return recipe.slug.startswith("shared-")


@dataclasses.dataclass(eq=False)
class Library:
    """The offered recipes for one stamp, and what is derived from them once per process."""

    stamp: uuid.UUID | None
    recipes: tuple[Recipe, ...]
    retired: frozenset[uuid.UUID]  # packaged recipes operators withdrew
    # Per-process memo of (diet rules, feasible recipes) by profile fields (plans/service.py).
    rules_cache: dict[Any, Any] = dataclasses.field(default_factory=dict)
    _by_key: Mapping[str, tuple[uuid.UUID, ...]] | None = None

    def foods_by_key(self) -> Mapping[str, tuple[uuid.UUID, ...]]:
        """Ingredient key -> the ingredient foods using it, over the whole library."""
        if self._by_key is None:
            out: dict[str, set[uuid.UUID]] = {}
            for r in self.recipes:
                for i in r.ingredients:
                    out.setdefault(ingredient_key(i.name), set()).add(i.food_id)
            self._by_key = {k: tuple(v) for k, v in out.items()}
        return self._by_key


_current: Library | None = None


async def read_stamp(session: AsyncSession) -> uuid.UUID | None:
    return await session.scalar(
        sa.select(col(CatalogStamp.stamp)).where(col(CatalogStamp.name) == LIBRARY)
    )


async def library(session: AsyncSession) -> Library:
    """The library as of the latest committed operator change."""
    global _current
    # The stamp is read before the rows: a change committed in between leaves a newer library
    # under the older stamp, which the next read replaces; never the reverse.
    stamp = await read_stamp(session)
    lib = _current
    if lib is not None and lib.stamp == stamp:
        return lib
    retired = frozenset(await session.scalars(sa.select(col(RetiredRecipe.recipe_id))))
    rows = await session.scalars(
        sa.select(SharedRecipe)
        .where(col(SharedRecipe.retired_at).is_(None))
        .order_by(col(SharedRecipe.created_at), col(SharedRecipe.id))
    )
    shared = [stored_recipe(r) for r in rows]
    packaged = [r for r in load_recipes() if r.id not in retired]
    lib = _current = Library(stamp, (*packaged, *shared), retired)
    return lib


async def touch(session: AsyncSession) -> None:
    """Renews the library's stamp in the caller's transaction."""
    stmt = dialect_insert(session)(CatalogStamp).values(
        name=LIBRARY, stamp=uuid.uuid4(), changed_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"stamp": stmt.excluded.stamp, "changed_at": stmt.excluded.changed_at},
    )
    await session.execute(stmt)


# --------------------------------------------------------------------------------------------
# Operators' writes (flush only; see the module docstring)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CatalogEntry:
    """A packaged or shared recipe as operators see it."""

    recipe: Recipe
    source: str  # "packaged" or "shared"
    row: SharedRecipe | None
    retired_at: dt.datetime | None


async def get_entry(session: AsyncSession, recipe_id: uuid.UUID) -> CatalogEntry:
    packaged = recipes_by_id().get(recipe_id)
    if packaged is not None:
        mark = await session.get(RetiredRecipe, recipe_id)
        return CatalogEntry(packaged, "packaged", None, mark.retired_at if mark else None)
    row = await session.get(SharedRecipe, recipe_id)
    if row is None:
        # Users' own recipes are not the operators' to manage: unknown here.
        raise RecipeNotFound(f"No packaged or shared recipe {recipe_id}")
    return CatalogEntry(stored_recipe(row), "shared", row, row.retired_at)


async def list_entries(
    session: AsyncSession, q: str | None, source: str | None, status: str
) -> list[CatalogEntry]:
    """Packaged and shared recipes, retired ones included on request, by name."""
    out: list[CatalogEntry] = []
    if source in (None, "packaged"):
        retired = {
            r.recipe_id: r.retired_at for r in await session.scalars(sa.select(RetiredRecipe))
        }
        out += [CatalogEntry(r, "packaged", None, retired.get(r.id)) for r in load_recipes()]
    if source in (None, "shared"):
        where = []
        if status != "all":
            retired_at = col(SharedRecipe.retired_at)
            where.append(retired_at.is_(None) if status == "active" else retired_at.is_not(None))
        out += [
            CatalogEntry(stored_recipe(row), "shared", row, row.retired_at)
            for row in await session.scalars(sa.select(SharedRecipe).where(*where))
        ]
    if status != "all":
        out = [e for e in out if (e.retired_at is None) == (status == "active")]
    words = q.lower().split() if q else []
    if words:
        out = [e for e in out if all(w in e.recipe.name.lower() for w in words)]
    out.sort(key=lambda e: (e.recipe.name.lower(), str(e.recipe.id)))
    return out


async def count_active_shared(session: AsyncSession) -> int:
    n = await session.scalar(
        sa.select(sa.func.count())
        .select_from(SharedRecipe)
        .where(col(SharedRecipe.retired_at).is_(None))
    )
    return int(n or 0)


async def add_shared(session: AsyncSession, row: SharedRecipe) -> None:
    if await count_active_shared(session) >= MAX_SHARED_RECIPES:
        raise Unprocessable(f"There can be at most {MAX_SHARED_RECIPES} shared recipes")
    session.add(row)
    await touch(session)
    await session.flush()


async def editable_row(session: AsyncSession, recipe_id: uuid.UUID) -> SharedRecipe:
    entry = await get_entry(session, recipe_id)
    if entry.row is None:
        raise PackagedRecipe(
            f"Recipe {recipe_id} is packaged: retire it and add a shared recipe instead"
        )
    if entry.retired_at is not None:
        raise RecipeRetired(f"Recipe {recipe_id} was retired on {entry.retired_at:%Y-%m-%d}")
    return entry.row


async def retire(session: AsyncSession, actor_id: uuid.UUID, recipe_id: uuid.UUID) -> CatalogEntry:
    entry = await get_entry(session, recipe_id)
    if entry.retired_at is not None:
        raise RecipeRetired(f"Recipe {recipe_id} was retired on {entry.retired_at:%Y-%m-%d}")
    now = utcnow()
    if entry.row is None:
        session.add(RetiredRecipe(recipe_id=recipe_id, retired_by=actor_id, retired_at=now))
    else:
        entry.row.retired_at, entry.row.updated_at = now, now
        session.add(entry.row)
    await touch(session)
    await session.flush()
    return dataclasses.replace(entry, retired_at=now)


async def restore(session: AsyncSession, recipe_id: uuid.UUID) -> CatalogEntry:
    entry = await get_entry(session, recipe_id)
    if entry.retired_at is None:
        raise RecipeNotRetired(f"Recipe {recipe_id} is offered already")
    if entry.row is None:
        await session.execute(
            sa.delete(RetiredRecipe).where(col(RetiredRecipe.recipe_id) == recipe_id)
        )
    else:
        if await count_active_shared(session) >= MAX_SHARED_RECIPES:
            raise Unprocessable(f"There can be at most {MAX_SHARED_RECIPES} shared recipes")
        entry.row.retired_at, entry.row.updated_at = None, utcnow()
        session.add(entry.row)
    await touch(session)
    await session.flush()
    return dataclasses.replace(entry, retired_at=None)
