"""Event tables: the outbox written with each change, what consumers finished, what they parked,
and the weekly facts the insights consumer keeps."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


def _user_fk(primary_key: bool = False) -> sa.Column[uuid.UUID]:
    return sa.Column(
        sa.Uuid,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


class OutboxEvent(SQLModel, table=True):
    """A domain event, written in the same transaction as the change it describes. The relay
    publishes it to the event bus and stamps `published_at`; published rows are purged after a
    retention period."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        # The relay's scan: unpublished events, oldest first. Partial, so it stays tiny.
        sa.Index(
            "ix_event_outbox_unpublished",
            "occurred_at",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        ),
        sa.Index("ix_event_outbox_published_at", "published_at"),
    )

    id: uuid.UUID = Field(primary_key=True, sa_type=sa.Uuid)
    type: str = Field(max_length=40)
    version: int = 1
    user_id: uuid.UUID = Field(sa_column=_user_fk())
    occurred_at: dt.datetime = Field(sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    published_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsumedEvent(SQLModel, table=True):
    """An event a consumer has applied. Written in the consumer's own transaction, so a
    redelivered event finds it and changes nothing."""

    __tablename__ = "event_consumed"

    consumer: str = Field(primary_key=True, max_length=40)
    event_id: uuid.UUID = Field(primary_key=True, sa_type=sa.Uuid)
    consumed_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ParkedEvent(SQLModel, table=True):
    """An event a consumer failed on too many times: kept for operators instead of blocking the
    stream or being retried forever."""

    __tablename__ = "event_parked"
    __table_args__ = (sa.UniqueConstraint("consumer", "event_id", name="uq_event_parked"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    consumer: str = Field(max_length=40)
    event_id: uuid.UUID = Field(sa_type=sa.Uuid)
    type: str = Field(max_length=40)
    user_id: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid)
    attempts: int
    error: str = Field(max_length=500)
    event: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    parked_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WeeklyInsight(SQLModel, table=True):
    """The facts of one user's week (Monday to Sunday), kept current by the insights consumer."""

    __tablename__ = "insights_weekly"

    user_id: uuid.UUID = Field(sa_column=_user_fk(primary_key=True))
    week_start: dt.date = Field(primary_key=True)
    facts: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
