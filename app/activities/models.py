"""Activity table: manual entries and imported workouts or daily step counts."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Activity(SQLModel, table=True):
    """One workout, or one day's step count (`activity_type == "daily_steps"`, duration 0,
    `steps` set, `kcal` usually null). `kcal` is what was given or reported; when estimated
    from MET (`kcal_estimated`), it is gross energy and `met` records the value used."""

    __tablename__ = "activities"
    __table_args__ = (
        sa.Index("ix_activities_user_date", "user_id", "date"),
        # Re-importing the same export finds its rows again; NULL external ids never collide.
        sa.UniqueConstraint("user_id", "source", "external_id", name="uq_activities_external"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    date: dt.date = Field(description="The user's local date of the activity")
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    activity_type: str = Field(max_length=32)
    duration_min: float
    steps: int | None = None
    distance_km: float | None = None
    kcal: float | None = None
    kcal_estimated: bool = False
    met: float | None = None
    source: str = Field(default="manual", max_length=32)
    external_id: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrackerConnection(SQLModel, table=True):
    """A user's link to a tracker's web API (live sync). Tokens are Fernet-encrypted
    (`app.activities.sync.TokenCipher`); the API never returns them."""

    __tablename__ = "tracker_connections"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "provider", name="uq_tracker_connections_user_provider"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    provider: str = Field(max_length=32)
    external_user_id: str | None = Field(default=None, max_length=64)
    access_token_enc: str = ""
    refresh_token_enc: str = ""
    expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    scope: str | None = Field(default=None, max_length=500)
    last_synced_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
