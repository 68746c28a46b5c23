"""Profile, targets and weight routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.auth import service as auth_service
from app.core.deps import CacheDep, CurrentUserId, LogWriteLimit, SessionDep
from app.core.errors import Unprocessable, problem_responses
from app.core.timeutil import local_today
from app.goals import service as goals_service
from app.training import nutrition as training_nutrition
from app.users import energy, service, targets
from app.users.models import UserProfile
from app.users.schemas import (
    ActiveKcalOut,
    AdaptiveOut,
    CarbCyclingOut,
    GoalInForce,
    ProfileIn,
    ProfileOut,
    Step,
    TargetInputsOut,
    TargetsOut,
    TrendPointOut,
    WeightIn,
    WeightOut,
    WeightPage,
    WeightTrendOut,
)
from app.users.trend import WeightTrend

router = APIRouter(prefix="/api/v1/users", tags=["profile"])
targets_router = APIRouter(prefix="/api/v1/targets", tags=["targets"])
weights_router = APIRouter(prefix="/api/v1/weights", tags=["weights"])


# --- profile --------------------------------------------------------------------------------


async def _profile_out(session: SessionDep, cache: CacheDep, user_id: Any) -> ProfileOut:
    tz = await auth_service.get_timezone(session, cache, user_id)
    profile = await service.get_profile(session, user_id)
    return service.to_out(profile, tz, local_today(tz))


@router.get(
    "/me/profile",
    response_model=ProfileOut,
    operation_id="profile_get",
    responses=problem_responses(401),
)
async def get_profile(user_id: CurrentUserId, session: SessionDep, cache: CacheDep) -> ProfileOut:
    """Your profile, in metric (plus an `imperial` block when you prefer imperial units).
    Before you write one, every field has its default and `complete` is false."""
    return await _profile_out(session, cache, user_id)


@router.put(
    "/me/profile",
    response_model=ProfileOut,
    operation_id="profile_replace",
    responses=problem_responses(401, 422),
)
async def replace_profile(
    body: ProfileIn, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> ProfileOut:
    """Replace the profile. Required: sex, date_of_birth, height (`height_cm`, or `height_ft`
    + `height_in`), weight (`weight_kg` or `weight_lb`), activity_level, goal. Fields left out
    go back to their defaults (the time zone is kept unless sent). In auto goal mode a new goal
    takes effect today."""
    profile, user = await service.write_profile(session, cache, user_id, body, replace=True)
    return service.to_out(profile, user.timezone, local_today(user.timezone))


@router.patch(
    "/me/profile",
    response_model=ProfileOut,
    operation_id="profile_update",
    responses=problem_responses(401, 422),
)
async def update_profile(
    body: ProfileIn, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> ProfileOut:
    """Change only the fields sent; `null` clears target weight, weekly rate or body fat."""
    profile, user = await service.write_profile(session, cache, user_id, body, replace=False)
    return service.to_out(profile, user.timezone, local_today(user.timezone))


# --- targets --------------------------------------------------------------------------------


def _steps(steps: Any) -> list[Step]:
    return [Step.model_validate(dataclasses.asdict(s)) for s in steps]


def targets_out(report: targets.TargetsReport, goal: Any) -> TargetsOut:
    t = report.targets
    a = report.adaptive
    fields = {f.name: getattr(t, f.name) for f in dataclasses.fields(t)}
    fields.pop("inputs")
    fields.pop("explanation")
    notes = [Step(step="note", text=n) for n in report.notes]
    return TargetsOut(
        **fields,
        date=report.day,
        formula_tdee_kcal=report.formula_tdee_kcal,
        inputs=TargetInputsOut.model_validate(dataclasses.asdict(t.inputs)),
        explanation=notes + _steps(t.explanation),
        adaptive=AdaptiveOut(
            **{
                f.name: getattr(a, f.name) for f in dataclasses.fields(a) if f.name != "explanation"
            },
            used=report.adaptive_used,
            explanation=_steps(a.explanation),
        ),
        active_kcal=ActiveKcalOut.model_validate(dataclasses.asdict(report.active)),
        goal_mode=report.goal_mode,
        goal_in_force=None
        if goal is None
        else GoalInForce.model_validate(goal, from_attributes=True),
    )


@targets_router.get(
    "",
    response_model=TargetsOut,
    operation_id="targets_get",
    responses=problem_responses(401, 409, 422),
)
async def get_targets(
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    date: Annotated[
        dt.date | None, Query(description="Local date (default today), within a year of today")
    ] = None,
) -> TargetsOut:
    """Recommended daily kcal, protein, carbs, fat and fiber for today, with the inputs, the
    formulas and every step. `formula_tdee_kcal` (BMR × activity factor) is shown next to the
    `adaptive` estimate from your last 28 days of logs and weigh-ins, which the recommendation
    uses once its confidence is medium or high. With `add_activity_kcal` on, yesterday's net
    active kcal are added. 409 `profile-incomplete` names the profile fields still missing.

    In auto goal mode this also keeps the goal current (birthdays, a maturing adaptive
    estimate): when the recommendation differs from the auto goal in force, a new auto goal
    takes effect today.

    With a training program (and `carb_cycling` not switched off in the profile), a training
    day's kcal and carbs rise and a rest day's fall, the week's average staying at the target:
    `carb_cycling` in the answer says by how much and why."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    today = local_today(tz)
    day = date or today
    if abs((day - today).days) > 366:
        raise Unprocessable(f"date must be within a year of today ({today})")
    report = await targets.compute(session, user_id, day)
    if report.goal_mode == "auto" and day == today:
        # The stored auto goal is the plain target: cycling is applied per day on top.
        await targets.refresh_auto_goal(session, cache, user_id, today, force=False, report=report)
    goal = await goals_service.goal_on(session, user_id, day)
    out = targets_out(report, goal)
    program = (await training_nutrition.active_programs(session, [user_id])).get(user_id)
    profile = await session.get(UserProfile, user_id)
    shift = training_nutrition.cycle(program, profile, day, out.kcal, out.carbs_g)
    if shift is not None:
        out.kcal, out.carbs_g = int(shift.kcal), int(shift.carbs_g)
        out.carb_cycling = CarbCyclingOut.model_validate(training_nutrition.as_json(shift))
        out.explanation.append(
            Step(
                step="carb_cycling",
                text=f"{shift.day_type.capitalize()} day: {shift.adjustment_kcal:+g} kcal, "
                "all from carbohydrate. " + shift.rule,
            )
        )
    return out


# --- weights --------------------------------------------------------------------------------


def weight_out(entry: Any) -> WeightOut:
    return WeightOut(
        date=entry.date,
        weight_kg=entry.weight_kg,
        weight_lb=round(energy.kg_to_lb(entry.weight_kg), 1),
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


@weights_router.post(
    "",
    response_model=WeightOut,
    status_code=status.HTTP_201_CREATED,
    operation_id="weights_record",
    dependencies=[LogWriteLimit],
    responses={
        200: {"description": "Replaced the entry for that day", "model": WeightOut},
        **problem_responses(401, 422, 429),
    },
)
async def record_weight(
    body: WeightIn,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    response: Response,
) -> WeightOut:
    """Record a weigh-in for a local date (default today), in kg or lb (stored in kg to 0.01).
    One entry per day: **201** when created, **200** when it replaced that day's entry. The
    newest weigh-in becomes the profile's current weight (and, in auto mode, today's goal
    follows it)."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    entry, created = await service.add_weight(
        session, cache, user_id, tz, body.date, body.kilograms()
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return weight_out(entry)


@weights_router.get(
    "", response_model=WeightPage, operation_id="weights_list", responses=problem_responses(401)
)
async def list_weights(
    user_id: CurrentUserId,
    session: SessionDep,
    start: Annotated[dt.date | None, Query(description="First local date, inclusive")] = None,
    end: Annotated[dt.date | None, Query(description="Last local date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=366)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> WeightPage:
    """Weigh-ins newest first, paginated, filtered by local date range."""
    if start and end and start > end:
        raise Unprocessable(f"start ({start}) is after end ({end})")
    items, total = await service.list_weights(
        session, user_id, start=start, end=end, limit=limit, offset=offset
    )
    return WeightPage(
        items=[weight_out(i) for i in items],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


def trend_out(result: WeightTrend) -> WeightTrendOut:
    return WeightTrendOut(
        alpha=result.alpha,
        latest_date=result.latest_date,
        latest_weight_kg=result.latest_weight_kg,
        latest_trend_kg=result.latest_trend_kg,
        weekly_rate_kg=result.weekly_rate_kg,
        rate_window_start=result.rate_window_start,
        target_weight_kg=result.target_weight_kg,
        projected_date=result.projected_date,
        series=[TrendPointOut.model_validate(dataclasses.asdict(p)) for p in result.series],
        explanation=_steps(result.explanation),
    )


@weights_router.get(
    "/trend",
    response_model=WeightTrendOut,
    operation_id="weights_trend",
    responses=problem_responses(401),
)
async def weight_trend(
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    days: Annotated[int, Query(ge=7, le=730, description="Days of series to return")] = 90,
) -> WeightTrendOut:
    """Smoothed trend weight (exponential moving average), weekly rate of change (slope of
    the trend over 28 days) and the projected date of reaching the profile's target weight."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    return trend_out(await service.weight_trend(session, user_id, local_today(tz), days))


@weights_router.delete(
    "/{date}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="weights_delete",
    dependencies=[LogWriteLimit],
    responses=problem_responses(401, 404, 429),
)
async def delete_weight(
    date: dt.date, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> None:
    """Delete the weigh-in of a local date; the profile's weight falls back to the newest
    remaining one."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    await service.delete_weight(session, cache, user_id, tz, date)
