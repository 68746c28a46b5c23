"""Application factory: routers, middleware, problem+json handlers and lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.types import Scope

import app.models  # noqa: F401  (every table registered before the first query)
from app.activities.router import router as activities_router
from app.activities.trackers_router import router as trackers_router
from app.admin.router import router as admin_router
from app.auth.router import router as auth_router
from app.core import docs, metrics, security
from app.core.config import Settings, get_settings
from app.core.contract import contract_openapi, enforce_contract, skip_where_nothing_to_check
from app.core.db import ping
from app.core.errors import UnhandledErrorMiddleware, install_handlers, problem
from app.core.observability import ObservabilityMiddleware
from app.core.resources import Resources
from app.core.routing import FastPathRoute, fast_path, index_routes
from app.events import runtime as events_runtime
from app.events.config import get_events_settings
from app.events.router import admin_router as events_admin_router
from app.events.router import router as events_router
from app.events.router import stream_router as events_stream_router
from app.events.stream import StreamSlots
from app.foods import loader as foods_loader
from app.foods.parser import default_index
from app.foods.router import nl_router as foods_nl_router
from app.foods.router import router as foods_router
from app.foods.search import packaged_index
from app.goals.router import router as goals_router
from app.inventory.router import router as inventory_router
from app.llm.client import LLMClient
from app.logs.router import router as logs_router
from app.pipeline import worker as pipeline_worker
from app.pipeline.router import admin_router as pipeline_admin_router
from app.pipeline.router import metrics_router, webhook_router
from app.plans.router import plans_router, recipes_router
from app.privacy.router import router as privacy_router
from app.summaries.router import router as summaries_router
from app.training import loader as training_loader
from app.training.router import (
    exercises_router,
    measurements_router,
    programs_router,
    workouts_router,
)
from app.users.profile_router import router as profile_router
from app.users.profile_router import targets_router, weights_router
from app.users.router import router as users_router
from app.water.router import router as water_router

log = logging.getLogger("nexfitra")


_HEALTH = b'{"status":"ok"}'  # what `health` answers, as FastAPI serialises it


async def _health_now(scope: Scope) -> bytes:
    return _HEALTH


GC_YOUNG_THRESHOLD = 5000  # `nexfitra serve` only; see the lifespan


def _build_search_index() -> None:
    packaged_index()
    gc.freeze()  # like the parser's index below: long-lived, not worth walking in every GC


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not gc.isenabled():
            # `nexfitra serve` turned the collector off for the imports (app/cli.py). What they
            # built (modules, classes, routes) lives as long as the process: frozen, so that the
            # first collections do not walk those 300,000 objects (0.2 s each, before /docs).
            gc.freeze()
            # Fewer young collections: 50 requests in flight keep thousands of objects alive for
            # a few milliseconds, so the default threshold (700 allocations net) was crossed
            # every few requests, and each collection walked that in-flight state to free
            # nothing: 55-70 µs of collector per request under load (benchmarks/overhead.py,
            # gc.callbacks), 15-25 µs at this threshold. The older generations keep theirs.
            gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
            gc.enable()
        resources = Resources.create(settings)
        app.state.resources = resources
        security.warm_up()
        if settings.foods_autoload:
            await foods_loader.load_usda(resources.engine)
        # Under a thousand rows; after the first start this is one COUNT.
        await training_loader.load_catalogue(resources.engine)
        app.state.llm = LLMClient.from_settings(settings)
        # The nightly plan pipeline: its queue, and without Redis its loops in this process.
        app.state.pipeline = await pipeline_worker.start_for_app(resources, app.state.llm)
        # Domain events: the outbox relay (and without Redis the consumers) in this process.
        app.state.events = await events_runtime.start_for_app(resources)
        app.state.stream_slots = StreamSlots(
            resources.redis, get_events_settings().stream_max_per_user
        )
        # The in-memory food index (over a second of CPU) is built after start-up, off the event
        # loop: /docs and sign-up need none of it, and parsing awaits the build (parser.py).
        # The search index (GET /foods) is not needed to serve either. Both start only once the
        # rest of start-up is done: threads holding the GIL slowed every step after them.
        warm_index = asyncio.create_task(_warm_food_index())
        search_index = asyncio.create_task(asyncio.to_thread(_build_search_index))
        try:
            yield
        finally:
            await warm_index
            await search_index
            await app.state.events.close()
            await app.state.pipeline.close()
            if app.state.llm is not None:
                await app.state.llm.aclose()
            await resources.close()
            metrics.process_exited()

    async def _warm_food_index() -> None:
        await asyncio.to_thread(default_index)
        # The food index and recipe data are millions of long-lived objects; without this every
        # full collection walks them all, which showed up as 200+ ms tail-latency pauses.
        gc.collect()
        gc.freeze()

    # Swagger UI and ReDoc from the assets packaged with fastapi-offline: /docs works offline.
    app = FastAPIOffline(
        None,
        None,
        static_url=docs.STATIC_URL,
        title="NexFitra API",
        version="0.1.0",
        summary="Open nutrition and fitness backend",
        description=(
            "Food logs, goals, summaries, targets and meal plans backed by USDA data. "
            "Errors are RFC 9457 "
            "`application/problem+json`. Authenticate with **Authorize** (OAuth2 password flow) "
            "or `POST /api/v1/auth/login`."
        ),
        lifespan=lifespan,
        license_info={"name": "MIT", "identifier": "MIT"},
        # The API contract for every route, including routes added later (app/core/contract.py).
        dependencies=[Depends(enforce_contract)],
        # No call to the public validator service: the page must not leave this host.
        swagger_ui_parameters={"validatorUrl": None},
        # Metrics and logs are Prometheus and the JSON access log (core/observability.py).
        # FastAPI's OpenTelemetry bridge, unused here, still asked the three global OTel
        # providers whether they were configured on every request: 2-5% of a cached read's or
        # a log write's CPU, for nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    docs.install_docs(app)
    app.openapi = lambda: contract_openapi(app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.llm = None
    install_handlers(app)
    if settings.cors_origins:
        # Innermost, so that a 500 passes through CORS too; without CORS the observability
        # middleware answers unhandled errors itself (see UnhandledErrorMiddleware).
        app.add_middleware(UnhandledErrorMiddleware)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "X-Request-Id",
            ],
        )
    app.add_middleware(
        ObservabilityMiddleware,
        access_log_enabled=settings.access_log,
        answer_errors=not settings.cors_origins,
    )

    # Ops routes first: the router tries routes in order, and probes should not pay for
    # matching every API route before theirs.
    @fast_path(_health_now)
    async def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    # Its constant answer sent as is (FastPathRoute): dependency solving, validation and
    # serialisation of the same dict on every probe served nothing.
    app.router.add_api_route(
        "/health",
        health,
        methods=["GET"],
        tags=["ops"],
        operation_id="health",
        route_class_override=FastPathRoute,
    )

    @app.get("/ready", tags=["ops"], operation_id="ready", responses={503: {}})
    async def ready() -> Any:
        """Database and Redis (when configured) answer."""
        res: Resources = app.state.resources
        checks: dict[str, str] = {}
        try:
            await ping(res.engine)
            checks["database"] = "ok"
        except Exception as exc:
            log.warning("readiness: database: %s", exc)
            checks["database"] = "unavailable"
        if res.redis is not None:
            try:
                await res.redis.ping()
                checks["redis"] = "ok"
            except Exception as exc:
                log.warning("readiness: redis: %s", exc)
                checks["redis"] = "unavailable"
        else:
            checks["redis"] = "not configured (in-process cache)"
        if "unavailable" in checks.values():
            return problem(503, "A backing service is unavailable", checks=checks)
        return JSONResponse({"status": "ready", "checks": checks})

    skip_where_nothing_to_check(app)
    # Probes first, before even the docs routes that FastAPI and fastapi-offline added.
    probes = [r for r in app.router.routes if getattr(r, "path", None) in ("/health", "/ready")]
    app.router.routes[:] = probes + [r for r in app.router.routes if r not in probes]

    for router in (
        auth_router,
        users_router,
        privacy_router,
        foods_nl_router,
        logs_router,
        foods_router,
        goals_router,
        summaries_router,
        profile_router,
        targets_router,
        weights_router,
        activities_router,
        trackers_router,
        recipes_router,
        plans_router,
        inventory_router,
        webhook_router,
        pipeline_admin_router,
        admin_router,
        metrics_router,
        events_router,
        events_stream_router,
        events_admin_router,
        water_router,
        exercises_router,
        workouts_router,
        measurements_router,
        programs_router,
    ):
        app.include_router(router)
    # Each router checks the path's literal prefix before trying its routes' regexes.
    index_routes(app)

    return app
