from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.auth import service as auth_service
from app.core.cache import cached, json_response, user_scope
from app.core.deps import CacheDep, CurrentUserId, SessionDep
from app.core.errors import problem_responses
from app.core.timeutil import local_today, week_start
from app.events import insights as insights_service
from app.events.schemas import WeeklyFacts
from app.summaries import service
from app.summaries.schemas import DailySummary, WeeklySummary

router = APIRouter(prefix="/api/v1/summaries", tags=["summaries"])


@router.get(
    "/daily",
    response_model=DailySummary,
    operation_id="summaries_daily",
    responses=problem_responses(401, 422),
)
async def daily_summary(
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    date: Annotated[dt.date | None, Query(description="Local date; default today")] = None,
) -> Response:
    """Totals for a day, per meal, and against the goal in force that day (±10% is on target)."""
    sfx, tz = await auth_service.cache_state(session, cache, user_id)
    if date is None:
        date = local_today(tz or await auth_service.get_timezone(session, cache, user_id))
    day = date

    async def compute() -> str:
        return (await service.daily(session, user_id, day)).model_dump_json()

    text = await cached(cache, user_scope(user_id), f"sum:d:{day}{sfx}", compute)
    return json_response(text or "")


@router.get(
    "/weekly",
    response_model=WeeklySummary,
    operation_id="summaries_weekly",
    responses=problem_responses(401, 422),
)
async def weekly_summary(
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    start: Annotated[
        dt.date | None,
        Query(
            description="First of the seven days; default Monday of this week (your zone)",
            le=dt.date.max - dt.timedelta(days=6),
        ),
    ] = None,
) -> Response:
    """Seven days from `start`: per-day totals and goal comparison, week totals, averages over
    logged days, best/worst day by closeness to the calorie goal, adherence, and the week's
    insights (see `GET /api/v1/insights`)."""
    sfx, tz = await auth_service.cache_state(session, cache, user_id)
    if start is None:
        tz = tz or await auth_service.get_timezone(session, cache, user_id)
        start = week_start(local_today(tz))
    first = start

    async def compute() -> str:
        week = await service.weekly(session, user_id, first)
        stored = await insights_service.stored_week(session, user_id, first)
        facts = (
            stored.facts
            if stored is not None
            else await insights_service.compute_facts(session, user_id, first, week=week)
        )
        week.insights = WeeklyFacts.model_validate(facts)
        return week.model_dump_json()

    text = await cached(cache, user_scope(user_id), f"sum:w:{first}{sfx}", compute)
    return json_response(text or "")
