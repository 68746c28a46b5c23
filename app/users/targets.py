"""Personal targets composed from the profile, the logs, the weigh-ins and the activities.

`targets_for` is the HTTP-independent entry point other domains (the meal planner) call.

Choices:
- The adaptive estimate uses the 28 completed local days before `day` (today's intake is still
  partial). It replaces BMR × activity factor once its confidence is "medium" or "high", in the
  recommendation and therefore in auto goals; the formula TDEE is always reported next to it.
- Yesterday's active kcal are added only when the user opted in (`add_activity_kcal`). They are
  NET of resting energy (see `workouts.service.net_active_kcal`), because the TDEE already
  counts resting energy. They change every day, so they are part of the daily targets answer
  but not of stored auto goals.
- A profile that became inconsistent through weigh-ins (a weight now past the target of a
  'lose' goal, or a stored rate now above 1% of the lower weight) still gets targets: the
  target weight is ignored and the rate capped at the safe limit, with a note saying so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.activities import service as workouts_service
from app.core.cache import Cache
from app.core.errors import Conflict
from app.goals import service as goals_service
from app.goals.models import Goal
from app.logs.models import LogEntry
from app.users import energy, trend
from app.users.models import UserProfile, WeightEntry

REQUIRED_FIELDS = ("sex", "date_of_birth", "height_cm", "weight_kg", "activity_level", "goal")
ADAPTIVE_WINDOW_DAYS = 28
GOAL_KEYS = ("kcal", "protein_g", "carbs_g", "fat_g")


class ProfileIncomplete(Conflict):
    code, title = "profile-incomplete", "Profile incomplete"


@dataclasses.dataclass(frozen=True)
class ActiveKcal:
    opted_in: bool
    date: dt.date
    kcal: float
    activities: int
    note: str


@dataclasses.dataclass(frozen=True)
class TargetsReport:
    day: dt.date
    targets: energy.Targets
    formula_tdee_kcal: int
    adaptive: trend.AdaptiveEstimate
    adaptive_used: bool
    active: ActiveKcal
    notes: list[str]
    goal_mode: str


def missing_fields(profile: UserProfile | None) -> list[str]:
    if profile is None:
        return list(REQUIRED_FIELDS)
    return [f for f in REQUIRED_FIELDS if getattr(profile, f) is None]


def diet_pattern(profile: UserProfile) -> energy.DietPattern:
    return "keto" if profile.dietary_pattern == "keto" else "balanced"


async def daily_intake(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> list[tuple[dt.date, float]]:
    """Logged kcal per local day in [start, end]: one GROUP BY on (user_id, date)."""
    return (await _intake_many(session, [user_id], start, end)).get(user_id, [])


async def _intake_many(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], start: dt.date, end: dt.date
) -> dict[uuid.UUID, list[tuple[dt.date, float]]]:
    rows = await session.execute(
        sa.select(col(LogEntry.user_id), col(LogEntry.date), sa.func.sum(col(LogEntry.kcal)))
        .where(
            col(LogEntry.user_id).in_(user_ids),
            col(LogEntry.date) >= start,
            col(LogEntry.date) <= end,
        )
        .group_by(col(LogEntry.user_id), col(LogEntry.date))
    )
    out: dict[uuid.UUID, list[tuple[dt.date, float]]] = defaultdict(list)
    for uid, d, k in rows.all():
        out[uid].append((d, float(k or 0)))
    return out


@dataclasses.dataclass(frozen=True)
class TargetData:
    """Everything `report_from` reads besides the profile, loaded for many users and days in
    a few set-based queries (the nightly pipeline plans thousands of users a minute)."""

    intake: Mapping[uuid.UUID, list[tuple[dt.date, float]]]
    weights: Mapping[uuid.UUID, list[tuple[dt.date, float]]]
    # (user, local day) -> net active kcal and activity count; only for users asked for.
    active: Mapping[tuple[uuid.UUID, dt.date], tuple[float, int]]

    def adaptive(self, user_id: uuid.UUID, day: dt.date) -> trend.AdaptiveEstimate:
        end = day - dt.timedelta(days=1)
        start = end - dt.timedelta(days=ADAPTIVE_WINDOW_DAYS - 1)
        intake = [(d, k) for d, k in self.intake.get(user_id, ()) if start <= d <= end]
        weights = [(d, w) for d, w in self.weights.get(user_id, ()) if start <= d <= end]
        return trend.adaptive_expenditure(
            intake, weights, window_days=ADAPTIVE_WINDOW_DAYS, end_date=end
        )


async def load_target_data(
    session: AsyncSession,
    user_ids: Sequence[uuid.UUID],
    days: Sequence[dt.date],
    active_for: Sequence[uuid.UUID] = (),
) -> TargetData:
    """Intake and weights of the adaptive windows of `days`, and yesterday's active kcal of
    each day for the users in `active_for`: three queries whatever the number of users."""
    if not user_ids or not days:
        return TargetData({}, {}, {})
    start = min(days) - dt.timedelta(days=ADAPTIVE_WINDOW_DAYS)
    end = max(days) - dt.timedelta(days=1)
    intake = await _intake_many(session, user_ids, start, end)
    rows = await session.execute(
        sa.select(
            col(WeightEntry.user_id), col(WeightEntry.date), col(WeightEntry.weight_kg)
        ).where(
            col(WeightEntry.user_id).in_(user_ids),
            col(WeightEntry.date) >= start,
            col(WeightEntry.date) <= end,
        )
    )
    weights: dict[uuid.UUID, list[tuple[dt.date, float]]] = defaultdict(list)
    for uid, d, w in rows.all():
        weights[uid].append((d, float(w)))
    active: dict[tuple[uuid.UUID, dt.date], tuple[float, int]] = {}
    if active_for:
        yesterdays = sorted({d - dt.timedelta(days=1) for d in days})
        active = await workouts_service.net_active_many(session, active_for, yesterdays)
    return TargetData(intake, weights, active)


async def adaptive_for(
    session: AsyncSession, user_id: uuid.UUID, day: dt.date
) -> trend.AdaptiveEstimate:
    return (await load_target_data(session, [user_id], [day])).adaptive(user_id, day)


def build_inputs(
    profile: UserProfile,
    day: dt.date,
    adaptive: trend.AdaptiveEstimate | None,
    extra_active_kcal: float,
) -> tuple[energy.TargetInputs, list[str]]:
    """TargetInputs for a complete profile, repairing what weigh-ins may have made
    inconsistent (see the module docstring)."""
    assert profile.date_of_birth is not None and profile.weight_kg is not None
    assert profile.height_cm is not None
    notes: list[str] = []
    goal = cast(energy.Goal, profile.goal)
    weight = profile.weight_kg
    rate = profile.weekly_rate_kg
    limit = round(weight * energy.MAX_WEEKLY_RATE_FRACTION, 3)
    if rate is not None and abs(rate) > limit:
        notes.append(
            f"Your weekly rate of {abs(rate):g} kg is more than 1% of your current weight; "
            f"{limit:g} kg/week is used."
        )
        rate = limit if rate > 0 else -limit
    target = profile.target_weight_kg
    if target is not None and (
        (goal == "lose" and target >= weight) or (goal == "gain" and target <= weight)
    ):
        notes.append(f"You have reached your target weight of {target:g} kg; consider a new goal.")
        target = None
    inputs = energy.TargetInputs(
        sex=cast(energy.Sex, profile.sex),
        weight_kg=weight,
        height_cm=profile.height_cm,
        age_years=energy.age_on(profile.date_of_birth, day),
        activity_level=cast(energy.ActivityLevel, profile.activity_level),
        goal=goal,
        rate_kg_per_week=rate,
        body_fat_pct=profile.body_fat_pct,
        target_weight_kg=target,
        diet_pattern=diet_pattern(profile),
        adaptive_tdee_kcal=None if adaptive is None else adaptive.tdee_kcal,
        adaptive_confidence=None if adaptive is None else adaptive.confidence,
        extra_active_kcal=extra_active_kcal,
    )
    return inputs, notes


def formula_tdee(inputs: energy.TargetInputs) -> int:
    if inputs.body_fat_pct is not None:
        bmr = energy.bmr_katch_mcardle(inputs.weight_kg, inputs.body_fat_pct)
    else:
        bmr = energy.bmr_mifflin_st_jeor(
            inputs.sex, inputs.weight_kg, inputs.height_cm, inputs.age_years
        )
    return round(bmr * energy.ACTIVITY_FACTORS[inputs.activity_level])


def check_profile(profile: UserProfile | None, day: dt.date) -> UserProfile:
    """The profile if targets can be computed from it for `day`, else ProfileIncomplete
    naming the missing fields."""
    missing = missing_fields(profile)
    if profile is None or missing:
        raise ProfileIncomplete(
            "Targets need these profile fields: " + ", ".join(missing),
            extra={"missing_fields": missing},
        )
    if profile.date_of_birth is not None and profile.date_of_birth > day:
        raise ProfileIncomplete(
            f"date_of_birth is after {day}", extra={"missing_fields": ["date_of_birth"]}
        )
    return profile


def report_from(
    profile: UserProfile | None, day: dt.date, data: TargetData, *, include_active: bool = True
) -> TargetsReport:
    """Targets for the local `day` from preloaded data (no I/O). With `include_active` off,
    yesterday's activity is left out even for a user who opted in (the pipeline does this
    when an activity import failed: the baseline is planned for)."""
    profile = check_profile(profile, day)
    user_id = profile.user_id
    adaptive = data.adaptive(user_id, day)
    yesterday = day - dt.timedelta(days=1)
    extra, count = 0.0, 0
    if profile.add_activity_kcal and include_active:
        extra, count = data.active.get((user_id, yesterday), (0.0, 0))
        note = (
            f"{count} activities on {yesterday}: {round(extra)} net active kcal added."
            if count
            else f"No activity logged on {yesterday}: baseline target (nothing added)."
        )
    elif profile.add_activity_kcal:
        note = "Not part of stored goals: added to each day's targets only."
    else:
        note = "Not opted in (add_activity_kcal is off): nothing added."
    active = ActiveKcal(
        opted_in=profile.add_activity_kcal,
        date=yesterday,
        kcal=round(extra, 1),
        activities=count,
        note=note,
    )
    inputs, notes = build_inputs(profile, day, adaptive, extra)
    try:
        result = energy.compute_targets(inputs)
    except energy.TargetInputError as exc:  # only out-of-range ages reach here
        raise ProfileIncomplete(str(exc), extra={"missing_fields": []}) from exc
    return TargetsReport(
        day=day,
        targets=result,
        formula_tdee_kcal=formula_tdee(inputs),
        adaptive=adaptive,
        adaptive_used=result.tdee_source == "adaptive",
        active=active,
        notes=notes,
        goal_mode=profile.goal_mode,
    )


async def compute(
    session: AsyncSession,
    user_id: uuid.UUID,
    day: dt.date,
    *,
    include_active: bool = True,
    profile: UserProfile | None = None,
) -> TargetsReport:
    """Targets for the local `day`; raises ProfileIncomplete naming the missing fields."""
    profile = check_profile(profile or await session.get(UserProfile, user_id), day)
    active_for = [user_id] if profile.add_activity_kcal and include_active else []
    data = await load_target_data(session, [user_id], [day], active_for)
    return report_from(profile, day, data, include_active=include_active)


async def targets_for(
    session: AsyncSession, user_id: uuid.UUID, day: dt.date
) -> energy.Targets | None:
    """Recommended targets for the user's local `day` (with yesterday's active kcal when the
    user opted in), or None when the profile cannot support a calculation."""
    try:
        return (await compute(session, user_id, day)).targets
    except ProfileIncomplete:
        return None


def _same(goal: Goal, t: energy.Targets) -> bool:
    return all(abs(float(getattr(goal, k)) - float(getattr(t, k))) < 0.5 for k in GOAL_KEYS)


async def refresh_auto_goal(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    day: dt.date,
    *,
    force: bool,
    report: TargetsReport | None = None,
) -> Goal | None:
    """In auto mode, make the goal in force on `day` the recommended one (without the daily
    active-kcal extra), setting it from `day` so earlier days keep theirs.

    `force` (a profile change, a weigh-in, switching to auto) replaces whatever is in force;
    without it (the daily refresh on GET /targets, for birthdays and a maturing adaptive
    estimate) a manual goal the user set while in auto mode is left alone.
    """
    profile = await session.get(UserProfile, user_id)
    if profile is None or profile.goal_mode != "auto":
        return None
    if report is None or report.active.kcal:
        try:
            report = await compute(session, user_id, day, include_active=False, profile=profile)
        except ProfileIncomplete:
            return None
    current = await goals_service.goal_on(session, user_id, day)
    if current is not None and not force and current.source != "auto":
        return current
    if current is not None and _same(current, report.targets):
        return current
    t = report.targets
    return await goals_service.set_goal(
        session,
        cache,
        user_id,
        effective_from=day,
        kcal=t.kcal,
        protein_g=t.protein_g,
        carbs_g=t.carbs_g,
        fat_g=t.fat_g,
        source="auto",
    )
