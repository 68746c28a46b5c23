"""Event settings (environment variables prefixed EVENTS_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EventsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EVENTS_", env_file=".env", extra="ignore", case_sensitive=False
    )

    # The relay also polls, for events written by processes that could not wake it.
    relay_interval_s: float = Field(1.0, gt=0, le=60)
    # After a write wakes the relay, it waits this long so the writes of that moment go out in
    # one pass (one outbox SELECT/UPDATE and one publish) instead of one pass per write: under
    # load a pass per write cost more CPU than the write itself. 0: a pass per wake.
    relay_coalesce_s: float = Field(0.02, ge=0, le=1)
    # Under sustained load the window doubles after each pass that found more than one event,
    # up to this, and is back to relay_coalesce_s after a pass that found one or none: at a few
    # hundred writes a second a pass every 20 ms (its SELECT, UPDATE and commit) cost 100-300 µs
    # of the API process per write. Events then reach the bus up to this much later.
    relay_coalesce_max_s: float = Field(0.1, ge=0, le=1)
    # A delivery that failed this many times is parked for operators instead of retried.
    max_attempts: int = Field(5, ge=1, le=50)
    # Entries pending this long belong to a consumer presumed dead and are taken over.
    claim_idle_s: float = Field(30.0, gt=0, le=3600)
    batch: int = Field(100, ge=1, le=1000)
    # Live streams (GET /api/v1/stream): open at once per user, heartbeat period.
    stream_max_per_user: int = Field(5, ge=1, le=100)
    stream_heartbeat_s: float = Field(15.0, gt=0, le=300)
    # Run the relay and (without Redis) the consumers inside the API process.
    # None: yes, except with ENVIRONMENT=test (tests drive them themselves).
    in_process: bool | None = None


@lru_cache
def get_events_settings() -> EventsSettings:
    return EventsSettings()
