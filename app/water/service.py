"""Water entries and the daily goal."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cache import Cache, user_scope
from app.core.errors import NotFound, Unauthorized, Unprocessable
from app.core.timeutil import local_today
from app.users.models import UserProfile
from app.water.models import WaterEntry

# EFSA's adequate intakes of total water (2.0 l women, 2.5 l men, about 20% of it from food)
# and the usual clinical rule of 30-35 ml per kg agree for typical weights; 35 ml/kg is the
# rule the issue asks for, 2000 ml the fallback before a weight is known.
ML_PER_KG = 35
DEFAULT_GOAL_ML = 2000
MAX_ML_PER_DAY = 20_000


class WaterNotFound(NotFound):
    code, title = "water-not-found", "Water entry not found"


class TooMuchWater(Unprocessable):
    code, title = "too-much-water", "Implausible water intake"


async def daily_total(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(col(WaterEntry.ml)), 0)).where(
            col(WaterEntry.user_id) == user_id, col(WaterEntry.date) == day
        )
    )
    return int(total or 0)


async def add(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    tz: str,
    ml: int,
    day: dt.date | None,
) -> WaterEntry:
    today = local_today(tz)
    day = day or today
    if day > today + dt.timedelta(days=1):
        raise Unprocessable(f"date {day} is in the future")
    if await daily_total(session, user_id, day) + ml > MAX_ML_PER_DAY:
        raise TooMuchWater(f"more than {MAX_ML_PER_DAY} ml on {day} is not plausible")
    entry = WaterEntry(user_id=user_id, date=day, ml=ml)
    session.add(entry)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Unauthorized("Account no longer exists") from exc
    await cache.invalidate(user_scope(user_id))
    return entry


async def entries_on(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> list[WaterEntry]:
    rows = await session.scalars(
        sa.select(WaterEntry)
        .where(col(WaterEntry.user_id) == user_id, col(WaterEntry.date) == day)
        .order_by(col(WaterEntry.created_at), col(WaterEntry.id))
        .limit(500)
    )
    return list(rows)


async def goal(session: AsyncSession, user_id: uuid.UUID) -> tuple[int, str]:
    profile = await session.get(UserProfile, user_id)
    if profile is not None and getattr(profile, "water_goal_ml", None):
        return int(profile.water_goal_ml or 0), "profile"
    if profile is not None and profile.weight_kg:
        return int(round(profile.weight_kg * ML_PER_KG, -1)), "weight"
    return DEFAULT_GOAL_ML, "default"


async def delete(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, entry_id: uuid.UUID
) -> None:
    entry = await session.get(WaterEntry, entry_id)
    if entry is None or entry.user_id != user_id:
        raise WaterNotFound(f"No water entry {entry_id}")
    await session.delete(entry)
    await session.commit()
    await cache.invalidate(user_scope(user_id))
