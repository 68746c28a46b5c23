"""The one way list routes read a page: the owner's rows in a local-date range, counted and
sliced in two queries (count, then the page in the caller's order)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

M = TypeVar("M")


def owned_in_range(
    model: Any, user_id: uuid.UUID, start: dt.date | None, end: dt.date | None
) -> list[Any]:
    """WHERE conditions: the user's rows whose `date` lies in [start, end] (either open)."""
    conds: list[Any] = [model.user_id == user_id]
    if start is not None:
        conds.append(model.date >= start)
    if end is not None:
        conds.append(model.date <= end)
    return conds


async def fetch_page(
    session: AsyncSession,
    model: type[M],
    conds: Sequence[Any],
    order_by: Sequence[Any],
    limit: int,
    offset: int,
) -> tuple[list[M], int]:
    """The page of `model` rows matching `conds` in `order_by`, and how many match in all."""
    total = await session.scalar(sa.select(sa.func.count()).select_from(model).where(*conds))
    rows = await session.scalars(
        sa.select(model).where(*conds).order_by(*order_by).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)
