"""Settings read from the environment (and an optional `.env`), validated at start-up."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A fixed development secret keeps local tokens valid across restarts; production refuses it.
_DEV_JWT_SECRET = "dev-insecure-secret-change-me-0123456789abcdef"  # noqa: S105
DEFAULT_SQLITE_PATH = Path("data") / "nexfitra.db"


def normalise_database_url(url: str) -> str:
    """Map the URL forms hosting providers hand out onto the async drivers we use."""
    url = url.strip()
    for prefix in (
        "postgres://",
        "postgresql://",
        "postgresql+psycopg2://",
        "postgresql+psycopg://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///") or url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Literal["development", "test", "production"] = "development"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "info"
    # json: one JSON object per line (time, level, message, request id, user id, route, status,
    # duration); text for people. Unset: json in production, text elsewhere.
    log_format: Literal["json", "text"] | None = None
    # One line per request from the app's middleware (uvicorn's own access log stays off).
    access_log: bool = True

    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}"
    db_pool_size: int = Field(20, ge=1, le=200)
    db_echo: bool = False
    redis_url: str | None = None

    jwt_secret: str | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(30, ge=1, le=365)

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Requests allowed per minute; 0 disables a limit.
    rate_limit_log_writes_per_minute: int = Field(60, ge=0)
    rate_limit_auth_per_minute: int = Field(10, ge=0)

    cache_ttl_seconds: int = Field(300, ge=1)

    # GET /metrics (Prometheus text format) answers only with `Authorization: Bearer <token>`;
    # unset, the endpoint does not exist (it reveals operational figures).
    metrics_token: str | None = None

    # Loads the packaged USDA data into an empty foods table at start-up.
    foods_autoload: bool = True

    # Optional LLM (any OpenAI-compatible server). Off unless LLM_BASE_URL or LLM_API_KEY is set.
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(8.0, gt=0, le=120)
    llm_max_retries: int = Field(1, ge=0, le=5)

    @field_validator("database_url")
    @classmethod
    def _normalise_db(cls, v: str) -> str:
        return normalise_database_url(v)

    @field_validator("redis_url")
    @classmethod
    def _blank_redis(cls, v: str | None) -> str | None:
        return v or None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, v: object) -> object:
        if isinstance(v, str):
            if v.strip().startswith("["):
                return json.loads(v)
            return [o.strip() for o in v.split(",") if o.strip()]
        return v

    @model_validator(mode="after")
    def _require_secret_in_production(self) -> Settings:
        if self.environment == "production":
            if not self.jwt_secret or len(self.jwt_secret) < 32:
                raise ValueError(
                    "JWT_SECRET must be set to at least 32 characters when ENVIRONMENT=production"
                )
        elif not self.jwt_secret:
            self.jwt_secret = _DEV_JWT_SECRET
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key)

    @property
    def secret(self) -> str:
        assert self.jwt_secret is not None  # set by the validator
        return self.jwt_secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
