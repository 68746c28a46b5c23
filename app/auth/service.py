"""Sign-up, credential checks and rotating refresh tokens with reuse detection."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.expression import Executable
from sqlmodel import col

from app.auth.exceptions import (
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
)
from app.auth.models import RefreshToken, User
from app.core.cache import Cache, cached, profile_scope
from app.core.config import Settings
from app.core.db import fetchrow_by_key
from app.core.errors import Unauthorized
from app.core.revocation import Revocations
from app.core.security import (
    InvalidToken,
    create_token,
    decode_token,
    hash_password,
    token_digest,
    verify_password,
)
from app.core.types import utcnow


async def _execute_dml(session: AsyncSession, stmt: Executable) -> CursorResult[Any]:
    # UPDATE results are cursor results; the cast gives typed access to rowcount.
    return cast(CursorResult[Any], await session.execute(stmt))


async def signup(session: AsyncSession, email: str, password: str) -> User:
    existing = await session.scalar(sa.select(col(User.id)).where(col(User.email) == email))
    if existing is not None:
        raise EmailTaken(f"An account with {email} already exists")
    user = User(email=email, password_hash=await hash_password(password))
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:  # a concurrent sign-up won the race for the same email
        await session.rollback()
        raise EmailTaken(f"An account with {email} already exists") from exc
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    user = await session.scalar(sa.select(User).where(col(User.email) == email))
    # verify_password checks a dummy hash when the user is unknown: equal timing either way.
    ok = await verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        raise InvalidCredentials("Email or password is incorrect")
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def issue_tokens(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, family: uuid.UUID | None = None
) -> tuple[str, str]:
    """Access + refresh pair; the refresh token joins `family` (a login starts a new one)."""
    family = family or uuid.uuid4()
    access, _ = create_token(settings, user_id, "access")
    refresh, claims = create_token(settings, user_id, "refresh", family=family)
    session.add(
        RefreshToken(
            id=claims.jti,
            user_id=user_id,
            family_id=family,
            token_hash=token_digest(refresh),
            expires_at=claims.exp,
        )
    )
    await session.commit()
    return access, refresh


async def rotate_refresh(session: AsyncSession, settings: Settings, token: str) -> tuple[str, str]:
    try:
        claims = decode_token(settings, token, "refresh")
    except InvalidToken as exc:
        raise InvalidRefreshToken("Refresh token is invalid or expired") from exc
    row = await session.get(RefreshToken, claims.jti)
    if row is None or row.token_hash != token_digest(token) or row.user_id != claims.sub:
        raise InvalidRefreshToken("Refresh token is not recognised")
    now = utcnow()
    # Claiming the token with a conditional UPDATE makes two concurrent refreshes with the same
    # token impossible to both succeed: exactly one sees rowcount 1.
    claimed = await _execute_dml(
        session,
        sa.update(RefreshToken)
        .where(
            col(RefreshToken.id) == row.id,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(used_at=now),
    )
    if claimed.rowcount != 1:
        state = (
            await session.execute(
                sa.select(col(RefreshToken.used_at)).where(col(RefreshToken.id) == row.id)
            )
        ).one()
        if state.used_at is not None:
            # A used token came back: someone holds a copy. Kill the whole chain.
            await revoke_family(session, row.family_id)
            raise RefreshTokenReused(
                "This refresh token was already used; every session of this chain was revoked"
            )
        raise InvalidRefreshToken("Refresh token was revoked")
    user = await session.get(User, claims.sub)
    if user is None or not user.is_active:
        await session.rollback()
        raise InvalidRefreshToken("Account is not active")
    return await issue_tokens(session, settings, claims.sub, family=row.family_id)


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    await session.commit()


async def logout(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    refresh_token: str | None,
    all_sessions: bool,
) -> int:
    """Revokes the presented refresh chain (or all of the user's); answers how many tokens."""
    stmt = sa.update(RefreshToken).where(
        col(RefreshToken.user_id) == user_id,
        col(RefreshToken.revoked_at).is_(None),
    )
    if not all_sessions:
        if not refresh_token:
            return 0
        try:
            claims = decode_token(settings, refresh_token, "refresh")
        except InvalidToken as exc:
            raise InvalidRefreshToken("Refresh token is invalid or expired") from exc
        row = await session.get(RefreshToken, claims.jti)
        if row is None or row.user_id != user_id:
            raise InvalidRefreshToken("Refresh token is not recognised")
        stmt = stmt.where(col(RefreshToken.family_id) == row.family_id)
    result = await _execute_dml(session, stmt.values(revoked_at=utcnow()))
    await session.commit()
    return int(result.rowcount)


async def set_timezone(session: AsyncSession, user: User, tz: str) -> User:
    user.timezone = tz
    user.updated_at = utcnow()
    session.add(user)
    await session.commit()
    return user


def expires_in(settings: Settings) -> int:
    return int(dt.timedelta(minutes=settings.access_token_minutes).total_seconds())


async def get_timezone(session: AsyncSession, cache: Cache, user_id: uuid.UUID) -> str:
    """The user's IANA zone, cached apart from log-derived reads so log writes keep it.

    With Redis it is read from the database: a zone change whose invalidation Redis missed
    would otherwise be served until the TTL. Only the log-create path reads the cached zone
    (`timezone_hint`), and it checks it in the INSERT itself."""

    async def load() -> str | None:
        return await session.scalar(sa.select(col(User.timezone)).where(col(User.id) == user_id))

    if cache.reliable_invalidation:
        tz = await cached(cache, profile_scope(user_id), "tz", load)
    else:
        tz = await load()
    if tz is None:
        raise Unauthorized("Account no longer exists")
    return tz


async def timezone_hint(session: AsyncSession, cache: Cache, user_id: uuid.UUID) -> str:
    """The user's zone from the cache when it holds it (possibly out of date with Redis: the
    caller must verify it as part of its write, as `logs.service.create_entry` does)."""

    async def load() -> str | None:
        return await session.scalar(sa.select(col(User.timezone)).where(col(User.id) == user_id))

    tz = await cached(cache, profile_scope(user_id), "tz", load)
    if tz is None:
        raise Unauthorized("Account no longer exists")
    return tz


_CACHE_STATE_SQL = "SELECT id, cache_version, timezone FROM users WHERE id = ANY($1::uuid[])"
_CACHE_STATE = sa.select(col(User.cache_version), col(User.timezone)).where(
    col(User.id) == sa.bindparam("user_id")
)


async def cache_state(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID
) -> tuple[str, str | None]:
    """The suffix for the user's per-user cache keys, and their zone when it came with it.

    With Redis the suffix is "@<users.cache_version>": the database bumps that version in every
    write's transaction, so a write whose Redis invalidation was lost still leads readers to
    new keys, and entries cached before it are never served again. One primary-key read per
    cached request buys that; the zone comes in the same row. With the
    in-process cache, whose invalidations cannot be lost, the suffix is empty and nothing is
    read."""
    bind = session.bind
    assert isinstance(bind, AsyncEngine)
    return await engine_cache_state(bind, cache, user_id)


async def engine_cache_state(
    bind: AsyncEngine, cache: Cache, user_id: uuid.UUID
) -> tuple[str, str | None]:
    """`cache_state` for callers that hold the engine rather than a session."""
    if cache.reliable_invalidation:
        return "", None
    # Outside the session, in autocommit: one round trip instead of BEGIN, SELECT and the
    # ROLLBACK when the session closes. On PostgreSQL through core.db's few raw asyncpg
    # connections (a prepared statement each caches), the reads of concurrent requests merged
    # into one statement: SQLAlchemy's pool checkout and checkin cost about four times the read
    # itself, and a round trip per request several times a batched row (benchmarks/overhead.py).
    if bind.dialect.name == "postgresql":
        row = await fetchrow_by_key(bind, _CACHE_STATE_SQL, user_id)
        if row is None:
            raise Unauthorized("Account no longer exists")
        return f"@{row[1]}", row[2]
    async with bind.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        row = (await conn.execute(_CACHE_STATE, {"user_id": user_id})).first()
    if row is None:
        raise Unauthorized("Account no longer exists")
    return f"@{row[0]}", row[1]


async def revoke_access_tokens(
    revocations: Revocations, settings: Settings, user_id: uuid.UUID, not_before: float
) -> None:
    """Refuses the user's access tokens issued before `not_before` (FOREVER: all of them) for
    as long as any such token could still be valid."""
    ttl = int(dt.timedelta(minutes=settings.access_token_minutes).total_seconds()) + 60
    await revocations.revoke(user_id, not_before, ttl)


async def revoke_refresh_tokens(
    session: AsyncSession, user_id: uuid.UUID, keep_family: uuid.UUID | None = None
) -> int:
    """Revokes the user's refresh tokens (but `keep_family`'s); the caller commits."""
    stmt = sa.update(RefreshToken).where(
        col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None)
    )
    if keep_family is not None:
        stmt = stmt.where(col(RefreshToken.family_id) != keep_family)
    result = await _execute_dml(session, stmt.values(revoked_at=utcnow()))
    return int(result.rowcount)
