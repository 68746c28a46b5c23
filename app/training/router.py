"""Exercises, workouts, measurements and programs (thin: parse, call the service, answer)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from starlette.types import Scope

from app.auth import service as auth_service
from app.core.deps import (
    CacheDep,
    CurrentUserId,
    LogWriteLimit,
    LogWriteTimezone,
    SessionDep,
    scope_access_claims,
    spend_log_write,
)
from app.core.errors import Unprocessable, problem_responses
from app.core.resources import Resources
from app.core.routing import FastAnswer, FastPathRoute, fast_write
from app.core.timeutil import local_today
from app.llm.client import LLMDep
from app.training import programs, progress, service, workouts
from app.training.dataset import Category, Equipment, Level, Muscle
from app.training.schemas import (
    ExerciseHistory,
    ExerciseIn,
    ExerciseOut,
    ExercisePage,
    MeasurementIn,
    MeasurementOut,
    MeasurementPage,
    PlannedWorkoutIn,
    ProgramDayOut,
    ProgramGenerateIn,
    ProgramOut,
    WorkoutIn,
    WorkoutOut,
    WorkoutPage,
    WorkoutPatch,
    WorkoutStats,
    WorkoutSummary,
)


def _check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and start > end:
        raise Unprocessable(f"start ({start}) is after end ({end})")


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


@exercises_router.get(
    "/{exercise_id}/history",
    response_model=ExerciseHistory,
    operation_id="exercises_history",
    responses=_errors,
)
async def exercise_history(
    exercise_id: uuid.UUID,
    user_id: CurrentUserId,
    session: SessionDep,
    start: Annotated[dt.date | None, Query(description="First local date, inclusive")] = None,
    end: Annotated[dt.date | None, Query(description="Last local date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ExerciseHistory:
    """Per session (newest first): the best set by e1RM (Epley), the session's volume and
    working sets. Warm-ups are left out."""
    _check_range(start, end)
    return await progress.exercise_history(
        session, user_id, exercise_id, start=start, end=end, limit=limit, offset=offset
    )


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


# --- workouts --------------------------------------------------------------------------------

workouts_router = APIRouter(prefix="/api/v1/workouts", tags=["workouts"], route_class=FastPathRoute)


async def _fast_create_workout(scope: Scope, body: WorkoutIn) -> FastAnswer | None:
    """POST /workouts on PostgreSQL: what `create_workout` and its dependencies do (token,
    log-write budget with the zone peek, the workout with its sets, activity and event)
    without FastAPI's request handling (core/routing.fast_write), which cost more CPU than
    the write itself. SQLite, and anything the shortcut does not take, goes the route's way."""
    res: Resources = scope["app"].state.resources
    if res.engine.dialect.name != "postgresql":
        return None
    claims = await scope_access_claims(scope)
    if claims is None:
        return None
    user_id = claims.sub
    result, cached_tz = await spend_log_write(res, user_id)
    tz = cached_tz
    if tz is None:
        async with res.sessionmaker() as session:
            tz = await auth_service.timezone_hint(session, res.cache, user_id)
    out = await workouts.log_workout_pg_answer(
        res.engine, res.cache, user_id, tz, body.model_dump(exclude={"exercises"}), body.exercises
    )
    headers = tuple(result.headers().items()) if result is not None else ()
    if isinstance(out, WorkoutOut):
        return FastAnswer(out, headers)
    return FastAnswer(None, headers, body=workouts.answer_json(out))


@fast_write(_fast_create_workout)
@workouts_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkoutOut,
    operation_id="workouts_create",
    responses=_write_errors,
)
async def create_workout(
    body: WorkoutIn,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    cached_tz: LogWriteTimezone,
) -> WorkoutOut:
    """Log a workout. Answers it with its figures: volume (warm-ups excluded), per exercise the
    best set and its e1RM (Epley), estimated kcal, and the sets that set a personal record."""
    # A cached zone is checked by the write's own read (and the workout dated again if it
    # was out of date); caching it lets the limiter's peek answer it on the next write.
    tz = cached_tz or await auth_service.timezone_hint(session, cache, user_id)
    return await workouts.log_workout(
        session,
        user_id,
        tz,
        body.model_dump(exclude={"exercises"}),
        body.exercises,
        cache=cache,
    )


@workouts_router.get(
    "", response_model=WorkoutPage, operation_id="workouts_list", responses=_errors
)
async def list_workouts(
    user_id: CurrentUserId,
    session: SessionDep,
    start: Annotated[dt.date | None, Query(description="First local date, inclusive")] = None,
    end: Annotated[dt.date | None, Query(description="Last local date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> WorkoutPage:
    """Your workouts, newest first."""
    _check_range(start, end)
    items, total = await workouts.list_workouts(
        session, user_id, start=start, end=end, limit=limit, offset=offset
    )
    return WorkoutPage(
        items=[WorkoutSummary.model_validate(w) for w in items],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


@workouts_router.get(
    "/stats", response_model=WorkoutStats, operation_id="workouts_stats", responses=_errors
)
async def workout_stats(
    user_id: CurrentUserId,
    session: SessionDep,
    start: Annotated[dt.date, Query(description="First local date, inclusive")],
    end: Annotated[dt.date, Query(description="Last local date, inclusive")],
) -> WorkoutStats:
    """Sessions, volume, hard sets per muscle per ISO week (primary muscle 1, secondary 0.5)
    and the personal records set in the range (at most 366 days), aggregated in SQL."""
    return await progress.workout_stats(session, user_id, start, end)


@workouts_router.get(
    "/{workout_id}", response_model=WorkoutOut, operation_id="workouts_get", responses=_errors
)
async def get_workout(
    workout_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> WorkoutOut:
    return await workouts.get_workout(session, user_id, workout_id)


@workouts_router.patch(
    "/{workout_id}",
    response_model=WorkoutOut,
    operation_id="workouts_update",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def update_workout(
    workout_id: uuid.UUID,
    body: WorkoutPatch,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
) -> WorkoutOut:
    tz = await auth_service.get_timezone(session, cache, user_id)
    return await workouts.update_workout(session, user_id, tz, workout_id, body)


@workouts_router.delete(
    "/{workout_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="workouts_delete",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def delete_workout(
    workout_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> None:
    """Delete a workout, its sets and the activity it created (a tracker's import stays)."""
    await workouts.delete_workout(session, user_id, workout_id)


# --- body measurements -----------------------------------------------------------------------

measurements_router = APIRouter(prefix="/api/v1/measurements", tags=["measurements"])


@measurements_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MeasurementOut,
    operation_id="measurements_record",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def record_measurement(
    body: MeasurementIn, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> MeasurementOut:
    """Record tape measurements for a day (default today; the same day again replaces them).
    The answer carries the US Navy body-fat estimate when it can be computed."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    today = local_today(tz)
    day = body.date or today
    if day > today:
        raise Unprocessable(f"date {day} is in the future (today is {today} in {tz})")
    return await progress.record_measurement(session, user_id, day, body)


@measurements_router.get(
    "", response_model=MeasurementPage, operation_id="measurements_list", responses=_errors
)
async def list_measurements(
    user_id: CurrentUserId,
    session: SessionDep,
    start: Annotated[dt.date | None, Query(description="First local date, inclusive")] = None,
    end: Annotated[dt.date | None, Query(description="Last local date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=366)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> MeasurementPage:
    """Your measurements, newest first."""
    _check_range(start, end)
    items, total = await progress.list_measurements(
        session, user_id, start=start, end=end, limit=limit, offset=offset
    )
    return MeasurementPage(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


@measurements_router.delete(
    "/{date}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="measurements_delete",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def delete_measurement(date: dt.date, user_id: CurrentUserId, session: SessionDep) -> None:
    await progress.delete_measurement(session, user_id, date)


# --- programs --------------------------------------------------------------------------------

programs_router = APIRouter(prefix="/api/v1/programs", tags=["programs"])


@programs_router.post(
    "/generate",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgramOut,
    operation_id="programs_generate",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def generate_program(
    body: ProgramGenerateIn,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    llm: LLMDep,
) -> ProgramOut:
    """Generate your training program (it becomes the current one). Deterministic for the same
    input; the split follows the days per week, only your equipment is used, compound lifts
    come first, liked exercises are in and disliked ones never. The answer names the
    periodisation model; an LLM (when configured) only adds prose without numbers."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    return await programs.generate_program(session, user_id, local_today(tz), body, llm)


@programs_router.get(
    "/current", response_model=ProgramOut, operation_id="programs_current", responses=_errors
)
async def current_program(user_id: CurrentUserId, session: SessionDep) -> ProgramOut:
    return programs.program_out(await programs.current(session, user_id))


@programs_router.get(
    "/current/day",
    response_model=ProgramDayOut,
    operation_id="programs_current_day",
    responses=_errors,
)
async def current_day(
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    date: Annotated[dt.date | None, Query(description="Local date; default today")] = None,
) -> ProgramDayOut:
    """That day's session with concrete targets from your logged sets (double progression),
    or a rest day."""
    if date is None:
        date = local_today(await auth_service.get_timezone(session, cache, user_id))
    return await programs.day_targets(session, user_id, date)


@programs_router.post(
    "/current/day/{date}/log",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkoutOut,
    operation_id="programs_log_day",
    responses=_write_errors,
)
async def log_program_day(
    date: dt.date,
    body: PlannedWorkoutIn,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    cached_tz: LogWriteTimezone,
) -> WorkoutOut:
    """Log the planned session of `date` as a workout with the sets you did; the next
    session's targets follow from them. 422 `rest-day` on a day without training."""
    tz = cached_tz or await auth_service.timezone_hint(session, cache, user_id)
    return await programs.log_planned_day(session, user_id, tz, date, body, cache)
