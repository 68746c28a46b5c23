from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth import service as auth_service
from app.core.cache import Cache, cached, json_response, user_scope
from app.core.deps import CacheDep, CurrentUserId, LogWriteLimit, SessionDep
from app.core.errors import problem_responses
from app.core.timeutil import local_today
from app.llm.client import LLMDep
from app.logs.schemas import LogOut, MealType
from app.plans import feedback, service
from app.plans.schemas import (
    ChooseIn,
    CustomRecipeIn,
    CustomRecipePatch,
    FeedbackIn,
    FeedbackOut,
    GenerateIn,
    GenerateOut,
    LogPlanIn,
    LogPlanOut,
    PlanOut,
    RecipeOut,
    RecipePage,
    RecipeTag,
    ShoppingList,
)

recipes_router = APIRouter(prefix="/api/v1/recipes", tags=["recipes"])
plans_router = APIRouter(prefix="/api/v1/plans", tags=["plans"])

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


# --- recipes ---------------------------------------------------------------------------------


@recipes_router.get(
    "",
    response_model=RecipePage,
    operation_id="recipes_list",
    responses=problem_responses(401, 422),
)
async def list_recipes(
    user_id: CurrentUserId,
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(max_length=100, description="Words in the name, cuisine or ingredients"),
    ] = None,
    tag: Annotated[
        list[RecipeTag] | None, Query(description="Repeat for several; all must hold")
    ] = None,
    meal_type: MealType | None = None,
    feasible: Annotated[
        bool, Query(description="Only recipes your diet, allergies and exclusions allow")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> RecipePage:
    """The built-in library and your own recipes, by name. Tags are derived from the
    ingredients, so a tag filter never lets through a recipe the tag is not true of."""
    items, total = await service.list_recipes(
        session,
        user_id,
        q=q,
        tags=tag or [],
        meal_type=meal_type,
        feasible=feasible,
        limit=limit,
        offset=offset,
    )
    nxt = offset + limit if offset + limit < total else None
    return RecipePage(items=items, total=total, limit=limit, offset=offset, next_offset=nxt)


@recipes_router.get(
    "/{recipe_id}",
    response_model=RecipeOut,
    operation_id="recipes_get",
    responses=problem_responses(401, 404, 422),
)
async def get_recipe(
    recipe_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> RecipeOut:
    """A recipe with its ingredients (food and grams), nutrients per serving, tags and steps."""
    return await service.get_recipe(session, user_id, recipe_id)


@recipes_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RecipeOut,
    operation_id="recipes_create",
    responses=problem_responses(401, 422),
)
async def create_recipe(
    body: CustomRecipeIn, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> RecipeOut:
    """Add a private recipe; it is also offered in your meal plans. Ingredient lines the food
    parser cannot read answer 422 naming them."""
    return await service.create_custom(session, cache, user_id, body)


@recipes_router.patch(
    "/{recipe_id}",
    response_model=RecipeOut,
    operation_id="recipes_update",
    responses=problem_responses(401, 404, 422),
)
async def update_recipe(
    recipe_id: uuid.UUID,
    body: CustomRecipePatch,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
) -> RecipeOut:
    """Change one of your recipes; only the fields sent change."""
    changes = body.model_dump(exclude_unset=True)
    return await service.update_custom(session, cache, user_id, recipe_id, changes)


@recipes_router.delete(
    "/{recipe_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="recipes_delete",
    responses=problem_responses(401, 404),
)
async def delete_recipe(
    recipe_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> None:
    """Delete one of your recipes. Stored plans keep their copy of it."""
    await service.delete_custom(session, cache, user_id, recipe_id)


# --- plans -----------------------------------------------------------------------------------


@plans_router.post(
    "/generate",
    status_code=status.HTTP_201_CREATED,
    response_model=GenerateOut,
    operation_id="plans_generate",
    responses=problem_responses(401, 409, 422),
)
async def generate_plans(
    body: GenerateIn,
    llm: LLMDep,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
) -> GenerateOut:
    """Plan 1 to 7 days from `start` (default today): per meal slot of your profile three
    recipes with serving sizes in quarter steps, the first of which together meet the day's
    targets (kcal ±5%, protein, carbs and fat ±10% or ±10 g), plus extra snack options.
    Regenerating a day replaces its plan. 409 `targets-unavailable` when neither your profile
    nor a goal gives targets; 422 `plan-infeasible` (nothing stored) when your diet, allergies
    or exclusions leave a slot without any recipe, with `reason` naming the constraint.
    Targets that cannot be met exactly still give the closest day, with `met: false`."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    today = local_today(tz)
    start = body.start or today
    service.check_start(start, today)
    rows = await service.generate(session, cache, user_id, start, body.days, llm)
    return GenerateOut(plans=[service.plan_out(r) for r in rows])


async def _plan_response(
    session: SessionDep, cache: Cache, user_id: uuid.UUID, day: dt.date
) -> Response:
    async def compute() -> str | None:
        row = await service.find_plan(session, user_id, day)
        return service.plan_out(row).model_dump_json() if row is not None else None

    sfx, _ = await auth_service.cache_state(session, cache, user_id)
    text = await cached(cache, user_scope(user_id), service.plan_cache_key(day) + sfx, compute)
    if text is None:
        raise service.PlanNotFound(
            f"No meal plan for {day}; generate one with POST /api/v1/plans/generate"
        )
    return json_response(text)


@plans_router.get(
    "/today",
    response_model=PlanOut,
    operation_id="plans_today",
    responses=problem_responses(401, 404),
)
async def plan_today(user_id: CurrentUserId, session: SessionDep, cache: CacheDep) -> Response:
    """The plan for your local today."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    return await _plan_response(session, cache, user_id, local_today(tz))


@plans_router.get(
    "/shopping-list",
    response_model=ShoppingList,
    operation_id="plans_shopping_list",
    responses=problem_responses(401, 422),
)
async def shopping_list(
    user_id: CurrentUserId,
    session: SessionDep,
    start: Annotated[dt.date, Query(description="First local date, inclusive")],
    end: Annotated[dt.date, Query(description="Last local date, inclusive; at most 31 days")],
) -> ShoppingList:
    """What to buy for the chosen options of the planned days in the range: ingredient grams
    summed per food, minus your inventory."""
    return await service.shopping_list(session, user_id, start, end)


@plans_router.get(
    "/{date}",
    response_model=PlanOut,
    operation_id="plans_get",
    responses=problem_responses(401, 404, 422),
)
async def get_plan(
    date: dt.date, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> Response:
    """The stored plan for a local date."""
    return await _plan_response(session, cache, user_id, date)


@plans_router.put(
    "/{date}/slots/{slot}",
    response_model=PlanOut,
    operation_id="plans_choose_option",
    responses=problem_responses(401, 404, 422),
)
async def choose_option(
    date: dt.date,
    slot: MealType,
    body: ChooseIn,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
) -> PlanOut:
    """Choose which option (0, 1 or 2) of a slot you will eat; option 0 until you choose.
    The shopping list and logging use the chosen options."""
    row = await service.choose(session, cache, user_id, date, slot, body.option)
    return service.plan_out(row)


@plans_router.post(
    "/{date}/log",
    status_code=status.HTTP_201_CREATED,
    response_model=LogPlanOut,
    operation_id="plans_log",
    dependencies=[LogWriteLimit],
    responses=problem_responses(401, 404, 409, 422, 429),
)
async def log_plan(
    date: dt.date,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    body: LogPlanIn | None = None,
) -> LogPlanOut:
    """Log the chosen option of every slot (or of `slots`) as food log entries, all or none:
    one entry per recipe with its servings, grams and nutrients. A slot is logged once per
    day: 409 names the slots already logged (delete their entries to log them again)."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    slots = body.slots if body is not None else None
    entries = await service.log_plan(session, cache, user_id, tz, date, slots)
    return LogPlanOut(entries=[LogOut.model_validate(e) for e in entries])


@plans_router.post(
    "/{date}/feedback",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackOut,
    operation_id="plans_feedback",
    dependencies=[LogWriteLimit],
    responses=problem_responses(401, 404, 422, 429),
)
async def plan_feedback(
    date: dt.date,
    body: FeedbackIn,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
) -> FeedbackOut:
    """Rate a planned day, a slot's recipe or a recipe of the plan, 1 to 5. Recipes you rate
    1 or 2 are not offered again; those you rate 4 or 5 come up more often. Your latest
    rating of a recipe counts (a recipe rated before can be rated again from any plan)."""
    row = await feedback.add(
        session, cache, user_id, date, body.rating, body.comment, body.slot, body.recipe_id
    )
    return FeedbackOut.model_validate(row)
