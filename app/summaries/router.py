from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.types import Scope

from app.auth import service as auth_service
from app.core.cache import cached, cached_hit, json_response, user_scope
from app.core.contract import DATE_MAX, DATE_MIN
from app.core.deps import CacheDep, CurrentUserId, SessionDep, scope_access_claims
from app.core.errors import AppError, problem_responses
from app.core.resources import Resources
from app.core.routing import FastPathRoute, fast_path
from app.core.timeutil import local_today, week_start
from app.events import insights as insights_service
from app.events.schemas import WeeklyFacts
from app.summaries import service
from app.summaries.schemas import DailySummary, WeeklySummary

router = APIRouter(prefix="/api/v1/summaries", tags=["summaries"], route_class=FastPathRoute)


_ISO_DATE = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _query_date(query_string: bytes) -> dt.date | bool | None:
    """`date` of a query string that is empty or exactly `date=YYYY-MM-DD` within the API's
    range; False for anything else (left to the route's own validation)."""
    if not query_string:
        return None
    if len(query_string) != 15 or not query_string.startswith(b"date="):
        return False
    if not _ISO_DATE.fullmatch(query_string, 5):
        return False
    try:
        day = dt.date.fromisoformat(query_string[5:].decode("ascii"))
    except ValueError:
        return False
    return day if DATE_MIN <= day <= DATE_MAX else False


async def _cached_daily(scope: Scope) -> bytes | None:
    """GET /daily when its answer is cached: the same bytes `daily_summary` sends on a hit,
    without FastAPI's request handling around them (a cached summary was the API's most
    frequent read). None for anything else, which the route then answers itself."""
    date = _query_date(scope["query_string"])
    if date is False:
        return None
    claims = await scope_access_claims(scope)
    if claims is None:
        return None
    res: Resources = scope["app"].state.resources
    try:
        sfx, tz = await auth_service.engine_cache_state(res.engine, res.cache, claims.sub)
    except AppError:
        return None
    if date is None:
        if tz is None:
            return None
        date = local_today(tz)
    text = await cached_hit(
        res.cache, user_scope(claims.sub), f"sum:d:{date}{sfx}", versioned=bool(sfx)
    )
    return None if text is None else text.encode()


@fast_path(_cached_daily)
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

    text = await cached(
        cache, user_scope(user_id), f"sum:d:{day}{sfx}", compute, versioned=bool(sfx)
    )
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

    text = await cached(
        cache, user_scope(user_id), f"sum:w:{first}{sfx}", compute, versioned=bool(sfx)
    )
    return json_response(text or "")
