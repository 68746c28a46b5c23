"""Pipeline API schemas: the operators' view and webhook registration."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field


class CycleStats(BaseModel):
    cycle_at: dt.datetime = Field(description="When the scheduler cycle ran (UTC)")
    enqueued: int = Field(description="Runs this cycle enqueued (new and retried)")
    processed: int = Field(description="Of those, runs a worker has finished")
    failures: int = Field(description="Runs that failed for good (retry limit reached)")
    fallbacks: int = Field(description="Runs whose day got a copy of the previous plan")
    retrying: int = Field(description="Runs waiting for their next attempt")
    skipped: int = Field(description="Users with no profile or goal to plan for")
    llm_texts: int = Field(0, description="Plans of this run the LLM worded")
    llm_budget_fallbacks: int = Field(
        0, description="Plans of this run that got the template text: the LLM budget was spent"
    )


class RunFailure(BaseModel):
    user_id: uuid.UUID
    date: dt.date
    attempts: int
    fallback: bool
    last_error: str | None
    updated_at: dt.datetime


class PipelineStats(BaseModel):
    queue_backend: str = Field(description="redis or memory")
    queue_length: int = Field(description="Jobs waiting or in flight: scale workers on this")
    jobs_processed: int = Field(description="Jobs finished since the counter started")
    runs_by_status: dict[str, int]
    cycles: list[CycleStats] = Field(description="The latest scheduler cycles, newest first")
    recent_failures: list[RunFailure]


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"url": "https://example.com/hooks/nexfitra"}]},
    )

    url: str = Field(min_length=8, max_length=2000, description="Where to POST notifications")
    rotate_secret: bool = Field(False, description="Issue a new signing secret")


class WebhookOut(BaseModel):
    url: str
    secret: str | None = Field(
        None,
        description=(
            "HMAC-SHA256 signing key, shown when it is issued (first registration or rotation). "
            "Check `X-NexFitra-Signature: sha256=hex(HMAC(secret, timestamp + '.' + body))` "
            "with the `X-NexFitra-Timestamp` header."
        ),
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class DeliveryOut(BaseModel):
    notification_id: uuid.UUID
    kind: str
    date: dt.date
    attempt: int
    channel: str
    ok: bool
    status_code: int | None
    error: str | None
    created_at: dt.datetime
