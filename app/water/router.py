from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth import service as auth_service
from app.core.deps import CacheDep, CurrentUserId, LogWriteLimit, SessionDep
from app.core.errors import problem_responses
from app.core.timeutil import local_today
from app.water import service
from app.water.schemas import WaterDay, WaterIn, WaterOut

router = APIRouter(prefix="/api/v1/water", tags=["water"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WaterOut,
    operation_id="water_create",
    dependencies=[LogWriteLimit],
    responses=problem_responses(401, 422, 429),
)
async def add_water(
    body: WaterIn, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> WaterOut:
    """Record water drunk (1-5000 ml per entry, at most 20 l a day)."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    entry = await service.add(session, cache, user_id, tz, body.ml, body.date)
    return WaterOut.model_validate(entry)


@router.get(
    "",
    response_model=WaterDay,
    operation_id="water_day",
    responses=problem_responses(401, 422),
)
async def water_day(
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    date: Annotated[dt.date | None, Query(description="Local date; default today")] = None,
) -> WaterDay:
    """A day's water entries and total against your goal."""
    day = date or local_today(await auth_service.get_timezone(session, cache, user_id))
    entries = await service.entries_on(session, user_id, day)
    total = sum(e.ml for e in entries)
    goal_ml, basis = await service.goal(session, user_id)
    return WaterDay(
        date=day,
        total_ml=total,
        goal_ml=goal_ml,
        goal_basis=basis,
        percent=round(total / goal_ml * 100, 1) if goal_ml else 0.0,
        entries=[WaterOut.model_validate(e) for e in entries],
    )


@router.delete(
    "/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="water_delete",
    dependencies=[LogWriteLimit],
    responses=problem_responses(401, 404, 429),
)
async def delete_water(
    entry_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> None:
    await service.delete(session, cache, user_id, entry_id)
