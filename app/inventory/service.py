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

from app.core.errors import NotFound, Unauthorized, Unprocessable
from app.core.types import utcnow
from app.foods import service as foods_service
from app.foods.models import Food
from app.foods.parser import ParseResult, default_index, parse
from app.inventory.models import InventoryItem

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
    """A USDA food or one of the user's custom foods; anything else is unknown to them."""
    food = await session.get(Food, food_id)
    if food is None or (food.owner_id is not None and food.owner_id != user_id):
        raise UnknownFood(f"No food {food_id}", extra={"food_id": str(food_id)})
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


async def create_item(
    session: AsyncSession,
    user_id: uuid.UUID,
    food_id: uuid.UUID,
    grams: float,
    expires_on: dt.date | None,
) -> tuple[InventoryItem, str]:
    food = await visible_food(session, user_id, food_id)
    await _check_room(session, user_id, 1)
    item = InventoryItem(user_id=user_id, food_id=food.id, grams=grams, expires_on=expires_on)
    session.add(item)
    await _commit(session)
    return item, food.name


async def update_item(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[InventoryItem, str]:
    item, name = await get_item(session, user_id, item_id)
    for key, value in changes.items():
        setattr(item, key, value)
    item.updated_at = utcnow()
    session.add(item)
    await _commit(session)
    return item, name


async def delete_item(session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID) -> None:
    item, _ = await get_item(session, user_id, item_id)
    await session.delete(item)
    await session.commit()


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


@dataclass
class ReceiptResult:
    added: list[tuple[str, InventoryItem, str]]  # (line, item, food name)
    unrecognised: list[str]


async def add_receipt(
    session: AsyncSession, user_id: uuid.UUID, text: str, expires_on: dt.date | None
) -> ReceiptResult:
    """Reads one item per line with the food parser and adds them all in one transaction.

    Prices ("3.99", "$3.99") are ignored; totals, tax and payment lines are skipped as
    unrecognised. A line is added only when every word of it was recognised: a receipt line
    read half-way would put the wrong food in the kitchen."""
    lines = receipt_lines(text)
    if len(lines) > MAX_RECEIPT_LINES:
        raise Unprocessable(f"A receipt may have at most {MAX_RECEIPT_LINES} lines")
    extra = await foods_service.custom_records(session, user_id)
    index = default_index()
    added: list[tuple[str, InventoryItem, str]] = []
    unrecognised: list[str] = []
    for line in lines:
        cleaned = _PRICE.sub(" ", line).strip()
        if not cleaned or _NOT_AN_ITEM.search(cleaned):
            unrecognised.append(line)
            continue
        result = parse(cleaned, index=index, extra=extra, context="ingredient")
        items = [it for it in result.items if it.grams > 0]
        if not items or len(items) != len(result.items) or not fully_read(result):
            unrecognised.append(line)
            continue
        for it in items:
            item = InventoryItem(
                user_id=user_id,
                food_id=it.food.id,
                grams=round(min(it.grams, 50_000.0), 1),
                expires_on=expires_on,
            )
            added.append((line, item, it.food.name))
    if not added:
        raise NothingRecognised(
            "No food could be read from any line", extra={"unrecognised": unrecognised}
        )
    await _check_room(session, user_id, len(added))
    session.add_all([item for _, item, _ in added])
    await _commit(session)
    return ReceiptResult(added=added, unrecognised=unrecognised)


# --- for the planner and the shopping list ----------------------------------------------------


async def stock(session: AsyncSession, user_id: uuid.UUID, on: dt.date) -> dict[uuid.UUID, float]:
    """Grams per food still usable on `on` (items that expired before it do not count)."""
    rows = await session.execute(
        sa.select(col(InventoryItem.food_id), sa.func.sum(col(InventoryItem.grams)))
        .where(
            col(InventoryItem.user_id) == user_id,
            sa.or_(col(InventoryItem.expires_on).is_(None), col(InventoryItem.expires_on) >= on),
        )
        .group_by(col(InventoryItem.food_id))
    )
    return {fid: float(g or 0.0) for fid, g in rows.all()}


# Items without a date are treated as keeping this long (a small bonus, below fresh food).
NO_EXPIRY_DAYS = 30.0


async def days_to_expiry(
    session: AsyncSession, user_id: uuid.UUID, on: dt.date
) -> dict[uuid.UUID, float]:
    """Per food in stock on `on`, days until its soonest-expiring item expires."""
    return (await days_to_expiry_many(session, [user_id], on)).get(user_id, {})


async def days_to_expiry_many(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], on: dt.date
) -> dict[uuid.UUID, dict[uuid.UUID, float]]:
    """`days_to_expiry` of several users in one query; users with no stock are absent."""
    rows = await session.execute(
        sa.select(
            col(InventoryItem.user_id), col(InventoryItem.food_id), col(InventoryItem.expires_on)
        ).where(
            col(InventoryItem.user_id).in_(user_ids),
            sa.or_(col(InventoryItem.expires_on).is_(None), col(InventoryItem.expires_on) >= on),
        )
    )
    out: dict[uuid.UUID, dict[uuid.UUID, float]] = {}
    for uid, fid, expires in rows.all():
        days = NO_EXPIRY_DAYS if expires is None else float((expires - on).days)
        mine = out.setdefault(uid, {})
        mine[fid] = min(mine.get(fid, days), days)
    return out
