"""Operators' routes: accounts, roles, plan feedback, the shared catalogue (foods, recipes
and exercises every user sees) and the audit trail (the pipeline view lives in app/pipeline).
Every admin request writes an audit row: changes in the same transaction as the change,
views (action `*.view`, `user.search`) after their read. Every admin request also spends
one unit of the operator's per-minute budget (`AdminUser`, RATE_LIMIT_ADMIN_PER_MINUTE)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from app.admin import service
from app.admin.audit import audited
from app.admin.schemas import (
    AdminUserOut,
    AuditOut,
    AuditPage,
    CatalogRecipeOut,
    CatalogRecipePage,
    CatalogStatus,
    FeedbackPage,
    RecipeFeedbackOut,
    RoleIn,
    SharedFoodPage,
    UserPage,
)
from app.auth.dependencies import AdminUser
from app.core.deps import ResourcesDep, SessionDep
from app.core.errors import problem_responses
from app.foods import shared as foods_shared
from app.foods.schemas import FoodOut, SharedFoodIn, SharedFoodPatch
from app.plans import catalog
from app.plans import feedback as feedback_service
from app.plans.schemas import CustomRecipeIn, CustomRecipePatch, RecipeOut
from app.training import service as training_service
from app.training.schemas import ExerciseOut, ExercisePatch, SharedExerciseIn, SharedExercisePage

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


def _write(
    method: str,
    path: str,
    operation_id: str,
    *errors: int,
    status_code: int = 200,
    response_model: Any = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A change: the admin errors (401, 403, 429) plus its own; its body writes the audit row
    in the change's transaction."""
    return router.api_route(
        path,
        methods=[method],
        status_code=status_code,
        response_model=response_model,
        operation_id=operation_id,
        responses=problem_responses(401, 403, 429, *errors),
    )


def _view(
    path: str, operation_id: str, response_model: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A read: the admin errors, 422 for bad query parameters; audited by its body (after the
    read, so a page never lists its own viewing)."""
    return router.get(
        path,
        response_model=response_model,
        operation_id=operation_id,
        responses=problem_responses(401, 403, 422, 429),
    )


@_view("/users", "admin_users_list", UserPage)
async def list_users(
    admin: AdminUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=320, description="Part of an email")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> UserPage:
    """Accounts, oldest first, optionally filtered by part of their email."""
    users, total = await service.list_users(session, q, limit, offset)
    await service.audit_view(session, admin, "user.search", {"q": q, "offset": offset})
    return UserPage(
        items=[AdminUserOut.model_validate(u) for u in users],
        total=total,
        limit=limit,
        offset=offset,
    )


@_write(
    "POST",
    "/users/{user_id}/deactivate",
    "admin_user_deactivate",
    404,
    409,
    response_model=AdminUserOut,
)
async def deactivate(
    user_id: uuid.UUID, admin: AdminUser, session: SessionDep, res: ResourcesDep
) -> AdminUserOut:
    """Disable an account: its refresh and access tokens stop working at once and it cannot
    sign in until reactivated."""
    user = await service.set_active(session, res.revocations, res.settings, admin, user_id, False)
    return AdminUserOut.model_validate(user)


@_write(
    "POST", "/users/{user_id}/reactivate", "admin_user_reactivate", 404, response_model=AdminUserOut
)
async def reactivate(
    user_id: uuid.UUID, admin: AdminUser, session: SessionDep, res: ResourcesDep
) -> AdminUserOut:
    """Enable an account again; the user signs in anew (its refresh tokens stay revoked)."""
    user = await service.set_active(session, res.revocations, res.settings, admin, user_id, True)
    return AdminUserOut.model_validate(user)


@_write(
    "PUT", "/users/{user_id}/role", "admin_user_role", 404, 409, 422, response_model=AdminUserOut
)
async def set_role(
    user_id: uuid.UUID, body: RoleIn, admin: AdminUser, session: SessionDep
) -> AdminUserOut:
    """Make an account an operator (`admin`) or a plain `user`."""
    user = await service.get_user(session, user_id)
    user = await service.set_role(session, admin, user, body.role)
    return AdminUserOut.model_validate(user)


@_view("/audit", "admin_audit", AuditPage)
async def audit(
    admin: AdminUser,
    session: SessionDep,
    action: Annotated[str | None, Query(max_length=64, examples=["user.deactivate"])] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AuditPage:
    """Operators' actions, newest first: who, what, on which target, when."""
    rows, total = await service.list_audit(session, limit, offset, action, target_id)
    # Recorded after the read, so a page never lists its own viewing.
    await service.audit_view(
        session, admin, "audit.view", {"action": action, "target_id": target_id}
    )
    return AuditPage(
        items=[AuditOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@_view("/feedback", "admin_feedback", FeedbackPage)
async def recipe_feedback(
    admin: AdminUser,
    session: SessionDep,
    min_ratings: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Limit = 50,
    offset: Offset = 0,
) -> FeedbackPage:
    """Plan feedback per recipe, most rated first: count, average, lows (1-2), highs (4-5)."""
    rows, total = await feedback_service.aggregate(session, limit, offset, min_ratings)
    await service.audit_view(session, admin, "feedback.view", {"min_ratings": min_ratings})
    return FeedbackPage(
        items=[RecipeFeedbackOut.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


# --- the shared catalogue ----------------------------------------------------------------------
# Its writes share one shape: a route declared by `_write` (admin errors plus its own), whose
# body runs one `service` write through `audited` (the change and its audit row commit together).

Status = Annotated[
    CatalogStatus,
    Query(description="active (offered to users, the default), retired (deleted) or all"),
]


@_view("/foods", "admin_foods_list", SharedFoodPage)
async def list_shared_foods(
    admin: AdminUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
    source: Annotated[
        Literal["shared", "off"] | None,
        Query(description="shared (added by operators) or off (imported products); both if unset"),
    ] = None,
    status: Status = "active",
    limit: Limit = 50,
    offset: Offset = 0,
) -> SharedFoodPage:
    """The foods operators manage, by name: their own (source `shared`) and the packaged
    products imported from Open Food Facts (source `off`). USDA foods are not listed: they are
    read-only (see `PATCH /api/v1/admin/foods/{food_id}`)."""
    items, total = await foods_shared.list_shared(session, q, status, limit, offset, source)
    detail = {"q": q, "source": source, "status": status}
    await service.audit_view(session, admin, "food.view", detail)
    return SharedFoodPage(items=items, total=total, limit=limit, offset=offset)


@_write("POST", "/foods", "admin_foods_create", 409, 422, status_code=201, response_model=FoodOut)
async def create_shared_food(body: SharedFoodIn, admin: AdminUser, session: SessionDep) -> FoodOut:
    """Add a food every user finds in search, by barcode and in the text parser, and can log
    and use in recipes. 409 when a shared food has the name already (case-blind) or another
    shared or imported food has the barcode."""
    return await audited(session, admin, "food.create", service.create_food(session, body))


@_write("PATCH", "/foods/{food_id}", "admin_foods_update", 404, 409, 422, response_model=FoodOut)
async def update_shared_food(
    food_id: uuid.UUID, body: SharedFoodPatch, admin: AdminUser, session: SessionDep
) -> FoodOut:
    """Correct a shared food or an imported (Open Food Facts) product; only the fields sent
    change. Log entries made from it keep the nutrients they were logged with. A retired food
    answers 404; an imported product keeps its barcode (422 `imported-barcode-fixed`: the
    importer finds it by that barcode, and a later import of the product overwrites the
    corrected values).

    USDA foods (sources `fndds`, `sr28`) answer 409 `usda-food-read-only`: they are reference
    data shipped with the app, which search and the text parser read from the packaged files
    rather than the database, so an edit would show in some places and not others, and the
    next data release would undo it. Add a shared food with the corrected values instead."""
    changes = body.model_dump(exclude_unset=True)
    write = service.update_food(session, food_id, changes)
    return await audited(session, admin, "food.update", write)


@_write("DELETE", "/foods/{food_id}", "admin_foods_delete", 404, 409, status_code=204)
async def delete_shared_food(food_id: uuid.UUID, admin: AdminUser, session: SessionDep) -> None:
    """Retire a shared food or an imported product: it leaves search, barcode lookup and the
    text parser, and new log entries, pantry stock and recipe ingredients refer to it no more
    (422 `food-retired`). The row stays, so log entries (which keep their nutrient snapshot),
    pantry items and recipes that use it keep their link and name; the audit entry records
    how many there were. A shared food's barcode is freed; an imported product keeps its own.
    USDA foods answer 409 `usda-food-read-only`."""
    await audited(session, admin, "food.delete", service.retire_food(session, food_id))


@_view("/recipes", "admin_recipes_list", CatalogRecipePage)
async def list_catalog_recipes(
    admin: AdminUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Words in the name")] = None,
    source: Annotated[
        Literal["packaged", "shared"] | None,
        Query(description="packaged (the built-in library) or shared (added by operators)"),
    ] = None,
    status: Status = "active",
    limit: Limit = 50,
    offset: Offset = 0,
) -> CatalogRecipePage:
    """The recipes the planner offers every user: the packaged library and the operators'
    shared recipes, by name. Users' own recipes are private and not listed."""
    entries = await catalog.list_entries(session, q, source, status)
    page = [service.catalog_recipe_out(e) for e in entries[offset : offset + limit]]
    await service.audit_view(
        session, admin, "recipe.view", {"q": q, "source": source, "status": status}
    )
    return CatalogRecipePage(items=page, total=len(entries), limit=limit, offset=offset)


@_write("POST", "/recipes", "admin_recipes_create", 422, status_code=201, response_model=RecipeOut)
async def create_shared_recipe(
    body: CustomRecipeIn, admin: AdminUser, session: SessionDep
) -> RecipeOut:
    """Add a recipe to every user's library and meal planner. Ingredients are USDA or shared
    foods (ids, or text lines read by the food parser); nutrients are computed from them and
    claimed tags are checked against them (422 `tags-not-supported`), so the planner's diet
    and allergen filters hold for it as for the packaged recipes. A retired shared food is
    refused (422 `food-retired`)."""
    write = service.create_recipe(session, admin, body)
    return await audited(session, admin, "recipe.create", write)


@_write(
    "PATCH", "/recipes/{recipe_id}", "admin_recipes_update", 404, 409, 422, response_model=RecipeOut
)
async def update_shared_recipe(
    recipe_id: uuid.UUID, body: CustomRecipePatch, admin: AdminUser, session: SessionDep
) -> RecipeOut:
    """Change a shared recipe; only the fields sent change. Stored plans keep their copy.
    409 `packaged-recipe` for a packaged one (retire it and add a shared one instead),
    409 `recipe-retired` for a retired one (restore it first)."""
    changes = body.model_dump(exclude_unset=True)
    write = service.update_recipe(session, recipe_id, changes)
    return await audited(session, admin, "recipe.update", write)


@_write("DELETE", "/recipes/{recipe_id}", "admin_recipes_delete", 404, 409, status_code=204)
async def retire_recipe(recipe_id: uuid.UUID, admin: AdminUser, session: SessionDep) -> None:
    """Withdraw a packaged or shared recipe from every user's planner and recipe list. Stored
    plans keep their copy and still link to it; feedback keeps its name. 409 when retired
    already; undo with `POST .../restore`."""
    await audited(session, admin, "recipe.delete", service.retire_recipe(session, admin, recipe_id))


@_write(
    "POST",
    "/recipes/{recipe_id}/restore",
    "admin_recipes_restore",
    404,
    409,
    422,
    response_model=CatalogRecipeOut,
)
async def restore_recipe(
    recipe_id: uuid.UUID, admin: AdminUser, session: SessionDep
) -> CatalogRecipeOut:
    """Offer a retired recipe again. 409 `recipe-not-retired` when it is offered already."""
    return await audited(
        session, admin, "recipe.restore", service.restore_recipe(session, recipe_id)
    )


@_view("/exercises", "admin_exercises_list", SharedExercisePage)
async def list_shared_exercises(
    admin: AdminUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> SharedExercisePage:
    """The exercises operators added (source `shared`), by name. The packaged Free Exercise
    DB catalogue is read-only and users' private exercises are theirs; neither is listed."""
    rows, total = await training_service.list_shared_exercises(session, q, limit, offset)
    await service.audit_view(session, admin, "exercise.view", {"q": q})
    return SharedExercisePage(
        items=[training_service.exercise_out(e) for e in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@_write(
    "POST", "/exercises", "admin_exercises_create", 422, status_code=201, response_model=ExerciseOut
)
async def create_shared_exercise(
    body: SharedExerciseIn, admin: AdminUser, session: SessionDep
) -> ExerciseOut:
    """Add an exercise every user finds in exercise search and can log in workouts (the same
    as `POST /api/v1/exercises` with `shared: true`, audited the same way)."""
    return await audited(session, admin, "exercise.create", service.create_exercise(session, body))


@_write(
    "PATCH",
    "/exercises/{exercise_id}",
    "admin_exercises_update",
    404,
    422,
    response_model=ExerciseOut,
)
async def update_shared_exercise(
    exercise_id: uuid.UUID, body: ExercisePatch, admin: AdminUser, session: SessionDep
) -> ExerciseOut:
    """Correct a shared exercise; only the fields sent change. Logged workouts refer to it, so
    they show the corrected name. Catalogue exercises answer 403 (read-only packaged data);
    users' private ones and unknown ids 404."""
    changes = body.model_dump(exclude_unset=True)
    write = service.update_exercise(session, exercise_id, changes)
    return await audited(session, admin, "exercise.update", write)


@_write("DELETE", "/exercises/{exercise_id}", "admin_exercises_delete", 404, 409, status_code=204)
async def delete_shared_exercise(
    exercise_id: uuid.UUID, admin: AdminUser, session: SessionDep
) -> None:
    """Delete a shared exercise. 409 `exercise-in-use` while logged sets use it (deleting it
    would rewrite users' history); catalogue exercises answer 403."""
    await audited(session, admin, "exercise.delete", service.delete_exercise(session, exercise_id))
