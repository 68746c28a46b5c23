from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.auth import service as auth_service
from app.core.cache import cached, json_response, user_scope
from app.core.contract import Offset
from app.core.deps import CacheDep, CurrentUserId, SessionDep
from app.core.errors import problem_responses
from app.core.timeutil import local_today
from app.goals import service
from app.goals.schemas import GoalHistory, GoalIn, GoalOut

router = APIRouter(prefix="/api/v1/goals", tags=["goals"])


@router.put(
    "",
    response_model=GoalOut,
    operation_id="goals_set",
    responses=problem_responses(401, 422),
)
async def set_goal(
    body: GoalIn, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> GoalOut:
    """Set daily targets from `effective_from` (default: today in your time zone). Days before
    it keep the goal that was in force then; setting the same date again replaces that goal."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    goal = await service.set_goal(
        session,
        cache,
        user_id,
        effective_from=body.effective_from or local_today(tz),
        kcal=body.kcal,
        protein_g=body.protein_g,
        carbs_g=body.carbs_g,
        fat_g=body.fat_g,
    )
    return GoalOut.model_validate(goal)


@router.get(
    "",
    response_model=GoalOut,
    operation_id="goals_current",
    responses=problem_responses(401, 404),
)
async def current_goal(user_id: CurrentUserId, session: SessionDep, cache: CacheDep) -> Response:
    """The goal in force today."""
    sfx, tz = await auth_service.cache_state(session, cache, user_id)
    today = local_today(tz or await auth_service.get_timezone(session, cache, user_id))

    async def load() -> str | None:
        goal = await service.goal_on(session, user_id, today)
        return GoalOut.model_validate(goal).model_dump_json() if goal else None

    data = await cached(cache, user_scope(user_id), f"goal:{today}{sfx}", load)
    if data is None:
        raise service.GoalNotSet("No goal is in force today; set one with PUT /api/v1/goals")
    return json_response(data)


@router.get(
    "/history",
    response_model=GoalHistory,
    operation_id="goals_history",
    responses=problem_responses(401),
)
async def goal_history(
    user_id: CurrentUserId,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> GoalHistory:
    """Every goal, newest effective date first."""
    items, total = await service.history(session, user_id, limit, offset)
    return GoalHistory(
        items=[GoalOut.model_validate(g) for g in items], total=total, limit=limit, offset=offset
    )
