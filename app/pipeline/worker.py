"""Running the pipeline: `nexfitra worker` (Redis) or asyncio tasks in the API process.

A worker process consumes plan jobs from the Redis-backed taskiq queue (`app.core.jobs`; the
taskiq receiver runs inside this process, so no separate `taskiq worker` command is needed),
and (unless `--no-scheduler`) also runs the scheduler cycle and the outbox dispatcher. It also
runs the domain-event relay and consumers (`app.events.runtime`). Several
workers may all run the scheduler: the database makes the cycles idempotent. In the embedded
default (no REDIS_URL) the API's lifespan starts the same three loops in-process
(`start_for_app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from app.activities import sync, trackers_router
from app.core import netguard
from app.core.config import Settings
from app.core.jobs import JobQueue, create_queue
from app.core.resources import Resources
from app.core.types import utcnow
from app.events import runtime as events_runtime
from app.llm.client import LLMClient
from app.pipeline import notify, service
from app.pipeline.budget import create_run_budget
from app.pipeline.config import PipelineSettings, get_pipeline_settings
from app.pipeline.limits import ProviderLimiter

log = logging.getLogger("nexfitra.worker")


def make_queue(settings: Settings) -> JobQueue:
    return create_queue(settings.redis_url)


def make_context(
    resources: Resources,
    queue: JobQueue,
    config: PipelineSettings,
    llm: LLMClient | None = None,
    http: httpx.AsyncClient | None = None,
) -> service.PipelineContext:
    limiter = ProviderLimiter(resources.limiter, config.provider_limit_per_minute)
    return service.PipelineContext(
        sessionmaker=resources.sessionmaker,
        cache=resources.cache,
        queue=queue,
        limiter=limiter,
        config=config,
        llm=llm,
        budget=create_run_budget(resources.redis),
        providers=live_providers(resources, limiter, http) if http is not None else (),
    )


def live_providers(
    resources: Resources, limiter: ProviderLimiter, http: httpx.AsyncClient
) -> list[service.ActivityProvider]:
    """The trackers configured on this server (Fitbit when FITBIT_CLIENT_ID/SECRET are set)."""
    settings = resources.settings
    if not (settings.fitbit_client_id and settings.fitbit_client_secret):
        return []
    api = trackers_router.fitbit_api(settings, http, limiter)
    return [
        sync.FitbitSync(
            resources.sessionmaker,
            trackers_router.cipher(settings),
            api,
            sync_days=settings.fitbit_sync_days,
        )
    ]


async def _every(
    interval_s: float, stop: asyncio.Event, fn: Callable[[], Awaitable[object]], align: bool
) -> None:
    while not stop.is_set():
        try:
            await fn()
        except Exception:
            log.exception("pipeline loop iteration failed")
        delay = interval_s
        if align:  # wake at the next multiple of the interval (:00, :15, :30, :45)
            now = utcnow().timestamp()
            delay = interval_s - (now % interval_s) + 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)


@dataclass
class Runtime:
    ctx: service.PipelineContext
    http: httpx.AsyncClient
    net_policy: netguard.OutboundPolicy = field(default_factory=netguard.OutboundPolicy)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[object]] = field(default_factory=list)

    @property
    def queue(self) -> JobQueue:
        return self.ctx.queue

    def start(self, *, consume: bool, schedule: bool) -> None:
        cfg = self.ctx.config
        notifiers = notify.default_notifiers(self.http, self.net_policy)

        async def cycle() -> object:
            return await service.schedule_cycle(self.ctx)

        async def dispatch() -> object:
            return await notify.dispatch_due(
                self.ctx.sessionmaker, notifiers, cfg, self.ctx.clock()
            )

        if schedule:
            self.tasks.append(asyncio.create_task(_every(cfg.interval_s, self.stop, cycle, True)))
            self.tasks.append(
                asyncio.create_task(_every(cfg.notify_interval_s, self.stop, dispatch, False))
            )
        if consume:
            self.tasks.append(
                asyncio.create_task(
                    self.queue.work(
                        service.handlers(self.ctx), concurrency=cfg.concurrency, stop=self.stop
                    )
                )
            )

    async def close(self) -> None:
        self.stop.set()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.http.aclose()
        await self.queue.close()


def _http(config: PipelineSettings) -> httpx.AsyncClient:
    # trust_env off: a proxy from the environment would do its own lookup of the name, and
    # webhook requests must go to the address netguard vetted.
    return httpx.AsyncClient(
        timeout=config.webhook_timeout_s, follow_redirects=False, trust_env=False
    )


async def start_for_app(resources: Resources, llm: LLMClient | None = None) -> Runtime:
    """The API's pipeline: always a queue (the admin view reads its length); in the embedded
    default also the scheduler, consumer and dispatcher loops, unless disabled. `llm` (the
    app's client) words the nightly plans."""
    settings = resources.settings
    config = get_pipeline_settings()
    http = _http(config)
    runtime = Runtime(
        make_context(resources, make_queue(settings), config, llm, http), http, resources.net_policy
    )
    in_process = config.in_process
    if in_process is None:
        in_process = settings.environment != "test"
    if in_process and not settings.redis_url:
        runtime.start(consume=True, schedule=True)
    return runtime


async def run_worker(settings: Settings, *, schedule: bool, concurrency: int | None) -> int:
    if not settings.redis_url:
        log.error(
            "nexfitra worker needs REDIS_URL; without Redis the API process runs the jobs itself"
        )
        return 2
    config = get_pipeline_settings()
    if concurrency:
        config = config.model_copy(update={"concurrency": concurrency})
    resources = Resources.create(settings)
    llm = LLMClient.from_settings(settings)
    http = _http(config)
    runtime = Runtime(
        make_context(resources, make_queue(settings), config, llm, http), http, resources.net_policy
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, runtime.stop.set)
    log.info(
        "worker started (concurrency %d, scheduler %s) at %s",
        config.concurrency,
        "on" if schedule else "off",
        dt.datetime.now(dt.UTC).isoformat(),
    )
    runtime.start(consume=True, schedule=schedule)
    # Domain events: the outbox relay and every consumer group, shared with other workers.
    events = events_runtime.create_runtime(resources)
    events.start(relay_loop=True, consume=True)
    await runtime.stop.wait()
    await events.close()
    await runtime.close()
    if llm is not None:
        await llm.aclose()
    await resources.close()
    return 0
