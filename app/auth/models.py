from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

Role = Literal["user", "admin"]


class User(SQLModel, table=True):
    """An account signs in by email and password, by phone and one-time code, or both."""

    __tablename__ = "users"
    __table_args__ = (
        sa.UniqueConstraint("phone", name="uq_users_phone"),
        sa.CheckConstraint(
            "email IS NOT NULL OR phone IS NOT NULL", name="ck_users_email_or_phone"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    # Stored already normalised (trimmed, lower-cased), so a plain unique index is case-blind.
    email: str | None = Field(
        default=None, max_length=320, sa_column_kwargs={"unique": True, "nullable": True}
    )
    # E.164 ("+4915112345678"), set only after the number answered a one-time code.
    phone: str | None = Field(default=None, max_length=16)
    # None for accounts that sign in by one-time code only.
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    is_admin: bool = False
    timezone: str = Field(default="UTC", max_length=64)
    # Bumped by database triggers on every write to data that per-user cached reads are built
    # from (log entries, goals, meal plans, custom recipes, the time zone), in the write's own
    # transaction; part of every per-user cache key when the cache is Redis (app/core/cache.py).
    cache_version: int = Field(
        default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"}
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def role(self) -> Role:
        # Backed by `is_admin`: two roles need no second column (nor a second source of truth).
        return "admin" if self.is_admin else "user"


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"
    __table_args__ = (sa.Index("ix_refresh_tokens_family", "family_id"),)

    id: uuid.UUID = Field(primary_key=True, sa_type=sa.Uuid)  # the token's jti
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    family_id: uuid.UUID = Field(sa_type=sa.Uuid)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True, "nullable": False})
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class PasswordResetToken(SQLModel, table=True):
    """A single-use password reset token, stored only as its SHA-256 digest."""

    __tablename__ = "password_reset_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True, "nullable": False})
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class OtpCode(SQLModel, table=True):
    """The one pending sign-in code of a phone number, as an HMAC (never the code itself).

    One row per number: a new request replaces the code. The row is deleted when the code is
    used, and rows long expired are purged by later requests, so numbers that never became
    accounts do not linger."""

    __tablename__ = "otp_codes"
    __table_args__ = (sa.Index("ix_otp_codes_expires_at", "expires_at"),)

    phone: str = Field(primary_key=True, max_length=16)
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
