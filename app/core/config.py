"""Settings read from the environment (and an optional `.env`), validated at start-up."""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A fixed development secret keeps local tokens valid across restarts; production refuses it.
_DEV_JWT_SECRET = "dev-insecure-secret-change-me-0123456789abcdef"  # noqa: S105
DEFAULT_SQLITE_PATH = Path("data") / "nexfitra.db"

# Secrets that are published (this file, docker-compose.yml, .env.example, the README) and so
# sign nothing in production, whatever their length.
KNOWN_JWT_SECRETS = frozenset(
    {
        _DEV_JWT_SECRET,
        "change-me-to-a-long-random-string-of-32-chars",
        "change-me-to-48-random-characters-from-token-urlsafe",
    }
)
_PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "insecure", "placeholder")
MIN_JWT_SECRET_BYTES = 32
MIN_JWT_SECRET_BITS = 128
MIN_JWT_SECRET_DISTINCT = 10
MIN_JWT_SECRET_PACKED_BYTES = 24


def jwt_secret_problem(secret: str | None) -> str | None:
    """Why `secret` may not sign production tokens, or None when it may.

    The rule: at least 32 bytes; not a published value or placeholder; at least 10 distinct
    characters; an estimated entropy of at least 128 bits, taken as the text's Shannon entropy
    per character (from its own character frequencies) times its length; and at least 24 bytes
    left after zlib compression (header and checksum not counted), which refuses repeated
    patterns such as "0123456789" * 4 that character frequencies alone cannot see. Generated
    secrets pass easily: `secrets.token_urlsafe(48)` scores about 330 bits and does not
    compress; `secrets.token_hex(32)` about 250 bits.
    """
    if not secret:
        return "JWT_SECRET must be set when ENVIRONMENT=production"
    if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        return "JWT_SECRET must be at least 32 characters when ENVIRONMENT=production"
    lowered = secret.lower()
    if secret in KNOWN_JWT_SECRETS or any(w in lowered for w in _PLACEHOLDER_WORDS):
        return "JWT_SECRET is a published placeholder or development value; generate a new one"
    counts = Counter(secret)
    n = len(secret)
    bits = -n * sum(c / n * math.log2(c / n) for c in counts.values())
    packed = len(zlib.compress(secret.encode(), 9)) - 6
    if (
        len(counts) < MIN_JWT_SECRET_DISTINCT
        or bits < MIN_JWT_SECRET_BITS
        or packed < MIN_JWT_SECRET_PACKED_BYTES
    ):
        return (
            "JWT_SECRET has too little entropy (repeated or patterned text); use e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return None


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


def check_gateway_url(url: str, production: bool) -> None:
    """The SMS gateway URL at start-up: the outbound rules of user webhooks (app/core/netguard)
    applied to its text, odd address forms such as 127.1 included; in production https on
    80/443 to a public host. The host's addresses are checked again at every send."""
    # Imported here: netguard reads Settings from this module.
    from app.core import netguard

    policy = netguard.OutboundPolicy(
        allow_private=not production,
        require_https=production,
        allowed_ports=frozenset({80, 443}) if production else None,
    )
    try:
        _scheme, host, _port = netguard.check_syntax(url, policy)
    except netguard.UnsafeURL as exc:
        raise ValueError(f"SMS_WEBHOOK_URL: {exc}") from None
    if not production:
        return
    literal = netguard.parse_host_address(host)
    if host.lower() in ("localhost", "localhost.localdomain") or (
        literal is not None and not netguard.is_public_address(literal)
    ):
        raise ValueError("SMS_WEBHOOK_URL must point at a public host in production")


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
    # asyncpg connections per process beside that pool for single-statement writes (the log
    # write's INSERT, core/db.raw_statements); PostgreSQL only.
    raw_write_connections: int = Field(8, ge=1, le=100)
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
    # Requests per minute per operator on /api/v1/admin (views and changes alike).
    rate_limit_admin_per_minute: int = Field(120, ge=0)
    # Data exports (GET /users/me/export) per user per hour: each reads every row they own.
    rate_limit_export_per_hour: int = Field(10, ge=0)

    cache_ttl_seconds: int = Field(300, ge=1)

    # Lets webhooks (and other user-supplied URLs) point at loopback and private networks, for
    # development and tests with local receivers. Refused when ENVIRONMENT=production.
    webhook_allow_private: bool = False

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
    # The LLM also reads receipt photos (its vision input) when Tesseract is not installed.
    llm_vision: bool = False
    # Receipt photos: the `tesseract` binary (Debian's tesseract-ocr); empty = look on PATH.
    tesseract_cmd: str | None = None
    # Tracker OAuth tokens are encrypted at rest with a key derived from this secret (falls
    # back to JWT_SECRET); changing it makes stored tokens unreadable (users reconnect).
    token_encryption_secret: str | None = None
    # Fitbit Web API (live sync). The base URLs are settings so tests can point them at a
    # local stand-in; leave them at Fitbit's documented hosts in production.
    fitbit_client_id: str | None = None
    fitbit_client_secret: str | None = None
    fitbit_api_url: str = "https://api.fitbit.com"
    # Days the nightly live sync reads (yesterday and the days before it, which Fitbit may
    # have revised since): one API call per day, plus one for the window's nights.
    fitbit_sync_days: int = Field(3, ge=1, le=14)

    # Outgoing email (password reset): `log` writes messages to the log (development).
    email_backend: Literal["log", "smtp"] = "log"
    email_from: str = "NexFitra <no-reply@nexfitra.local>"
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # The server's certificate is always verified (chain and host name). SMTP_CA_FILE, a PEM
    # bundle, replaces the system's trusted CAs: for a private CA (and the tests' own).
    smtp_ca_file: str | None = None
    # Password reset tokens: single use, valid this long; the email links to this URL (the
    # token appended) when set, and otherwise quotes the token.
    password_reset_minutes: int = Field(30, ge=5, le=24 * 60)
    password_reset_url: str | None = None
    # Reset emails per address per hour (on top of the per-IP auth limit).
    rate_limit_password_reset_per_hour: int = Field(3, ge=0)

    # Sign-in by phone: SMS_BACKEND `log` writes codes to the log (development); `webhook`
    # POSTs each message, HMAC-signed with SMS_WEBHOOK_SECRET, to the gateway at SMS_WEBHOOK_URL.
    sms_backend: Literal["log", "webhook"] = "log"
    sms_webhook_url: str | None = None
    sms_webhook_secret: str | None = None
    sms_timeout_seconds: float = Field(5.0, gt=0, le=60)
    # One-time codes: lifetime, wrong tries allowed, and how often one may be sent.
    otp_ttl_seconds: int = Field(300, ge=60, le=3600)
    otp_max_attempts: int = Field(5, ge=1, le=20)
    otp_resend_seconds: int = Field(60, ge=0, le=3600)
    otp_per_hour_per_number: int = Field(5, ge=0)
    otp_per_hour_per_ip: int = Field(20, ge=0)

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
            problem = jwt_secret_problem(self.jwt_secret)
            if problem:
                raise ValueError(problem)
            if self.webhook_allow_private:
                raise ValueError(
                    "WEBHOOK_ALLOW_PRIVATE must not be set when ENVIRONMENT=production"
                )
        elif not self.jwt_secret:
            self.jwt_secret = _DEV_JWT_SECRET
        if self.email_backend == "smtp" and not self.smtp_host:
            raise ValueError("EMAIL_BACKEND=smtp needs SMTP_HOST")
        if self.smtp_ca_file and not Path(self.smtp_ca_file).is_file():
            raise ValueError(f"SMTP_CA_FILE {self.smtp_ca_file!r} is not a readable file")
        if self.sms_backend == "webhook":
            if not self.sms_webhook_url or not self.sms_webhook_secret:
                raise ValueError("SMS_BACKEND=webhook needs SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET")
            check_gateway_url(self.sms_webhook_url, self.environment == "production")
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
