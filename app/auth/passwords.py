"""Password change and reset by emailed single-use token."""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth import service as auth_service
from app.auth.exceptions import InvalidResetToken, NoPassword, WrongPassword
from app.auth.models import PasswordResetToken, User
from app.core.config import Settings
from app.core.email import EmailSender
from app.core.revocation import Revocations
from app.core.security import hash_password, token_digest, verify_password
from app.core.types import utcnow

log = logging.getLogger("nexfitra.auth")


async def _revoke_older_access(
    revocations: Revocations, settings: Settings, user_id: uuid.UUID
) -> None:
    # Tokens carry whole-second issue times: those from earlier seconds stop now; a token
    # issued in this very second (including the one answered to the caller) keeps working.
    await auth_service.revoke_access_tokens(revocations, settings, user_id, math.floor(time.time()))


async def change_password(
    session: AsyncSession,
    revocations: Revocations,
    settings: Settings,
    user: User,
    current: str,
    new: str,
) -> tuple[str, str]:
    """Sets the new password, ends every other session, answers a fresh token pair."""
    if user.password_hash is None:
        raise NoPassword("This account signs in by one-time code; use password reset by email")
    if not await verify_password(current, user.password_hash):
        raise WrongPassword("Current password is incorrect")
    user.password_hash = await hash_password(new)
    user.updated_at = utcnow()
    session.add(user)
    await auth_service.revoke_refresh_tokens(session, user.id)
    await session.flush()
    await _revoke_older_access(revocations, settings, user.id)
    # issue_tokens commits: the new hash, the revocations and the new session together.
    return await auth_service.issue_tokens(session, settings, user.id)


async def request_reset(
    session: AsyncSession, settings: Settings, email: str
) -> tuple[str, str] | None:
    """Stores a reset token for an active account with this email and answers (email, message
    body) to send; None when there is no such account (the caller answers the same either
    way). Earlier unused tokens of the user stop working: only the newest link is valid."""
    user = await session.scalar(sa.select(User).where(col(User.email) == email))
    if user is None or not user.is_active:
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    await session.execute(
        sa.update(PasswordResetToken)
        .where(
            col(PasswordResetToken.user_id) == user.id, col(PasswordResetToken.used_at).is_(None)
        )
        .values(used_at=now)
    )
    minutes = settings.password_reset_minutes
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
        )
    )
    await session.commit()
    where = f"{settings.password_reset_url}{token}" if settings.password_reset_url else token
    body = (
        "Someone asked to reset the password of your NexFitra account.\n\n"
        f"Reset it here (valid {minutes} minutes, once): {where}\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n"
    )
    return email, body


async def send_reset(sender: EmailSender, to: str, body: str) -> None:
    """Runs after the response, so the answer's timing does not reveal the account."""
    try:
        await sender.send(to, "Reset your NexFitra password", body)
    except Exception:
        log.exception("password reset email to %s failed", to)


async def confirm_reset(
    session: AsyncSession,
    revocations: Revocations,
    settings: Settings,
    token: str,
    new: str,
) -> None:
    now = utcnow()
    row = await session.scalar(
        sa.select(PasswordResetToken).where(
            col(PasswordResetToken.token_hash) == token_digest(token)
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidResetToken("The reset link is invalid, used or expired; ask for a new one")
    # A conditional UPDATE claims the token: of two concurrent confirmations only one wins.
    claimed = await auth_service._execute_dml(
        session,
        sa.update(PasswordResetToken)
        .where(col(PasswordResetToken.id) == row.id, col(PasswordResetToken.used_at).is_(None))
        .values(used_at=now),
    )
    if claimed.rowcount != 1:
        await session.rollback()
        raise InvalidResetToken("The reset link was already used; ask for a new one")
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        await session.rollback()
        raise InvalidResetToken("The account is not active")
    user.password_hash = await hash_password(new)
    user.updated_at = now
    session.add(user)
    await auth_service.revoke_refresh_tokens(session, user.id)
    await session.flush()
    await _revoke_older_access(revocations, settings, user.id)
    await session.commit()
