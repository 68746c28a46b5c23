from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from app.auth import service
from app.auth.models import User
from app.core.contract import rate_limited
from app.core.deps import CurrentUserId, ResourcesDep, SessionDep, spend_admin_budget
from app.core.errors import Forbidden, Unauthorized


async def get_current_user(session: SessionDep, user_id: CurrentUserId) -> User:
    user = await service.get_user(session, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Account no longer exists or is disabled")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@rate_limited
async def get_admin(user: CurrentUser, response: Response, res: ResourcesDep) -> User:
    """The calling operator; every admin route spends one unit of their per-minute budget
    (RATE_LIMIT_ADMIN_PER_MINUTE), so a leaked operator token cannot page through every
    account or rewrite the catalogue at full speed."""
    if user.role != "admin":
        raise Forbidden("Operators only")
    await spend_admin_budget(res, response, user.id)
    return user


AdminUser = Annotated[User, Depends(get_admin)]
