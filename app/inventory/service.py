"""Grocery inventory: items by hand or read from a receipt, and stock for the planner."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cache import Cache
from app.core.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.core.paging import fetch_page
from app.core.types import utcnow
from app.foods import service as foods_service
from app.foods.dataset import FoodRecord
from app.foods.ingredients import as_bought, ingredient_key
from app.foods.matcher import FoodIndex
from app.foods.models import Food
from app.foods.parser import ParseResult, default_index, default_index_async, parse
from app.inventory import pantry
from app.inventory.models import InventoryItem, InventoryLedgerEntry, Receipt

# A kitchen, not a warehouse: bounded so listing and planning stay cheap.
MAX_ITEMS = 1000
MAX_RECEIPT_LINES = 200


class InventoryItemNotFound(NotFound):
    code, title = "inventory-item-not-found", "Inventory item not found"


class UnknownFood(Unprocessable):
    code, title = "unknown-food", "Unknown food"


class NothingRecognised(Unprocessable):
    code, title = "nothing-recognised", "No food recognised"


async def visible_food(session: AsyncSession, user_id: uuid.UUID, food_id: uuid.UUID) -> Food:
    """A food the user may log or stock: USDA, shared or imported (not retired: 422
    `food-retired`), or one of their own; anything else is unknown to them."""
    food = await session.get(Food, food_id)
    if food is None or (food.owner_id is not None and food.owner_id != user_id):
        raise UnknownFood(f"No food {food_id}", extra={"food_id": str(food_id)})
    foods_service.refuse_retired(food)
    return food


async def _count(session: AsyncSession, user_id: uuid.UUID) -> int:
    n = await session.scalar(
        sa.select(sa.func.count())
        .select_from(InventoryItem)
        .where(col(InventoryItem.user_id) == user_id)
    )
    return int(n or 0)


async def _check_room(session: AsyncSession, user_id: uuid.UUID, adding: int) -> None:
    if await _count(session, user_id) + adding > MAX_ITEMS:
        raise Unprocessable(f"An inventory holds at most {MAX_ITEMS} items")


def _order() -> list[Any]:
    # Soonest expiry first; items without a date last (both dialects sort NULL differently).
    return [
        sa.case((col(InventoryItem.expires_on).is_(None), 1), else_=0),
        col(InventoryItem.expires_on),
        col(InventoryItem.created_at),
        col(InventoryItem.id),
    ]


async def list_items(
    session: AsyncSession, user_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[tuple[InventoryItem, str]], int]:
    total = await _count(session, user_id)
    rows = await session.execute(
        sa.select(InventoryItem, col(Food.name))
        .join(Food, col(Food.id) == col(InventoryItem.food_id))
        .where(col(InventoryItem.user_id) == user_id)
        .order_by(*_order())
        .limit(limit)
        .offset(offset)
    )
    return [(item, name) for item, name in rows.all()], total


async def get_item(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID
) -> tuple[InventoryItem, str]:
    item = await session.get(InventoryItem, item_id)
    if item is None or item.user_id != user_id:
        raise InventoryItemNotFound(f"No inventory item {item_id}")
    name = await session.scalar(sa.select(col(Food.name)).where(col(Food.id) == item.food_id))
    return item, name or ""


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        # Valid bodies break a constraint only if the account or the food vanished meanwhile.
        await session.rollback()
        raise Unauthorized("Account or food no longer exists") from exc


async def _facts(session: AsyncSession, item: InventoryItem) -> pantry.FoodFacts:
    return (await pantry.food_facts(session, [item.food_id]))[item.food_id]


async def create_item(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    food_id: uuid.UUID,
    grams: float,
    expires_on: dt.date | None,
) -> tuple[InventoryItem, str]:
    food = await visible_food(session, user_id, food_id)
    await _check_room(session, user_id, 1)
    item = InventoryItem(user_id=user_id, food_id=food.id, grams=grams, expires_on=expires_on)
    session.add(item)
    await session.flush()
    pantry.record(
        session,
        item,
        await _facts(session, item),
        grams,
        reason="added",
        source="manual",
        source_id=None,
    )
    await _commit(session)
    await pantry.stock_changed(cache, user_id)
    return item, food.name


async def update_item(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    changes: dict[str, Any],
) -> tuple[InventoryItem, str]:
    item, name = await get_item(session, user_id, item_id)
    before = item.grams
    for key, value in changes.items():
        setattr(item, key, value)
    item.updated_at = utcnow()
    session.add(item)
    if "grams" in changes and abs(item.grams - before) > 0:
        pantry.record(
            session,
            item,
            await _facts(session, item),
            item.grams - before,
            reason="corrected",
            source="manual",
            source_id=None,
        )
    await _commit(session)
    await pantry.stock_changed(cache, user_id)
    return item, name


async def delete_item(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, item_id: uuid.UUID
) -> None:
    """Deletes the item; its ledger rows stay (with `item_id` null) and one more records the
    removal."""
    item, _ = await get_item(session, user_id, item_id)
    removed = item.grams
    item.grams = 0.0
    pantry.record(
        session,
        item,
        await _facts(session, item),
        -removed,
        reason="removed",
        source="manual",
        source_id=None,
    )
    await session.flush()
    await session.delete(item)
    await session.commit()
    await pantry.stock_changed(cache, user_id)


# --- receipts --------------------------------------------------------------------------------

_PRICE = re.compile(r"[$€£]\s*\d+(?:[.,]\d{1,2})?|\s\d+[.,]\d{2}\s*[a-z]?$", re.IGNORECASE)
_NOT_AN_ITEM = re.compile(
    r"^\s*(?:sub\s*-?\s*total|total|tax|vat|balance|change|cash|card|visa|mastercard|amex"
    r"|debit|credit|savings|discount|thank)\b",
    re.IGNORECASE,
)


def fully_read(result: ParseResult) -> bool:
    """Whether the parser recognised every word of a one-item line.

    Words of the matched foods' own names do not count as unread: the parser reports a word of
    a custom food's name ("zorblax") as unmatched because only USDA words are in its
    vocabulary, although it matched the custom food."""
    if not result.items:
        return False
    names = " ".join(it.food.name.lower() for it in result.items)
    known = set(re.findall(r"[a-z0-9]+", names))
    return all(set(re.findall(r"[a-z0-9]+", u.lower())) <= known for u in result.unmatched)


def receipt_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ReceiptNotFound(NotFound):
    code, title = "receipt-not-found", "Receipt not found"


class ReceiptAlreadyStored(Conflict):
    code, title = "receipt-already-stored", "Receipt already stored"


# Below this parser confidence a line is shown as `uncertain` and stored only when the user
# picks it in the confirm step.
MIN_CONFIDENCE = 0.5
# Previews nobody confirmed are kept this many per user (the oldest go first).
MAX_PENDING_RECEIPTS = 20


def read_receipt_lines(
    text: str,
    extra: Sequence[FoodRecord],
    *,
    printed: bool = False,
    index: FoodIndex | None = None,
) -> list[dict[str, Any]]:
    """Each line of a receipt with what it was read as: the food (in the form a shop sells
    it: "2 lb lentils" are raw lentils, whatever cooked form the parser matched), grams and
    the parser's confidence (`uncertain` below MIN_CONFIDENCE); or `unrecognised`. A line counts
    only when every word of it was
    recognised: a line read half-way would put the wrong food in the kitchen. Prices are
    ignored; totals, tax and payment lines are unrecognised. On a `printed` receipt (a photo)
    every item line carries a price or an amount, so a line without any digit (the shop's name
    reads as "M&M MARS" snacks) is uncertain too."""
    lines = receipt_lines(text)
    if len(lines) > MAX_RECEIPT_LINES:
        raise Unprocessable(f"A receipt may have at most {MAX_RECEIPT_LINES} lines")
    # Callers on the event loop pass the index from default_index_async: in the first seconds
    # after start-up it is still being built, and waiting for it here would block the loop.
    index = index or default_index()
    out: list[dict[str, Any]] = []
    for line in lines:
        cleaned = _PRICE.sub(" ", line).strip()
        result = None
        if cleaned and not _NOT_AN_ITEM.search(cleaned):
            result = parse(cleaned, index=index, extra=extra, context="ingredient")
        items = [it for it in result.items if it.grams > 0] if result else []
        if result is None or not items or len(items) != len(result.items) or not fully_read(result):
            out.append({"line": line, "status": "unrecognised", "confidence": 0.0})
            continue
        for it in items:
            bought = as_bought(it.food) if it.food.ndb_no else it.food
            out.append(
                {
                    "line": line,
                    "status": (
                        "uncertain"
                        if it.confidence < MIN_CONFIDENCE
                        or (printed and not any(c.isdigit() for c in line))
                        else "matched"
                    ),
                    "food_id": str(bought.id),
                    "food": bought.name,
                    "ingredient": ingredient_key(bought.name),
                    "matched_as": it.food.name,
                    "grams": round(min(it.grams, 50_000.0), 1),
                    "confidence": round(float(it.confidence), 2),
                }
            )
    if not any(line["status"] != "unrecognised" for line in out):
        raise NothingRecognised(
            "No food could be read from any line",
            extra={"unrecognised": [line["line"] for line in out]},
        )
    return out


async def preview_receipt(
    session: AsyncSession,
    user_id: uuid.UUID,
    text: str,
    read_by: str,
    expires_on: dt.date | None,
) -> Receipt:
    """Reads a receipt and keeps it pending: nothing enters the inventory until confirmed."""
    # The same foods the text parser reads when logging: the user's own, then the operators'
    # shared ones (retired ones left out).
    extra = await foods_service.parser_records(session, user_id)
    index = await default_index_async()
    lines = read_receipt_lines(text, extra, printed=read_by != "text", index=index)
    receipt = Receipt(
        user_id=user_id,
        status="pending",
        read_by=read_by,
        text=text[:20_000],
        lines=lines,
        expires_on=expires_on,
    )
    session.add(receipt)
    await _prune_pending(session, user_id)
    await _commit(session)
    return receipt


async def _prune_pending(session: AsyncSession, user_id: uuid.UUID) -> None:
    keep = (
        sa.select(col(Receipt.id))
        .where(col(Receipt.user_id) == user_id, col(Receipt.status) == "pending")
        .order_by(col(Receipt.created_at).desc(), col(Receipt.id))
        .limit(MAX_PENDING_RECEIPTS)
    )
    await session.flush()
    await session.execute(
        sa.delete(Receipt).where(
            col(Receipt.user_id) == user_id,
            col(Receipt.status) == "pending",
            col(Receipt.id).not_in(keep.scalar_subquery()),
        )
    )


async def get_receipt(session: AsyncSession, user_id: uuid.UUID, receipt_id: uuid.UUID) -> Receipt:
    receipt = await session.get(Receipt, receipt_id)
    if receipt is None or receipt.user_id != user_id:
        raise ReceiptNotFound(f"No receipt {receipt_id}")
    return receipt


@dataclass
class StoredReceipt:
    receipt: Receipt
    added: list[tuple[str, InventoryItem, str]]  # (line, item, food name)
    unrecognised: list[str]


async def confirm_receipt(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    receipt_id: uuid.UUID,
    indices: Sequence[int] | None,
    expires_on: dt.date | None,
) -> StoredReceipt:
    """Stores lines of a previewed receipt, in one transaction, each with a ledger row naming
    the receipt: those at `indices` (matched or uncertain), else every matched line."""
    receipt = await get_receipt(session, user_id, receipt_id)
    if receipt.status != "pending":
        raise ReceiptAlreadyStored(f"Receipt {receipt_id} was stored at {receipt.stored_at}")
    lines = receipt.lines
    if indices is None:
        chosen = [i for i, line in enumerate(lines) if line["status"] == "matched"]
    else:
        chosen = list(dict.fromkeys(indices))
        bad = [i for i in chosen if not 0 <= i < len(lines) or lines[i]["status"] == "unrecognised"]
        if bad:
            raise Unprocessable(
                f"Lines {bad} of receipt {receipt_id} have no food to store "
                f"(it has {len(lines)} lines, numbered from 0)",
                extra={"lines": bad},
            )
    if not chosen:
        raise Unprocessable("No line to store")
    expiry = expires_on or receipt.expires_on
    food_ids = {uuid.UUID(lines[i]["food_id"]) for i in chosen}
    visible = {
        f.id: f
        for f in await session.scalars(
            sa.select(Food).where(
                col(Food.id).in_(food_ids),
                sa.or_(col(Food.owner_id).is_(None), col(Food.owner_id) == user_id),
            )
        )
    }
    await _check_room(session, user_id, len(chosen))
    info = await pantry.food_facts(session, food_ids)
    added: list[tuple[str, InventoryItem, str]] = []
    for i in chosen:
        line = lines[i]
        fid = uuid.UUID(line["food_id"])
        if fid not in visible:  # a custom food deleted since the preview
            raise UnknownFood(f"Line {i}: the food {line['food']} no longer exists")
        foods_service.refuse_retired(visible[fid])  # a shared food retired since then
        item = InventoryItem(
            user_id=user_id, food_id=fid, grams=float(line["grams"]), expires_on=expiry
        )
        session.add(item)
        added.append((line["line"], item, line["food"]))
    await session.flush()
    for _, item, _ in added:
        pantry.record(
            session,
            item,
            info[item.food_id],
            item.grams,
            reason="bought",
            source="receipt",
            source_id=receipt.id,
        )
    receipt.status = "stored"
    receipt.stored_at = utcnow()
    session.add(receipt)
    await _commit(session)
    await pantry.stock_changed(cache, user_id)
    unrecognised = [line["line"] for line in lines if line["status"] == "unrecognised"]
    return StoredReceipt(receipt, added, unrecognised)


async def add_receipt(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    text: str,
    expires_on: dt.date | None,
    read_by: str = "text",
) -> StoredReceipt:
    """Reads and stores a receipt in one go (preview and confirm)."""
    receipt = await preview_receipt(session, user_id, text, read_by, expires_on)
    return await confirm_receipt(session, cache, user_id, receipt.id, None, expires_on)


# --- for the planner and the shopping list ----------------------------------------------------


async def stock(session: AsyncSession, user_id: uuid.UUID, on: dt.date) -> dict[uuid.UUID, float]:
    """Grams per food still usable on `on` (items that expired before it do not count)."""
    rows = await session.execute(
        sa.select(col(InventoryItem.food_id), sa.func.sum(col(InventoryItem.grams)))
        .where(
            col(InventoryItem.user_id) == user_id,
            col(InventoryItem.grams) > 0,
            sa.or_(col(InventoryItem.expires_on).is_(None), col(InventoryItem.expires_on) >= on),
        )
        .group_by(col(InventoryItem.food_id))
    )
    return {fid: float(g or 0.0) for fid, g in rows.all()}


# Items without a date are treated as keeping this long (a small bonus, below fresh food).
NO_EXPIRY_DAYS = 30.0


async def days_to_expiry(
    session: AsyncSession, user_id: uuid.UUID, on: dt.date
) -> dict[str, float]:
    """Per ingredient in stock on `on`, days until its soonest-expiring item expires."""
    return (await days_to_expiry_many(session, [user_id], on)).get(user_id, {})


async def days_to_expiry_many(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], on: dt.date
) -> dict[uuid.UUID, dict[str, float]]:
    """Per user and ingredient key in stock on `on`, days until its soonest-expiring item
    expires, in one query; users with no stock are absent. Keyed by ingredient, so the
    planner favours recipes using any preparation of what is in the kitchen."""
    rows = await session.execute(
        sa.select(col(InventoryItem.user_id), col(Food.name), col(InventoryItem.expires_on))
        .join(Food, col(Food.id) == col(InventoryItem.food_id))
        .where(
            col(InventoryItem.user_id).in_(user_ids),
            col(InventoryItem.grams) > 0,
            sa.or_(col(InventoryItem.expires_on).is_(None), col(InventoryItem.expires_on) >= on),
        )
    )
    out: dict[uuid.UUID, dict[str, float]] = {}
    for uid, name, expires in rows.all():
        days = NO_EXPIRY_DAYS if expires is None else float((expires - on).days)
        mine = out.setdefault(uid, {})
        key = ingredient_key(name)
        mine[key] = min(mine.get(key, days), days)
    return out


async def used_up(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[InventoryItem, str]]:
    """Items at zero (eaten up or set to zero), newest first: what to buy again."""
    rows = await session.execute(
        sa.select(InventoryItem, col(Food.name))
        .join(Food, col(Food.id) == col(InventoryItem.food_id))
        .where(col(InventoryItem.user_id) == user_id, col(InventoryItem.grams) <= 0)
        .order_by(col(InventoryItem.updated_at).desc(), col(InventoryItem.id))
        .limit(MAX_ITEMS)
    )
    return [(item, name) for item, name in rows.all()]


# --- the ledger ------------------------------------------------------------------------------


async def list_ledger(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    item_id: uuid.UUID | None,
    source: str | None,
    limit: int,
    offset: int,
) -> tuple[list[InventoryLedgerEntry], int]:
    conds: list[Any] = [col(InventoryLedgerEntry.user_id) == user_id]
    if item_id is not None:
        conds.append(col(InventoryLedgerEntry.item_id) == item_id)
    if source is not None:
        conds.append(col(InventoryLedgerEntry.source) == source)
    order = [col(InventoryLedgerEntry.created_at).desc(), col(InventoryLedgerEntry.id)]
    return await fetch_page(session, InventoryLedgerEntry, conds, order, limit, offset)
