"""Sign-in by one-time code sent to a phone number.

A code is 6 digits, stored only as an HMAC keyed with the server secret, valid OTP_TTL_SECONDS,
and dies after OTP_MAX_ATTEMPTS wrong tries. The account is created by the first successful
verification, never by a request: asking for a code says nothing about whether the number
has an account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth import service as auth_service
from app.auth.exceptions import InvalidCode, InvalidCredentials, PhoneTaken
from app.auth.models import OtpCode, User
from app.core.config import Settings
from app.core.sms import SmsSender
from app.core.types import utcnow

log = logging.getLogger("nexfitra.auth")

# Codes past their expiry are kept this long (to answer "expired" rather than "unknown"),
# then purged by later requests.
_PURGE_AFTER = dt.timedelta(hours=1)


def _digest(settings: Settings, phone: str, code: str) -> str:
    # Keyed: six digits are a million guesses, nothing against a plain hash of a leaked row.
    return hmac.new(
        settings.secret.encode(), f"otp:{phone}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


async def issue_code(session: AsyncSession, settings: Settings, phone: str) -> str:
    """Stores a fresh code for the number (replacing any pending one) and answers it."""
    code = new_code()
    now = utcnow()
    await session.execute(sa.delete(OtpCode).where(col(OtpCode.expires_at) < now - _PURGE_AFTER))
    row = await session.get(OtpCode, phone)
    if row is None:
        row = OtpCode(phone=phone, code_hash="", expires_at=now)
    row.code_hash = _digest(settings, phone, code)
    row.attempts, row.created_at = 0, now
    row.expires_at = now + dt.timedelta(seconds=settings.otp_ttl_seconds)
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # a concurrent request for the same number inserted first
        await session.rollback()
        return await issue_code(session, settings, phone)
    return code


async def send_code(sender: SmsSender, phone: str, code: str, minutes: int) -> None:
    """Runs after the response, so its timing says nothing about the number."""
    try:
        await sender.send(phone, f"Your NexFitra code is {code}. It expires in {minutes} minutes.")
    except Exception:
        log.exception("sending the one-time code to %s failed", phone)


async def check_code(session: AsyncSession, settings: Settings, phone: str, code: str) -> None:
    """Consumes the number's code if `code` is it; raises InvalidCode otherwise. The caller
    commits (with whatever the code unlocks); a wrong try is committed here."""
    now = utcnow()
    row = await session.get(OtpCode, phone)
    if row is None:
        raise InvalidCode("No code is pending for this number; request one")
    if row.expires_at <= now:
        raise InvalidCode("The code expired; request a new one")
    if row.attempts >= settings.otp_max_attempts:
        raise InvalidCode("Too many wrong codes; request a new one")
    tried = row.attempts
    if not hmac.compare_digest(row.code_hash, _digest(settings, phone, code)):
        # Counted in the database with a guard, so parallel guesses cannot exceed the limit.
        await session.execute(
            sa.update(OtpCode)
            .where(col(OtpCode.phone) == phone, col(OtpCode.attempts) < settings.otp_max_attempts)
            .values(attempts=col(OtpCode.attempts) + 1)
        )
        await session.commit()
        left = max(0, settings.otp_max_attempts - tried - 1)
        raise InvalidCode(
            f"Wrong code; {left} tries left" if left else "Wrong code; request a new one",
            extra={"attempts_left": left},
        )
    # Single use: of two concurrent right answers only the one that deletes the row wins.
    deleted = await auth_service._execute_dml(
        session,
        sa.delete(OtpCode).where(
            col(OtpCode.phone) == phone, col(OtpCode.code_hash) == row.code_hash
        ),
    )
    if deleted.rowcount != 1:
        await session.rollback()
        raise InvalidCode("The code was already used; request a new one")


async def verify_login(
    session: AsyncSession, settings: Settings, phone: str, code: str
) -> tuple[User, bool]:
    """Answers the number's account, created now if it had none, and whether it was."""
    await check_code(session, settings, phone, code)
    user = await session.scalar(sa.select(User).where(col(User.phone) == phone))
    created = False
    if user is None:
        user = User(phone=phone)
        session.add(user)
        created = True
    elif not user.is_active:
        await session.rollback()
        raise InvalidCredentials("This account is disabled")
    try:
        await session.flush()
    except IntegrityError as exc:  # the same number verified twice at once
        await session.rollback()
        raise InvalidCode("The code was already used; request a new one") from exc
    return user, created


async def add_phone(
    session: AsyncSession, settings: Settings, user: User, phone: str, code: str
) -> User:
    if user.phone == phone:
        return user
    taken = await session.scalar(
        sa.select(col(User.id)).where(col(User.phone) == phone, col(User.id) != user.id)
    )
    if taken is not None:
        raise PhoneTaken("This number belongs to another account")
    await check_code(session, settings, phone, code)
    user.phone, user.updated_at = phone, utcnow()
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise PhoneTaken("This number belongs to another account") from exc
    return user
