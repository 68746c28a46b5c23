"""GDPR routes: the data export and the erasure of the signed-in account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from fastapi.responses import StreamingResponse

from app.auth.dependencies import CurrentUser
from app.auth.models import User
from app.core.contract import rate_limited
from app.core.deps import AuthLimit, ResourcesDep, SessionDep, spend_budget
from app.core.errors import problem_responses
from app.privacy import service
from app.privacy.schemas import DeleteAccountIn

router = APIRouter(prefix="/api/v1/users", tags=["privacy"])

_EXPORT_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every row the account owns, by table; secrets redacted",
        "content": {"application/json": {}},
    }
}


@rate_limited
async def _export_budget(user: CurrentUser, res: ResourcesDep) -> User:
    """An export reads every row the user owns, years of logs included: a few an hour each."""
    limit = res.settings.rate_limit_export_per_hour
    await spend_budget(res, f"export:{user.id}", limit, 3600, "exports")
    return user


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    operation_id="users_me_export",
    responses={**_EXPORT_DOC, **problem_responses(401, 429)},
)
async def export(
    user: Annotated[User, Depends(_export_budget)], res: ResourcesDep
) -> StreamingResponse:
    """Download all your data as one JSON document (streamed): profile, logs, goals, weights,
    activities, plans, inventory, custom foods and recipes, notifications and their delivery
    attempts, sessions. Password and token digests and webhook secrets read "[redacted]".
    At most RATE_LIMIT_EXPORT_PER_HOUR (10) an hour per user."""
    return StreamingResponse(
        service.export_json(res.sessionmaker, user.id),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="nexfitra-export.json"'},
    )


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="users_me_delete",
    dependencies=[AuthLimit],
    responses=problem_responses(400, 401, 409, 422, 429),
)
async def delete_me(
    body: DeleteAccountIn, user: CurrentUser, session: SessionDep, res: ResourcesDep
) -> None:
    """Erase your account and everything it owns, at once and for good. Confirm with your
    password, or for an account without one, with a code texted to its phone
    (`POST /api/v1/auth/otp/request`)."""
    await service.confirm(session, res.settings, user, body.password, body.code)
    await service.erase(session, res.cache, res.revocations, res.settings, user.id)
