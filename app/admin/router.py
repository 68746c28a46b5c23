"""Operators' routes: accounts, roles, plan feedback and the audit trail (the pipeline view
lives in app/pipeline). Every admin request writes an audit row: changes in the same
transaction as the change, views (action `*.view`, `user.search`) after their read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.admin import service
from app.admin.schemas import (
    AdminUserOut,
    AuditOut,
    AuditPage,
    FeedbackPage,
    RecipeFeedbackOut,
    RoleIn,
    UserPage,
)
from app.auth.dependencies import AdminUser
from app.core.deps import ResourcesDep, SessionDep
from app.core.errors import problem_responses
from app.plans import feedback as feedback_service

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


@router.get(
    "/users",
    response_model=UserPage,
    operation_id="admin_users_list",
    responses=problem_responses(401, 403, 422),
)
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


@router.post(
    "/users/{user_id}/deactivate",
    response_model=AdminUserOut,
    operation_id="admin_user_deactivate",
    responses=problem_responses(401, 403, 404, 409),
)
async def deactivate(
    user_id: uuid.UUID, admin: AdminUser, session: SessionDep, res: ResourcesDep
) -> AdminUserOut:
    """Disable an account: its refresh and access tokens stop working at once and it cannot
    sign in until reactivated."""
    user = await service.set_active(session, res.revocations, res.settings, admin, user_id, False)
    return AdminUserOut.model_validate(user)


@router.post(
    "/users/{user_id}/reactivate",
    response_model=AdminUserOut,
    operation_id="admin_user_reactivate",
    responses=problem_responses(401, 403, 404),
)
async def reactivate(
    user_id: uuid.UUID, admin: AdminUser, session: SessionDep, res: ResourcesDep
) -> AdminUserOut:
    """Enable an account again; the user signs in anew (its refresh tokens stay revoked)."""
    user = await service.set_active(session, res.revocations, res.settings, admin, user_id, True)
    return AdminUserOut.model_validate(user)


@router.put(
    "/users/{user_id}/role",
    response_model=AdminUserOut,
    operation_id="admin_user_role",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def set_role(
    user_id: uuid.UUID, body: RoleIn, admin: AdminUser, session: SessionDep
) -> AdminUserOut:
    """Make an account an operator (`admin`) or a plain `user`."""
    user = await service.get_user(session, user_id)
    user = await service.set_role(session, admin, user, body.role)
    return AdminUserOut.model_validate(user)


@router.get(
    "/audit",
    response_model=AuditPage,
    operation_id="admin_audit",
    responses=problem_responses(401, 403, 422),
)
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


@router.get(
    "/feedback",
    response_model=FeedbackPage,
    operation_id="admin_feedback",
    responses=problem_responses(401, 403, 422),
)
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
