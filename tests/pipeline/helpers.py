from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from app.core.jobs import JobQueue
from app.pipeline import service
from app.pipeline.models import Notification, PlanRun


class Clock:
    """An injectable "now" the tests move forward."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> dt.datetime:
        self.now += dt.timedelta(**kw)
        return self.now


def today_noon() -> dt.datetime:
    today = dt.datetime.now(dt.UTC).date()
    return dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.UTC)


async def run_jobs(ctx: service.PipelineContext, queue: JobQueue | None = None) -> int:
    return await (queue or ctx.queue).work(service.handlers(ctx), until_empty=True)


async def cycle_and_run(ctx: service.PipelineContext, now: dt.datetime) -> service.CycleResult:
    result = await service.schedule_cycle(ctx, now)
    await run_jobs(ctx)
    return result


async def get_run(ctx: service.PipelineContext, user_id: str, day: dt.date) -> PlanRun:
    async with ctx.sessionmaker() as s:
        run = await s.scalar(
            sa.select(PlanRun).where(PlanRun.user_id == uuid.UUID(user_id), PlanRun.date == day)
        )
        assert run is not None
        return run


async def notifications(ctx: service.PipelineContext, user_id: str) -> list[Notification]:
    async with ctx.sessionmaker() as s:
        return list(
            await s.scalars(
                sa.select(Notification).where(Notification.user_id == uuid.UUID(user_id))
            )
        )
