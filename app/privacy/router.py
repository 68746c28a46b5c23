"""GDPR routes: the data export and the erasure of the signed-in account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse

from app.auth.dependencies import CurrentUser
from app.core.deps import AuthLimit, ResourcesDep, SessionDep
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


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    operation_id="users_me_export",
    responses={**_EXPORT_DOC, **problem_responses(401)},
)
async def export(user: CurrentUser, res: ResourcesDep) -> StreamingResponse:
    """Download all your data as one JSON document (streamed): profile, logs, goals, weights,
    activities, plans, inventory, custom foods and recipes, notifications and their delivery
    attempts, sessions. Password and token digests and webhook secrets read "[redacted]"."""
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
