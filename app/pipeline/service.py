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
import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.activities import service as activities_service
from app.activities.importers import ImportedActivity, SyncedDays
from app.activities.models import Activity
from app.auth.models import User
from app.core.cache import Cache, user_scope
from app.core.concurrency import gather_limited
from app.core.db import dialect_insert
from app.core.jobs import Job, JobQueue
from app.core.timeutil import zone
from app.core.types import utcnow
from app.llm.client import LLMClient
from app.llm.plan_text import BudgetedWriter, PlanTextWriter
from app.pipeline import notify
from app.pipeline.budget import MemoryRunBudget, RunBudget, RunBudgetedWriter
from app.pipeline.config import PipelineSettings
from app.pipeline.limits import ProviderLimiter
from app.pipeline.models import PlanRun
from app.plans import service as plans_service
from app.plans.models import MealPlan
from app.users.models import DEFAULT_WAKE_TIME, UserProfile

log = logging.getLogger("nexfitra.pipeline")

JOB_PLAN_DAY = "plan_user_day"  # one user (jobs enqueued before batches existed)
JOB_PLAN_BATCH = "plan_batch"  # up to `batch_size` users of one local date
_BATCH = 1000

GenerateFn = Callable[
    [AsyncSession, Cache, Sequence[plans_service.PlanRequest], PlanTextWriter | None],
    Awaitable[dict[uuid.UUID, list[MealPlan] | Exception]],
]


class ActivityProvider(Protocol):
    """An external activity source (a tracker's API). `fetch` answers one local day's rows,
    or `SyncedDays` when it re-reads a window of days and knows which it answered in full.
    Rows are upserted by external id, so a day the source revised is updated in place."""

    name: str

    async def fetch(
        self, user_id: uuid.UUID, day: dt.date
    ) -> list[ImportedActivity] | SyncedDays: ...


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
    generate: GenerateFn = plans_service.generate_many
    # The LLM budget of each run, shared by its batches (Redis when the workers are processes).
    budget: RunBudget = dataclasses.field(default_factory=MemoryRunBudget)


@dataclasses.dataclass
class CycleResult:
    cycle_at: dt.datetime
    due_dates: dict[str, int]  # local date -> zones past plan_hour on it
    created: int
    retried: int
    recovered: int
    enqueued: int  # runs (users) sent to the workers
    jobs: int = 0  # jobs those runs were grouped into


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


def batch_jobs(
    runs: Sequence[tuple[uuid.UUID, dt.date, int]],
    cycle_at: dt.datetime,
    batch_size: int,
    *,
    stamp: str = "",
) -> list[Job]:
    """Jobs of up to `batch_size` runs of one local date: the job plans its users together
    (set-based reads and writes), which is most of the pipeline's speed. The id names the
    users and their attempt numbers, so a retry is a new job while a duplicate enqueue of
    the same runs is dropped; `stamp` makes re-enqueued lost jobs distinct."""
    by_date: dict[dt.date, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for uid, day, attempts in runs:
        by_date[day].append((uid, attempts))
    jobs = []
    for day, members in sorted(by_date.items()):
        members.sort()
        for start in range(0, len(members), batch_size):
            part = members[start : start + batch_size]
            digest = hashlib.sha1(
                "|".join(f"{uid}:{n}" for uid, n in part).encode(), usedforsecurity=False
            ).hexdigest()
            jobs.append(
                Job(
                    JOB_PLAN_BATCH,
                    {
                        "date": day.isoformat(),
                        "users": [str(uid) for uid, _ in part],
                        "cycle_at": cycle_at.isoformat(),
                    },
                    f"plans:{day.isoformat()}:{digest}{stamp}",
                )
            )
    return jobs


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
                dialect_insert(session)(PlanRun)
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
    size = cfg.batch_size
    jobs = batch_jobs([(uid, day, 0) for uid, day in created], now, size)
    jobs += batch_jobs(retried, now, size)
    # A lost job's id was already used: the cycle stamp makes the new one distinct.
    jobs += batch_jobs(recovered, now, size, stamp=f":{now.isoformat()}")
    new_jobs = {j.job_id for j in jobs}
    fresh = await ctx.queue.enqueue_many(jobs)
    if fresh != len(new_jobs):
        log.warning("%d of %d jobs were duplicates and dropped", len(new_jobs) - fresh, len(jobs))
    result = CycleResult(
        cycle_at=now,
        due_dates={d.isoformat(): len(z) for d, z in by_date.items()},
        created=len(created),
        retried=len(retried),
        recovered=len(recovered),
        enqueued=len(created) + len(retried) + len(recovered),
        jobs=fresh,
    )
    log.info("scheduler cycle: %s", result)
    return result


# --- the per-user job ------------------------------------------------------------------------


async def _claim_runs(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], day: dt.date, now: dt.datetime
) -> dict[uuid.UUID, int]:
    """queued -> running with attempts + 1, atomically; answers the claimed users' attempt
    numbers. A run another worker holds, or one already finished, is not claimed."""
    stmt = (
        sa.update(PlanRun)
        .where(
            col(PlanRun.user_id).in_(user_ids),
            col(PlanRun.date) == day,
            col(PlanRun.status) == "queued",
        )
        .values(status="running", attempts=col(PlanRun.attempts) + 1, updated_at=now)
        .returning(col(PlanRun.user_id), col(PlanRun.attempts))
    )
    claimed = {uid: int(n) for uid, n in (await session.execute(stmt)).all()}
    await session.commit()
    return claimed


async def _finish(
    session: AsyncSession, user_id: uuid.UUID, day: dt.date, now: dt.datetime, **values: Any
) -> None:
    await _finish_many(session, [user_id], day, now, **values)


async def _finish_many(
    session: AsyncSession,
    user_ids: Sequence[uuid.UUID],
    day: dt.date,
    now: dt.datetime,
    **values: Any,
) -> None:
    if not user_ids:
        return
    await session.execute(
        sa.update(PlanRun)
        .where(col(PlanRun.user_id).in_(user_ids), col(PlanRun.date) == day)
        .values(updated_at=now, **values)
    )
    await session.commit()


async def _import_one(
    ctx: PipelineContext, session: AsyncSession, user_id: uuid.UUID, yesterday: dt.date
) -> bool:
    """Pulls yesterday's activity from every provider; False when an import failed."""
    ok = True
    for provider in ctx.providers:
        try:
            # Live-sync providers spend the budget per API call, and only for connected users.
            if not getattr(provider, "limits_itself", False):
                await ctx.limiter.acquire(provider.name)
            got = await provider.fetch(user_id, yesterday)
            synced = got if isinstance(got, SyncedDays) else SyncedDays(list(got))
            if synced.items or synced.complete:
                await activities_service.store_synced(session, user_id, provider.name, synced)
        except Exception as exc:
            await session.rollback()
            ok = False
            log.warning("activity import from %s failed for %s: %s", provider.name, user_id, exc)
    return ok


async def import_yesterday_many(
    ctx: PipelineContext, session: AsyncSession, user_ids: Sequence[uuid.UUID], day: dt.date
) -> dict[uuid.UUID, str]:
    """Imports the day before `day` for each user; answers each user's activity source:
    "activity" (yesterday has activity data) or "baseline" (none, or an import failed, in
    which case whatever is stored for yesterday is not used either: it may be partial)."""
    yesterday = day - dt.timedelta(days=1)
    failed = {uid for uid in user_ids if not await _import_one(ctx, session, uid, yesterday)}
    counted = set(
        await session.scalars(
            sa.select(col(Activity.user_id))
            .where(col(Activity.user_id).in_(user_ids), col(Activity.date) == yesterday)
            .distinct()
        )
    )
    return {
        uid: "activity" if uid in counted and uid not in failed else "baseline" for uid in user_ids
    }


async def import_yesterday(
    ctx: PipelineContext, session: AsyncSession, user_id: uuid.UUID, yesterday: dt.date
) -> str:
    day = yesterday + dt.timedelta(days=1)
    return (await import_yesterday_many(ctx, session, [user_id], day))[user_id]


async def _warm_cache(session: AsyncSession, cache: Cache, rows: Sequence[MealPlan]) -> None:
    """Caches committed plans under the key a reader would use (`plans` router)."""
    if not rows:
        return
    pairs: list[tuple[MealPlan, str]]
    if cache.reliable_invalidation:
        pairs = [(row, "") for row in rows]
    else:
        # Each plan again with its user's cache version, from one statement (one snapshot),
        # so the text stored under a version is that version's.
        result = await session.execute(
            sa.select(MealPlan, col(User.cache_version))
            .join(User, col(User.id) == col(MealPlan.user_id))
            .where(col(MealPlan.id).in_([r.id for r in rows]))
            .execution_options(populate_existing=True)
        )
        pairs = [(plan, f"@{version}") for plan, version in result.all()]
    texts = [
        (row.user_id, plans_service.plan_cache_key(row.date) + sfx, plans_service.plan_out(row))
        for row, sfx in pairs
    ]

    async def put(user_id: uuid.UUID, key: str, out: Any) -> None:
        scope = user_scope(user_id)
        _, version = await cache.get(scope, key)
        await cache.put(scope, key, out.model_dump_json(), version)

    await gather_limited(put(*t) for t in texts)


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


async def _users_local(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    rows = await session.execute(
        sa.select(col(User.id), col(User.timezone), col(UserProfile.wake_time))
        .select_from(User)
        .outerjoin(UserProfile, col(UserProfile.user_id) == col(User.id))
        .where(col(User.id).in_(user_ids))
    )
    return {uid: (str(tz), str(wake or DEFAULT_WAKE_TIME)) for uid, tz, wake in rows.all()}


async def _real_plans(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], day: dt.date
) -> set[uuid.UUID]:
    """Users who already have a plan (not a fallback copy) for `day`."""
    rows = await session.execute(
        sa.select(col(MealPlan.user_id), col(MealPlan.plan)).where(
            col(MealPlan.user_id).in_(user_ids), col(MealPlan.date) == day
        )
    )
    return {uid for uid, plan in rows.all() if not (plan or {}).get("fallback_from")}


async def plan_user_day(
    ctx: PipelineContext, user_id: uuid.UUID, day: dt.date, run: str | None = None
) -> str:
    """One user's run: the final status of this attempt (or "skipped-claim" when another
    worker holds the run, the job is a duplicate, or the run is already finished)."""
    return (await plan_users_day(ctx, [user_id], day, run)).get(user_id, "skipped-claim")


def run_id(cycle_at: str | dt.datetime | None, day: dt.date) -> str:
    """The nightly run a job belongs to: the scheduler cycle that enqueued it (every batch
    of the cycle shares its LLM budget); jobs from before batches carried it, by their date."""
    if cycle_at is None:
        return f"date:{day.isoformat()}"
    if isinstance(cycle_at, str):
        cycle_at = dt.datetime.fromisoformat(cycle_at)
    # One spelling whatever the source (a payload's ISO text, a database timestamp).
    return f"cycle:{cycle_at.astimezone(dt.UTC):%Y%m%dT%H%M%S.%f}"


async def plan_users_day(
    ctx: PipelineContext,
    user_ids: Sequence[uuid.UUID],
    day: dt.date,
    run: str | None = None,
) -> dict[uuid.UUID, str]:
    """The job: plans `day` for the users whose runs it can claim, together. Answers each
    claimed user's final status for this attempt (done, skipped, retry or failed). `run`
    (`run_id`) names the nightly run whose LLM budget the batch spends."""
    out: dict[uuid.UUID, str] = {}
    async with ctx.sessionmaker() as session:
        claimed = await _claim_runs(session, user_ids, day, ctx.clock())
        if not claimed:
            return out
        ids = sorted(claimed)
        local: dict[uuid.UUID, tuple[str, str]] = {}
        sources: dict[uuid.UUID, str] = {}
        try:
            local = await _users_local(session, ids)
            # Users who generated today's plan themselves after the run was scheduled.
            own = await _real_plans(session, ids, day)
            await _finish_many(session, sorted(own), day, ctx.clock(), status="done")
            out.update(dict.fromkeys(own, "done"))
            todo = [uid for uid in ids if uid not in own]
            sources = await import_yesterday_many(ctx, session, todo, day)
            await session.rollback()
            requests = [
                plans_service.PlanRequest(
                    uid, day, 1, include_active=sources.get(uid) == "activity"
                )
                for uid in todo
            ]
            writer = _budgeted(ctx, run or run_id(None, day))
            results = await ctx.generate(session, ctx.cache, requests, writer)
        except Exception as exc:
            # The batch as a whole failed (the database went away, ...): every user's run
            # takes the failure path on its own.
            await session.rollback()
            results = {uid: exc for uid in ids if uid not in out}
        await _settle(ctx, session, day, claimed, local, sources, results, out)
    return out


def _budgeted(ctx: PipelineContext, run: str) -> PlanTextWriter | None:
    """The batch's plan writer: each text spends one call of the run's budget (all batches
    of the run, on any worker), and the batch itself stops asking past its time limit or
    once the LLM has failed several times in a row."""
    limit = ctx.config.llm_calls_per_run
    if ctx.llm is None or limit == 0:
        return None
    batch = BudgetedWriter(ctx.llm, max_calls=limit, max_seconds=ctx.config.llm_seconds_per_batch)
    return RunBudgetedWriter(batch, ctx.budget, run, limit)


async def _settle(
    ctx: PipelineContext,
    session: AsyncSession,
    day: dt.date,
    claimed: dict[uuid.UUID, int],
    local: dict[uuid.UUID, tuple[str, str]],
    sources: dict[uuid.UUID, str],
    results: Mapping[uuid.UUID, list[MealPlan] | Exception],
    out: dict[uuid.UUID, str],
) -> None:
    """Warms the cache, schedules the notifications and finishes the runs of a batch."""
    now = ctx.clock()
    done: list[MealPlan] = []
    for uid, result in results.items():
        if isinstance(result, list) and result:
            done.append(result[0])
            continue
        if not isinstance(result, Exception):
            result = RuntimeError("no plan was stored")
        tz, wake = local.get(uid, ("UTC", DEFAULT_WAKE_TIME))
        source = sources.get(uid, "baseline")
        if isinstance(result, plans_service.PlanInfeasible):
            # Deterministic: retrying the same constraints gives the same answer, so the run
            # fails at once (with the previous day's plan copied) and says why.
            out[uid] = await _failed(
                ctx, session, uid, day, claimed[uid], source, tz, wake, result, final=True
            )
        elif isinstance(result, plans_service.TargetsUnavailable):
            await _finish(
                session,
                uid,
                day,
                now,
                status="skipped",
                activity_source=source,
                last_error=str(result)[:500],
            )
            out[uid] = "skipped"
        else:
            out[uid] = await _failed(ctx, session, uid, day, claimed[uid], source, tz, wake, result)
    await _warm_cache(session, ctx.cache, done)
    await notify.schedule_plan_ready_many(
        session,
        [(row.user_id, *local.get(row.user_id, ("UTC", DEFAULT_WAKE_TIME))) for row in done],
        day,
        now,
        fallback=False,
    )
    for source in ("activity", "baseline"):
        await _finish_many(
            session,
            [r.user_id for r in done if sources.get(r.user_id, "baseline") == source],
            day,
            now,
            status="done",
            fallback=False,
            activity_source=source,
            last_error=None,
            next_attempt_at=None,
        )
    out.update(dict.fromkeys((r.user_id for r in done), "done"))


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
    *,
    final: bool = False,
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
        await _warm_cache(session, ctx.cache, [row])
        await notify.schedule_plan_ready(session, user_id, day, tz, wake, now, fallback=fallback)
    if final or attempts >= cfg.max_attempts:
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
    async def plan_batch(payload: dict[str, Any]) -> None:
        day = dt.date.fromisoformat(payload["date"])
        await plan_users_day(
            ctx,
            [uuid.UUID(u) for u in payload["users"]],
            day,
            run_id(payload.get("cycle_at"), day),
        )

    async def plan_job(payload: dict[str, Any]) -> None:
        day = dt.date.fromisoformat(payload["date"])
        await plan_user_day(
            ctx, uuid.UUID(payload["user_id"]), day, run_id(payload.get("cycle_at"), day)
        )

    return {JOB_PLAN_BATCH: plan_batch, JOB_PLAN_DAY: plan_job}


# --- operators' view ---------------------------------------------------------------------------


async def stats(
    ctx_queue: JobQueue,
    session: AsyncSession,
    cycles: int = 12,
    budget: RunBudget | None = None,
) -> dict[str, Any]:
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
        if budget is not None:
            usage = await budget.usage([run_id(c["cycle_at"], dt.date.min) for c in per_cycle])
            for c in per_cycle:
                spent, refused = usage.get(run_id(c["cycle_at"], dt.date.min), (0, 0))
                c["llm_texts"], c["llm_budget_fallbacks"] = spent, refused
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
