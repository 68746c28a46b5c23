from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from starlette.types import Scope

from app.auth import service as auth_service
from app.core.cache import Cache, cached, json_response, user_scope
from app.core.deps import (
    CacheDep,
    CurrentUserId,
    LogWriteLimit,
    LogWriteTimezone,
    ResourcesDep,
    SessionDep,
    scope_access_claims,
    spend_log_write,
)
from app.core.errors import Unprocessable, problem_responses
from app.core.resources import Resources
from app.core.routing import FastAnswer, FastPathRoute, fast_write
from app.foods import swaps
from app.inventory import pantry
from app.inventory import service as inventory_service
from app.logs import service
from app.logs.schemas import (
    LogCreate,
    LogOut,
    LogPage,
    LogPatch,
    MealType,
    SwapFood,
    SwapOut,
    SwapsOut,
)

router = APIRouter(prefix="/api/v1/logs", tags=["logs"], route_class=FastPathRoute)
_errors = problem_responses(401, 404, 422, 429)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


async def _fast_create_log(scope: Scope, body: LogCreate) -> FastAnswer | None:
    """POST /logs for an entry with typed nutrients (no `food_id`), the usual write: what
    `create_log` and its dependencies do (token, log-write budget with the zone peek, the
    entry, its event and the cache invalidation), without FastAPI's request handling
    (core/routing.fast_write). Anything else is left to the route."""
    if body.food_id is not None:
        return None
    claims = await scope_access_claims(scope)
    if claims is None:
        return None
    res: Resources = scope["app"].state.resources
    user_id = claims.sub
    result, cached_tz = await spend_log_write(res, user_id)
    tz = cached_tz or await _timezone(res, res.cache, user_id)
    entry = await service.create_entry(res.engine, res.cache, user_id, tz, body.model_dump())
    headers = tuple(result.headers().items()) if result is not None else ()
    out = LogOut.model_validate(entry)
    # Serialised here as the route would (its response_model LogOut, by alias): the route's
    # own pass validated the model a second time first. test_fast_write compares the bytes.
    return FastAnswer(out, headers, body=LogOut.__pydantic_serializer__.to_json(out, by_alias=True))


@fast_write(_fast_create_log)
@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LogOut,
    operation_id="logs_create",
    responses=_errors,
)
async def create_log(
    body: LogCreate,
    user_id: CurrentUserId,
    cached_tz: LogWriteTimezone,
    res: ResourcesDep,
    cache: CacheDep,
) -> LogOut:
    """Log a food with its nutrients. Give `date` (local day), `consumed_at` (an instant), both
    (they must agree in your time zone) or neither (now). With `food_id` and `grams`, the
    matching food in your inventory (same ingredient, any preparation) is used up by that
    much; editing or deleting the entry gives it back. A food withdrawn from the shared
    catalogue answers 422 `food-retired` (entries logged before keep their snapshot)."""
    tz = cached_tz or await _timezone(res, cache, user_id)
    data = body.model_dump()
    if data["food_id"] is not None:
        async with res.sessionmaker() as session:
            # Another user's custom food is unknown here (422), like a food that does not exist.
            await inventory_service.visible_food(session, user_id, data["food_id"])
            if data["grams"] and await pantry.may_have_stock(cache, user_id):
                # The food may be in the inventory: log and take it in one transaction.
                (entry,) = await service.create_entries(session, cache, user_id, tz, [data])
                return LogOut.model_validate(entry)
    entry = await service.create_entry(res.engine, cache, user_id, tz, data)
    return LogOut.model_validate(entry)


async def _timezone(res: Resources, cache: Cache, user_id: uuid.UUID) -> str:
    # A session only when the zone was not cached: the usual write needs none. The hint is
    # cached for the next write's limiter peek; create_entry checks it as it inserts.
    async with res.sessionmaker() as session:
        return await auth_service.timezone_hint(session, cache, user_id)


@router.get("", response_model=LogPage, operation_id="logs_list", responses=_errors)
async def list_logs(
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    start: Annotated[dt.date | None, Query(description="First local date, inclusive")] = None,
    end: Annotated[dt.date | None, Query(description="Last local date, inclusive")] = None,
    meal_type: MealType | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Entries newest first, paginated, filtered by local date range and meal type."""
    if start and end and start > end:
        raise Unprocessable(f"start ({start}) is after end ({end})")

    async def compute() -> str:
        items, total = await service.list_entries(
            session, user_id, start=start, end=end, meal_type=meal_type, limit=limit, offset=offset
        )
        nxt = offset + limit if offset + limit < total else None
        page = LogPage(
            items=[LogOut.model_validate(i) for i in items],
            total=total,
            limit=limit,
            offset=offset,
            next_offset=nxt,
        )
        return page.model_dump_json()

    if start is None and end is None and meal_type is None and offset == 0:
        # The first unfiltered page is what apps show on open: worth caching.
        sfx, _ = await auth_service.cache_state(session, cache, user_id)
        text = await cached(cache, user_scope(user_id), f"logs:first:{limit}{sfx}", compute)
        return json_response(text or "")
    return json_response(await compute())


@router.get("/{entry_id}", response_model=LogOut, operation_id="logs_get", responses=_errors)
async def get_log(entry_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep) -> LogOut:
    return LogOut.model_validate(await service.get_entry(session, user_id, entry_id))


@router.patch(
    "/{entry_id}",
    response_model=LogOut,
    operation_id="logs_update",
    responses=problem_responses(401, 404, 409, 422, 429),
)
async def update_log(
    entry_id: uuid.UUID,
    body: LogPatch,
    user_id: CurrentUserId,
    cached_tz: LogWriteTimezone,
    session: SessionDep,
    cache: CacheDep,
) -> LogOut:
    """Change some fields of an entry; only the fields sent change. Sending `grams` with no
    nutrient figures scales every nutrient (and the full snapshot) to the new amount."""
    changes = body.model_dump(exclude_unset=True)
    # With Redis the peeked zone may predate a change whose invalidation Redis missed.
    if cached_tz is None or not cache.reliable_invalidation:
        cached_tz = await auth_service.get_timezone(session, cache, user_id)
    tz = cached_tz
    entry = await service.update_entry(session, cache, user_id, tz, entry_id, changes)
    return LogOut.model_validate(entry)


@router.delete(
    "/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="logs_delete",
    dependencies=[LogWriteLimit],
    responses=_errors,
)
async def delete_log(
    entry_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> None:
    await service.delete_entry(session, cache, user_id, entry_id)


@router.get(
    "/{entry_id}/swaps",
    response_model=SwapsOut,
    operation_id="logs_swaps",
    responses=problem_responses(401, 404, 422),
)
async def log_swaps(entry_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep) -> SwapsOut:
    """Up to five healthier foods of the same USDA category for the same portion: less energy
    density, saturated fat, sodium or sugars, or more protein or fiber, without being markedly
    worse on any; closest nutrient profile first. Your diet, allergies and exclusions apply.
    422 for entries with typed nutrients (no food to compare)."""
    original, grams, found = await swaps.swaps_for_entry(session, user_id, entry_id)

    def food(f: Any) -> SwapFood:
        return SwapFood(id=f.id, name=f.name, source=f.source, category=f.food_group)

    return SwapsOut(
        entry_id=entry_id,
        food=food(original),
        grams=grams,
        method="same category; benefit = signed DV-weighted differences (>= 2% of DVs, none "
        "worse by over 5% of its DV); ranked by nutrient-profile distance",
        swaps=[
            SwapOut(
                food=food(s.food),
                grams=s.grams,
                kcal=round(float(s.food.kcal or 0) * s.grams / 100, 1),
                differences=s.differences,
                improves=s.improves,
                benefit_pct_dv=round(s.benefit * 100, 1),
                distance=round(s.distance, 4),
            )
            for s in found
        ],
    )
