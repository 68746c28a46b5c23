from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.auth.phone import Phone


def _normalise_email(v: str) -> str:
    return v.strip().lower()


NormalisedEmail = Annotated[EmailStr, AfterValidator(_normalise_email)]
Password = Annotated[str, Field(min_length=8, max_length=128)]


class SignupIn(BaseModel):
    email: NormalisedEmail
    password: Password

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "ada@example.com", "password": "correct horse"}]},
    )


class LoginIn(BaseModel):
    email: NormalisedEmail
    password: Annotated[str, Field(min_length=1, max_length=128)]

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "ada@example.com", "password": "correct horse"}]},
    )


class RefreshIn(BaseModel):
    refresh_token: Annotated[str, Field(min_length=10, max_length=4096)]


class LogoutIn(BaseModel):
    refresh_token: Annotated[str | None, Field(default=None, max_length=4096)] = None
    all_sessions: bool = Field(
        default=False, description="Revoke every refresh token of the user, on all devices."
    )


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth2 token type, not a secret)
    expires_in: int = Field(description="Access token lifetime in seconds")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    phone: str | None = Field(description="E.164, set once the number answered a code")
    timezone: str
    is_admin: bool
    role: Literal["user", "admin"]
    created_at: dt.datetime


class PasswordChangeIn(BaseModel):
    current_password: Annotated[str, Field(min_length=1, max_length=128)]
    new_password: Password

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"current_password": "correct horse", "new_password": "battery staple"}]
        },
    )


class ResetRequestIn(BaseModel):
    email: NormalisedEmail

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "ada@example.com"}]}
    )


class ResetConfirmIn(BaseModel):
    token: Annotated[str, Field(min_length=16, max_length=256)]
    new_password: Password

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"token": "the token from the email", "new_password": "battery staple"}]
        },
    )


class Accepted(BaseModel):
    detail: str


OtpCodeText = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["042117"])]


class OtpRequestIn(BaseModel):
    phone: Phone

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"phone": "+49 151 12345678"}]}
    )


class OtpVerifyIn(BaseModel):
    phone: Phone
    code: OtpCodeText

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"phone": "+4915112345678", "code": "042117"}]},
    )
