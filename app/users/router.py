from __future__ import annotations

from fastapi import APIRouter

from app.auth import otp, passwords
from app.auth import service as auth_service
from app.auth.dependencies import CurrentUser
from app.auth.schemas import PasswordChangeIn, TokenOut, UserOut
from app.core.cache import profile_scope, user_scope
from app.core.deps import AuthLimit, CacheDep, ResourcesDep, SessionDep
from app.core.errors import problem_responses
from app.users.schemas import UserPatch

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("/me", response_model=UserOut, operation_id="users_me")
async def me(user: CurrentUser) -> UserOut:
    """The signed-in user."""
    return UserOut.model_validate(user)


@router.patch(
    "/me",
    response_model=UserOut,
    operation_id="users_me_update",
    responses=problem_responses(400, 401, 409, 422),
)
async def update_me(
    body: UserPatch, user: CurrentUser, session: SessionDep, cache: CacheDep, res: ResourcesDep
) -> UserOut:
    """Update account settings. The IANA time zone decides which local day each log falls on.
    A phone number is added with `phone` and the `phone_code` texted to it by
    `POST /api/v1/auth/otp/request`."""
    if body.phone is not None and body.phone_code is not None:
        user = await otp.add_phone(session, res.settings, user, body.phone, body.phone_code)
    if body.timezone is not None:
        user = await auth_service.set_timezone(session, user, body.timezone)
        # Local dates of summaries and "today" depend on the zone: drop both scopes.
        await cache.invalidate(profile_scope(user.id))
        await cache.invalidate(user_scope(user.id))
    return UserOut.model_validate(user)


@router.post(
    "/me/password",
    response_model=TokenOut,
    operation_id="users_me_password",
    dependencies=[AuthLimit],
    responses=problem_responses(401, 409, 422, 429),
)
async def change_password(
    body: PasswordChangeIn, user: CurrentUser, session: SessionDep, res: ResourcesDep
) -> TokenOut:
    """Change the password. Every other session ends (refresh tokens revoked, older access
    tokens refused); the answer is a fresh token pair for this one."""
    access, refresh = await passwords.change_password(
        session, res.revocations, res.settings, user, body.current_password, body.new_password
    )
    return TokenOut(
        access_token=access,
        refresh_token=refresh,
        expires_in=auth_service.expires_in(res.settings),
    )
