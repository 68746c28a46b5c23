"""GDPR: export every row a user owns (streamed) and erase the account with all of it."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.auth import otp
from app.auth import service as auth_service
from app.auth.exceptions import NoPassword, WrongPassword
from app.auth.models import OtpCode, User
from app.core.cache import Cache, profile_scope, user_scope
from app.core.config import Settings
from app.core.revocation import FOREVER, Revocations
from app.core.security import verify_password
from app.core.types import utcnow
from app.privacy.ownership import UserTable, is_secret, user_tables

EXPORT_FORMAT = "nexfitra-export/1"
REDACTED = "[redacted]"
# Rows fetched per round trip: memory holds one such batch, whatever the account's size.
BATCH_ROWS = 500


def _json_default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot export {type(value).__name__}")


def _plain(value: Any) -> Any:
    # The common non-JSON types converted inline; json's `default` hook is slower per value.
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


async def _rows(
    session: AsyncSession, entry: UserTable, user_id: uuid.UUID
) -> AsyncIterator[list[dict[str, Any]]]:
    table = entry.table
    secret = {c.name for c in table.columns if is_secret(c)}
    stmt = (
        sa.select(table)
        .where(entry.exported(user_id))
        .order_by(*table.primary_key.columns)
        .execution_options(yield_per=BATCH_ROWS)
    )
    # A server-side cursor on PostgreSQL; batches of BATCH_ROWS on both dialects.
    result = await session.stream(stmt)
    async for batch in result.mappings().partitions(BATCH_ROWS):
        yield [
            {k: (REDACTED if k in secret else _plain(v)) for k, v in row.items()} for row in batch
        ]


async def export_json(
    maker: async_sessionmaker[AsyncSession], user_id: uuid.UUID
) -> AsyncIterator[str]:
    """The export as JSON text in pieces: {"format", "user_id", "exported_at", "tables":
    {table: [row, ...]}}. Every table holding the user's rows is present, empty or not."""
    # Its own session: the response streams after the request's dependencies have closed.
    async with maker() as session:
        if session.get_bind().dialect.name == "postgresql":
            # One snapshot for every table, so the document is consistent.
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        head = {"format": EXPORT_FORMAT, "user_id": user_id, "exported_at": utcnow()}
        yield _dumps(head)[:-1] + ',"tables":{'
        for i, entry in enumerate(user_tables()):
            yield ("," if i else "") + _dumps(entry.table.name) + ":["
            first = True
            async for batch in _rows(session, entry, user_id):
                # One dumps call per batch: per-row calls cost more than the rows themselves.
                text = _dumps(batch)[1:-1]
                yield text if first else "," + text
                first = False
            yield "]"
        yield "}}\n"


async def confirm(
    session: AsyncSession,
    settings: Settings,
    user: User,
    password: str | None,
    code: str | None,
) -> None:
    """The erasure is confirmed by the password, or without one by a fresh texted code."""
    if user.password_hash is not None:
        if not password or not await verify_password(password, user.password_hash):
            raise WrongPassword("Password is incorrect")
        return
    if user.phone is None or code is None:
        raise NoPassword("This account has no password; confirm with a code sent to its phone")
    await otp.check_code(session, settings, user.phone, code)


async def erase(
    session: AsyncSession,
    cache: Cache,
    revocations: Revocations,
    settings: Settings,
    user_id: uuid.UUID,
) -> dict[str, int]:
    """Deletes the user and every row they own in one transaction; answers rows per table.

    Children go first, so no foreign key's ON DELETE rule is relied on for rows the user
    owns; rows that only mention the user (ON DELETE SET NULL) are detached by the database.
    Queued plan jobs need no search: they claim the user's plan run row, which is gone."""
    counts: dict[str, int] = {}
    # A pending code is keyed by the number, not the account: no foreign key leads to it.
    phone = await session.scalar(sa.select(col(User.phone)).where(col(User.id) == user_id))
    if phone is not None:
        await session.execute(sa.delete(OtpCode).where(col(OtpCode.phone) == phone))
    for entry in reversed(user_tables()):
        result = await auth_service._execute_dml(
            session, sa.delete(entry.table).where(entry.owned(user_id))
        )
        if result.rowcount:
            counts[entry.table.name] = int(result.rowcount)
    await session.flush()
    # The account's tokens would otherwise reach routes that trust the token alone.
    await auth_service.revoke_access_tokens(revocations, settings, user_id, FOREVER)
    await session.commit()
    await cache.invalidate(user_scope(user_id))
    await cache.invalidate(profile_scope(user_id))
    return counts
