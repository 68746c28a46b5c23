from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth import service
from app.auth.models import User
from app.core.deps import CurrentUserId, SessionDep
from app.core.errors import Forbidden, Unauthorized


async def get_current_user(session: SessionDep, user_id: CurrentUserId) -> User:
    user = await service.get_user(session, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Account no longer exists or is disabled")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if user.role != "admin":
        raise Forbidden("Operators only")
    return user


AdminUser = Annotated[User, Depends(get_admin)]
