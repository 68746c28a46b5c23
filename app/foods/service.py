"""Food search, custom foods and natural-language logging on top of the offline parser."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cache import Cache
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.timeutil import zone
from app.foods.dataset import NUTRIENT_FIELDS, FoodRecord, Portion
from app.foods.models import Food, FoodPortion
from app.foods.parser import ParseResult, default_index
from app.foods.schemas import (
    AlternativeOut,
    CustomFoodIn,
    FoodHit,
    FoodOut,
    MacroTotals,
    NutrientsPer100g,
    ParsedItemOut,
    ParseOut,
    PortionOut,
)
from app.inventory.models import InventoryItem
from app.llm.client import LLMClient
from app.llm.nl_parse import parse_text
from app.logs import service as logs_service
from app.logs.schemas import LogCreate

_TOTAL_KEYS = tuple(MacroTotals.model_fields)
# Custom foods a user may own; parsing loads them all, so the number is bounded.
MAX_CUSTOM_FOODS = 500


class FoodInUse(Conflict):
    code, title = "food-in-inventory", "Food is in your inventory"


class FoodNotFound(NotFound):
    code, title = "food-not-found", "Food not found"


class NothingRecognised(Unprocessable):
    code, title = "nothing-recognised", "No food recognised"


def _source(food: Food | FoodRecord) -> Literal["usda_sr28", "custom"]:
    return "usda_sr28" if food.ndb_no else "custom"


async def custom_food_rows(session: AsyncSession, user_id: uuid.UUID) -> list[Food]:
    rows = await session.scalars(
        sa.select(Food).where(col(Food.owner_id) == user_id).order_by(col(Food.created_at))
    )
    return list(rows)


async def custom_records(session: AsyncSession, user_id: uuid.UUID) -> list[FoodRecord]:
    foods = await custom_food_rows(session, user_id)
    if not foods:
        return []
    portions = await session.scalars(
        sa.select(FoodPortion).where(col(FoodPortion.food_id).in_([f.id for f in foods]))
    )
    by_food: dict[uuid.UUID, list[Portion]] = {}
    for p in portions:
        by_food.setdefault(p.food_id, []).append(Portion(p.seq, p.amount, p.unit, p.grams))
    return [
        FoodRecord(
            id=f.id,
            ndb_no=None,
            name=f.name,
            group=f.food_group,
            nutrients={k: getattr(f, k) for k in NUTRIENT_FIELDS},
            portions=tuple(sorted(by_food.get(f.id, []), key=lambda p: p.seq)),
        )
        for f in foods
    ]


async def search(
    session: AsyncSession, user_id: uuid.UUID, query: str, limit: int
) -> list[FoodHit]:
    extra = await custom_records(session, user_id)
    hits = default_index().search(query, limit=limit, extra=extra)
    return [
        FoodHit(
            id=rec.id,
            name=rec.name,
            food_group=rec.group,
            source=_source(rec),
            score=round(score, 3),
            kcal=rec.nutrients.get("kcal"),
            protein_g=rec.nutrients.get("protein_g"),
            carbs_g=rec.nutrients.get("carbs_g"),
            fat_g=rec.nutrients.get("fat_g"),
        )
        for rec, score in hits
    ]


async def get_food(session: AsyncSession, user_id: uuid.UUID, food_id: uuid.UUID) -> FoodOut:
    food = await session.get(Food, food_id)
    # Another user's custom food is indistinguishable from a missing one.
    if food is None or (food.owner_id is not None and food.owner_id != user_id):
        raise FoodNotFound(f"No food {food_id}")
    portions = await session.scalars(
        sa.select(FoodPortion)
        .where(col(FoodPortion.food_id) == food_id)
        .order_by(col(FoodPortion.seq))
    )
    return _food_out(food, list(portions))


def _food_out(food: Food, portions: list[FoodPortion]) -> FoodOut:
    return FoodOut(
        id=food.id,
        name=food.name,
        food_group=food.food_group,
        source=_source(food),
        ndb_no=food.ndb_no,
        nutrients_per_100g=NutrientsPer100g(**{k: getattr(food, k) for k in NUTRIENT_FIELDS}),
        portions=[PortionOut(amount=p.amount, unit=p.unit, grams=p.grams) for p in portions],
        created_at=food.created_at if food.owner_id else None,
    )


async def create_custom(session: AsyncSession, user_id: uuid.UUID, data: CustomFoodIn) -> FoodOut:
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(Food).where(col(Food.owner_id) == user_id)
    )
    if (count or 0) >= MAX_CUSTOM_FOODS:
        raise Unprocessable(f"A user can keep at most {MAX_CUSTOM_FOODS} custom foods")
    values = data.model_dump(exclude={"portions"})
    food = Food(owner_id=user_id, **values)
    portions = [
        FoodPortion(food_id=food.id, seq=i + 1, amount=p.amount, unit=p.unit, grams=p.grams)
        for i, p in enumerate(data.portions)
    ]
    session.add(food)
    await session.flush()  # the food row must exist before its portions reference it
    session.add_all(portions)
    await session.commit()
    return _food_out(food, portions)


async def delete_custom(session: AsyncSession, user_id: uuid.UUID, food_id: uuid.UUID) -> None:
    food = await session.get(Food, food_id)
    if food is None or food.owner_id != user_id:
        raise FoodNotFound(f"No custom food {food_id} of yours")
    # The database would cascade the delete onto pantry items, which would vanish under the
    # user (and under their ids): refuse until they are removed (issue 14, contract tests).
    held = await session.scalar(
        sa.select(sa.func.count())
        .select_from(InventoryItem)
        .where(col(InventoryItem.food_id) == food_id, col(InventoryItem.user_id) == user_id)
    )
    if held:
        raise FoodInUse(
            f"Food {food_id} is in {held} inventory item(s); delete those first",
            extra={"inventory_items": held},
        )
    await session.execute(sa.delete(FoodPortion).where(col(FoodPortion.food_id) == food_id))
    await session.delete(food)
    await session.commit()


def parse_out(result: ParseResult, path: str, reason: str | None) -> dict[str, Any]:
    items = []
    for it in result.items:
        n = it.nutrients
        items.append(
            ParsedItemOut(
                text=it.text,
                food_id=it.food.id,
                food=it.food.name,
                quantity=round(it.quantity, 3),
                unit=it.unit,
                grams=round(it.grams, 1),
                confidence=round(it.confidence, 2),
                alternatives=[AlternativeOut(food_id=a.id, food=a.name) for a in it.alternatives],
                **{k: round(float(n.get(k) or 0.0), 1) for k in _TOTAL_KEYS},
            )
        )
    totals = MacroTotals(**{k: round(float(result.totals.get(k) or 0.0), 1) for k in _TOTAL_KEYS})
    return {
        "text": result.text,
        "items": items,
        "unmatched": list(result.unmatched),
        "totals": totals,
        "path": path,
        "fallback_reason": reason,
    }


async def parse(
    session: AsyncSession, user_id: uuid.UUID, text: str, llm: LLMClient | None
) -> ParseOut:
    extra = await custom_records(session, user_id)
    result, path, reason = await parse_text(text, llm=llm, index=default_index(), extra=extra)
    return ParseOut(**parse_out(result, path, reason))


_MEAL_WORDS = {
    "breakfast": "breakfast",
    "brunch": "breakfast",
    "lunch": "lunch",
    "dinner": "dinner",
    "supper": "dinner",
    "snack": "snack",
    "dessert": "snack",
}


def guess_meal_type(text: str, local_now: dt.datetime | None) -> str:
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _MEAL_WORDS:
            return _MEAL_WORDS[word]
    if local_now is None:
        return "snack"
    h = local_now.hour
    if 4 <= h < 11:
        return "breakfast"
    if 11 <= h < 15:
        return "lunch"
    if 17 <= h < 22:
        return "dinner"
    return "snack"


async def log_natural(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    tz: str,
    text: str,
    meal_type: str | None,
    date: dt.date | None,
    llm: LLMClient | None,
) -> tuple[ParseOut, list[dict[str, Any]]]:
    parsed = await parse(session, user_id, text, llm)
    if not parsed.items:
        raise NothingRecognised(
            "No food could be recognised in the text"
            + (f" (unmatched: {', '.join(parsed.unmatched)})" if parsed.unmatched else ""),
            extra={"unmatched": parsed.unmatched},
        )
    now = dt.datetime.now(dt.UTC)
    meal = meal_type or guess_meal_type(text, now.astimezone(zone(tz)) if date is None else None)
    rows = [
        {
            "date": date,
            "consumed_at": None if date is not None else now,
            "meal_type": meal,
            "description": f"{it.text} ({it.food})"[:500],
            "source": "natural",
            "food_id": it.food_id,
            "grams": it.grams if it.grams > 0 else None,
            "kcal": it.kcal,
            "protein_g": it.protein_g,
            "carbs_g": it.carbs_g,
            "fat_g": it.fat_g,
            "fiber_g": it.fiber_g,
            "sugars_g": it.sugars_g,
            "sat_fat_g": it.sat_fat_g,
            "sodium_mg": it.sodium_mg,
        }
        for it in parsed.items
    ]
    for row in rows:
        _check_entry_bounds(row)
    entries = await logs_service.create_entries(session, cache, user_id, tz, rows)
    return parsed, entries


def _check_entry_bounds(row: dict[str, Any]) -> None:
    """A parsed item must fit the same bounds as a hand-typed entry."""
    try:
        LogCreate.model_validate({k: v for k, v in row.items() if k in LogCreate.model_fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        raise Unprocessable(
            f"{row['description']}: {field} {first.get('msg', 'is out of range')}"
        ) from exc
