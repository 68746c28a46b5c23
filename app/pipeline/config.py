"""Pipeline settings (environment variables prefixed PIPELINE_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PipelineSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PIPELINE_", env_file=".env", extra="ignore", case_sensitive=False
    )

    # The scheduler runs every `interval_s`, aligned to the clock (900 s: :00, :15, :30, :45,
    # so zones with :30 and :45 offsets are served within their own quarter hour).
    interval_s: int = Field(900, ge=10, le=900)
    plan_hour: int = Field(3, ge=0, le=23)
    max_attempts: int = Field(3, ge=1, le=10)
    retry_base_s: int = Field(900, ge=1)
    # A queued or running run untouched this long is enqueued again (a lost job or a dead
    # worker); long enough that a large backlog is not enqueued twice.
    stale_after_s: int = Field(10_800, ge=60)
    # Jobs (batches) one worker runs at once: two let one batch's database work overlap the
    # other's planning; planning itself is one thread per process.
    concurrency: int = Field(2, ge=1, le=256)
    # Users per job: a job plans its users together with set-based reads and writes, so
    # bigger batches cost fewer queries per user; smaller ones spread better over workers.
    batch_size: int = Field(100, ge=1, le=1000)
    provider_limit_per_minute: int = Field(50, ge=1)
    # LLM wording of nightly plans (when an LLM is configured). `llm_calls_per_run` is the
    # budget of one run (a scheduler cycle: every batch it enqueued, on any worker), shared
    # through Redis; `llm_seconds_per_batch` bounds how long one batch waits on the LLM. Past
    # either, plans get the template text (counted per run in the operators' view).
    llm_calls_per_run: int = Field(200, ge=0, le=1_000_000)
    llm_seconds_per_batch: float = Field(120.0, gt=0, le=3600)
    notify_interval_s: int = Field(30, ge=1)
    notify_max_attempts: int = Field(5, ge=1, le=20)
    notify_retry_base_s: int = Field(30, ge=1)
    webhook_timeout_s: float = Field(5.0, gt=0, le=60)
    # Run the scheduler, jobs and outbox inside the API process when there is no Redis.
    # None: yes, except with ENVIRONMENT=test (tests drive the pipeline themselves).
    in_process: bool | None = None


@lru_cache
def get_pipeline_settings() -> PipelineSettings:
    return PipelineSettings()
