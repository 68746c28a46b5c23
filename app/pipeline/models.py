"""Pipeline tables: one run per user and local day, the notification outbox, webhooks."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

# queued -> running -> done | retry (fallback stored, next cycle) | failed | skipped
RUN_STATUSES = ("queued", "running", "done", "retry", "failed", "skipped")


def _user_fk(primary_key: bool = False) -> sa.Column[uuid.UUID]:
    return sa.Column(
        sa.Uuid,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


class PlanRun(SQLModel, table=True):
    """The nightly generation of one user's plan for one local day.

    (user_id, date) is unique: the scheduler inserts with ON CONFLICT DO NOTHING and only the
    inserter enqueues, so two schedulers (or a retried scheduler job) never plan a day twice.
    `cycle_at` is the scheduler cycle that last enqueued the run (operators' per-cycle view)."""

    __tablename__ = "plan_runs"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "date", name="uq_plan_runs_user_date"),
        sa.Index("ix_plan_runs_status_next", "status", "next_attempt_at"),
        sa.Index("ix_plan_runs_cycle_at", "cycle_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(sa_column=_user_fk())
    date: dt.date = Field(description="The user's local date the plan is for")
    status: str = Field(default="queued", max_length=16)
    attempts: int = 0
    fallback: bool = False
    activity_source: str | None = Field(default=None, max_length=16)
    last_error: str | None = Field(default=None, max_length=500)
    cycle_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Webhook(SQLModel, table=True):
    """A user's notification endpoint and the secret its payloads are signed with."""

    __tablename__ = "webhooks"

    user_id: uuid.UUID = Field(sa_column=_user_fk(primary_key=True))
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=128)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    """Outbox row: written in the same job that stores the plan, delivered at `deliver_at`.

    Unique (user_id, kind, date): a retried job never schedules a second notification."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "date", name="uq_notifications_user_kind_date"),
        sa.Index("ix_notifications_status_due", "status", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(sa_column=_user_fk())
    kind: str = Field(max_length=32)
    date: dt.date
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    # pending -> sending -> sent | pending (retry) | failed
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotificationDelivery(SQLModel, table=True):
    """Delivery log: one row per attempt, whatever the outcome."""

    __tablename__ = "notification_deliveries"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    notification_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey("notifications.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    attempt: int
    channel: str = Field(max_length=16)
    ok: bool
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
