"""Daily goals with effective dates: each day is compared with the goal in force on it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cache import Cache, user_scope
from app.core.errors import NotFound, Unprocessable
from app.core.types import utcnow
from app.goals.models import Goal


class GoalNotSet(NotFound):
    code, title = "goal-not-set", "No goal set"


async def set_goal(
    session: AsyncSession,
    cache: Cache,
    user_id: uuid.UUID,
    *,
    effective_from: dt.date,
    kcal: float,
    protein_g: float,
    carbs_g: float,
    fat_g: float,
    source: str = "manual",
) -> Goal:
    """Creates the goal for `effective_from`, replacing one already set for that same day."""
    if effective_from < dt.date(2000, 1, 1):
        raise Unprocessable(f"effective_from {effective_from} is too far in the past")
    goal = await session.scalar(
        sa.select(Goal).where(
            col(Goal.user_id) == user_id, col(Goal.effective_from) == effective_from
        )
    )
    now = utcnow()
    if goal is None:
        goal = Goal(
            user_id=user_id,
            effective_from=effective_from,
            kcal=kcal,
            protein_g=protein_g,
            carbs_g=carbs_g,
            fat_g=fat_g,
            source=source,
        )
    else:
        goal.kcal, goal.protein_g, goal.carbs_g, goal.fat_g = kcal, protein_g, carbs_g, fat_g
        goal.source, goal.updated_at = source, now
    session.add(goal)
    try:
        await session.commit()
    except IntegrityError:
        # A concurrent PUT created the same day's goal first: apply ours as an update to it.
        await session.rollback()
        return await set_goal(
            session,
            cache,
            user_id,
            effective_from=effective_from,
            kcal=kcal,
            protein_g=protein_g,
            carbs_g=carbs_g,
            fat_g=fat_g,
            source=source,
        )
    await cache.invalidate(user_scope(user_id))
    return goal


async def goal_on(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> Goal | None:
    return await session.scalar(
        sa.select(Goal)
        .where(col(Goal.user_id) == user_id, col(Goal.effective_from) <= day)
        .order_by(col(Goal.effective_from).desc())
        .limit(1)
    )


async def goals_for_range(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> list[Goal]:
    """Goals that apply to some day of [start, end], oldest first: at most one per day plus
    the one in force at `start`."""
    span = (end - start).days + 2
    rows = await session.scalars(
        sa.select(Goal)
        .where(col(Goal.user_id) == user_id, col(Goal.effective_from) <= end)
        .order_by(col(Goal.effective_from).desc())
        .limit(span)
    )
    found = sorted(rows, key=lambda g: g.effective_from)
    # Drop goals superseded before the range starts.
    in_force = [g for g in found if g.effective_from <= start]
    later = [g for g in found if g.effective_from > start]
    return in_force[-1:] + later


async def goals_for_range_many(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], start: dt.date, end: dt.date
) -> dict[uuid.UUID, list[Goal]]:
    """`goals_for_range` for many users: the goal in force at `start` per user (a window
    function, so one row each however long the history) plus those starting in (start, end]."""
    if not user_ids:
        return {}
    newest = (
        sa.func.row_number()
        .over(partition_by=col(Goal.user_id), order_by=col(Goal.effective_from).desc())
        .label("rn")
    )
    ranked = (
        sa.select(col(Goal.id), newest)
        .where(col(Goal.user_id).in_(user_ids), col(Goal.effective_from) <= start)
        .subquery()
    )
    in_force = sa.select(ranked.c.id).where(ranked.c.rn == 1)
    cond: sa.ColumnElement[bool] = col(Goal.id).in_(in_force)
    if end > start:
        cond = sa.or_(
            cond,
            sa.and_(
                col(Goal.user_id).in_(user_ids),
                col(Goal.effective_from) > start,
                col(Goal.effective_from) <= end,
            ),
        )
    out: dict[uuid.UUID, list[Goal]] = {}
    for g in await session.scalars(sa.select(Goal).where(cond)):
        out.setdefault(g.user_id, []).append(g)
    for goals in out.values():
        goals.sort(key=lambda g: g.effective_from)
    return out


def goal_for_day(goals: Sequence[Goal], day: dt.date) -> Goal | None:
    chosen = None
    for g in goals:
        if g.effective_from <= day:
            chosen = g
        else:
            break
    return chosen


async def history(
    session: AsyncSession, user_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Goal], int]:
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(Goal).where(col(Goal.user_id) == user_id)
    )
    rows = await session.scalars(
        sa.select(Goal)
        .where(col(Goal.user_id) == user_id)
        .order_by(col(Goal.effective_from).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)
