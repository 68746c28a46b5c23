from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Header, Query, Request, Response
from sqlmodel import col
from sse_starlette import EventSourceResponse

from app.admin import service as admin_service
from app.auth import service as auth_service
from app.auth.dependencies import AdminUser
from app.core.cache import cached, json_response, user_scope
from app.core.deps import CacheDep, CurrentUserId, ResourcesDep, SessionDep
from app.core.errors import problem_responses
from app.core.timeutil import local_today, week_start
from app.events import insights, narrative, relay, stream
from app.events.models import ParkedEvent
from app.events.runtime import EventsRuntime
from app.events.schemas import (
    ConsumerState,
    EventsAdminOut,
    InsightsOut,
    NarrativeOut,
    ParkedOut,
    StreaksOut,
    WeeklyFacts,
)
from app.llm.client import LLMClient

router = APIRouter(prefix="/api/v1", tags=["insights"])
stream_router = APIRouter(prefix="/api/v1", tags=["stream"])
admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

StartQuery = Annotated[
    dt.date | None,
    Query(
        description="First of the seven days; default Monday of this week (your zone)",
        le=dt.date.max - dt.timedelta(days=6),
    ),
]


def _runtime(request: Request) -> EventsRuntime:
    runtime: EventsRuntime = request.app.state.events
    return runtime


async def _start(session: Any, cache: Any, user_id: Any, start: dt.date | None) -> dt.date:
    if start is not None:
        return start
    return week_start(local_today(await auth_service.get_timezone(session, cache, user_id)))


async def week_insights(session: Any, user_id: Any, start: dt.date) -> InsightsOut:
    stored = await insights.stored_week(session, user_id, start)
    if stored is not None:
        return InsightsOut(
            start=start,
            end=start + dt.timedelta(days=6),
            source="consumer",
            updated_at=stored.updated_at,
            facts=WeeklyFacts.model_validate(stored.facts),
        )
    facts = await insights.compute_facts(session, user_id, start)
    return InsightsOut(
        start=start,
        end=start + dt.timedelta(days=6),
        source="computed",
        updated_at=None,
        facts=WeeklyFacts.model_validate(facts),
    )


@router.get(
    "/insights",
    response_model=InsightsOut,
    operation_id="insights_week",
    responses=problem_responses(401, 422),
)
async def get_insights(
    user_id: CurrentUserId, session: SessionDep, cache: CacheDep, start: StartQuery = None
) -> InsightsOut:
    """The week's facts: logging streak, days under/on/over target per nutrient, the top three
    foods behind sodium, sugars and saturated fat, protein across meals, weekday vs weekend
    kcal. Kept current by the insights consumer as you log (it may trail a write by a moment);
    a week it has not seen is computed on the spot."""
    first = await _start(session, cache, user_id, start)
    return await week_insights(session, user_id, first)


@router.get(
    "/summaries/weekly/narrative",
    response_model=NarrativeOut,
    operation_id="summaries_weekly_narrative",
    tags=["summaries"],
    responses=problem_responses(401, 422),
)
async def weekly_narrative(
    request: Request,
    user_id: CurrentUserId,
    session: SessionDep,
    cache: CacheDep,
    start: StartQuery = None,
) -> Response:
    """The week in a few sentences of plain English, from its facts. A template writes it;
    with an LLM configured the model may, but only if every number it states is one of the
    facts (otherwise the template text is answered). Cached until your next write."""
    sfx, _tz = await auth_service.cache_state(session, cache, user_id)
    first = await _start(session, cache, user_id, start)
    llm: LLMClient | None = request.app.state.llm

    async def compute() -> str:
        week = await week_insights(session, user_id, first)
        facts = week.facts.model_dump(mode="json")
        text, source = await narrative.narrate(facts, llm)
        return NarrativeOut(start=first, end=week.end, text=text, source=source).model_dump_json()

    text = await cached(cache, user_scope(user_id), f"narr:{first}{sfx}", compute)
    return json_response(text or "")


@router.get(
    "/streaks",
    response_model=StreaksOut,
    operation_id="streaks",
    responses=problem_responses(401),
)
async def get_streaks(user_id: CurrentUserId, session: SessionDep, cache: CacheDep) -> StreaksOut:
    """Current and longest food-logging streaks, in your time zone."""
    today = local_today(await auth_service.get_timezone(session, cache, user_id))
    s = await insights.user_streaks(session, user_id, today)
    return StreaksOut(today=today, **s)


@stream_router.get(
    "/stream",
    operation_id="stream_events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-sent events: `id` (resume with Last-Event-ID), `event` (the "
            "event type) and `data` (the event envelope as JSON); comment pings keep it alive.",
        },
        **problem_responses(401, 422, 429),
    },
)
async def event_stream(
    request: Request,
    user_id: CurrentUserId,
    res: ResourcesDep,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=41,
            description="Resume after this event id (sent by browsers on reconnect)",
        ),
    ] = None,
) -> EventSourceResponse:
    """Your own events as they happen: new, changed and deleted log entries, updated insights,
    plan-ready notices. Bearer auth; at most a few open streams per user (429 beyond)."""
    runtime = _runtime(request)
    after = stream.check_last_event_id(last_event_id)
    slots: stream.StreamSlots = request.app.state.stream_slots
    lease = await slots.acquire(user_id)
    heartbeat = runtime.config.stream_heartbeat_s
    return EventSourceResponse(
        stream.events(runtime.bus, slots, user_id, lease, after, wait_s=heartbeat),
        ping=int(max(1, heartbeat)),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@admin_router.get(
    "/events",
    response_model=EventsAdminOut,
    operation_id="admin_events",
    responses=problem_responses(401, 403, 422, 429),
)
async def events_admin(
    request: Request,
    admin: AdminUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> EventsAdminOut:
    """Operators: the outbox backlog, each consumer's pending and lag, and parked (poison)
    events, newest first."""
    runtime = _runtime(request)
    consumers = []
    for c in runtime.consumers:
        try:
            lag = await runtime.bus.lag(c.name)
        except Exception:
            lag = {"pending": -1, "lag": -1}
        consumers.append(ConsumerState(name=c.name, **lag))
    total = await session.scalar(sa.select(sa.func.count()).select_from(ParkedEvent))
    rows = await session.scalars(
        sa.select(ParkedEvent)
        .order_by(col(ParkedEvent.parked_at).desc(), col(ParkedEvent.id))
        .limit(limit)
        .offset(offset)
    )
    out = EventsAdminOut(
        bus=runtime.bus.backend,
        outbox_unpublished=await relay.unpublished(runtime.resources.sessionmaker),
        consumers=consumers,
        parked_total=int(total or 0),
        parked=[ParkedOut.model_validate(r) for r in rows],
    )
    # Like every operator request, recorded (after the read, as the other views are).
    await admin_service.audit_view(session, admin, "events.view", {"offset": offset})
    return out
