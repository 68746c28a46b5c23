from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.auth import service as auth_service
from app.core.deps import CacheDep, CurrentUserId, LogWriteLimit, SessionDep
from app.core.errors import problem_responses
from app.foods import service
from app.foods.schemas import (
    CustomFoodIn,
    FoodOut,
    FoodSearchPage,
    NaturalLogIn,
    NaturalLogOut,
    ParseIn,
    ParseOut,
)
from app.foods.service import SearchSource
from app.llm.client import LLMDep
from app.logs.schemas import LogOut

router = APIRouter(prefix="/api/v1/foods", tags=["foods"])
# Natural-language logging lives under /logs for clients, but depends on the food domain.
nl_router = APIRouter(prefix="/api/v1/logs", tags=["logs"])


@router.get(
    "",
    response_model=FoodSearchPage,
    operation_id="foods_search",
    responses=problem_responses(401, 422),
)
async def search_foods(
    user_id: CurrentUserId,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="What to look for")],
    source: Annotated[
        SearchSource | None,
        Query(
            description="Only foods from fndds, sr28, custom (yours), off (imported) or "
            "shared (added by the operators)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> FoodSearchPage:
    """Ranked search over USDA FNDDS foods as eaten, USDA SR28 ingredients, imported products,
    the operators' shared foods and your custom foods. Tolerates typos ("chiken brest"),
    plurals and common names ("coke"); plain, whole foods come before processed ones for a
    bare name."""
    items, total = await service.search(session, user_id, q, limit, offset, source)
    return FoodSearchPage(
        query=q,
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


@router.get(
    "/barcode/{code}",
    response_model=FoodOut,
    operation_id="foods_by_barcode",
    responses=problem_responses(401, 404, 422),
)
async def food_by_barcode(
    code: Annotated[str, Path(min_length=1, max_length=40)],
    user_id: CurrentUserId,
    session: SessionDep,
) -> FoodOut:
    """The food with this barcode (UPC-A, EAN-8, EAN-13 or GTIN-14): your own custom food if you
    have one, else a shared one imported from Open Food Facts."""
    return await service.by_barcode(session, user_id, code)


@router.get(
    "/{food_id}",
    response_model=FoodOut,
    operation_id="foods_get",
    responses=problem_responses(401, 404, 422),
)
async def get_food(food_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep) -> FoodOut:
    """A food with all its nutrients per 100 g and its portions ("1 medium slice" = 28 g)."""
    return await service.get_food(session, user_id, food_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=FoodOut,
    operation_id="foods_create_custom",
    responses=problem_responses(401, 422),
)
async def create_custom_food(
    body: CustomFoodIn, user_id: CurrentUserId, session: SessionDep
) -> FoodOut:
    """Add a private food. Only you see it, in search and when parsing your text."""
    return await service.create_custom(session, user_id, body)


@router.delete(
    "/{food_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="foods_delete_custom",
    responses=problem_responses(401, 404, 409),
)
async def delete_custom_food(
    food_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> None:
    """Delete one of your custom foods. Log entries keep their nutrient snapshot. A food still
    in your inventory is refused with 409: delete those inventory items first."""
    await service.delete_custom(session, user_id, food_id)


@nl_router.post(
    "/parse",
    response_model=ParseOut,
    operation_id="logs_parse",
    responses=problem_responses(401, 422),
)
async def parse_text(
    body: ParseIn, llm: LLMDep, user_id: CurrentUserId, session: SessionDep
) -> ParseOut:
    """Preview: read a meal description ("2 eggs n toast") into foods, grams and nutrients from
    USDA data. Nothing is saved."""
    return await service.parse(session, user_id, body.text, llm)


@nl_router.post(
    "/natural",
    status_code=status.HTTP_201_CREATED,
    response_model=NaturalLogOut,
    operation_id="logs_create_natural",
    dependencies=[LogWriteLimit],
    responses=problem_responses(401, 422, 429),
)
async def log_natural(
    body: NaturalLogIn,
    llm: LLMDep,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
) -> NaturalLogOut:
    """Parse a meal description and save one log entry per recognised item, all or nothing.
    Text with nothing recognisable answers 422."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    parsed, entries = await service.log_natural(
        session, cache, user_id, tz, body.text, body.meal_type, body.date, llm
    )
    return NaturalLogOut(**parsed.model_dump(), entries=[LogOut.model_validate(e) for e in entries])
