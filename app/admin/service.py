"""Operators' work on accounts; every change writes an audit row in the same transaction."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.admin.exceptions import SelfLockout, UserNotFound
from app.admin.models import AuditEntry
from app.auth import service as auth_service
from app.auth.models import Role, User
from app.auth.phone import normalise_phone
from app.core.config import Settings
from app.core.revocation import FOREVER, Revocations
from app.core.types import utcnow


def record(
    session: AsyncSession,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: object | None,
    detail: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Adds an audit row to the session; it commits (or not) with the change it describes."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=actor_label
        or (actor and (actor.email or actor.phone or str(actor.id)))
        or "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        detail=detail or {},
    )
    session.add(entry)
    return entry


async def audit_view(
    session: AsyncSession, actor: User, action: str, detail: dict[str, Any] | None = None
) -> None:
    """Records that an operator looked at something (a view has no target)."""
    record(session, actor, action, "view", None, detail)
    await session.commit()


def _search(q: str | None) -> list[sa.ColumnElement[bool]]:
    if not q:
        return []
    q = q.strip().lower()
    # autoescape: a `%` or `_` typed by the operator is matched literally.
    found = [
        col(User.email).contains(q, autoescape=True),
        col(User.phone).contains(q.replace(" ", ""), autoescape=True),
    ]
    return [sa.or_(*found)]


async def list_users(
    session: AsyncSession, q: str | None, limit: int, offset: int
) -> tuple[list[User], int]:
    where = _search(q)
    total = await session.scalar(sa.select(sa.func.count()).select_from(User).where(*where))
    rows = await session.scalars(
        sa.select(User)
        .where(*where)
        .order_by(col(User.created_at), col(User.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"No user {user_id}")
    return user


async def set_active(
    session: AsyncSession,
    revocations: Revocations,
    settings: Settings,
    actor: User,
    user_id: uuid.UUID,
    active: bool,
) -> User:
    user = await get_user(session, user_id)
    if user.id == actor.id and not active:
        raise SelfLockout("You cannot deactivate your own account")
    changed = user.is_active != active
    user.is_active, user.updated_at = active, utcnow()
    session.add(user)
    revoked = 0
    if not active:
        revoked = await auth_service.revoke_refresh_tokens(session, user.id)
    record(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        "user",
        user.id,
        {"changed": changed, "refresh_tokens_revoked": revoked},
    )
    await session.flush()
    # Deactivating refuses every access token before the commit: if the shared list cannot be
    # written the request fails and nothing changes. Reactivating lifts the refusal: tokens
    # carry whole-second issue times, so "refuse those issued before now" would also refuse a
    # login made in the same second. The refresh tokens stay revoked, so the old sessions end
    # when their access token expires.
    not_before = FOREVER if not active else 0.0
    await auth_service.revoke_access_tokens(revocations, settings, user.id, not_before)
    await session.commit()
    return user


async def set_role(
    session: AsyncSession,
    actor: User | None,
    user: User,
    role: Role,
    actor_label: str | None = None,
) -> User:
    if actor is not None and actor.id == user.id and role != "admin":
        raise SelfLockout("You cannot remove your own admin role")
    before = user.role
    user.is_admin, user.updated_at = role == "admin", utcnow()
    session.add(user)
    record(
        session,
        actor,
        "user.role",
        "user",
        user.id,
        {"from": before, "to": role},
        actor_label=actor_label,
    )
    await session.commit()
    return user


async def find_user(session: AsyncSession, identifier: str) -> User | None:
    """An account by email (case-blind) or phone number (any international spelling)."""
    ident = identifier.strip()
    if "@" in ident:
        return await session.scalar(sa.select(User).where(col(User.email) == ident.lower()))
    try:
        phone = normalise_phone(ident)
    except ValueError:
        return None
    return await session.scalar(sa.select(User).where(col(User.phone) == phone))


async def list_audit(
    session: AsyncSession,
    limit: int,
    offset: int,
    action: str | None = None,
    target_id: str | None = None,
) -> tuple[list[AuditEntry], int]:
    where: list[sa.ColumnElement[bool]] = []
    if action:
        where.append(col(AuditEntry.action) == action)
    if target_id:
        where.append(col(AuditEntry.target_id) == target_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*where))
    rows = await session.scalars(
        sa.select(AuditEntry)
        .where(*where)
        .order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)
