"""Exercises, workouts, measurements and programs (thin: parse, call the service, answer)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.core.deps import CurrentUserId, LogWriteLimit, SessionDep
from app.core.errors import problem_responses
from app.training import service
from app.training.dataset import Category, Equipment, Level, Muscle
from app.training.schemas import ExerciseIn, ExerciseOut, ExercisePage

exercises_router = APIRouter(prefix="/api/v1/exercises", tags=["exercises"])
_errors = problem_responses(401, 404, 422)
_write_errors = problem_responses(401, 403, 404, 409, 422, 429)


@exercises_router.get(
    "", response_model=ExercisePage, operation_id="exercises_list", responses=_errors
)
async def list_exercises(
    user_id: CurrentUserId,
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Name, typos allowed ('bench pres')"),
    ] = None,
    muscle: Annotated[Muscle | None, Query(description="A primary muscle")] = None,
    equipment: Equipment | None = None,
    level: Level | None = None,
    category: Category | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> ExercisePage:
    """Catalogue, shared and your private exercises. With `q`, best name matches first (with
    their `score`); otherwise by name."""
    items, total = await service.search_exercises(
        session,
        user_id,
        q=q.strip() if q else None,
        muscle=muscle,
        equipment=equipment,
        level=level,
        category=category,
        limit=limit,
        offset=offset,
    )
    return ExercisePage(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


@exercises_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExerciseOut,
    operation_id="exercises_create",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def create_exercise(
    body: ExerciseIn, user_id: CurrentUserId, session: SessionDep
) -> ExerciseOut:
    """Add a private exercise; admins may add a shared one (`shared: true`), others get 403."""
    return service.exercise_out(await service.create_exercise(session, user_id, body))


@exercises_router.get(
    "/{exercise_id}",
    response_model=ExerciseOut,
    operation_id="exercises_get",
    responses=_errors,
)
async def get_exercise(
    exercise_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> ExerciseOut:
    return service.exercise_out(await service.get_exercise(session, user_id, exercise_id))


@exercises_router.delete(
    "/{exercise_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="exercises_delete",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def delete_exercise(
    exercise_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> None:
    """Delete your private exercise (admins: a shared one). 409 while logged sets use it;
    catalogue exercises cannot be deleted (403)."""
    await service.delete_exercise(session, user_id, exercise_id)
