"""Annotated dependency aliases shared by every router."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import Cache
from app.core.config import Settings
from app.core.errors import RateLimited, Unauthorized
from app.core.resources import Resources
from app.core.security import InvalidToken, TokenClaims, decode_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_settings_dep(res: ResourcesDep) -> Settings:
    return res.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(res: ResourcesDep) -> AsyncIterator[AsyncSession]:
    async with res.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def get_cache(res: ResourcesDep) -> Cache:
    return res.cache


CacheDep = Annotated[Cache, Depends(get_cache)]


def get_access_claims(
    settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> TokenClaims:
    if not token:
        raise Unauthorized("Missing bearer token")
    try:
        return decode_token(settings, token, "access")
    except InvalidToken as exc:
        raise Unauthorized("Invalid or expired access token") from exc


AccessClaims = Annotated[TokenClaims, Depends(get_access_claims)]


def get_current_user_id(claims: AccessClaims) -> uuid.UUID:
    return claims.sub


CurrentUserId = Annotated[uuid.UUID, Depends(get_current_user_id)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limit(kind: Literal["log_writes", "auth"]) -> Callable[..., Awaitable[None]]:
    """A dependency that spends one unit of the caller's budget for `kind`."""

    async def _limit(request: Request, response: Response, res: ResourcesDep) -> None:
        settings = res.settings
        if kind == "auth":
            limit = settings.rate_limit_auth_per_minute
            key = f"auth:{client_ip(request)}"
        else:
            limit = settings.rate_limit_log_writes_per_minute
            claims = get_access_claims(settings, await oauth2_scheme(request))
            key = f"logw:{claims.sub}"
        if limit <= 0:
            return
        result = await res.limiter.hit(key, limit)
        if not result.allowed:
            raise RateLimited(
                f"Rate limit of {limit} requests per minute exceeded; "
                f"retry in {result.retry_after_s} s",
                headers=result.headers(),
            )
        for name, value in result.headers().items():
            response.headers[name] = value

    return _limit


LogWriteLimit = Depends(rate_limit("log_writes"))
AuthLimit = Depends(rate_limit("auth"))
