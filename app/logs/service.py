"""Food log entries: one transaction per write, cache invalidated after commit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from app.auth.models import User
from app.core.cache import Cache, profile_scope, user_scope
from app.core.db import raw_statements
from app.core.errors import AppError, Conflict, NotFound, Unauthorized, Unprocessable
from app.core.paging import fetch_page, owned_in_range
from app.core.timeutil import local_date, resolve_local_day
from app.core.types import utcnow
from app.events import outbox
from app.inventory import pantry
from app.logs import pgwrite
from app.logs.models import LogEntry
from app.logs.schemas import NUTRIENT_KEYS, check_macros_fit


class LogNotFound(NotFound):
    code, title = "log-not-found", "Log entry not found"


class InvalidLogDate(Unprocessable):
    code, title = "invalid-log-date", "Invalid log date"


class PlanSlotAlreadyLogged(Conflict):
    code, title = "plan-slot-already-logged", "Plan slot already logged"


def _integrity_error(exc: IntegrityError | asyncpg.IntegrityConstraintViolationError) -> AppError:
    """What a constraint failure on log_entries means to the client. A valid body can break two:
    the user's foreign key (the account was deleted meanwhile) and the one-entry-per-plan-slot
    index (a plan slot logged twice at once). Drivers name them differently; both say unique."""
    if "unique" in str(getattr(exc, "orig", exc)).lower():
        return PlanSlotAlreadyLogged(
            "That plan slot is already logged for that day; delete its entry to log it again"
        )
    return Unauthorized("Account no longer exists")


def resolve_date(
    tz: str, date: dt.date | None, consumed_at: dt.datetime | None
) -> tuple[dt.date, dt.datetime | None]:
    return resolve_local_day(
        tz, date, consumed_at, instant_name="consumed_at", error=InvalidLogDate
    )


_EVENT_FIELDS = ("meal_type", "description", "source", "grams", "kcal", "protein_g", "carbs_g")


def _logged_event(row: dict[str, Any]) -> dict[str, Any]:
    payload = {"entry_id": row["id"], "date": row["date"], "food_id": row.get("food_id")}
    payload.update({k: row.get(k) for k in (*_EVENT_FIELDS, "fat_g")})
    return outbox.event_row(
        outbox.FOOD_LOGGED, row["user_id"], payload, occurred_at=row["created_at"]
    )


def _entry_event(type_: str, entry: LogEntry, **extra: Any) -> dict[str, Any]:
    payload = {"entry_id": entry.id, "date": entry.date, **extra}
    payload.update({k: getattr(entry, k) for k in (*_EVENT_FIELDS, "fat_g")})
    return outbox.event_row(type_, entry.user_id, payload)


def _new_rows(
    user_id: uuid.UUID, tz: str, entries: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    now = utcnow()
    rows = []
    for data in entries:
        row: dict[str, Any] = dict.fromkeys(_NULLABLE)
        row.update(data)
        row["date"], row["consumed_at"] = resolve_date(
            tz, data.get("date"), data.get("consumed_at")
        )
        row.update(id=uuid.uuid4(), user_id=user_id, created_at=now, updated_at=now)
        row.setdefault("source", "manual")
        rows.append(row)
    return rows


async def create_entries(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    tz: str,
    entries: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Adds all entries or none, committing the session; answers the stored rows as dicts.

    A Core INSERT rather than ORM objects: building SQLModel instances and flushing them through
    the unit of work cost more CPU than the rest of the request on this hot path.
    An entry may carry `_uses` (a list of `pantry.Use`: the ingredients of a logged recipe);
    otherwise an entry with a food and grams uses that food. Matching inventory is taken in
    the same transaction.
    """
    uses = [list(e.get("_uses") or ()) for e in entries]
    rows = _new_rows(user_id, tz, [{k: v for k, v in e.items() if k != "_uses"} for e in entries])
    version = await pantry.stock_version(cache, user_id)
    check = await pantry.may_have_stock(cache, user_id)
    took = False
    try:
        await session.execute(sa.insert(LogEntry), rows)
        await outbox.add(session, [_logged_event(r) for r in rows])
        if check:
            for row, used in zip(rows, uses, strict=True):
                if not used and row.get("food_id") and row.get("grams"):
                    used = [pantry.Use(row["food_id"], float(row["grams"]))]
                if await pantry.deplete(session, user_id, used, row["id"]):
                    took = True
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise _integrity_error(exc) from exc
    await cache.invalidate(user_scope(user_id))
    outbox.nudge()
    if took:
        await pantry.stock_changed(cache, user_id)
    elif check:
        await pantry.remember_stock(cache, session, user_id, version)
        await session.rollback()
    return rows


_COLUMNS = [c.key for c in sa.inspect(LogEntry).columns]
# Explicit bind parameters (not values taken from the execute() call): the statement may run as
# a CTE of the outbox insert, where only explicit parameters are compiled in.
_INSERT_ONE = sa.insert(LogEntry).values(
    {c.key: sa.bindparam(c.key, type_=c.type) for c in sa.inspect(LogEntry).columns}
)
# INSERT ... SELECT <row> WHERE the user's zone is still the one the row's date was computed
# in: with Redis, the zone comes from a cache that may have missed a change (an outage), and
# checking it in the same statement keeps the write at one round trip.
_INSERT_ONE_IF_ZONE = sa.insert(LogEntry).from_select(
    _COLUMNS,
    sa.select(*[sa.bindparam(c.key, type_=c.type) for c in sa.inspect(LogEntry).columns]).where(
        sa.exists().where(
            col(User.id) == sa.bindparam("zone_user_id", type_=sa.Uuid),
            col(User.timezone) == sa.bindparam("zone", type_=sa.String),
        )
    ),
)


async def _current_timezone(engine: AsyncEngine, user_id: uuid.UUID) -> str:
    async with engine.connect() as conn:
        tz = await conn.scalar(sa.select(col(User.timezone)).where(col(User.id) == user_id))
    if tz is None:
        raise Unauthorized("Account no longer exists")
    return str(tz)


async def create_entry(
    engine: AsyncEngine, cache: Cache, user_id: uuid.UUID, tz: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Adds one entry and its FoodLogged event atomically; answers the stored row as a dict.

    The hot path of the API: on PostgreSQL one round trip (the entry is a data-modifying CTE of
    its event's outbox insert, see `outbox.execute_with_events`) and no session. The cache is
    invalidated after the row is durable and before the caller answers, so a read that follows
    the response sees the entry. With Redis, `tz` may come from a cache that missed a zone
    change: the INSERT only happens if it is still the user's zone, and otherwise the entry is
    dated again with the zone read from the database.
    """
    if engine.dialect.name == "postgresql":
        return await _create_entry_pg(engine, cache, user_id, tz, data)
    return await _create_entry_core(engine, cache, user_id, tz, data)


async def _create_entry_core(
    engine: AsyncEngine, cache: Cache, user_id: uuid.UUID, tz: str, data: dict[str, Any]
) -> dict[str, Any]:
    """`create_entry` through SQLAlchemy Core: on SQLite, and the reference for `pgwrite`."""
    (row,) = _new_rows(user_id, tz, [data])
    try:
        params = {c: row.get(c) for c in _COLUMNS}
        if cache.reliable_invalidation:
            await outbox.execute_with_events(engine, _INSERT_ONE, params, [_logged_event(row)])
        else:
            params.update(zone_user_id=user_id, zone=tz)
            done = await outbox.execute_with_events(
                engine, _INSERT_ONE_IF_ZONE, params, [_logged_event(row)]
            )
            if not done:
                fresh = await _current_timezone(engine, user_id)
                await cache.invalidate(profile_scope(user_id))
                (row,) = _new_rows(user_id, fresh, [data])
                await outbox.execute_with_events(
                    engine,
                    _INSERT_ONE,
                    {c: row.get(c) for c in _COLUMNS},
                    [_logged_event(row)],
                )
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc
    await cache.invalidate(user_scope(user_id))
    outbox.nudge()
    return row


async def _create_entry_pg(
    engine: AsyncEngine, cache: Cache, user_id: uuid.UUID, tz: str, data: dict[str, Any]
) -> dict[str, Any]:
    """`create_entry` on PostgreSQL: the same statements and answers, through `pgwrite`."""
    (row,) = _new_rows(user_id, tz, [data])
    zone = None if cache.reliable_invalidation else (user_id, tz)
    try:
        # One autocommit statement, shared with the writes of concurrent requests; answered
        # once it returned, so the row is committed.
        done = await pgwrite.insert_shared(engine, row, _logged_event(row), zone)
        if not done:
            # Single autocommit statements on a raw asyncpg connection: no transaction.
            async with raw_statements(engine) as driver:
                fresh = await driver.fetchval(
                    "SELECT timezone FROM users WHERE id = $1::uuid", user_id
                )
                if fresh is None:
                    raise Unauthorized("Account no longer exists")
                await cache.invalidate(profile_scope(user_id))
                (row,) = _new_rows(user_id, str(fresh), [data])
                await pgwrite.insert(driver, row, _logged_event(row))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise _integrity_error(exc) from exc
    if cache.reliable_invalidation:
        await cache.invalidate(user_scope(user_id))
    # With Redis, no invalidation: every entry under user_scope is keyed by the user's
    # cache_version, which the insert's statement trigger (migration 0017) bumped in the same
    # statement, so no reader can find an entry older than this row. Skipping it took a Redis
    # script off the hottest write (about 20 us of Redis and 30 us of API time per write).
    outbox.nudge()
    return row


async def meal_types_logged(
    session: AsyncSession, user_id: uuid.UUID, day: dt.date, source: str
) -> set[str]:
    """The meal types that already have an entry from `source` on the user's local `day`."""
    rows = await session.scalars(
        sa.select(col(LogEntry.meal_type))
        .where(
            col(LogEntry.user_id) == user_id,
            col(LogEntry.date) == day,
            col(LogEntry.source) == source,
        )
        .distinct()
    )
    return set(rows)


_NULLABLE = (
    "grams",
    "fiber_g",
    "sugars_g",
    "sat_fat_g",
    "sodium_mg",
    "food_id",
    "consumed_at",
    "nutrients",
)


async def get_entry(session: AsyncSession, user_id: uuid.UUID, entry_id: uuid.UUID) -> LogEntry:
    entry = await session.get(LogEntry, entry_id)
    # Someone else's entry is indistinguishable from a missing one.
    if entry is None or entry.user_id != user_id:
        raise LogNotFound(f"No log entry {entry_id}")
    return entry


async def update_entry(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    tz: str,
    entry_id: uuid.UUID,
    changes: dict[str, Any],
) -> LogEntry:
    entry = await get_entry(session, user_id, entry_id)
    previous_date = entry.date
    old_grams = entry.grams
    pantry_changed = False
    if "grams" in changes or "food_id" in changes:
        pantry_changed = await _retake(session, cache, entry, changes, old_grams)
    if changes.get("consumed_at") is not None:
        entry.date, entry.consumed_at = resolve_date(
            tz, changes.get("date"), changes["consumed_at"]
        )
    elif "date" in changes:
        # A moved entry keeps its time only if that time still falls on the new day.
        keep = entry.consumed_at
        if "consumed_at" in changes or keep is None or local_date(keep, tz) != changes["date"]:
            keep = None
        entry.date, _ = resolve_date(tz, changes["date"], None)
        entry.consumed_at = keep
    elif "consumed_at" in changes:
        entry.consumed_at = None
    if changes.get("grams") and old_grams and not changes.keys() & set(NUTRIENT_KEYS):
        # The nutrients are those of the entry's grams: a new amount with no new figures is
        # the same food in another portion, so every amount scales with it.
        _rescale(entry, float(changes["grams"]) / float(old_grams))
    for key, value in changes.items():
        if key not in ("date", "consumed_at"):
            setattr(entry, key, value)
    if entry.nutrients is not None and changes.keys() & set(NUTRIENT_KEYS):
        # What the user typed wins over the snapshot computed from the food.
        entry.nutrients = {
            **entry.nutrients,
            **{k: changes[k] for k in NUTRIENT_KEYS if k in changes},
        }
        entry.nutrients = {k: v for k, v in entry.nutrients.items() if v is not None}
    try:
        check_macros_fit(entry.grams, entry.protein_g, entry.carbs_g, entry.fat_g)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc
    entry.updated_at = utcnow()
    session.add(entry)
    event = _entry_event(outbox.FOOD_LOG_UPDATED, entry, previous_date=previous_date)
    try:
        await session.flush()
        await outbox.add(session, [event])
        await session.commit()
    except IntegrityError as exc:
        # Moving a logged plan slot onto a day or meal where that slot is already logged.
        await session.rollback()
        raise _integrity_error(exc) from exc
    await cache.invalidate(user_scope(user_id))
    outbox.nudge()
    if pantry_changed:
        await pantry.stock_changed(cache, user_id)
    return entry


def _rescale(entry: LogEntry, factor: float) -> None:
    for key in NUTRIENT_KEYS:
        value = getattr(entry, key)
        if value is not None:
            setattr(entry, key, round(value * factor, 4))
    if entry.nutrients is not None:
        entry.nutrients = {
            k: round(v * factor, 4) if isinstance(v, int | float) else v
            for k, v in entry.nutrients.items()
        }


async def _retake(
    session: AsyncSession,
    cache: Cache,
    entry: LogEntry,
    changes: dict[str, Any],
    old_grams: float | None,
) -> bool:
    """An edited amount or food: give back what the entry took and take it again for the new
    values (a logged recipe takes from the same items, scaled by the new grams). Runs in the
    edit's transaction; answers whether the inventory changed."""
    taken = await pantry.give_back(session, entry.user_id, entry.id, "log-edited")
    new_grams = changes.get("grams", entry.grams)
    food_id = changes.get("food_id", entry.food_id)
    if entry.source == "plan":
        if taken and old_grams and new_grams:
            scale = float(new_grams) / float(old_grams)
            amounts = {iid: g * scale for iid, g in taken.items()}
            await pantry.take_from_items(session, entry.user_id, amounts, entry.id, "log-edited")
        return bool(taken)
    if food_id and new_grams and (taken or await pantry.may_have_stock(cache, entry.user_id)):
        use = pantry.Use(food_id, float(new_grams))
        return bool(await pantry.deplete(session, entry.user_id, [use], entry.id, "log-edited"))
    return bool(taken)


async def delete_entry(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, entry_id: uuid.UUID
) -> None:
    """Deletes the entry and gives back what it took from the inventory, in one transaction."""
    entry = await get_entry(session, user_id, entry_id)
    await outbox.add(session, [_entry_event(outbox.FOOD_LOG_DELETED, entry)])
    gave = await pantry.give_back(session, user_id, entry.id, "log-deleted")
    await session.delete(entry)
    await session.commit()
    await cache.invalidate(user_scope(user_id))
    outbox.nudge()
    if gave:
        await pantry.stock_changed(cache, user_id)


async def list_entries(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    start: dt.date | None,
    end: dt.date | None,
    meal_type: str | None,
    limit: int,
    offset: int,
) -> tuple[list[LogEntry], int]:
    conds = owned_in_range(LogEntry, user_id, start, end)
    if meal_type is not None:
        conds.append(col(LogEntry.meal_type) == meal_type)
    order = [
        col(LogEntry.date).desc(),
        sa.func.coalesce(LogEntry.consumed_at, LogEntry.created_at).desc(),
        col(LogEntry.created_at).desc(),
        col(LogEntry.id).desc(),
    ]
    return await fetch_page(session, LogEntry, conds, order, limit, offset)
