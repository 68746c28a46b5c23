"""The audit trail's writer, kept apart from the admin service so that other domains
(shared exercises in app/training) can record an operator's change in their own transaction
without importing the admin routes' dependencies."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.admin.models import AuditEntry
from app.auth.models import User

T = TypeVar("T")

# What a catalogue write answers to `audited`: its result, the target's id and the detail kept.
Written = tuple[T, object, dict[str, Any]]


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


async def audited(
    session: AsyncSession, actor: User, action: str, write: Awaitable[Written[T]]
) -> T:
    """Runs an operator's write (which flushes and never commits), adds its audit row and
    commits both: a change is never stored without its record, nor a record without its
    change. The target type is the action's first word (`food.update` -> `food`)."""
    result, target_id, detail = await write
    record(session, actor, action, action.split(".", 1)[0], target_id, detail)
    await session.commit()
    return result
