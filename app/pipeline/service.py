"""The nightly plan pipeline: the scheduler cycle and the per-user job.

Scheduler cycle (every 15 minutes, any number of schedulers at once):
1. Group the users' time zones by the local date they are in and keep the zones whose local
   time has passed `plan_hour` (03:00). Computed per distinct zone in Python (zoneinfo knows
   every DST rule and :30/:45 offset), then one set-based query per local date.
2. Insert a `plan_runs` row for each such user with no plan and no run for that local date,
   `ON CONFLICT (user_id, date) DO NOTHING RETURNING user_id`: only the scheduler whose insert
   won enqueues, so two schedulers (or a retried cycle) never plan a user-day twice.
3. Claim runs due for a retry (`UPDATE .. WHERE status='retry' AND next_attempt_at <= now
   RETURNING`) and runs whose job was lost, and enqueue them.

Per-user job: claim the run (queued -> running, attempts + 1, atomically), import yesterday's
activity from the external providers (through the per-provider limiter), generate the day
with the plans service, warm the plan cache and schedule the "plan ready" notification. If
generation fails, copy the previous day's plan (marked `fallback_from`), set the run to retry
with exponential backoff; after `max_attempts` the run is `failed` with the error kept.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.auth.models import User
from app.core.cache import Cache, user_scope
from app.core.jobs import Job, JobQueue
from app.core.timeutil import zone
from app.core.types import utcnow
from app.llm.client import LLMClient
from app.pipeline import notify
from app.pipeline.config import PipelineSettings
from app.pipeline.limits import ProviderLimiter
from app.pipeline.models import PlanRun
from app.plans import service as plans_service
from app.plans.models import MealPlan
from app.users.models import DEFAULT_WAKE_TIME, UserProfile
from app.workouts.importers import ImportedActivity
from app.workouts.models import Activity

log = logging.getLogger("nexfitra.pipeline")

JOB_PLAN_DAY = "plan_user_day"
_BATCH = 1000

GenerateFn = Callable[
    [AsyncSession, Cache, uuid.UUID, dt.date, int, LLMClient | None], Awaitable[list[MealPlan]]
]


class ActivityProvider(Protocol):
    """An external activity source (a tracker's API). `fetch` answers one local day."""

    name: str

    async def fetch(self, user_id: uuid.UUID, day: dt.date) -> list[ImportedActivity]: ...


@dataclasses.dataclass
class PipelineContext:
    sessionmaker: async_sessionmaker[AsyncSession]
    cache: Cache
    queue: JobQueue
    limiter: ProviderLimiter
    config: PipelineSettings
    providers: Sequence[ActivityProvider] = ()
    llm: LLMClient | None = None
    clock: Callable[[], dt.datetime] = utcnow
    generate: GenerateFn = plans_service.generate


@dataclasses.dataclass
class CycleResult:
    cycle_at: dt.datetime
    due_dates: dict[str, int]  # local date -> zones past plan_hour on it
    created: int
    retried: int
    recovered: int
    enqueued: int


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def due_zones(zones: Sequence[str], now: dt.datetime, plan_hour: int) -> dict[dt.date, list[str]]:
    """Zones whose local time at `now` has passed `plan_hour`, by their local date."""
    out: dict[dt.date, list[str]] = defaultdict(list)
    for name in zones:
        try:
            local = now.astimezone(zone(name))
        except (KeyError, ValueError):
            log.warning("skipping unknown time zone %r", name)
            continue
        if local.hour >= plan_hour:
            out[local.date()].append(name)
    return dict(out)


def job_for(user_id: uuid.UUID, day: dt.date, attempts: int, cycle_at: dt.datetime) -> Job:
    # The id names the attempt, so a retry is a new job while a duplicate enqueue is dropped.
    return Job(
        JOB_PLAN_DAY,
        {"user_id": str(user_id), "date": day.isoformat(), "cycle_at": cycle_at.isoformat()},
        f"plan:{user_id}:{day.isoformat()}:{attempts}",
    )


async def _create_runs(
    session: AsyncSession, by_date: dict[dt.date, list[str]], cycle_at: dt.datetime
) -> list[tuple[uuid.UUID, dt.date]]:
    created: list[tuple[uuid.UUID, dt.date]] = []
    for day, zones in by_date.items():
        has_plan = sa.exists().where(
            col(MealPlan.user_id) == col(User.id), col(MealPlan.date) == day
        )
        has_run = sa.exists().where(col(PlanRun.user_id) == col(User.id), col(PlanRun.date) == day)
        user_ids = list(
            await session.scalars(
                sa.select(col(User.id)).where(
                    col(User.timezone).in_(zones),
                    col(User.is_active),
                    ~has_plan,
                    ~has_run,
                )
            )
        )
        for start in range(0, len(user_ids), _BATCH):
            rows = [
                {
                    "id": uuid.uuid4(),
                    "user_id": uid,
                    "date": day,
                    "status": "queued",
                    "attempts": 0,
                    "fallback": False,
                    "cycle_at": cycle_at,
                    "created_at": cycle_at,
                    "updated_at": cycle_at,
                }
                for uid in user_ids[start : start + _BATCH]
            ]
            stmt = (
                _insert(session)(PlanRun)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["user_id", "date"])
                .returning(col(PlanRun.user_id))
            )
            inserted = list(await session.scalars(stmt))
            await session.commit()
            created.extend((uid, day) for uid in inserted)
    return created


async def _claim_again(
    session: AsyncSession, where: Any, cycle_at: dt.datetime
) -> list[tuple[uuid.UUID, dt.date, int]]:
    stmt = (
        sa.update(PlanRun)
        .where(where)
        .values(status="queued", cycle_at=cycle_at, updated_at=cycle_at, next_attempt_at=None)
        .returning(col(PlanRun.user_id), col(PlanRun.date), col(PlanRun.attempts))
    )
    rows = [(r[0], r[1], int(r[2])) for r in (await session.execute(stmt)).all()]
    await session.commit()
    return rows


async def schedule_cycle(ctx: PipelineContext, now: dt.datetime | None = None) -> CycleResult:
    """One scheduler cycle at `now` (injected by tests and the benchmark)."""
    now = now or ctx.clock()
    cfg = ctx.config
    async with ctx.sessionmaker() as session:
        zones = list(await session.scalars(sa.select(col(User.timezone)).distinct()))
        by_date = due_zones(zones, now, cfg.plan_hour)
        created = await _create_runs(session, by_date, now)
        retried = await _claim_again(
            session,
            sa.and_(col(PlanRun.status) == "retry", col(PlanRun.next_attempt_at) <= now),
            now,
        )
        stale = now - dt.timedelta(seconds=cfg.stale_after_s)
        recovered = await _claim_again(
            session,
            sa.and_(
                col(PlanRun.status).in_(("queued", "running")),
                col(PlanRun.updated_at) < stale,
            ),
            now,
        )
    jobs = [job_for(uid, day, 0, now) for uid, day in created]
    jobs += [job_for(uid, day, attempts, now) for uid, day, attempts in retried]
    # A lost job's id was already used: the cycle stamp makes the new one distinct.
    jobs += [
        dataclasses.replace(j, job_id=f"{j.job_id}:{now.isoformat()}")
        for j in (job_for(uid, day, attempts, now) for uid, day, attempts in recovered)
    ]
    enqueued = await ctx.queue.enqueue_many(jobs)
    result = CycleResult(
        cycle_at=now,
        due_dates={d.isoformat(): len(z) for d, z in by_date.items()},
        created=len(created),
        retried=len(retried),
        recovered=len(recovered),
        enqueued=enqueued,
    )
    log.info("scheduler cycle: %s", result)
    return result


# --- the per-user job ------------------------------------------------------------------------


async def _claim_run(
    session: AsyncSession, user_id: uuid.UUID, day: dt.date, now: dt.datetime
) -> int | None:
    stmt = (
        sa.update(PlanRun)
        .where(
            col(PlanRun.user_id) == user_id,
            col(PlanRun.date) == day,
            col(PlanRun.status) == "queued",
        )
        .values(status="running", attempts=col(PlanRun.attempts) + 1, updated_at=now)
        .returning(col(PlanRun.attempts))
    )
    attempts = (await session.execute(stmt)).scalar_one_or_none()
    await session.commit()
    return None if attempts is None else int(attempts)


async def _finish(
    session: AsyncSession, user_id: uuid.UUID, day: dt.date, now: dt.datetime, **values: Any
) -> None:
    await session.execute(
        sa.update(PlanRun)
        .where(col(PlanRun.user_id) == user_id, col(PlanRun.date) == day)
        .values(updated_at=now, **values)
    )
    await session.commit()


async def _store_activities(
    session: AsyncSession, user_id: uuid.UUID, items: Sequence[ImportedActivity]
) -> None:
    if not items:
        return
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "date": i.date,
            "started_at": i.started_at,
            "activity_type": i.activity_type,
            "duration_min": i.duration_min,
            "steps": i.steps,
            "distance_km": i.distance_km,
            "kcal": i.kcal,
            "kcal_estimated": False,
            "met": None,
            "source": i.source,
            "external_id": i.external_id,
            "created_at": now,
            "updated_at": now,
        }
        for i in items
    ]
    stmt = (
        _insert(session)(Activity)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["user_id", "source", "external_id"])
    )
    await session.execute(stmt)
    await session.commit()


async def import_yesterday(
    ctx: PipelineContext, session: AsyncSession, user_id: uuid.UUID, yesterday: dt.date
) -> str:
    """Pulls yesterday's activity from every provider; answers the activity source:
    "activity" (yesterday has activity data) or "baseline" (none, or an import failed)."""
    failed = False
    for provider in ctx.providers:
        try:
            await ctx.limiter.acquire(provider.name)
            items = await provider.fetch(user_id, yesterday)
            await _store_activities(session, user_id, items)
        except Exception as exc:
            await session.rollback()
            failed = True
            log.warning("activity import from %s failed for %s: %s", provider.name, user_id, exc)
    if failed:
        return "baseline"
    count = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Activity)
        .where(col(Activity.user_id) == user_id, col(Activity.date) == yesterday)
    )
    return "activity" if count else "baseline"


async def _warm_cache(cache: Cache, row: MealPlan) -> None:
    scope, key = user_scope(row.user_id), f"plan:{row.date}"
    _, version = await cache.get(scope, key)
    await cache.put(scope, key, plans_service.plan_out(row).model_dump_json(), version)


async def _copy_previous(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, day: dt.date
) -> MealPlan | None:
    """Stores the previous day's plan as `day`'s, marked `fallback_from`; never replaces a
    real plan of `day`."""
    current = await plans_service.find_plan(session, user_id, day)
    if current is not None and not current.plan.get("fallback_from"):
        return current
    prev = await plans_service.find_plan(session, user_id, day - dt.timedelta(days=1))
    if prev is None:
        return None
    plan = copy.deepcopy(prev.plan)
    plan["date"] = day.isoformat()
    plan["fallback_from"] = prev.plan.get("fallback_from") or prev.date.isoformat()
    await plans_service.store_plans(session, user_id, [(plan, prev.text, prev.text_source)])
    await cache.invalidate(user_scope(user_id))
    return await plans_service.find_plan(session, user_id, day)


async def _user_local(session: AsyncSession, user_id: uuid.UUID) -> tuple[str, str]:
    row = (
        await session.execute(
            sa.select(col(User.timezone), col(UserProfile.wake_time))
            .select_from(User)
            .outerjoin(UserProfile, col(UserProfile.user_id) == col(User.id))
            .where(col(User.id) == user_id)
        )
    ).one()
    return str(row[0]), str(row[1] or DEFAULT_WAKE_TIME)


async def plan_user_day(ctx: PipelineContext, user_id: uuid.UUID, day: dt.date) -> str:
    """The job: answers the run's final status for this attempt (or "skipped-claim" when
    another worker holds the run, the job is a duplicate, or the run is already finished)."""
    async with ctx.sessionmaker() as session:
        attempts = await _claim_run(session, user_id, day, ctx.clock())
        if attempts is None:
            return "skipped-claim"
        source, tz, wake = "baseline", "UTC", DEFAULT_WAKE_TIME
        try:
            tz, wake = await _user_local(session, user_id)
            existing = await plans_service.find_plan(session, user_id, day)
            if existing is not None and not existing.plan.get("fallback_from"):
                # The user generated today's plan themselves after the run was scheduled.
                await _finish(session, user_id, day, ctx.clock(), status="done", last_error=None)
                return "done"
            source = await import_yesterday(ctx, session, user_id, day - dt.timedelta(days=1))
            await session.rollback()
            rows = await ctx.generate(session, ctx.cache, user_id, day, 1, ctx.llm)
        except plans_service.TargetsUnavailable as exc:
            await session.rollback()
            await _finish(
                session,
                user_id,
                day,
                ctx.clock(),
                status="skipped",
                activity_source=source,
                last_error=str(exc)[:500],
            )
            return "skipped"
        except Exception as exc:
            await session.rollback()
            return await _failed(ctx, session, user_id, day, attempts, source, tz, wake, exc)
        row = rows[0]
        await _warm_cache(ctx.cache, row)
        await notify.schedule_plan_ready(
            session, user_id, day, tz, wake, ctx.clock(), fallback=False
        )
        await _finish(
            session,
            user_id,
            day,
            ctx.clock(),
            status="done",
            fallback=False,
            activity_source=source,
            last_error=None,
            next_attempt_at=None,
        )
        return "done"


async def _failed(
    ctx: PipelineContext,
    session: AsyncSession,
    user_id: uuid.UUID,
    day: dt.date,
    attempts: int,
    source: str,
    tz: str,
    wake: str,
    exc: Exception,
) -> str:
    cfg = ctx.config
    now = ctx.clock()
    error = f"{type(exc).__name__}: {exc}"[:500]
    log.warning(
        "plan generation failed for %s on %s (attempt %d): %s", user_id, day, attempts, error
    )
    row = await _copy_previous(session, ctx.cache, user_id, day)
    fallback = row is not None and bool(row.plan.get("fallback_from"))
    if row is not None:
        await _warm_cache(ctx.cache, row)
        await notify.schedule_plan_ready(session, user_id, day, tz, wake, now, fallback=fallback)
    if attempts >= cfg.max_attempts:
        log.error("plan generation for %s on %s failed %d times: %s", user_id, day, attempts, error)
        await _finish(
            session,
            user_id,
            day,
            now,
            status="failed",
            fallback=fallback,
            activity_source=source,
            last_error=error,
            next_attempt_at=None,
        )
        return "failed"
    backoff = dt.timedelta(seconds=cfg.retry_base_s * 2 ** (attempts - 1))
    await _finish(
        session,
        user_id,
        day,
        now,
        status="retry",
        fallback=fallback,
        activity_source=source,
        last_error=error,
        next_attempt_at=now + backoff,
    )
    return "retry"


def handlers(ctx: PipelineContext) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
    async def plan_job(payload: dict[str, Any]) -> None:
        await plan_user_day(
            ctx, uuid.UUID(payload["user_id"]), dt.date.fromisoformat(payload["date"])
        )

    return {JOB_PLAN_DAY: plan_job}


# --- operators' view ---------------------------------------------------------------------------


async def stats(ctx_queue: JobQueue, session: AsyncSession, cycles: int = 12) -> dict[str, Any]:
    recent = list(
        await session.scalars(
            sa.select(col(PlanRun.cycle_at))
            .distinct()
            .order_by(col(PlanRun.cycle_at).desc())
            .limit(cycles)
        )
    )
    per_cycle: list[dict[str, Any]] = []
    if recent:
        finished = col(PlanRun.status).in_(("done", "failed", "skipped", "retry"))
        rows = await session.execute(
            sa.select(
                col(PlanRun.cycle_at),
                sa.func.count(),
                sa.func.sum(sa.case((finished, 1), else_=0)),
                sa.func.sum(sa.case((col(PlanRun.status) == "failed", 1), else_=0)),
                sa.func.sum(sa.case((col(PlanRun.fallback), 1), else_=0)),
                sa.func.sum(sa.case((col(PlanRun.status) == "retry", 1), else_=0)),
                sa.func.sum(sa.case((col(PlanRun.status) == "skipped", 1), else_=0)),
            )
            .where(col(PlanRun.cycle_at).in_(recent))
            .group_by(col(PlanRun.cycle_at))
            .order_by(col(PlanRun.cycle_at).desc())
        )
        per_cycle = [
            {
                "cycle_at": r[0],
                "enqueued": int(r[1]),
                "processed": int(r[2] or 0),
                "failures": int(r[3] or 0),
                "fallbacks": int(r[4] or 0),
                "retrying": int(r[5] or 0),
                "skipped": int(r[6] or 0),
            }
            for r in rows.all()
        ]
    by_status = dict(
        (
            await session.execute(
                sa.select(col(PlanRun.status), sa.func.count()).group_by(col(PlanRun.status))
            )
        ).all()
    )
    failures = await session.scalars(
        sa.select(PlanRun)
        .where(col(PlanRun.status) == "failed")
        .order_by(col(PlanRun.updated_at).desc())
        .limit(20)
    )
    return {
        "queue_backend": ctx_queue.backend,
        "queue_length": await ctx_queue.length(),
        "jobs_processed": await ctx_queue.processed(),
        "runs_by_status": {k: int(v) for k, v in by_status.items()},
        "cycles": per_cycle,
        "recent_failures": [
            {
                "user_id": f.user_id,
                "date": f.date,
                "attempts": f.attempts,
                "fallback": f.fallback,
                "last_error": f.last_error,
                "updated_at": f.updated_at,
            }
            for f in failures
        ],
    }
