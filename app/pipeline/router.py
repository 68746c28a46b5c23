"""Operators' pipeline view and users' webhook registration."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from sqlmodel import col

from app.admin import service as admin_service
from app.auth.dependencies import AdminUser
from app.core import metrics as app_metrics
from app.core import netguard
from app.core.deps import CurrentUserId, ResourcesDep, SessionDep, SettingsDep
from app.core.errors import NotFound, Unauthorized, Unprocessable, problem_responses
from app.core.types import utcnow
from app.events import metrics as events_metrics
from app.pipeline import service
from app.pipeline.models import Notification, NotificationDelivery, Webhook
from app.pipeline.schemas import DeliveryOut, PipelineStats, WebhookIn, WebhookOut

admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
webhook_router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


async def require_admin(admin: AdminUser) -> uuid.UUID:
    return admin.id


AdminId = Annotated[uuid.UUID, Depends(require_admin)]


@admin_router.get(
    "/pipeline",
    response_model=PipelineStats,
    operation_id="admin_pipeline",
    responses=problem_responses(401, 403),
)
async def pipeline_stats(
    admin: AdminUser,
    request: Request,
    session: SessionDep,
    cycles: Annotated[int, Query(ge=1, le=96)] = 12,
) -> PipelineStats:
    """Queue length (scale workers on it), jobs processed, and per scheduler cycle the runs
    enqueued, processed, failed for good and given a fallback plan."""
    queue = request.app.state.pipeline.queue
    budget = request.app.state.pipeline.ctx.budget
    stats = PipelineStats.model_validate(await service.stats(queue, session, cycles, budget))
    await admin_service.audit_view(session, admin, "pipeline.view", {"cycles": cycles})
    return stats


metrics_router = APIRouter(tags=["ops"])


def _metric(
    lines: list[str], name: str, kind: str, help_: str, samples: list[tuple[str, float]]
) -> None:
    lines += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]
    # Integers in full (a Unix time in %g would lose its last digits), other values by repr.
    lines += [
        f"{name}{labels} {int(v) if float(v).is_integer() else repr(float(v))}"
        for labels, v in samples
    ]


def render_metrics(stats: dict[str, Any]) -> str:
    """The operators' figures in the Prometheus text exposition format (0.0.4)."""
    lines: list[str] = []
    _metric(
        lines,
        "nexfitra_pipeline_queue_length",
        "gauge",
        "Jobs waiting or in flight (scale workers on this).",
        [("", stats["queue_length"])],
    )
    _metric(
        lines,
        "nexfitra_pipeline_jobs_processed_total",
        "counter",
        "Jobs finished by the workers.",
        [("", stats["jobs_processed"])],
    )
    by_status = {s: 0 for s in ("queued", "running", "done", "retry", "failed", "skipped")}
    by_status.update(stats["runs_by_status"])
    _metric(
        lines,
        "nexfitra_pipeline_runs",
        "gauge",
        "Plan runs (one per user and local day) by status.",
        [(f'{{status="{k}"}}', v) for k, v in sorted(by_status.items())],
    )
    latest = stats["cycles"][0] if stats["cycles"] else None
    for key, help_ in (
        ("enqueued", "Runs the latest scheduler cycle enqueued."),
        ("processed", "Runs of the latest cycle a worker has finished."),
        ("failures", "Runs of the latest cycle that failed for good."),
        ("fallbacks", "Runs of the latest cycle given a copy of the previous plan."),
        ("retrying", "Runs of the latest cycle waiting for another attempt."),
        ("skipped", "Users of the latest cycle with nothing to plan for."),
    ):
        _metric(
            lines,
            f"nexfitra_pipeline_last_cycle_{key}",
            "gauge",
            help_,
            [("", latest[key] if latest else 0)],
        )
    if latest:
        _metric(
            lines,
            "nexfitra_pipeline_last_cycle_timestamp_seconds",
            "gauge",
            "When the latest scheduler cycle ran (Unix time).",
            [("", latest["cycle_at"].timestamp())],
        )
    return "\n".join(lines) + "\n"


@metrics_router.get(
    "/metrics",
    operation_id="metrics",
    response_class=PlainTextResponse,
    responses=problem_responses(401, 404),
)
async def metrics(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """HTTP, database pool, cache, rate-limit, LLM and pipeline figures for Prometheus.
    Enabled by METRICS_TOKEN; send it as a bearer token."""
    token = settings.metrics_token
    if not token:
        raise NotFound("Metrics are disabled (set METRICS_TOKEN to enable them)")
    sent = request.headers.get("authorization", "")
    if not secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        raise Unauthorized("A valid metrics token is required")
    stats = await service.stats(request.app.state.pipeline.queue, session, cycles=1)
    body, content_type = app_metrics.render()
    events = await events_metrics.render(getattr(request.app.state, "events", None), session)
    return Response(
        body + render_metrics(stats).encode() + events.encode(), media_type=content_type
    )


class InvalidWebhookUrl(Unprocessable):
    code, title = "invalid-webhook-url", "Invalid webhook URL"


async def check_url(url: str, policy: netguard.OutboundPolicy) -> str:
    """The URL if it may receive webhooks: resolved now, and again before every delivery."""
    try:
        await netguard.vet(url, policy)
    except netguard.UnsafeURL as exc:
        raise InvalidWebhookUrl(str(exc)) from exc
    return url


def _out(hook: Webhook, secret: str | None) -> WebhookOut:
    return WebhookOut(
        url=hook.url, secret=secret, created_at=hook.created_at, updated_at=hook.updated_at
    )


@webhook_router.put(
    "/webhook",
    response_model=WebhookOut,
    operation_id="webhook_put",
    responses=problem_responses(401, 422),
)
async def put_webhook(
    body: WebhookIn, user_id: CurrentUserId, session: SessionDep, res: ResourcesDep
) -> WebhookOut:
    """Register (or change) the URL that receives your "plan ready" notifications. The
    signing secret is answered on first registration and when `rotate_secret` is true.

    The host must resolve to public addresses only (checked now and before every delivery);
    in production the URL must be https on port 443 (or 80). Redirects are not followed."""
    url = await check_url(body.url, res.net_policy)
    hook = await session.get(Webhook, user_id)
    issued: str | None = None
    now = utcnow()
    if hook is None:
        issued = secrets.token_urlsafe(32)
        hook = Webhook(user_id=user_id, url=url, secret=issued, created_at=now, updated_at=now)
    else:
        hook.url, hook.updated_at = url, now
        if body.rotate_secret:
            issued = hook.secret = secrets.token_urlsafe(32)
    session.add(hook)
    await session.commit()
    return _out(hook, issued)


@webhook_router.get(
    "/webhook",
    response_model=WebhookOut,
    operation_id="webhook_get",
    responses=problem_responses(401, 404),
)
async def get_webhook(user_id: CurrentUserId, session: SessionDep) -> WebhookOut:
    hook = await session.get(Webhook, user_id)
    if hook is None:
        raise NotFound("No webhook registered")
    return _out(hook, None)


@webhook_router.delete(
    "/webhook",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="webhook_delete",
    responses=problem_responses(401, 404),
)
async def delete_webhook(user_id: CurrentUserId, session: SessionDep) -> Response:
    hook = await session.get(Webhook, user_id)
    if hook is None:
        raise NotFound("No webhook registered")
    await session.delete(hook)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# What the delivery log may show: the categories `netguard.post` and the notifiers record.
# Rows written before those existed held exception text (errno, addresses: a port scanner's
# output); anything else is shown as a plain failure.
_PUBLIC_ERROR = re.compile(
    r"connection failed|timeout|request failed|internal error|no webhook registered"
    r"|redirect not followed \(\d{3}\)|non-2xx status \d{3}"
    r"|The URL's host does not resolve to a public address"
)


def _public_error(error: str | None) -> str | None:
    if error is None or _PUBLIC_ERROR.fullmatch(error):
        return error
    return "delivery failed"


@webhook_router.get(
    "/deliveries",
    response_model=list[DeliveryOut],
    operation_id="notification_deliveries",
    responses=problem_responses(401),
)
async def list_deliveries(
    user_id: CurrentUserId,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[DeliveryOut]:
    """Your latest notification delivery attempts, newest first."""
    rows = await session.execute(
        sa.select(NotificationDelivery, Notification)
        .join(Notification, col(Notification.id) == col(NotificationDelivery.notification_id))
        .where(col(Notification.user_id) == user_id)
        .order_by(col(NotificationDelivery.created_at).desc())
        .limit(limit)
    )
    return [
        DeliveryOut(
            notification_id=n.id,
            kind=n.kind,
            date=n.date,
            attempt=d.attempt,
            channel=d.channel,
            ok=d.ok,
            status_code=d.status_code,
            error=_public_error(d.error),
            created_at=d.created_at,
        )
        for d, n in rows.all()
    ]
