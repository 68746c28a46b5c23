"""Shared foods: operators add, correct and retire foods every user sees: their own (source
`shared`) and the packaged products imported from Open Food Facts (source `off`), which they
correct and retire but do not add (the importer does). USDA foods (`fndds`, `sr28`) are
read-only: they are reference data loaded from the files shipped with the app, which the
search index and the text parser read from those files rather than from the database, so an
edit would show in some places and not others; they are corrected by a new data release.

The functions here flush but never commit: the admin routes run them through `audit.audited`,
which adds the audit row and commits, so a change and its audit entry are one transaction.

A shared food is never deleted, only retired: log entries (food_id), pantry items (whose
foreign key would cascade and delete other users' stock) and recipe ingredients point at it,
and a retired row keeps those links and their names intact. Retiring frees its barcode and
takes it out of search, barcode lookup and the text parser.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.errors import Conflict, Unprocessable
from app.core.types import utcnow
from app.foods.dataset import COLUMN_FIELDS
from app.foods.models import Food, FoodPortion
from app.foods.schemas import FoodOut, PortionIn, SharedFoodIn
from app.foods.service import BarcodeTaken, FoodNotFound, _food_out
from app.inventory.models import InventoryItem
from app.logs.models import LogEntry

SOURCE = "shared"
# What operators manage: their own foods and imported products.
MANAGED = ("shared", "off")
USDA = ("fndds", "sr28")
# The parser reads every shared food on each request, so their number is bounded.
MAX_SHARED_FOODS = 2000
_MACRO_LIMIT = 100.5  # protein + carbs + fat per 100 g, with rounding slack


class SharedFoodExists(Conflict):
    code, title = "shared-food-exists", "A shared food has that name"


class UsdaFoodReadOnly(Conflict):
    code, title = "usda-food-read-only", "USDA foods cannot be changed"


class ImportedBarcodeFixed(Unprocessable):
    code, title = "imported-barcode-fixed", "An imported product keeps its barcode"


def _active() -> list[sa.ColumnElement[bool]]:
    return [col(Food.source) == SOURCE, col(Food.retired_at).is_(None)]


async def _portions(
    session: AsyncSession, food_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[FoodPortion]]:
    out: dict[uuid.UUID, list[FoodPortion]] = {fid: [] for fid in food_ids}
    if food_ids:
        for p in await session.scalars(
            sa.select(FoodPortion)
            .where(col(FoodPortion.food_id).in_(food_ids))
            .order_by(col(FoodPortion.food_id), col(FoodPortion.seq))
        ):
            out[p.food_id].append(p)
    return out


def shared_out(food: Food, portions: list[FoodPortion]) -> FoodOut:
    return _food_out(food, portions)


async def list_shared(
    session: AsyncSession,
    q: str | None,
    status: str,
    limit: int,
    offset: int,
    source: str | None = None,
) -> tuple[list[FoodOut], int]:
    """Managed foods by name: `source` shared or off, or both when None."""
    sources = (source,) if source else MANAGED
    where: list[sa.ColumnElement[bool]] = [col(Food.source).in_(sources)]
    if status == "active":
        where.append(col(Food.retired_at).is_(None))
    elif status == "retired":
        where.append(col(Food.retired_at).is_not(None))
    if q and q.strip():
        # autoescape: `%` and `_` typed by the operator match literally.
        where.append(sa.func.lower(col(Food.name)).contains(q.strip().lower(), autoescape=True))
    total = await session.scalar(sa.select(sa.func.count()).select_from(Food).where(*where))
    rows = list(
        await session.scalars(
            sa.select(Food)
            .where(*where)
            .order_by(sa.func.lower(col(Food.name)), col(Food.id))
            .limit(limit)
            .offset(offset)
        )
    )
    portions = await _portions(session, [f.id for f in rows])
    return [shared_out(f, portions[f.id]) for f in rows], int(total or 0)


async def get_shared(session: AsyncSession, food_id: uuid.UUID, *, live: bool = True) -> Food:
    """A managed food (not retired when `live`); 409 for a USDA one, 404 for anything else
    (a user's custom food is private: indistinguishable from a missing one)."""
    food = await session.get(Food, food_id)
    if food is not None and food.source in USDA:
        raise UsdaFoodReadOnly(
            f"{food.name!r} is a USDA food: those are reference data shipped with the app and "
            "read-only; add a shared food with the corrected values instead",
            extra={"food_id": str(food_id)},
        )
    if (
        food is None
        or food.owner_id is not None
        or food.source not in MANAGED
        or (live and food.retired_at is not None)
    ):
        raise FoodNotFound(f"No shared food {food_id}")
    return food


async def _check_name(session: AsyncSession, name: str, other_than: uuid.UUID | None) -> None:
    where = [*_active(), sa.func.lower(col(Food.name)) == name.lower()]
    if other_than is not None:
        where.append(col(Food.id) != other_than)
    taken = await session.scalar(sa.select(col(Food.id)).where(*where).limit(1))
    if taken is not None:
        raise SharedFoodExists(
            f"Shared food {taken} is already called {name!r}", extra={"food_id": str(taken)}
        )


async def _check_gtin(
    session: AsyncSession, gtin: str | None, other_than: uuid.UUID | None
) -> None:
    if gtin is None:
        return
    # One food per barcode among all owner-less foods (imported ones included): the unique
    # index uq_foods_shared_gtin says so too, and decides between concurrent requests.
    where = [col(Food.owner_id).is_(None), col(Food.gtin) == gtin]
    if other_than is not None:
        where.append(col(Food.id) != other_than)
    taken = await session.scalar(sa.select(col(Food.id)).where(*where).limit(1))
    if taken is not None:
        raise BarcodeTaken(
            f"Shared food {taken} already has barcode {gtin}", extra={"food_id": str(taken)}
        )


def _check_macros(food: Food) -> None:
    total = (food.protein_g or 0.0) + (food.carbs_g or 0.0) + (food.fat_g or 0.0)
    if total > _MACRO_LIMIT:
        raise Unprocessable(f"protein, carbs and fat add up to {total:g} g per 100 g")


def _set_nutrients(food: Food, extra: dict[str, float] | None) -> None:
    """The JSON column holds the full set: the extra nutrients given, then the columns."""
    full = dict(extra or {})
    for k in COLUMN_FIELDS:
        v = getattr(food, k)
        if v is not None:
            full[k] = v
        elif k in full:
            setattr(food, k, full[k])
    food.nutrients = full


def _portion_rows(food_id: uuid.UUID, portions: list[PortionIn]) -> list[FoodPortion]:
    return [
        FoodPortion(
            food_id=food_id,
            seq=i + 1,
            amount=p.amount,
            unit=p.unit,
            grams=p.grams,
            description=f"{p.amount:g} {p.unit}",
        )
        for i, p in enumerate(portions)
    ]


async def _flush(session: AsyncSession, gtin: str | None) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise BarcodeTaken(f"Another shared food has barcode {gtin}") from exc


async def create(session: AsyncSession, data: SharedFoodIn) -> tuple[Food, list[FoodPortion]]:
    count = await session.scalar(sa.select(sa.func.count()).select_from(Food).where(*_active()))
    if (count or 0) >= MAX_SHARED_FOODS:
        raise Unprocessable(f"There can be at most {MAX_SHARED_FOODS} shared foods")
    await _check_name(session, data.name, None)
    await _check_gtin(session, data.gtin, None)
    values = data.model_dump(exclude={"portions", "nutrients"})
    food = Food(owner_id=None, source=SOURCE, updated_at=utcnow(), **values)
    _set_nutrients(food, data.nutrients)
    session.add(food)
    await _flush(session, data.gtin)  # the food row must exist before its portions
    portions = _portion_rows(food.id, data.portions)
    session.add_all(portions)
    await _flush(session, data.gtin)
    return food, portions


async def update(
    session: AsyncSession, food_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[Food, list[FoodPortion], list[str]]:
    """Applies `changes` (the fields sent); answers the food, its portions and the names of
    the fields sent."""
    food = await get_shared(session, food_id)
    sent = sorted(changes)
    if food.source != SOURCE and "gtin" in changes and changes["gtin"] != food.gtin:
        # The importer finds a product by its barcode (also its `code`) to update it; a
        # changed one would make the next import add the product a second time.
        raise ImportedBarcodeFixed(
            f"{food.name!r} was imported with barcode {food.gtin}; it cannot be changed"
        )
    # Imported products may share a name (brands); operators' own foods may not.
    if "name" in changes and food.source == SOURCE:
        await _check_name(session, changes["name"], food.id)
    if changes.get("gtin") is not None:
        await _check_gtin(session, changes["gtin"], food.id)
    nutrients_sent = "nutrients" in changes
    extra = changes.pop("nutrients", None)
    portions_sent = "portions" in changes
    new_portions = changes.pop("portions", None) or []
    for key, value in changes.items():
        setattr(food, key, value)
    if nutrients_sent or any(k in COLUMN_FIELDS for k in changes):
        # Nutrients sent replace the extra ones; the columns (changed or not) are re-added.
        kept = {k: v for k, v in (food.nutrients or {}).items() if k not in COLUMN_FIELDS}
        _set_nutrients(food, dict(extra or {}) if nutrients_sent else kept)
    _check_macros(food)
    food.updated_at = utcnow()
    session.add(food)
    await _flush(session, food.gtin)
    if portions_sent:
        await session.execute(sa.delete(FoodPortion).where(col(FoodPortion.food_id) == food.id))
        session.add_all(_portion_rows(food.id, [PortionIn.model_validate(p) for p in new_portions]))
        await _flush(session, food.gtin)
    portions = (await _portions(session, [food.id]))[food.id]
    return food, portions, sent


async def retire(session: AsyncSession, food_id: uuid.UUID) -> dict[str, Any]:
    """Retires the food; answers what the audit keeps (its barcode, what still uses it)."""
    food = await get_shared(session, food_id)
    logs = await session.scalar(
        sa.select(sa.func.count()).select_from(LogEntry).where(col(LogEntry.food_id) == food.id)
    )
    pantry = await session.scalar(
        sa.select(sa.func.count())
        .select_from(InventoryItem)
        .where(col(InventoryItem.food_id) == food.id)
    )
    detail = {
        "name": food.name,
        "gtin": food.gtin,
        "log_entries": int(logs or 0),
        "inventory_items": int(pantry or 0),
    }
    now = utcnow()
    food.retired_at, food.updated_at = now, now
    if food.source == SOURCE:
        # An operator's food frees its barcode for a new one. An imported product keeps it:
        # the importer finds the row by it and updates it (still retired) instead of adding
        # the product again; barcode lookup skips retired foods.
        food.gtin = None
    session.add(food)
    await session.flush()
    return detail
