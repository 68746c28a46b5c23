"""Activities: manual entries, MET estimates, daily totals and file imports.

Daily step counts (`activity_type == "daily_steps"`) are stored as activities with duration 0,
`steps` set and usually no kcal, so one table, one index and one GROUP BY serve them all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.activities import met
from app.activities.archive import ArchiveTooLarge
from app.activities.importers import (
    DAILY_STEPS,
    ActivityImporter,
    ImportedActivity,
    ImportFormatError,
    ImportTooLargeError,
    SyncedDays,
)
from app.activities.importers import IMPORTERS as FILE_IMPORTERS
from app.activities.models import Activity
from app.activities.trackers import SLEEP, TRACKER_IMPORTERS
from app.core.errors import AppError, Conflict, NotFound, Unauthorized, Unprocessable
from app.core.ids import uuid7
from app.core.paging import fetch_page, owned_in_range
from app.core.timeutil import resolve_local_day
from app.core.types import utcnow
from app.training.models import Workout
from app.users.models import UserProfile

MAX_RANGE_DAYS = 366
_CHUNK = 500


class ActivityNotFound(NotFound):
    code, title = "activity-not-found", "Activity not found"


class InvalidActivityDate(Unprocessable):
    code, title = "invalid-activity-date", "Invalid activity date"


class WeightUnknown(Unprocessable):
    code, title = "weight-unknown", "Body weight unknown"


class UnknownProvider(Unprocessable):
    code, title = "unknown-provider", "Unknown import provider"


class InvalidImportFile(Unprocessable):
    code, title = "invalid-import-file", "Invalid import file"


class ImportTooLarge(AppError):
    status, code, title = 413, "payload-too-large", "Payload too large"


class ImportArchiveTooLarge(AppError):
    status, code, title = 413, "import-too-large", "Import file too large"


IMPORTERS: dict[str, ActivityImporter] = {**FILE_IMPORTERS, **TRACKER_IMPORTERS}


def resolve_date(
    tz: str, date: dt.date | None, started_at: dt.datetime | None
) -> tuple[dt.date, dt.datetime | None]:
    return resolve_local_day(
        tz, date, started_at, instant_name="started_at", error=InvalidActivityDate
    )


async def body_weight(session: AsyncSession, user_id: uuid.UUID) -> float | None:
    """The profile's current weight (kept equal to the newest weigh-in)."""
    return await session.scalar(
        sa.select(col(UserProfile.weight_kg)).where(col(UserProfile.user_id) == user_id)
    )


def _estimate(
    activity_type: str, duration_min: float, distance_km: float | None, weight_kg: float
) -> met.ActivityEnergy:
    return met.estimate_activity(activity_type, duration_min, weight_kg, distance_km=distance_km)


async def create_activity(
    session: AsyncSession, user_id: uuid.UUID, tz: str, data: dict[str, Any]
) -> Activity:
    day, started_at = resolve_date(tz, data.get("date"), data.get("started_at"))
    activity = Activity(
        user_id=user_id,
        date=day,
        started_at=started_at,
        activity_type=data["activity_type"],
        duration_min=data["duration_min"],
        steps=data.get("steps"),
        distance_km=data.get("distance_km"),
        kcal=data.get("kcal"),
        source=data.get("source", "manual"),
    )
    if activity.kcal is None and activity.activity_type != DAILY_STEPS:
        weight = await body_weight(session, user_id)
        if weight is None:
            raise WeightUnknown(
                "kcal was not given and cannot be estimated without your body weight: send "
                "kcal, or set weight_kg in your profile or log a weight first"
            )
        energy = _estimate(
            activity.activity_type, activity.duration_min, activity.distance_km, weight
        )
        activity.kcal, activity.met, activity.kcal_estimated = energy.kcal, energy.met, True
    session.add(activity)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Unauthorized("Account no longer exists") from exc
    return activity


async def get_activity(
    session: AsyncSession, user_id: uuid.UUID, activity_id: uuid.UUID
) -> Activity:
    activity = await session.get(Activity, activity_id)
    # Someone else's activity is indistinguishable from a missing one.
    if activity is None or activity.user_id != user_id:
        raise ActivityNotFound(f"No activity {activity_id}")
    return activity


async def delete_activity(
    session: AsyncSession, user_id: uuid.UUID, activity_id: uuid.UUID
) -> None:
    activity = await get_activity(session, user_id, activity_id)
    await session.delete(activity)
    await session.commit()


async def list_activities(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    start: dt.date | None,
    end: dt.date | None,
    activity_type: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Activity], int]:
    conds = owned_in_range(Activity, user_id, start, end)
    if activity_type is not None:
        conds.append(col(Activity.activity_type) == activity_type)
    order = [
        col(Activity.date).desc(),
        sa.func.coalesce(Activity.started_at, Activity.created_at).desc(),
        col(Activity.id).desc(),
    ]
    return await fetch_page(session, Activity, conds, order, limit, offset)


async def daily_totals(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Per-day totals in one GROUP BY. Steps: the day's step-count row when there is one (it
    already includes the steps walked in workouts), else the sum of the workouts' steps."""
    is_steps = col(Activity.activity_type) == DAILY_STEPS
    rows = await session.execute(
        sa.select(
            col(Activity.date),
            sa.func.sum(sa.case((is_steps, 0), else_=1)).label("activities"),
            sa.func.coalesce(sa.func.sum(col(Activity.duration_min)), 0).label("duration_min"),
            sa.func.coalesce(sa.func.sum(col(Activity.kcal)), 0).label("kcal"),
            sa.func.coalesce(
                sa.func.max(sa.case((is_steps, col(Activity.steps)))),
                sa.func.sum(sa.case((is_steps, None), else_=col(Activity.steps))),
                0,
            ).label("steps"),
            sa.func.coalesce(sa.func.sum(col(Activity.distance_km)), 0).label("distance_km"),
        )
        .where(
            col(Activity.user_id) == user_id,
            col(Activity.date) >= start,
            col(Activity.date) <= end,
        )
        .group_by(col(Activity.date))
        .order_by(col(Activity.date))
    )
    return [
        {
            "date": r.date,
            "activities": int(r.activities or 0),
            "duration_min": round(float(r.duration_min), 1),
            "kcal": round(float(r.kcal), 1),
            "steps": int(r.steps or 0),
            "distance_km": round(float(r.distance_km), 3),
        }
        for r in rows.all()
    ]


async def net_active_kcal(
    session: AsyncSession, user_id: uuid.UUID, day: dt.date
) -> tuple[float, int]:
    """Activity energy of `day` on top of resting energy, and how many activities had any.

    Estimated kcal are gross (MET × kg × h), so the resting 1 MET is taken out:
    kcal × (MET − 1) / MET. Given or imported kcal are taken as reported (trackers report
    active energy, which is already net)."""
    return (await net_active_many(session, [user_id], [day])).get((user_id, day), (0.0, 0))


async def net_active_many(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], days: Sequence[dt.date]
) -> dict[tuple[uuid.UUID, dt.date], tuple[float, int]]:
    """`net_active_kcal` of several users and days in one GROUP BY; absent pairs had none."""
    net = sa.case(
        (
            sa.and_(col(Activity.kcal_estimated), col(Activity.met) > 1),
            col(Activity.kcal) * (col(Activity.met) - 1) / col(Activity.met),
        ),
        (col(Activity.kcal_estimated), 0.0),
        else_=col(Activity.kcal),
    )
    rows = await session.execute(
        sa.select(
            col(Activity.user_id),
            col(Activity.date),
            sa.func.coalesce(sa.func.sum(net), 0.0),
            sa.func.count(),
        )
        .where(
            col(Activity.user_id).in_(user_ids),
            col(Activity.date).in_(days),
            col(Activity.kcal).is_not(None),
        )
        .group_by(col(Activity.user_id), col(Activity.date))
    )
    return {(uid, d): (float(k or 0.0), int(n or 0)) for uid, d, k, n in rows.all()}


# --- imports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportCounts:
    provider: str
    total: int
    imported: int
    updated: int
    skipped: int


_COMPARED = ("date", "started_at", "activity_type", "duration_min", "steps", "distance_km")


def _row(item: ImportedActivity, weight: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "date": item.date,
        "started_at": item.started_at,
        "activity_type": item.activity_type,
        "duration_min": item.duration_min,
        "steps": item.steps,
        "distance_km": item.distance_km,
        "kcal": item.kcal,
        "kcal_estimated": False,
        "met": None,
    }
    # Step days and sleep burn nothing on top of resting energy: never estimated.
    estimable = item.activity_type not in (DAILY_STEPS, SLEEP)
    if item.kcal is None and estimable and weight is not None:
        energy = _estimate(item.activity_type, item.duration_min, item.distance_km, weight)
        row.update(kcal=energy.kcal, met=energy.met, kcal_estimated=True)
    return row


async def import_file(
    session: AsyncSession, user_id: uuid.UUID, provider: str, data: bytes
) -> ImportCounts:
    """Parses an export and upserts its rows by (user, source, external_id): new rows are
    inserted, rows seen before are updated when their values changed and skipped otherwise,
    so importing the same file twice changes nothing."""
    importer = IMPORTERS.get(provider)
    if importer is None:
        raise UnknownProvider(
            f"unknown provider {provider!r}; known: {', '.join(sorted(IMPORTERS))}"
        )
    try:
        # Parsing a large export is CPU-bound: keep it off the event loop.
        items = await asyncio.to_thread(importer.parse, data)
    except ImportTooLargeError as exc:
        raise ImportTooLarge(str(exc)) from exc
    except ImportFormatError as exc:
        raise InvalidImportFile(str(exc)) from exc
    except ArchiveTooLarge as exc:
        raise ImportArchiveTooLarge(str(exc)) from exc
    try:
        counts = await _upsert(session, user_id, importer.name, items)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("Another import of the same data ran at the same time; retry") from exc
    return counts


async def _upsert(
    session: AsyncSession, user_id: uuid.UUID, source: str, items: Sequence[ImportedActivity]
) -> ImportCounts:
    """Inserts new rows and updates changed ones by (user, source, external_id), in the
    caller's transaction (no commit)."""
    # A file may repeat an id (the same workout written twice): the last one wins.
    by_id = {i.external_id: i for i in items}
    weight = await body_weight(session, user_id)
    existing: dict[str, Activity] = {}
    ids = list(by_id)
    for n in range(0, len(ids), _CHUNK):
        rows = await session.scalars(
            sa.select(Activity).where(
                col(Activity.user_id) == user_id,
                col(Activity.source) == source,
                col(Activity.external_id).in_(ids[n : n + _CHUNK]),
            )
        )
        existing.update({a.external_id: a for a in rows if a.external_id})
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    updated = skipped = 0
    for ext_id, item in by_id.items():
        row = _row(item, weight)
        current = existing.get(ext_id)
        if current is None:
            row.update(
                id=uuid.uuid4(),
                user_id=user_id,
                source=source,
                external_id=ext_id,
                created_at=now,
                updated_at=now,
            )
            new_rows.append(row)
            continue
        changed = any(getattr(current, k) != row[k] for k in _COMPARED)
        if item.kcal is not None and current.kcal != item.kcal:
            changed = True
        if not changed:
            skipped += 1
            continue
        for key, value in row.items():
            if key in _COMPARED or item.kcal is not None or current.kcal is None:
                setattr(current, key, value)
        current.updated_at = now
        session.add(current)
        updated += 1
    if new_rows:
        await session.execute(sa.insert(Activity), new_rows)
        await _absorb_logged_workouts(session, user_id, new_rows)
    await session.flush()
    return ImportCounts(source, len(by_id), len(new_rows), updated, skipped)


async def store_synced(
    session: AsyncSession, user_id: uuid.UUID, source: str, synced: SyncedDays
) -> ImportCounts:
    """Stores what a live-sync provider answered, committed as one transaction. Rows are
    upserted by external id like a file import, so a day or night the tracker revised since
    the last sync is updated in place (its kcal replaced, never added again); for each
    (date, kind) the provider answered in full, that source's stored rows it no longer lists
    are deleted. A tracker row a logged workout pointed at is replaced by the same session's
    new row when there is one."""
    counts = await _upsert(session, user_id, source, synced.items)
    keep = [i.external_id for i in synced.items]
    stale: list[Any] = []  # rows of (id, date)
    for day, kind in sorted(synced.complete):
        is_sleep = col(Activity.activity_type) == SLEEP
        stale += (
            await session.execute(
                sa.select(col(Activity.id), col(Activity.date)).where(
                    col(Activity.user_id) == user_id,
                    col(Activity.source) == source,
                    col(Activity.date) == day,
                    is_sleep if kind == SLEEP else ~is_sleep,
                    col(Activity.external_id).not_in(keep),
                )
            )
        ).all()
    if stale:
        ids = [r.id for r in stale]
        await _repoint_workouts(session, user_id, source, ids)
        await session.execute(sa.delete(Activity).where(col(Activity.id).in_(ids)))
    await session.commit()
    return counts


async def _repoint_workouts(
    session: AsyncSession, user_id: uuid.UUID, source: str, stale: Sequence[uuid.UUID]
) -> None:
    """Logged workouts counting as a row about to be deleted move to the same session's
    current row of that source if the tracker still has one, else get their own activity
    back, so a session the tracker revised or dropped still counts exactly once."""
    linked = list(
        await session.scalars(sa.select(Workout).where(col(Workout.activity_id).in_(stale)))
    )
    if not linked:
        return
    # One read of the source's surviving sessions on every affected day, not one per workout:
    # a re-sync that revises a week of sessions would otherwise query once per linked workout.
    by_day: dict[dt.date, list[Any]] = {}
    for row in (
        await session.execute(
            sa.select(*_SESSION_COLUMNS).where(
                col(Activity.user_id) == user_id,
                col(Activity.source) == source,
                col(Activity.date).in_({w.date for w in linked}),
                col(Activity.activity_type).not_in((DAILY_STEPS, SLEEP)),
                col(Activity.id).not_in(stale),
            )
        )
    ).all():
        by_day.setdefault(row.date, []).append(row)
    now = utcnow()
    for w in linked:
        target = matching_import(by_day.get(w.date, ()), w.started_at, w.duration_min)
        if target is None:
            own = new_workout_activity(
                user_id,
                day=w.date,
                started_at=w.started_at,
                duration_min=w.duration_min,
                kcal=w.kcal,
                met_value=w.met,
                now=now,
            )
            await session.execute(sa.insert(Activity).values(**own))
            target = uuid.UUID(str(own["id"]))
        await session.execute(
            sa.update(Workout).where(col(Workout.id) == w.id).values(activity_id=target)
        )


# --- logged workouts ------------------------------------------------------------------------

# Activities a logged strength workout creates carry this source; tracker imports carry their
# provider's name, manual entries "manual".
WORKOUT_SOURCE = "workout"
WORKOUT_ACTIVITY_TYPE = "strength_training"
OWN_SOURCES = ("manual", WORKOUT_SOURCE)


def _interval(
    started_at: dt.datetime | None, duration_min: float
) -> tuple[dt.datetime, dt.datetime] | None:
    if started_at is None:
        return None
    return started_at, started_at + dt.timedelta(minutes=max(duration_min, 1.0))


def same_session(
    a_start: dt.datetime | None,
    a_min: float,
    b_start: dt.datetime | None,
    b_min: float,
    b_type: str,
) -> bool:
    """Whether an imported activity (b) is the logged workout (a) seen by a tracker: their
    times overlap, or, when either has no start time, it is a strength session that day."""
    a, b = _interval(a_start, a_min), _interval(b_start, b_min)
    if a is None or b is None:
        return b_type == WORKOUT_ACTIVITY_TYPE
    return a[0] < b[1] and b[0] < a[1]


# What matching_import reads of a candidate session (date for grouping by day).
_SESSION_COLUMNS = (
    col(Activity.id),
    col(Activity.date),
    col(Activity.started_at),
    col(Activity.duration_min),
    col(Activity.activity_type),
    col(Activity.source),
)


def matching_import(
    candidates: Sequence[Any],
    started_at: dt.datetime | None,
    duration_min: float,
) -> uuid.UUID | None:
    """The tracker import among the day's activities (rows with id, started_at, duration_min,
    activity_type and source) that is this workout seen by a tracker, if any."""
    for r in candidates:
        if r.source not in OWN_SOURCES and same_session(
            started_at, duration_min, r.started_at, r.duration_min, r.activity_type
        ):
            return uuid.UUID(str(r.id))
    return None


def new_workout_activity(
    user_id: uuid.UUID,
    *,
    day: dt.date,
    started_at: dt.datetime | None,
    duration_min: float,
    kcal: float | None,
    met_value: float | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The row of a logged workout's own activity (every column the write sets)."""
    return {
        "id": uuid7(),
        "user_id": user_id,
        "date": day,
        "started_at": started_at,
        "activity_type": WORKOUT_ACTIVITY_TYPE,
        "duration_min": duration_min,
        "kcal": kcal,
        "kcal_estimated": kcal is not None,
        "met": met_value,
        "source": WORKOUT_SOURCE,
        "created_at": now,
        "updated_at": now,
    }


async def workout_activity(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    current_id: uuid.UUID | None,
    day: dt.date,
    started_at: dt.datetime | None,
    duration_min: float,
    kcal: float | None,
    met_value: float | None,
) -> uuid.UUID:
    """The activity a logged workout counts as, written in the caller's transaction (no
    commit). A tracker's import of the same session wins, so its energy is counted once; else
    the workout's own activity is created or updated. Answers its id."""
    rows = (
        await session.execute(
            sa.select(*_SESSION_COLUMNS).where(
                col(Activity.user_id) == user_id,
                col(Activity.date) == day,
                col(Activity.activity_type) != DAILY_STEPS,
            )
        )
    ).all()
    imported = matching_import(rows, started_at, duration_min)
    if imported is not None:
        if current_id is not None and current_id != imported:
            await remove_workout_activity(session, current_id)
        return imported
    now = utcnow()
    own = {r.id for r in rows if r.source == WORKOUT_SOURCE}
    if current_id is not None and current_id in own:
        await session.execute(
            sa.update(Activity)
            .where(col(Activity.id) == current_id)
            .values(
                date=day,
                started_at=started_at,
                duration_min=duration_min,
                kcal=kcal,
                met=met_value,
                kcal_estimated=kcal is not None,
                updated_at=now,
            )
        )
        return current_id
    if current_id is not None:
        await remove_workout_activity(session, current_id)
    row = new_workout_activity(
        user_id,
        day=day,
        started_at=started_at,
        duration_min=duration_min,
        kcal=kcal,
        met_value=met_value,
        now=now,
    )
    await session.execute(sa.insert(Activity).values(**row))
    return uuid.UUID(str(row["id"]))


async def remove_workout_activity(session: AsyncSession, activity_id: uuid.UUID) -> None:
    """Deletes a workout's own activity (never a tracker's import); the caller commits."""
    await session.execute(
        sa.delete(Activity).where(
            col(Activity.id) == activity_id, col(Activity.source) == WORKOUT_SOURCE
        )
    )


async def _absorb_logged_workouts(
    session: AsyncSession, user_id: uuid.UUID, imported: list[dict[str, Any]]
) -> None:
    """An imported session that a logged workout already counted: the workout now points at
    the import and its own activity goes, so the day's energy holds the session once."""
    sessions = [r for r in imported if r["activity_type"] != DAILY_STEPS]
    if not sessions:
        return
    own = (
        await session.execute(
            sa.select(
                col(Activity.id),
                col(Activity.date),
                col(Activity.started_at),
                col(Activity.duration_min),
            ).where(
                col(Activity.user_id) == user_id,
                col(Activity.source) == WORKOUT_SOURCE,
                col(Activity.date).in_({r["date"] for r in sessions}),
            )
        )
    ).all()
    for mine in own:
        for r in sessions:
            if r["date"] == mine.date and same_session(
                mine.started_at,
                mine.duration_min,
                r["started_at"],
                r["duration_min"],
                r["activity_type"],
            ):
                await session.execute(
                    sa.update(Workout)
                    .where(col(Workout.activity_id) == mine.id)
                    .values(activity_id=r["id"])
                )
                await remove_workout_activity(session, mine.id)
                break
