"""Profile and body-weight logic: unit conversion, validation, storage, auto-goal triggers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth.models import User
from app.core.cache import Cache, profile_scope, user_scope
from app.core.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.core.paging import fetch_page, owned_in_range
from app.core.timeutil import MAX_DAYS_AHEAD, local_today, resolve_local_day
from app.core.types import utcnow
from app.events import outbox
from app.users import energy, targets
from app.users import trend as trend_mod
from app.users.models import UserProfile, WeightEntry
from app.users.schemas import ImperialProfile, ProfileIn, ProfileOut

# Fields whose change alters the computed targets (an auto goal is then recomputed).
TARGET_FIELDS = (
    "sex",
    "date_of_birth",
    "height_cm",
    "weight_kg",
    "activity_level",
    "goal",
    "weekly_rate_kg",
    "body_fat_pct",
    "dietary_pattern",
)
# Fields a write may set to null (clearing them); every other field needs a value.
NULLABLE = {
    "target_weight_kg",
    "target_weight_lb",
    "weekly_rate_kg",
    "weekly_rate_lb",
    "body_fat_pct",
    "training_goal",
    "training_days_per_week",
    "training_session_minutes",
    "training_experience",
    "training_equipment",
    "carb_cycling",
}
# Changing one of these regenerates the coming weeks of the user's current program.
TRAINING_FIELDS = (
    "training_goal",
    "training_days_per_week",
    "training_session_minutes",
    "training_experience",
    "training_equipment",
)
PLAIN_FIELDS = (
    "sex",
    "date_of_birth",
    "activity_level",
    "goal",
    "body_fat_pct",
    "dietary_pattern",
    "allergies",
    "excluded_foods",
    "excluded_food_groups",
    "liked_foods",
    "liked_exercises",
    "units",
    "goal_mode",
    "add_activity_kcal",
    "wake_time",
    "meal_slots",
    "water_goal_ml",
    *TRAINING_FIELDS,
    "carb_cycling",
)
# Weigh-ins a day ahead are allowed (as for food logs); further ahead is a typo.


class ProfileInvalid(Unprocessable):
    """Field-level problems found after unit conversion or across fields; `errors` names
    each field in the same shape as request validation errors."""

    code, title = "validation-error", "Validation failed"

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        fields = ", ".join(sorted({f for f, _ in errors}))
        super().__init__(
            f"Request validation failed for: {fields}. " + " ".join(m for _, m in errors),
            extra={
                "errors": [
                    {"field": f, "location": "body", "message": m, "type": "value_error"}
                    for f, m in errors
                ]
            },
        )


class WeightNotFound(NotFound):
    code, title = "weight-not-found", "Weight entry not found"


class InvalidWeightDate(Unprocessable):
    code, title = "invalid-weight-date", "Invalid weight date"


# --- profile --------------------------------------------------------------------------------


async def get_profile(session: AsyncSession, user_id: uuid.UUID) -> UserProfile | None:
    return await session.get(UserProfile, user_id)


def _rate_magnitude(profile: UserProfile) -> float | None:
    return None if profile.weekly_rate_kg is None else abs(profile.weekly_rate_kg)


def to_out(profile: UserProfile | None, tz: str, today: dt.date) -> ProfileOut:
    """The API view of a profile (defaults when the user has none yet)."""
    p = profile or UserProfile(user_id=uuid.uuid4())
    age = None
    if p.date_of_birth is not None and p.date_of_birth <= today:
        age = energy.age_on(p.date_of_birth, today)
    missing = targets.missing_fields(p)
    rate = _rate_magnitude(p)
    imperial = None
    if p.units == "imperial":
        ft: int | None = None
        inches: float | None = None
        if p.height_cm is not None:
            ft, rest = energy.cm_to_ft_in(p.height_cm)
            inches = round(rest, 1)
            if inches >= energy.IN_PER_FT:
                ft, inches = ft + 1, 0.0
        imperial = ImperialProfile(
            height_ft=ft,
            height_in=inches,
            weight_lb=None if p.weight_kg is None else round(energy.kg_to_lb(p.weight_kg), 1),
            target_weight_lb=(
                None
                if p.target_weight_kg is None
                else round(energy.kg_to_lb(p.target_weight_kg), 1)
            ),
            weekly_rate_lb=None if rate is None else round(energy.kg_to_lb(rate), 2),
        )
    return ProfileOut.model_validate(
        {
            **{k: getattr(p, k) for k in PLAIN_FIELDS},
            "age_years": age,
            "height_cm": p.height_cm,
            "weight_kg": p.weight_kg,
            "target_weight_kg": p.target_weight_kg,
            "weekly_rate_kg": rate,
            "timezone": tz,
            "complete": not missing,
            "missing_fields": missing,
            "imperial": imperial,
            "updated_at": profile.updated_at if profile is not None else None,
        }
    )


def _to_metric(body: ProfileIn) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, str]]]:
    """Metric values of the fields sent, the field name each metric value came from (for
    error messages), and the conflicts found."""
    sent = body.model_fields_set
    data = body.model_dump(include=sent)
    errors: list[tuple[str, str]] = []
    for name, value in data.items():
        if value is None and name not in NULLABLE:
            errors.append((name, f"{name} cannot be null"))
    out: dict[str, Any] = {k: data[k] for k in PLAIN_FIELDS if k in data}
    if "timezone" in data:
        out["timezone"] = data["timezone"]
    origin: dict[str, str] = {}

    def one_of(metric: str, imperial: tuple[str, ...]) -> bool:
        given = [n for n in (metric, *imperial) if n in sent]
        if metric in sent and len(given) > 1:
            errors.append((given[1], f"give {metric} or {' + '.join(imperial)}, not both"))
            origin[metric] = given[1]
            return False
        return bool(given)

    if one_of("height_cm", ("height_ft", "height_in")):
        if "height_cm" in sent:
            out["height_cm"], origin["height_cm"] = data["height_cm"], "height_cm"
        elif data.get("height_ft") is not None:
            inches = data.get("height_in") or 0.0
            if inches >= energy.IN_PER_FT:
                errors.append(("height_in", "height_in must be below 12 when height_ft is given"))
            out["height_cm"] = round(energy.ft_in_to_cm(data["height_ft"], inches), 2)
            origin["height_cm"] = "height_ft"
        elif data.get("height_in") is not None:
            out["height_cm"] = round(energy.in_to_cm(data["height_in"]), 2)
            origin["height_cm"] = "height_in"
    for metric, imperial_name, digits in (
        ("weight_kg", "weight_lb", 2),
        ("target_weight_kg", "target_weight_lb", 2),
        ("weekly_rate_kg", "weekly_rate_lb", 3),
    ):
        if not one_of(metric, (imperial_name,)):
            continue
        if metric in sent:
            out[metric], origin[metric] = data[metric], metric
        else:
            lb = data[imperial_name]
            out[metric] = None if lb is None else round(energy.lb_to_kg(lb), digits)
            origin[metric] = imperial_name
    return out, origin, errors


REQUIRED_ON_PUT = ("sex", "date_of_birth", "height_cm", "weight_kg", "activity_level", "goal")


def _check_ranges(p: UserProfile, origin: dict[str, str], errors: list[tuple[str, str]]) -> None:
    for name, bounds, unit in (
        ("height_cm", energy.HEIGHT_CM_RANGE, "cm"),
        ("weight_kg", energy.WEIGHT_KG_RANGE, "kg"),
        ("target_weight_kg", energy.WEIGHT_KG_RANGE, "kg"),
    ):
        value = getattr(p, name)
        if name in origin and value is not None and not bounds[0] <= value <= bounds[1]:
            errors.append(
                (
                    origin[name],
                    f"{origin[name]} gives {value:g} {unit}; it must be between "
                    f"{bounds[0]:g} and {bounds[1]:g} {unit}",
                )
            )


def _check_age(dob: dt.date, today: dt.date, errors: list[tuple[str, str]]) -> None:
    if dob > today:
        errors.append(("date_of_birth", f"date_of_birth {dob} is in the future"))
        return
    age = energy.age_on(dob, today)
    lo, hi = energy.AGE_YEARS_RANGE
    if not lo <= age <= hi:
        errors.append(
            ("date_of_birth", f"date_of_birth gives an age of {age}; it must be {lo}-{hi} years")
        )


def _check_goal(
    p: UserProfile, origin: dict[str, str], rate_sent: bool, errors: list[tuple[str, str]]
) -> None:
    if p.goal is None or p.weight_kg is None:
        return
    goal = cast(energy.Goal, p.goal)
    rate_field = origin.get("weekly_rate_kg", "weekly_rate_kg")
    rate = p.weekly_rate_kg
    if p.goal == "maintain" and rate:
        errors.append((rate_field, "a 'maintain' goal has no weekly rate; send 0 or null"))
        return
    if rate is None:
        rate = energy.default_rate_kg_per_week(goal, p.weight_kg)
    try:
        energy.validate_rate(p.weight_kg, rate)
        energy.validate_goal(goal, p.weight_kg, rate, None)
    except energy.TargetInputError as exc:
        msg = str(exc).replace("negative", "non-zero").replace("positive", "non-zero")
        # A rate the user did not touch that is now unsafe names the field that moved it.
        errors.append((rate_field if rate_sent or "weight_kg" not in origin else "weight_kg", msg))
        return
    if p.target_weight_kg is not None:
        try:
            energy.validate_goal(goal, p.weight_kg, rate, p.target_weight_kg)
        except energy.TargetInputError as exc:
            errors.append((origin.get("target_weight_kg", "target_weight_kg"), str(exc)))


async def write_profile(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    body: ProfileIn,
    *,
    replace: bool,
) -> tuple[UserProfile, User]:
    """PUT (`replace`) or PATCH the profile, validating the merged result; triggers an auto
    goal when the targets' inputs changed or the user switched to auto mode."""
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthorized("Account no longer exists")
    changes, origin, errors = _to_metric(body)
    if replace:
        errors += [
            (f, f"{f} is required")
            for f in REQUIRED_ON_PUT
            if changes.get(f) is None and f not in origin and not any(e[0] == f for e in errors)
        ]
    if errors:
        raise ProfileInvalid(errors)

    existing = await get_profile(session, user_id)
    before = {f: getattr(existing, f) for f in TARGET_FIELDS} if existing else {}
    was_auto = existing is not None and existing.goal_mode == "auto"
    old_magnitude = _rate_magnitude(existing) if existing is not None else None
    if existing is None:
        profile = UserProfile(user_id=user_id)
    else:
        profile = existing
        if replace:
            # Every field back to its default (PUT always sends a new weight).
            fresh = UserProfile(user_id=user_id)
            for name in UserProfile.model_fields:
                if name not in ("user_id", "created_at"):
                    setattr(profile, name, getattr(fresh, name))

    tz = changes.pop("timezone", user.timezone)
    today = local_today(tz)
    for key, value in changes.items():
        if key != "weekly_rate_kg":
            setattr(profile, key, value)
    magnitude = changes["weekly_rate_kg"] if "weekly_rate_kg" in changes else old_magnitude
    if "weekly_rate_kg" not in changes and (replace or profile.goal == "maintain"):
        magnitude = None
    if profile.goal == "lose" and magnitude is not None:
        profile.weekly_rate_kg = -magnitude
    elif profile.goal == "maintain" and not magnitude:
        profile.weekly_rate_kg = None
    else:
        profile.weekly_rate_kg = magnitude

    _check_ranges(profile, origin, errors)
    if profile.date_of_birth is not None and "date_of_birth" in changes:
        _check_age(profile.date_of_birth, today, errors)
    if not errors:
        _check_goal(profile, origin, "weekly_rate_kg" in changes, errors)
    if errors:
        raise ProfileInvalid(errors)

    tz_changed = tz != user.timezone
    now = utcnow()
    if tz_changed:
        user.timezone, user.updated_at = tz, now
        session.add(user)
    profile.updated_at = now
    session.add(profile)
    try:
        await session.commit()
    except IntegrityError as exc:
        # Only a first write racing another first write (or a weigh-in) gets here.
        await session.rollback()
        raise Conflict(
            "The profile was written by another request at the same time; retry"
        ) from exc
    if tz_changed:
        await cache.invalidate(profile_scope(user_id))
        await cache.invalidate(user_scope(user_id))

    if any(f in changes for f in TRAINING_FIELDS):
        # Imported here: training reads profiles, so a module-level import would be circular.
        from app.training import programs

        await programs.follow_profile(session, user_id, today)

    after = {f: getattr(profile, f) for f in TARGET_FIELDS}
    switched = profile.goal_mode == "auto" and not was_auto
    if profile.goal_mode == "auto" and (switched or after != before or tz_changed):
        await targets.refresh_auto_goal(session, cache, user_id, today, force=True)
    return profile, user


# --- weights --------------------------------------------------------------------------------


def resolve_weight_date(tz: str, date: dt.date | None) -> dt.date:
    return resolve_local_day(tz, date, None, instant_name="", error=InvalidWeightDate)[0]


async def _latest_weight(session: AsyncSession, user_id: uuid.UUID) -> WeightEntry | None:
    return await session.scalar(
        sa.select(WeightEntry)
        .where(col(WeightEntry.user_id) == user_id)
        .order_by(col(WeightEntry.date).desc())
        .limit(1)
    )


async def _sync_profile_weight(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, tz: str
) -> None:
    """The newest weigh-in is the profile's current weight; an auto goal follows it."""
    latest = await _latest_weight(session, user_id)
    if latest is None:
        return
    profile: UserProfile | None = None
    for attempt in (1, 2):
        profile = await get_profile(session, user_id) or UserProfile(user_id=user_id)
        if profile.weight_kg == latest.weight_kg:
            return
        profile.weight_kg, profile.updated_at = latest.weight_kg, utcnow()
        session.add(profile)
        try:
            await session.commit()
            break
        except IntegrityError:
            # A profile write created the row meanwhile: update that one instead.
            await session.rollback()
            if attempt == 2:
                raise
    if profile is not None and profile.goal_mode == "auto":
        await targets.refresh_auto_goal(session, cache, user_id, local_today(tz), force=True)


def _weight_event(
    user_id: uuid.UUID, day: dt.date, weight_kg: float, created: bool
) -> dict[str, Any]:
    return outbox.event_row(
        outbox.WEIGHT_LOGGED,
        user_id,
        {"date": day, "weight_kg": weight_kg, "replaced": not created},
    )


async def add_weight(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    tz: str,
    date: dt.date | None,
    weight_kg: float,
) -> tuple[WeightEntry, bool]:
    """Records the day's weight, replacing an earlier one for that day. Answers the entry and
    whether it was created (False: replaced)."""
    day = resolve_weight_date(tz, date)
    cond = (col(WeightEntry.user_id) == user_id, col(WeightEntry.date) == day)
    entry = await session.scalar(sa.select(WeightEntry).where(*cond))
    created = entry is None
    now = utcnow()
    if entry is None:
        entry = WeightEntry(user_id=user_id, date=day, weight_kg=weight_kg)
    else:
        entry.weight_kg, entry.updated_at = weight_kg, now
    session.add(entry)
    try:
        await session.flush()
        await outbox.add(session, [_weight_event(user_id, day, weight_kg, created)])
        await session.commit()
    except IntegrityError:
        # Another request stored this day first (or the account is gone): update theirs.
        await session.rollback()
        entry = await session.scalar(sa.select(WeightEntry).where(*cond))
        if entry is None:
            raise Unauthorized("Account no longer exists") from None
        entry.weight_kg, entry.updated_at, created = weight_kg, now, False
        session.add(entry)
        await outbox.add(session, [_weight_event(user_id, day, weight_kg, created)])
        await session.commit()
    outbox.nudge()
    await _sync_profile_weight(session, cache, user_id, tz)
    return entry, created


async def list_weights(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
    offset: int,
) -> tuple[list[WeightEntry], int]:
    conds = owned_in_range(WeightEntry, user_id, start, end)
    return await fetch_page(
        session, WeightEntry, conds, [col(WeightEntry.date).desc()], limit, offset
    )


async def delete_weight(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, tz: str, day: dt.date
) -> None:
    entry = await session.scalar(
        sa.select(WeightEntry).where(
            col(WeightEntry.user_id) == user_id, col(WeightEntry.date) == day
        )
    )
    if entry is None:
        raise WeightNotFound(f"No weight entry on {day}")
    await session.delete(entry)
    await session.commit()
    await _sync_profile_weight(session, cache, user_id, tz)


TREND_WARMUP_DAYS = 60


async def weight_trend(
    session: AsyncSession, user_id: uuid.UUID, today: dt.date, days: int
) -> trend_mod.WeightTrend:
    """Trend over the `days` ending `today` (plus a weigh-in dated tomorrow, if any); the EMA
    starts `TREND_WARMUP_DAYS` earlier so the first points shown are already smoothed."""
    start = today - dt.timedelta(days=days - 1)
    rows = await session.execute(
        sa.select(col(WeightEntry.date), col(WeightEntry.weight_kg))
        .where(
            col(WeightEntry.user_id) == user_id,
            col(WeightEntry.date) >= start - dt.timedelta(days=TREND_WARMUP_DAYS),
            col(WeightEntry.date) <= today + dt.timedelta(days=MAX_DAYS_AHEAD),
        )
        .order_by(col(WeightEntry.date))
    )
    profile = await get_profile(session, user_id)
    target = profile.target_weight_kg if profile is not None else None
    result = trend_mod.weight_trend([(d, w) for d, w in rows.all()], target_weight_kg=target)
    series = [p for p in result.series if p.date >= start]
    return dataclasses.replace(result, series=series)
