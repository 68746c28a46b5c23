"""Annotated dependency aliases shared by every router.

Every dependency is `async def`: FastAPI runs plain `def` dependencies in a thread pool, which
cost several thread hops per request on the hottest paths.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Scope

from app.core import metrics
from app.core.cache import TIMEZONE_KEY, Cache, profile_scope
from app.core.config import Settings
from app.core.contract import rate_limited
from app.core.errors import RateLimited, Unauthorized
from app.core.logconfig import USER_ID
from app.core.ratelimit import RateResult
from app.core.resources import Resources
from app.core.security import InvalidToken, TokenClaims, decode_access_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


# The dependencies below read `app.state` themselves rather than depending on ResourcesDep:
# FastAPI spends more per sub-dependency (its cache key, scope and kind worked out on every
# request) than these bodies cost, and they run on nearly every request.


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.resources.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.resources.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_cache(request: Request) -> Cache:
    cache: Cache = request.app.state.resources.cache
    return cache


CacheDep = Annotated[Cache, Depends(get_cache)]


async def get_access_claims(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> TokenClaims:
    res: Resources = request.app.state.resources
    if not token:
        raise Unauthorized("Missing bearer token")
    try:
        claims = decode_access_token(res.settings, token)
    except InvalidToken as exc:
        raise Unauthorized("Invalid or expired access token") from exc
    # A deactivated or deleted account's tokens stop at once, not when they expire.
    if await res.revocations.is_revoked(claims.sub, claims.iat.timestamp()):
        raise Unauthorized("Access token was revoked; sign in again")
    # Read by the IntegrityError handler: a write that fails because this user was deleted
    # answers 401 (core/errors.py).
    request.state.user_id = claims.sub
    # For the log lines of this request (see core/logconfig.py).
    USER_ID.set(claims.sub)
    return claims


AccessClaims = Annotated[TokenClaims, Depends(get_access_claims)]


async def get_current_user_id(claims: AccessClaims) -> uuid.UUID:
    return claims.sub


CurrentUserId = Annotated[uuid.UUID, Depends(get_current_user_id)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _spend_only(
    res: Resources, key: str, limit: int, also_read: tuple[str, str] | None = None
) -> RateResult | None:
    """One unit of `key`'s budget (None when limits are off); 429 when it is spent."""
    if limit <= 0:
        return None
    result = await res.limiter.hit(key, limit, also_read=also_read)
    if not result.allowed:
        label = {"auth": "auth", "adm": "admin"}.get(key.split(":", 1)[0], "log_writes")
        metrics.RATE_LIMIT_REJECTIONS.labels(label).inc()
        raise RateLimited(
            f"Rate limit of {limit} requests per minute exceeded; "
            f"retry in {result.retry_after_s} s",
            headers=result.headers(),
        )
    return result


async def _spend(
    res: Resources,
    response: Response,
    key: str,
    limit: int,
    also_read: tuple[str, str] | None = None,
) -> RateResult | None:
    result = await _spend_only(res, key, limit, also_read)
    if result is not None:
        for name, value in result.headers().items():
            response.headers[name] = value
    return result


def rate_limit(kind: Literal["log_writes", "auth"]) -> Callable[..., Awaitable[None]]:
    """A dependency that spends one unit of the caller's budget for `kind`."""

    @rate_limited
    async def _per_ip(request: Request, response: Response, res: ResourcesDep) -> None:
        limit = res.settings.rate_limit_auth_per_minute
        await _spend(res, response, f"auth:{client_ip(request)}", limit)

    # Depending on AccessClaims (not decoding again) lets FastAPI reuse the route's decoded token.
    @rate_limited
    async def _per_user(claims: AccessClaims, response: Response, res: ResourcesDep) -> None:
        limit = res.settings.rate_limit_log_writes_per_minute
        await _spend(res, response, f"logw:{claims.sub}", limit)

    return _per_ip if kind == "auth" else _per_user


async def spend_admin_budget(res: Resources, response: Response, user_id: uuid.UUID) -> None:
    """One unit of an operator's budget for admin routes (429 when spent). Called once the
    caller is known to be an operator, so a refused non-admin spends nothing."""
    await _spend(res, response, f"adm:{user_id}", res.settings.rate_limit_admin_per_minute)


LogWriteLimit = Depends(rate_limit("log_writes"))
AuthLimit = Depends(rate_limit("auth"))


@rate_limited
async def spend_log_write_with_timezone(
    claims: AccessClaims, response: Response, res: ResourcesDep
) -> str | None:
    """`LogWriteLimit` that also answers the user's cached time zone, read by the limiter's
    script in the same Redis round trip; None when it was not cached or could not be read that
    way (memory backends, limits off, Redis down), and the route then reads it as usual.

    The cached zone is as fresh as any cache hit: a zone change invalidates the profile scope
    before it answers, and this reads that scope after the request arrived."""
    result, tz = await spend_log_write(res, claims.sub)
    if result is not None:
        for name, value in result.headers().items():
            response.headers[name] = value
    return tz


async def spend_log_write(
    res: Resources, user_id: uuid.UUID
) -> tuple[RateResult | None, str | None]:
    """What `spend_log_write_with_timezone` does, for route shortcuts: one unit of the user's
    log-write budget (429 when spent; None when limits are off) and the cached zone or None.
    The caller sends `result.headers()` with its answer, as the dependency does."""
    also_read = None
    client = getattr(res.limiter, "client", None)
    # The peek only works when limiter and cache talk to the same Redis server.
    if client is not None and client is getattr(res.cache, "client", None):
        also_read = res.cache.redis_location(profile_scope(user_id), TIMEZONE_KEY)
    limit = res.settings.rate_limit_log_writes_per_minute
    result = await _spend_only(res, f"logw:{user_id}", limit, also_read)
    return result, (result.read if result is not None else None)


# Use in place of `dependencies=[LogWriteLimit]` on writes that need the user's time zone.
LogWriteTimezone = Annotated[str | None, Depends(spend_log_write_with_timezone)]


async def spend_budget(
    res: Resources, key: str, limit: int, window_s: int, what: str
) -> RateResult | None:
    """Spends one unit of `key`'s budget of `limit` per `window_s` seconds (0 disables it);
    429 with Retry-After when it is spent. For budgets on things other than the caller, such
    as a phone number or an email address."""
    if limit <= 0:
        return None
    result = await res.limiter.hit(key, limit, window_s=window_s)
    if not result.allowed:
        raise RateLimited(
            f"Too many {what}; retry in {result.retry_after_s} s", headers=result.headers()
        )
    return result


async def scope_access_claims(scope: Scope) -> TokenClaims | None:
    """The claims `get_access_claims` accepts for this request, read from the raw scope for
    route shortcuts (core/routing.FastPathRoute); None wherever it would refuse the request or
    the header is not the plain `Bearer <token>` form, so the route then runs as usual."""
    auth = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            auth = value
            break
    if auth is None or not auth.startswith(b"Bearer ") or len(auth) < 8 or b" " in auth[7:]:
        return None
    res: Resources = scope["app"].state.resources
    try:
        claims = decode_access_token(res.settings, auth[7:].decode("latin-1"))
    except InvalidToken:
        return None
    if await res.revocations.is_revoked(claims.sub, claims.iat.timestamp()):
        return None
    scope.setdefault("state", {})["user_id"] = claims.sub
    USER_ID.set(claims.sub)
    return claims
