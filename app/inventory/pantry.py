"""Stock that follows what is eaten: depletion by food logs, giving back, and the ledger.

Every change to an item goes through `record`, which writes a ledger row in the caller's
transaction, so the stock can always be explained and a log's effect undone exactly: what a
log took is the sum of the ledger rows carrying its id.

Foods match by ingredient key (`app.foods.ingredients`): a log of boiled potatoes takes from
the raw potatoes in stock, in raw grams (converted by the cooked/raw yield).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cache import Cache
from app.core.types import utcnow
from app.foods.dataset import load_usda_foods
from app.foods.ingredients import FoodFacts, facts, grams_factor
from app.foods.models import Food
from app.inventory.models import InventoryItem, InventoryLedgerEntry

# Below this an amount is rounding noise, not food.
EPS_G = 0.05


def inventory_scope(user_id: uuid.UUID) -> str:
    return f"inventory:{user_id}"


_STOCK_KEY = "has-stock"


async def may_have_stock(cache: Cache, user_id: uuid.UUID) -> bool:
    """False only when the cache knows the user has nothing in stock: a food log then needs
    no inventory transaction (the log write's fast path)."""
    value, _ = await cache.get(inventory_scope(user_id), _STOCK_KEY)
    return value != "0"


async def remember_stock(
    cache: Cache, session: AsyncSession, user_id: uuid.UUID, version: str
) -> None:
    """Caches whether the user has anything in stock, under the scope version read before
    the database was (a change meanwhile bumped the version and the write is dropped)."""
    has = await session.scalar(
        sa.select(sa.literal(1))
        .select_from(InventoryItem)
        .where(col(InventoryItem.user_id) == user_id, col(InventoryItem.grams) > 0)
        .limit(1)
    )
    await cache.put(inventory_scope(user_id), _STOCK_KEY, "1" if has else "0", version)


async def stock_version(cache: Cache, user_id: uuid.UUID) -> str:
    _, version = await cache.get(inventory_scope(user_id), _STOCK_KEY)
    return version


async def stock_changed(cache: Cache, user_id: uuid.UUID) -> None:
    await cache.invalidate(inventory_scope(user_id))


@functools.cache
def _usda_facts() -> Mapping[uuid.UUID, FoodFacts]:
    return {f.id: facts(f) for f in load_usda_foods()}


async def food_facts(
    session: AsyncSession, food_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, FoodFacts]:
    """Conversion facts per food: USDA from the packaged table, custom foods from the database."""
    usda = _usda_facts()
    out: dict[uuid.UUID, FoodFacts] = {}
    missing = []
    for fid in set(food_ids):
        if fid in usda:
            out[fid] = usda[fid]
        else:
            missing.append(fid)
    if missing:
        rows = await session.execute(
            sa.select(col(Food.id), col(Food.name), col(Food.kcal)).where(col(Food.id).in_(missing))
        )
        for fid, name, kcal in rows.all():
            out[fid] = FoodFacts(fid, name, kcal)
    return out


class _Clock:
    """Distinct, increasing timestamps for the rows of one transaction, so the ledger's order
    is the order the changes were made in."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(microseconds=1)
        return self.now


def record(
    session: AsyncSession,
    item: InventoryItem,
    food: FoodFacts,
    delta_g: float,
    *,
    reason: str,
    source: str,
    source_id: uuid.UUID | None,
    at: dt.datetime | None = None,
) -> InventoryLedgerEntry:
    row = InventoryLedgerEntry(
        user_id=item.user_id,
        item_id=item.id,
        food_id=item.food_id,
        food=food.name[:200],
        ingredient=food.key[:200],
        delta_g=round(delta_g, 2),
        grams_after=round(item.grams, 2),
        reason=reason,
        source=source,
        source_id=source_id,
        created_at=at or utcnow(),
    )
    session.add(row)
    return row


@dataclass
class Use:
    """Grams of a food eaten (a logged food, or one ingredient of a logged recipe)."""

    food_id: uuid.UUID
    grams: float


async def _items_in_stock(session: AsyncSession, user_id: uuid.UUID) -> list[InventoryItem]:
    return list(
        await session.scalars(
            sa.select(InventoryItem)
            .where(col(InventoryItem.user_id) == user_id, col(InventoryItem.grams) > 0)
            .order_by(
                # Soonest-expiring first: that is what a cook reaches for.
                sa.case((col(InventoryItem.expires_on).is_(None), 1), else_=0),
                col(InventoryItem.expires_on),
                col(InventoryItem.created_at),
                col(InventoryItem.id),
            )
            # Two logs at once must not both take the same grams (PostgreSQL row locks;
            # SQLite serialises writers anyway).
            .with_for_update()
        )
    )


async def deplete(
    session: AsyncSession,
    user_id: uuid.UUID,
    uses: Sequence[Use],
    source_id: uuid.UUID,
    reason: str = "log",
) -> list[InventoryLedgerEntry]:
    """Takes what was eaten from the matching items, in the caller's transaction (not
    committed). Food not in stock is simply not taken: eating out is not an error."""
    uses = [u for u in uses if u.grams > EPS_G]
    if not uses:
        return []
    items = await _items_in_stock(session, user_id)
    if not items:
        return []
    info = await food_facts(session, [i.food_id for i in items] + [u.food_id for u in uses])
    by_key: dict[str, list[InventoryItem]] = {}
    for item in items:
        f = info.get(item.food_id)
        if f is not None:
            by_key.setdefault(f.key, []).append(item)
    clock = _Clock()
    rows = []
    for use in uses:
        src = info.get(use.food_id)
        if src is None:
            continue
        left = use.grams  # in grams of the food eaten
        for item in by_key.get(src.key, []):
            if left <= EPS_G:
                break
            if item.grams <= 0:
                continue
            dst = info[item.food_id]
            factor = grams_factor(src, dst)  # item grams per gram eaten
            # Rounded as the ledger stores it, so giving back restores the exact grams.
            take = round(min(item.grams, left * factor), 2)
            item.grams = max(round(item.grams - take, 2), 0.0)
            if item.grams <= EPS_G:
                item.grams = 0.0  # used up: kept, for the shopping list
            item.updated_at = utcnow()
            left -= take / factor
            rows.append(
                record(
                    session,
                    item,
                    dst,
                    -take,
                    reason=reason,
                    source="log",
                    source_id=source_id,
                    at=clock(),
                )
            )
    return rows


async def taken_by(
    session: AsyncSession, user_id: uuid.UUID, source_id: uuid.UUID
) -> dict[uuid.UUID, float]:
    """Net grams a log still holds per item (positive = taken), from the ledger."""
    rows = await session.execute(
        sa.select(col(InventoryLedgerEntry.item_id), sa.func.sum(col(InventoryLedgerEntry.delta_g)))
        .where(
            col(InventoryLedgerEntry.user_id) == user_id,
            col(InventoryLedgerEntry.source_id) == source_id,
            col(InventoryLedgerEntry.source) == "log",
            col(InventoryLedgerEntry.item_id).is_not(None),
        )
        .group_by(col(InventoryLedgerEntry.item_id))
    )
    return {iid: -float(net) for iid, net in rows.all() if iid is not None and -net > EPS_G / 2}


async def give_back(
    session: AsyncSession, user_id: uuid.UUID, source_id: uuid.UUID, reason: str
) -> dict[uuid.UUID, float]:
    """Returns what a log took to the items it took it from (deleted items stay deleted);
    answers what was taken per item, before giving back."""
    taken = await taken_by(session, user_id, source_id)
    if not taken:
        return {}
    items = {
        i.id: i
        for i in await session.scalars(
            sa.select(InventoryItem).where(col(InventoryItem.id).in_(list(taken))).with_for_update()
        )
    }
    info = await food_facts(session, [i.food_id for i in items.values()])
    clock = _Clock()
    for iid, grams in taken.items():
        item = items.get(iid)
        if item is None:
            continue
        item.grams = round(item.grams + grams, 2)
        item.updated_at = utcnow()
        record(
            session,
            item,
            info[item.food_id],
            grams,
            reason=reason,
            source="log",
            source_id=source_id,
            at=clock(),
        )
    return taken


async def take_from_items(
    session: AsyncSession,
    user_id: uuid.UUID,
    amounts: Mapping[uuid.UUID, float],
    source_id: uuid.UUID,
    reason: str,
) -> None:
    """Takes given grams from given items (at most what they hold): a logged recipe whose
    portion changed takes the same items again, scaled."""
    if not amounts:
        return
    items = list(
        await session.scalars(
            sa.select(InventoryItem)
            .where(col(InventoryItem.id).in_(list(amounts)), col(InventoryItem.user_id) == user_id)
            .with_for_update()
        )
    )
    info = await food_facts(session, [i.food_id for i in items])
    clock = _Clock()
    for item in sorted(items, key=lambda i: str(i.id)):
        take = round(min(item.grams, amounts[item.id]), 2)
        if take <= EPS_G:
            continue
        item.grams = max(round(item.grams - take, 2), 0.0)
        if item.grams <= EPS_G:
            item.grams = 0.0
        item.updated_at = utcnow()
        record(
            session,
            item,
            info[item.food_id],
            -take,
            reason=reason,
            source="log",
            source_id=source_id,
            at=clock(),
        )
