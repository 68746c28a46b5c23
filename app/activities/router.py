from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from app.activities import service
from app.activities.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPage,
    DailyActivity,
    DailyActivityTotals,
    ImportResult,
    normalize_activity_type,
)
from app.activities.service import ImportTooLarge
from app.auth import service as auth_service
from app.core.deps import CacheDep, CurrentUserId, LogWriteLimit, SessionDep
from app.core.errors import Unprocessable, problem_responses

router = APIRouter(prefix="/api/v1/activities", tags=["activities"])
_errors = problem_responses(401, 404, 422)
# Writes spend the per-user write budget shared with food logs.
_write_errors = problem_responses(401, 404, 422, 429)

MAX_IMPORT_BYTES = 200 * 1024 * 1024


def _check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and start > end:
        raise Unprocessable(f"start ({start}) is after end ({end})")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityOut,
    operation_id="activities_create",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def create_activity(
    body: ActivityIn, user_id: CurrentUserId, session: SessionDep, cache: CacheDep
) -> ActivityOut:
    """Log an activity. Without `kcal`, energy is estimated from MET × your weight × hours
    (`kcal_estimated: true`); 422 `weight-unknown` if no weight is known yet."""
    tz = await auth_service.get_timezone(session, cache, user_id)
    activity = await service.create_activity(session, user_id, tz, body.model_dump())
    return ActivityOut.model_validate(activity)


@router.get("", response_model=ActivityPage, operation_id="activities_list", responses=_errors)
async def list_activities(
    user_id: CurrentUserId,
    session: SessionDep,
    start: Annotated[dt.date | None, Query(description="First local date, inclusive")] = None,
    end: Annotated[dt.date | None, Query(description="Last local date, inclusive")] = None,
    activity_type: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ActivityPage:
    """Activities newest first, paginated, filtered by local date range and type."""
    _check_range(start, end)
    if activity_type is not None:
        try:
            activity_type = normalize_activity_type(activity_type)
        except ValueError as exc:
            raise Unprocessable(str(exc)) from exc
    items, total = await service.list_activities(
        session,
        user_id,
        start=start,
        end=end,
        activity_type=activity_type,
        limit=limit,
        offset=offset,
    )
    return ActivityPage(
        items=[ActivityOut.model_validate(i) for i in items],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


@router.get(
    "/daily",
    response_model=DailyActivityTotals,
    operation_id="activities_daily",
    responses=_errors,
)
async def daily_totals(
    user_id: CurrentUserId,
    session: SessionDep,
    start: Annotated[dt.date, Query(description="First local date, inclusive")],
    end: Annotated[dt.date, Query(description="Last local date, inclusive")],
) -> DailyActivityTotals:
    """Per-day totals of duration, kcal, steps and distance (at most 366 days)."""
    _check_range(start, end)
    if (end - start).days >= service.MAX_RANGE_DAYS:
        raise Unprocessable(f"the range may span at most {service.MAX_RANGE_DAYS} days")
    days = await service.daily_totals(session, user_id, start, end)
    return DailyActivityTotals(
        start=start, end=end, days=[DailyActivity.model_validate(d) for d in days]
    )


@router.post(
    "/import/{provider}",
    response_model=ImportResult,
    operation_id="activities_import",
    dependencies=[LogWriteLimit],
    responses=problem_responses(401, 409, 413, 422, 429),
)
async def import_activities(
    provider: str,
    user_id: CurrentUserId,
    session: SessionDep,
    file: Annotated[
        UploadFile,
        File(
            description="apple_health: export.zip or export.xml; fitbit: the account export "
            "zip; google_fit: the Takeout zip or Daily activity metrics.csv; garmin_fit: a "
            ".fit activity file or a zip of them"
        ),
    ],
) -> ImportResult:
    """Import workouts, daily step counts and (Fitbit) sleep from a file you exported:
    `apple_health` (Health app > profile > Export All Health Data), `fitbit` (account
    archive), `google_fit` (Google Takeout, Fit), `garmin_fit` (FIT activity files).
    Importing again is safe: rows are matched by their id in the export, so unchanged ones are
    skipped. Archives that inflate past their limits (zip bombs) answer 413."""
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    counts = await service.import_file(session, user_id, provider, data)
    return ImportResult.model_validate(counts, from_attributes=True)


@router.get(
    "/{activity_id}", response_model=ActivityOut, operation_id="activities_get", responses=_errors
)
async def get_activity(
    activity_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> ActivityOut:
    return ActivityOut.model_validate(await service.get_activity(session, user_id, activity_id))


@router.delete(
    "/{activity_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="activities_delete",
    dependencies=[LogWriteLimit],
    responses=_write_errors,
)
async def delete_activity(
    activity_id: uuid.UUID, user_id: CurrentUserId, session: SessionDep
) -> None:
    await service.delete_activity(session, user_id, activity_id)
