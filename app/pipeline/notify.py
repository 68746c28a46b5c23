"""The notification outbox and its notifiers.

The job that stores a plan also writes a "plan ready" row to `notifications`, due at the
user's wake time (profile `wake_time`, default 07:00 local) on the plan's day. A dispatcher
(in the worker, or in the API process in the embedded default) claims due rows and hands each
to a notifier: the user's webhook when they registered one, else the log notifier. Every
attempt is written to `notification_deliveries`; a failed one is retried with exponential
backoff up to `notify_max_attempts`, then the row is `failed`.

Webhook payloads are signed: `X-NexFitra-Signature: sha256=<hex HMAC-SHA256(secret,
"<timestamp>." + body)>` with `X-NexFitra-Timestamp` (Unix seconds), so a receiver can check
both the origin and the freshness (replays of old bodies fail).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.core import netguard
from app.core.db import dialect_insert
from app.core.timeutil import zone
from app.events import outbox
from app.pipeline.config import PipelineSettings
from app.pipeline.models import Notification, NotificationDelivery, Webhook

log = logging.getLogger("nexfitra.notify")

PLAN_READY = "plan.ready"
SIGNATURE_HEADER = "X-NexFitra-Signature"
TIMESTAMP_HEADER = "X-NexFitra-Timestamp"


def wake_instant(day: dt.date, tz: str, wake_time: str) -> dt.datetime:
    """The UTC instant of `wake_time` (HH:MM) on the local `day` in `tz`."""
    try:
        hour, minute = (int(p) for p in wake_time.split(":", 1))
        local_t = dt.time(hour, minute)
    except ValueError:
        local_t = dt.time(7, 0)
    return dt.datetime.combine(day, local_t, tzinfo=zone(tz)).astimezone(dt.UTC)


async def schedule_plan_ready(
    session: AsyncSession,
    user_id: uuid.UUID,
    day: dt.date,
    tz: str,
    wake_time: str,
    now: dt.datetime,
    *,
    fallback: bool,
) -> None:
    """One "plan ready" notification per user and day (a retried job adds none)."""
    await schedule_plan_ready_many(session, [(user_id, tz, wake_time)], day, now, fallback=fallback)


async def schedule_plan_ready_many(
    session: AsyncSession,
    users: Sequence[tuple[uuid.UUID, str, str]],
    day: dt.date,
    now: dt.datetime,
    *,
    fallback: bool,
) -> None:
    """`schedule_plan_ready` for (user, time zone, wake time) triples, in one statement."""
    if not users:
        return
    rows = [
        {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "kind": PLAN_READY,
            "date": day,
            "payload": {
                "event": PLAN_READY,
                "user_id": str(user_id),
                "date": day.isoformat(),
                "fallback": fallback,
                "plan_url": f"/api/v1/plans/{day.isoformat()}",
            },
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": max(wake_instant(day, tz, wake_time), now),
            "created_at": now,
            "updated_at": now,
        }
        for user_id, tz, wake_time in users
    ]
    # Executemany: compiled once and cached, unlike a multi-row `.values(rows)`.
    stmt = dialect_insert(session)(Notification).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "date"]
    )
    await session.execute(stmt, rows)
    # The domain event goes out when the plan is stored (the notification waits for wake-up).
    await outbox.add(
        session,
        [
            outbox.event_row(
                outbox.PLAN_READY,
                user_id,
                {"date": day, "fallback": fallback, "plan_url": f"/api/v1/plans/{day.isoformat()}"},
                occurred_at=now,
            )
            for user_id, _tz, _wake in users
        ],
    )
    await session.commit()
    outbox.nudge()


@dataclasses.dataclass(frozen=True)
class Outgoing:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempt: int


@dataclasses.dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str


@dataclasses.dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None


class Notifier(Protocol):
    channel: str

    async def send(self, item: Outgoing, webhook: WebhookTarget | None) -> DeliveryResult: ...


class LogNotifier:
    channel = "log"

    async def send(self, item: Outgoing, webhook: WebhookTarget | None) -> DeliveryResult:
        log.info("notification %s for %s: %s", item.kind, item.user_id, item.payload)
        return DeliveryResult(ok=True)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookNotifier:
    """POSTs to the user's webhook through `netguard`: the URL is vetted again at every
    delivery (a name may have been re-pointed at a private address since it was registered),
    the connection goes to the vetted address, redirects are not followed, and what is
    recorded is a generic category ("timeout", "non-2xx status 500"), never the client's
    exception text, which would tell the user what answers inside our network."""

    channel = "webhook"

    def __init__(self, client: httpx.AsyncClient, policy: netguard.OutboundPolicy) -> None:
        self.client = client
        self.policy = policy

    async def send(self, item: Outgoing, webhook: WebhookTarget | None) -> DeliveryResult:
        if webhook is None:
            return DeliveryResult(ok=False, error="no webhook registered")
        body = json.dumps(
            {"id": str(item.id), **item.payload}, separators=(",", ":"), sort_keys=True
        ).encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "NexFitra-Webhook/1",
            "X-NexFitra-Event": item.kind,
            "X-NexFitra-Delivery": str(item.id),
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(webhook.secret, ts, body),
        }
        out = await netguard.post(
            self.client, webhook.url, self.policy, content=body, headers=headers
        )
        return DeliveryResult(ok=out.ok, status_code=out.status_code, error=out.error)


async def _claim_due(
    session: AsyncSession, now: dt.datetime, limit: int, stale_before: dt.datetime
) -> list[Outgoing]:
    # A dispatcher that died mid-send leaves rows in "sending": give them back.
    await session.execute(
        sa.update(Notification)
        .where(col(Notification.status) == "sending", col(Notification.updated_at) < stale_before)
        .values(status="pending", updated_at=now)
    )
    due = (
        sa.select(col(Notification.id))
        .where(col(Notification.status) == "pending", col(Notification.next_attempt_at) <= now)
        .order_by(col(Notification.next_attempt_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        sa.update(Notification)
        .where(
            col(Notification.id).in_(due.scalar_subquery()), col(Notification.status) == "pending"
        )
        .values(status="sending", attempts=col(Notification.attempts) + 1, updated_at=now)
        .returning(
            col(Notification.id),
            col(Notification.user_id),
            col(Notification.kind),
            col(Notification.payload),
            col(Notification.attempts),
        )
    )
    rows = (await session.execute(stmt)).all()
    await session.commit()
    return [Outgoing(r[0], r[1], r[2], dict(r[3]), int(r[4])) for r in rows]


async def dispatch_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    notifiers: dict[str, Notifier],
    config: PipelineSettings,
    now: dt.datetime,
    limit: int = 200,
) -> int:
    """Sends the due notifications once each; answers how many were attempted."""
    async with sessionmaker() as session:
        items = await _claim_due(session, now, limit, now - dt.timedelta(minutes=10))
        if not items:
            return 0
        hooks = {
            w.user_id: WebhookTarget(w.url, w.secret)
            for w in await session.scalars(
                sa.select(Webhook).where(col(Webhook.user_id).in_({i.user_id for i in items}))
            )
        }
        await session.rollback()
    sem = asyncio.Semaphore(20)

    async def deliver(item: Outgoing) -> tuple[Outgoing, str, DeliveryResult, int]:
        hook = hooks.get(item.user_id)
        notifier = notifiers["webhook"] if hook is not None else notifiers["log"]
        start = time.perf_counter()
        async with sem:
            try:
                result = await notifier.send(item, hook)
            except Exception:  # a notifier bug must not stop the others
                log.exception("notifier %s failed on %s", notifier.channel, item.id)
                # The user reads this in the delivery log: no internal detail.
                result = DeliveryResult(ok=False, error="internal error")
        return item, notifier.channel, result, int((time.perf_counter() - start) * 1000)

    outcomes = await asyncio.gather(*(deliver(i) for i in items))
    await _record(sessionmaker, config, now, outcomes)
    return len(items)


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    config: PipelineSettings,
    now: dt.datetime,
    outcomes: Sequence[tuple[Outgoing, str, DeliveryResult, int]],
) -> None:
    async with sessionmaker() as session:
        for item, channel, result, ms in outcomes:
            session.add(
                NotificationDelivery(
                    notification_id=item.id,
                    attempt=item.attempt,
                    channel=channel,
                    ok=result.ok,
                    status_code=result.status_code,
                    error=result.error,
                    duration_ms=ms,
                    created_at=now,
                )
            )
            values: dict[str, Any] = {"updated_at": now, "last_error": result.error}
            if result.ok:
                values.update(status="sent", sent_at=now)
            elif item.attempt >= config.notify_max_attempts:
                values.update(status="failed")
                log.error(
                    "notification %s failed %d times: %s", item.id, item.attempt, result.error
                )
            else:
                delay = config.notify_retry_base_s * 2 ** (item.attempt - 1)
                values.update(status="pending", next_attempt_at=now + dt.timedelta(seconds=delay))
            await session.execute(
                sa.update(Notification).where(col(Notification.id) == item.id).values(**values)
            )
        await session.commit()


def default_notifiers(
    client: httpx.AsyncClient, policy: netguard.OutboundPolicy
) -> dict[str, Notifier]:
    return {"webhook": WebhookNotifier(client, policy), "log": LogNotifier()}
