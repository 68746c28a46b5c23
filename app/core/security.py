"""Password hashing (passlib API, argon2id) and JWT encoding/decoding (python-jose)."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import anyio.to_thread
from jose import JWTError, jwt
from passlib.context import CryptContext

from app.core.config import Settings

TokenType = Literal["access", "refresh"]

# OWASP's minimum argon2id profile (19 MiB, t=2, p=1): about 30 ms a hash on a small machine.
_pwd = CryptContext(
    schemes=["argon2"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=19456,
    argon2__time_cost=2,
    argon2__parallelism=1,
)


@lru_cache
def _dummy_hash() -> str:
    # Verified against when the email is unknown, so both paths cost one argon2 verification.
    return _pwd.hash("not-a-real-password-" + uuid.uuid4().hex)


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    return await anyio.to_thread.run_sync(_pwd.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    target = password_hash or _dummy_hash()
    ok = await anyio.to_thread.run_sync(_pwd.verify, password, target)
    return bool(ok) and password_hash is not None


def warm_up() -> None:
    _dummy_hash()


@dataclass(frozen=True, slots=True)
class TokenClaims:
    sub: uuid.UUID
    jti: uuid.UUID
    typ: TokenType
    iat: dt.datetime
    exp: dt.datetime
    family: uuid.UUID | None = None


def create_token(
    settings: Settings,
    user_id: uuid.UUID,
    typ: TokenType,
    *,
    jti: uuid.UUID | None = None,
    family: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> tuple[str, TokenClaims]:
    now = now or dt.datetime.now(dt.UTC)
    lifetime = (
        dt.timedelta(minutes=settings.access_token_minutes)
        if typ == "access"
        else dt.timedelta(days=settings.refresh_token_days)
    )
    claims = TokenClaims(
        sub=user_id,
        jti=jti or uuid.uuid4(),
        typ=typ,
        iat=now,
        exp=now + lifetime,
        family=family,
    )
    payload: dict[str, Any] = {
        "sub": str(claims.sub),
        "jti": str(claims.jti),
        "typ": typ,
        "iat": int(now.timestamp()),
        "exp": int(claims.exp.timestamp()),
    }
    if family is not None:
        payload["fam"] = str(family)
    token = jwt.encode(payload, settings.secret, algorithm=settings.jwt_algorithm)
    return token, claims


class InvalidToken(Exception):
    pass


def decode_token(settings: Settings, token: str, expected: TokenType) -> TokenClaims:
    return _decode(settings.secret, settings.jwt_algorithm, token, expected)


def _decode(secret: str, algorithm: str, token: str, expected: TokenType) -> TokenClaims:
    try:
        # The algorithm list is pinned: a token signed with another algorithm (or "none") fails.
        payload = jwt.decode(
            token,
            secret,
            algorithms=[algorithm],
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if payload.get("typ") != expected:
        raise InvalidToken(f"expected an {expected} token")
    try:
        fam = payload.get("fam")
        return TokenClaims(
            sub=uuid.UUID(payload["sub"]),
            jti=uuid.UUID(payload["jti"]),
            typ=expected,
            iat=dt.datetime.fromtimestamp(payload["iat"], dt.UTC),
            exp=dt.datetime.fromtimestamp(payload["exp"], dt.UTC),
            family=uuid.UUID(fam) if fam else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidToken("malformed claims") from exc


@lru_cache(maxsize=4096)
def _decode_access_cached(secret: str, algorithm: str, token: str) -> TokenClaims:
    # Keyed on the secret and algorithm too: tests run apps with different settings side by side.
    return _decode(secret, algorithm, token, "access")


def decode_access_token(settings: Settings, token: str) -> TokenClaims:
    """`decode_token(settings, token, "access")` remembering recent valid tokens.

    A client sends the same access token on every request for its whole lifetime, and checking
    its signature again each time was a visible share of a log write's CPU. The token text
    determines its claims, so a cached result stays right; only expiry depends on the clock and
    it is checked on every call. Failures are not cached.
    """
    claims = _decode_access_cached(settings.secret, settings.jwt_algorithm, token)
    # The same rule as python-jose's check: expired once the current second is past `exp`.
    if claims.exp.timestamp() < int(time.time()):
        raise InvalidToken("Signature has expired.")
    return claims


def token_digest(token: str) -> str:
    """Refresh tokens are stored only as this digest, so a database leak yields no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()
