"""Food search, custom foods and natural-language logging on top of the offline parser."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cache import Cache
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.timeutil import zone
from app.foods.dataset import (
    COLUMN_FIELDS,
    NUTRIENT_FIELDS,
    FoodRecord,
    Portion,
)
from app.foods.gtin import InvalidGTIN, normalize_gtin
from app.foods.models import Food, FoodPortion
from app.foods.parser import ParseResult, default_index_async
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
from app.foods.search import Doc, SearchIndex, index_ready, packaged_index
from app.inventory.models import InventoryItem
from app.llm.client import LLMClient
from app.llm.nl_parse import parse_text
from app.logs import service as logs_service
from app.logs.schemas import LogCreate

_TOTAL_KEYS = tuple(MacroTotals.model_fields)
# Custom foods a user may own; parsing loads them all, so the number is bounded.
MAX_CUSTOM_FOODS = 500
# Imported (shared) foods a search scores at most; the SQL filter keeps the likeliest.
MAX_SHARED_CANDIDATES = 1000
PACKAGED = frozenset({"fndds", "sr28"})
SearchSource = Literal["fndds", "sr28", "custom", "off", "shared"]
# Owner-less database foods: imported products and operators' shared foods.
DATABASE_SHARED = ("off", "shared")


class FoodInUse(Conflict):
    code, title = "food-in-inventory", "Food is in your inventory"


class FoodNotFound(NotFound):
    code, title = "food-not-found", "Food not found"


class FoodRetired(Unprocessable):
    """A retired shared or imported food: entries logged from it keep their snapshot, but
    nothing new (log entries, pantry stock, recipe ingredients) may refer to it."""

    code, title = "food-retired", "Food was retired"


def refuse_retired(food: Food) -> None:
    if food.retired_at is not None:
        raise FoodRetired(
            f"{food.name!r} was withdrawn from the shared catalogue on "
            f"{food.retired_at:%Y-%m-%d}; pick another food",
            extra={"food_id": str(food.id), "retired_at": food.retired_at.isoformat()},
        )


class NothingRecognised(Unprocessable):
    code, title = "nothing-recognised", "No food recognised"


class InvalidBarcode(Unprocessable):
    code, title = "invalid-barcode", "Invalid barcode"


class BarcodeTaken(Conflict):
    code, title = "barcode-taken", "Barcode already used"


def _nutrients_of(food: Food) -> dict[str, float | None]:
    """A database food's full nutrient set: its JSON column, else (rows from before the column
    was filled) its per-nutrient columns."""
    values: dict[str, float | None] = dict.fromkeys(NUTRIENT_FIELDS)
    if food.nutrients:
        values.update({k: float(v) for k, v in food.nutrients.items() if k in values})
    else:
        values.update({k: getattr(food, k) for k in COLUMN_FIELDS})
    return values


async def custom_food_rows(session: AsyncSession, user_id: uuid.UUID) -> list[Food]:
    rows = await session.scalars(
        sa.select(Food).where(col(Food.owner_id) == user_id).order_by(col(Food.created_at))
    )
    return list(rows)


async def _records(session: AsyncSession, foods: list[Food]) -> list[FoodRecord]:
    if not foods:
        return []
    portions = await session.scalars(
        sa.select(FoodPortion).where(col(FoodPortion.food_id).in_([f.id for f in foods]))
    )
    by_food: dict[uuid.UUID, list[Portion]] = {}
    for p in portions:
        by_food.setdefault(p.food_id, []).append(
            Portion(p.seq, p.amount, p.unit, p.grams, p.description or f"{p.amount:g} {p.unit}")
        )
    return [
        FoodRecord(
            id=f.id,
            ndb_no=None,
            name=f.name,
            group=f.food_group,
            nutrients=_nutrients_of(f),
            portions=tuple(sorted(by_food.get(f.id, []), key=lambda p: p.seq)),
            source=f.source,
            code=f.code,
            category_code=f.category_code,
            additional=f.brand,
        )
        for f in foods
    ]


async def custom_records(session: AsyncSession, user_id: uuid.UUID) -> list[FoodRecord]:
    return await _records(session, await custom_food_rows(session, user_id))


async def shared_food_rows(session: AsyncSession) -> list[Food]:
    """Operators' shared foods that are not retired (bounded by MAX_SHARED_FOODS)."""
    rows = await session.scalars(
        sa.select(Food)
        .where(col(Food.source) == "shared", col(Food.retired_at).is_(None))
        .order_by(col(Food.created_at), col(Food.id))
    )
    return list(rows)


async def shared_records(session: AsyncSession) -> list[FoodRecord]:
    return await _records(session, await shared_food_rows(session))


async def parser_records(session: AsyncSession, user_id: uuid.UUID) -> list[FoodRecord]:
    """The database foods the text parser reads besides the packaged ones: the user's own
    first, then the operators' shared foods."""
    return await _records(
        session, [*await custom_food_rows(session, user_id), *await shared_food_rows(session)]
    )


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def _shared_candidates(
    session: AsyncSession, index: SearchIndex, query: str, sources: Sequence[str]
) -> list[FoodRecord]:
    """Imported and operators' shared foods (not retired) whose name or brand holds a form of
    every query word (SQL LIKE on the words the index would accept, typo fixes included),
    scored afterwards like the rest. Operators' foods come first within the candidate limit:
    there are few of them and an import must not crowd them out."""
    conds = []
    for term in index.terms(query):
        forms = {term.word, *term.alts}
        text = sa.func.lower(
            sa.func.coalesce(col(Food.name), "") + " " + sa.func.coalesce(col(Food.brand), "")
        )
        conds.append(sa.or_(*(text.like(_like(w), escape="\\") for w in sorted(forms))))
    if not conds:
        return []
    rows = await session.scalars(
        sa.select(Food)
        .where(
            col(Food.owner_id).is_(None),
            col(Food.source).in_(sources),
            col(Food.retired_at).is_(None),
            *conds,
        )
        .order_by(
            sa.case((col(Food.source) == "shared", 0), else_=1),
            sa.func.length(col(Food.name)),
            col(Food.id),
        )
        .limit(MAX_SHARED_CANDIDATES)
    )
    return await _records(session, list(rows))


def _hit(rec: FoodRecord, score: float) -> FoodHit:
    return FoodHit(
        id=rec.id,
        name=rec.name,
        food_group=rec.group,
        source=rec.source,
        code=rec.code,
        brand=rec.additional if rec.source in ("off", "custom", "shared") else None,
        score=round(score, 3),
        kcal=rec.nutrients.get("kcal"),
        protein_g=rec.nutrients.get("protein_g"),
        carbs_g=rec.nutrients.get("carbs_g"),
        fat_g=rec.nutrients.get("fat_g"),
    )


async def search(
    session: AsyncSession,
    user_id: uuid.UUID,
    query: str,
    limit: int,
    offset: int = 0,
    source: SearchSource | None = None,
) -> tuple[list[FoodHit], int]:
    """Ranked matches over packaged, imported and the user's own foods: (page, total)."""
    # Built in the background after start-up; a search that comes first waits off the loop.
    index = packaged_index() if index_ready() else await asyncio.to_thread(packaged_index)
    terms = index.terms(query)
    hits = [] if source not in (None, *PACKAGED) else index.search(query)
    if source is not None and source in PACKAGED:
        hits = [h for h in hits if h.food.source == source]
    extra: list[FoodRecord] = []
    if source in (None, "custom"):
        extra += await custom_records(session, user_id)
    if source is None or source in DATABASE_SHARED:
        sources = DATABASE_SHARED if source is None else (source,)
        extra += await _shared_candidates(session, index, query, sources)
    if extra:
        docs: list[Doc] = [index.make_doc(rec, i) for i, rec in enumerate(extra)]
        hits = sorted(
            [*hits, *index.score(terms, docs)], key=lambda h: (-round(h.score, 2), h.rank)
        )
    page = hits[offset : offset + limit]
    return [_hit(h.food, h.score) for h in page], len(hits)


async def _food_row(session: AsyncSession, user_id: uuid.UUID, food_id: uuid.UUID) -> Food:
    food = await session.get(Food, food_id)
    # Another user's custom food is indistinguishable from a missing one.
    if food is None or (food.owner_id is not None and food.owner_id != user_id):
        raise FoodNotFound(f"No food {food_id}")
    return food


async def get_food(session: AsyncSession, user_id: uuid.UUID, food_id: uuid.UUID) -> FoodOut:
    food = await _food_row(session, user_id, food_id)
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
        category_code=food.category_code,
        source=food.source,
        code=food.code,
        ndb_no=food.ndb_no,
        brand=food.brand,
        gtin=food.gtin,
        additional_descriptions=[
            s.strip() for s in (food.additional or "").split(";") if s.strip()
        ],
        nutrients_per_100g=NutrientsPer100g(**_nutrients_of(food)),
        portions=[
            PortionOut(
                seq=p.seq,
                description=p.description or f"{p.amount:g} {p.unit}",
                amount=p.amount,
                unit=p.unit,
                grams=p.grams,
            )
            for p in portions
        ],
        created_at=food.created_at if food.owner_id or food.source == "shared" else None,
        retired_at=food.retired_at,
    )


async def create_custom(session: AsyncSession, user_id: uuid.UUID, data: CustomFoodIn) -> FoodOut:
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(Food).where(col(Food.owner_id) == user_id)
    )
    if (count or 0) >= MAX_CUSTOM_FOODS:
        raise Unprocessable(f"A user can keep at most {MAX_CUSTOM_FOODS} custom foods")
    if data.gtin is not None:
        taken = await session.scalar(
            sa.select(col(Food.id)).where(
                col(Food.owner_id) == user_id, col(Food.gtin) == data.gtin
            )
        )
        if taken is not None:
            raise BarcodeTaken(f"Your food {taken} already has barcode {data.gtin}")
    values = data.model_dump(exclude={"portions", "nutrients"})
    columns = {k: values[k] for k in COLUMN_FIELDS if k in values}
    full = {**(data.nutrients or {}), **{k: v for k, v in columns.items() if v is not None}}
    food = Food(owner_id=user_id, source="custom", nutrients=full, **values)
    for k in COLUMN_FIELDS:
        if getattr(food, k) is None and k in full:
            setattr(food, k, full[k])
    portions = [
        FoodPortion(
            food_id=food.id,
            seq=i + 1,
            amount=p.amount,
            unit=p.unit,
            grams=p.grams,
            description=f"{p.amount:g} {p.unit}",
        )
        for i, p in enumerate(data.portions)
    ]
    session.add(food)
    try:
        await session.flush()  # the food row must exist before its portions reference it
        session.add_all(portions)
        await session.commit()
    except IntegrityError as exc:
        # Two requests creating the same barcode at once: the unique index decides.
        await session.rollback()
        raise BarcodeTaken(f"You already have a food with barcode {data.gtin}") from exc
    return _food_out(food, portions)


async def by_barcode(session: AsyncSession, user_id: uuid.UUID, code: str) -> FoodOut:
    """The user's own food with this barcode, else the shared (imported) one."""
    try:
        gtin = normalize_gtin(code)
    except InvalidGTIN as exc:
        raise InvalidBarcode(str(exc)) from exc
    rows = list(
        await session.scalars(
            sa.select(Food).where(
                col(Food.gtin) == gtin,
                sa.or_(col(Food.owner_id) == user_id, col(Food.owner_id).is_(None)),
                col(Food.retired_at).is_(None),
            )
        )
    )
    if not rows:
        raise FoodNotFound(f"No food with barcode {gtin}")
    food = min(rows, key=lambda f: f.owner_id is None)  # the user's own first
    return await get_food(session, user_id, food.id)


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


def snapshot(food: FoodRecord, grams: float) -> dict[str, float]:
    """The full nutrients of `grams` of the food (unknown values left out)."""
    f = grams / 100.0
    return {k: round(v * f, 4) for k in NUTRIENT_FIELDS if (v := food.nutrients.get(k)) is not None}


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


async def _read(
    session: AsyncSession, user_id: uuid.UUID, text: str, llm: LLMClient | None
) -> tuple[ParseResult, ParseOut]:
    extra = await parser_records(session, user_id)
    index = await default_index_async()
    result, path, reason = await parse_text(text, llm=llm, index=index, extra=extra)
    parsed = ParseOut(**parse_out(result, path, reason))
    # A preview shows what logging would store, so it is held to the same bounds.
    for it in parsed.items:
        _check_entry_bounds(_entry_row(it, meal="snack", date=None, now=None))
    return result, parsed


async def parse(
    session: AsyncSession, user_id: uuid.UUID, text: str, llm: LLMClient | None
) -> ParseOut:
    return (await _read(session, user_id, text, llm))[1]


def _entry_row(
    it: ParsedItemOut, *, meal: str, date: dt.date | None, now: dt.datetime | None
) -> dict[str, Any]:
    return {
        "date": date,
        "consumed_at": now,
        "meal_type": meal,
        "description": f"{it.text} ({it.food})"[:500],
        "source": "natural",
        "food_id": it.food_id,
        "grams": it.grams if it.grams > 0 else None,
        **{k: getattr(it, k) for k in _TOTAL_KEYS},
    }


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
    result, parsed = await _read(session, user_id, text, llm)
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
            **_entry_row(it, meal=meal, date=date, now=None if date is not None else now),
            # The full set, from the food's per-100 g values and the grams eaten.
            "nutrients": snapshot(item.food, item.grams) if item.grams > 0 else None,
        }
        for it, item in zip(parsed.items, result.items, strict=True)
    ]
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
