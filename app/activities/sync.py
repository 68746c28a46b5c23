"""Live sync from trackers' web APIs: connections with encrypted OAuth tokens, and the
providers the nightly run asks for yesterday's activity.

- Tokens are stored encrypted at rest (Fernet, AES-128-CBC + HMAC) with a key derived by HKDF
  from TOKEN_ENCRYPTION_SECRET (or JWT_SECRET); the database never holds them in clear.
- Every call to a provider spends the per-provider budget of `ProviderLimiter` (shared by all
  workers through Redis), and is retried on 429/5xx/network errors with backoff. An expired
  access token is refreshed once (Fitbit rotates the refresh token on every refresh).
- Fitbit Web API, documented endpoints: `POST /oauth2/token` (authorization_code and
  refresh_token grants, HTTP Basic client authentication), `GET
  /1/user/-/activities/date/{date}.json` (the day's activities and summary) and `GET
  /1.2/user/-/sleep/date/{date}.json` (the sleep logs whose `dateOfSleep` is the date, i.e.
  the nights that ended that day). Sleep needs the `sleep` scope: without it (403) the day
  simply has no sleep, and a failed sleep call never costs the day its activities.
- Fitbit revises days after they were first synced: a tracker that syncs late adds the
  evening's steps, a night is edited (or logged again under a new logId), an exercise is
  edited or deleted. So each night re-reads a window of days (`sync_days`: yesterday and the
  days before it; the nights in one call, `GET /1.2/user/-/sleep/date/{start}/{end}.json`)
  and answers them as `SyncedDays`: every endpoint that answered a day in full replaces what
  was stored for that day and kind (upserted by logId, rows Fitbit no longer lists deleted),
  so a revision updates in place and nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import logging
import uuid
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.activities.importers import (
    DAILY_STEPS,
    ImportedActivity,
    ImportFormatError,
    SyncedDays,
    external_id,
)
from app.activities.models import TrackerConnection
from app.activities.trackers import SLEEP, FitbitImporter, activity_type
from app.core.errors import AppError, NotFound, Unprocessable
from app.core.types import utcnow

log = logging.getLogger("nexfitra.sync")

MAX_ATTEMPTS = 3
BACKOFF_S = 0.5
MAX_BUDGET_WAIT_S = 30.0
# Refresh a little before the token's stated expiry.
EXPIRY_MARGIN = dt.timedelta(minutes=2)
# A day has at most this many activities worth storing; anything beyond is not a real day.
MAX_ACTIVITIES_PER_DAY = 200
# Days re-read each night (yesterday included): Fitbit's late syncs and edits land within a
# couple of days. One call per day's activities plus one for the window's nights.
SYNC_DAYS = 3
# The kinds of `SyncedDays.complete`: the daily summary answers everything but sleep.
ACTIVITY = "activity"


class TokenCipher:
    def __init__(self, secret: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"nexfitra tracker tokens"
        ).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode("ascii")

    def decrypt(self, blob: str) -> str:
        try:
            return self._fernet.decrypt(blob.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise TrackerAuthError("stored token cannot be decrypted (the key changed?)") from exc


@dataclasses.dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime
    external_user_id: str
    scope: str


class TrackerError(Exception):
    """A provider call failed after its retries; the nightly run falls back to baseline."""


class TrackerAuthError(TrackerError):
    """The provider refused our credentials (revoked, bad code): the user must reconnect."""


class ProviderNotConfigured(AppError):
    # 404, not 503: nothing is down; this server simply offers no such tracker (no client id).
    status, code, title = 404, "provider-not-configured", "Tracker not available on this server"


class ConnectionNotFound(NotFound):
    code, title = "tracker-not-connected", "Tracker not connected"


class ConnectFailed(Unprocessable):
    code, title = "tracker-connect-failed", "Tracker refused the authorization"


class Limiter(Protocol):
    async def acquire(self, provider: str, max_wait_s: float = ...) -> None: ...


class FitbitAPI:
    """The two Fitbit endpoints this app uses, with retries and the per-provider limit."""

    name = "fitbit"

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str,
        client_id: str,
        client_secret: str,
        limiter: Limiter | None,
        backoff_s: float = BACKOFF_S,
    ) -> None:
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.limiter = limiter
        self.backoff_s = backoff_s

    async def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One request with the budget spent and transient failures retried; answers the
        final response (2xx or a client error the caller interprets)."""
        last: str = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if self.limiter is not None:
                # A nightly batch waits at most this long for budget; past it the user gets
                # the baseline (ProviderRateLimited is handled like any failed import).
                await self.limiter.acquire(self.name, max_wait_s=MAX_BUDGET_WAIT_S)
            try:
                r = await self.http.request(method, self.api_url + path, **kw)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if r.status_code < 500 and r.status_code != 429:
                    return r
                last = f"HTTP {r.status_code}"
                if r.status_code == 429:
                    wait = r.headers.get("retry-after", "")
                    if wait.isdigit() and int(wait) > 30:
                        break  # not worth holding a nightly batch for
            if attempt < MAX_ATTEMPTS:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise TrackerError(f"fitbit {path}: {last} after {MAX_ATTEMPTS} attempts")

    async def _token(self, form: dict[str, str]) -> Tokens:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        r = await self._call(
            "POST",
            "/oauth2/token",
            data=form,
            headers={"Authorization": f"Basic {basic}"},
        )
        if r.status_code in (400, 401):
            raise TrackerAuthError(f"fitbit refused the token request (HTTP {r.status_code})")
        if r.status_code != 200:
            raise TrackerError(f"fitbit token endpoint answered HTTP {r.status_code}")
        try:
            body = r.json()
            return Tokens(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_at=utcnow() + dt.timedelta(seconds=int(body.get("expires_in", 28_800))),
                external_user_id=str(body.get("user_id", ""))[:64],
                scope=str(body.get("scope", ""))[:500],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise TrackerError(f"fitbit token answer is malformed: {exc}") from exc

    async def exchange_code(self, code: str, redirect_uri: str) -> Tokens:
        return await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
            }
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def daily(self, access_token: str, day: dt.date) -> dict[str, Any] | None:
        """The day's activities and summary; None when the access token was refused (401)."""
        return await self._get_day(
            access_token, f"/1/user/-/activities/date/{day.isoformat()}.json", "daily summary"
        )

    async def sleep(
        self, access_token: str, day: dt.date, until: dt.date | None = None
    ) -> dict[str, Any] | None:
        """The sleep logs whose `dateOfSleep` is `day` (through `until`, one call for the
        range: `GET /1.2/user/-/sleep/date/{startDate}/{endDate}.json`), `{"sleep": [...]}`;
        None when the access token was refused (401); `{}` when the user did not grant the
        sleep scope."""
        span = day.isoformat() if until is None else f"{day.isoformat()}/{until.isoformat()}"
        return await self._get_day(access_token, f"/1.2/user/-/sleep/date/{span}.json", "sleep log")

    async def _get_day(self, access_token: str, path: str, what: str) -> dict[str, Any] | None:
        r = await self._call("GET", path, headers={"Authorization": f"Bearer {access_token}"})
        if r.status_code == 401:
            return None
        if r.status_code == 403 and what == "sleep log":
            return {}  # insufficient_scope: connected without sleep
        if r.status_code != 200:
            raise TrackerError(f"fitbit {what} answered HTTP {r.status_code}")
        try:
            body = r.json()
        except ValueError as exc:
            raise TrackerError(f"fitbit {what} is not JSON") from exc
        if not isinstance(body, dict):
            raise TrackerError(f"fitbit {what} is not an object")
        return body


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 1e9 else None


def fitbit_day(body: dict[str, Any], day: dt.date) -> list[ImportedActivity]:
    """A daily summary as activities, with the same external ids as the Fitbit file importer
    (exercise logId, the date for steps), so an export and live sync never duplicate."""
    out: list[ImportedActivity] = []
    for a in (body.get("activities") or [])[:MAX_ACTIVITIES_PER_DAY]:
        if not isinstance(a, dict) or a.get("logId") is None:
            continue
        try:
            hh, mm = (int(x) for x in str(a.get("startTime", "00:00")).split(":")[:2])
            start = dt.datetime.combine(day, dt.time(hh % 24, mm % 60), dt.UTC)
        except ValueError:
            start = dt.datetime.combine(day, dt.time(), dt.UTC)
        duration_ms = _num(a.get("duration")) or 0.0
        kcal = _num(a.get("calories"))
        distance = _num(a.get("distance"))
        steps = _num(a.get("steps"))
        out.append(
            ImportedActivity(
                started_at=start,
                date=day,
                activity_type=activity_type(a.get("activityParentName") or a.get("name")),
                duration_min=round(duration_ms / 60_000, 2),
                distance_km=None if distance is None else round(distance, 3),
                kcal=None if kcal is None else round(kcal, 1),
                steps=None if steps is None else round(steps),
                source="fitbit",
                external_id=external_id("fitbit", "exercise", str(a["logId"])),
            )
        )
    summary = body.get("summary")
    steps = _num(summary.get("steps")) if isinstance(summary, dict) else None
    if steps is not None:
        out.append(
            ImportedActivity(
                started_at=dt.datetime.combine(day, dt.time(), dt.UTC),
                date=day,
                activity_type=DAILY_STEPS,
                duration_min=0.0,
                distance_km=None,
                kcal=None,
                steps=round(steps),
                source="fitbit",
                external_id=external_id("fitbit", DAILY_STEPS, day.isoformat()),
            )
        )
    return out


def fitbit_sleep(body: dict[str, Any]) -> list[ImportedActivity]:
    """A day's sleep logs as sleep rows, read as the account export's sleep files are (the
    same fields and external id: logId), so an export and live sync never duplicate a night.
    A malformed log is skipped: one bad record must not cost the day its other data."""
    out: list[ImportedActivity] = []
    importer = FitbitImporter()
    for record in (body.get("sleep") or [])[:MAX_ACTIVITIES_PER_DAY]:
        if not isinstance(record, dict):
            continue
        try:
            out.append(importer.sleep_record(record))
        except ImportFormatError as exc:
            log.warning("fitbit sleep log skipped: %s", exc)
    return out


# --- connections ----------------------------------------------------------------------------


async def get_connection(
    session: AsyncSession, user_id: uuid.UUID, provider: str
) -> TrackerConnection | None:
    result: TrackerConnection | None = await session.scalar(
        sa.select(TrackerConnection).where(
            col(TrackerConnection.user_id) == user_id, col(TrackerConnection.provider) == provider
        )
    )
    return result


async def store_tokens(
    session: AsyncSession,
    cipher: TokenCipher,
    user_id: uuid.UUID,
    provider: str,
    tokens: Tokens,
) -> TrackerConnection:
    """Creates or replaces the user's connection (tokens encrypted), committed."""
    row = await get_connection(session, user_id, provider)
    now = utcnow()
    if row is None:
        row = TrackerConnection(user_id=user_id, provider=provider, created_at=now)
    row.external_user_id = tokens.external_user_id or row.external_user_id
    row.access_token_enc = cipher.encrypt(tokens.access_token)
    row.refresh_token_enc = cipher.encrypt(tokens.refresh_token)
    row.expires_at = tokens.expires_at
    row.scope = tokens.scope
    row.updated_at = now
    row.last_error = None
    session.add(row)
    await session.commit()
    return row


async def connect_fitbit(
    session: AsyncSession,
    cipher: TokenCipher,
    api: FitbitAPI,
    user_id: uuid.UUID,
    code: str,
    redirect_uri: str,
) -> TrackerConnection:
    try:
        tokens = await api.exchange_code(code, redirect_uri)
    except TrackerAuthError as exc:
        raise ConnectFailed(str(exc)) from exc
    except TrackerError as exc:
        raise ConnectFailed(f"Fitbit could not be reached: {exc}") from exc
    return await store_tokens(session, cipher, user_id, api.name, tokens)


async def list_connections(session: AsyncSession, user_id: uuid.UUID) -> list[TrackerConnection]:
    return list(
        await session.scalars(
            sa.select(TrackerConnection)
            .where(col(TrackerConnection.user_id) == user_id)
            .order_by(col(TrackerConnection.provider))
        )
    )


async def disconnect(session: AsyncSession, user_id: uuid.UUID, provider: str) -> None:
    row = await get_connection(session, user_id, provider)
    if row is None:
        raise ConnectionNotFound(f"No {provider} connection")
    await session.delete(row)
    await session.commit()


# --- the nightly run's provider ---------------------------------------------------------------


class FitbitSync:
    """The pipeline's activity provider for Fitbit: users without a connection get nothing
    (and cost no API call); connected users' days are fetched, refreshing the token when it
    expired or was refused. Spends the provider budget itself, per API call.

    `fetch(user, yesterday)` reads yesterday, then the window's nights and the days before
    yesterday again (revisions, module docstring). Yesterday's activities failing fails the
    fetch (the plan falls back to baseline); anything else failing is recorded on the
    connection and leaves that day and kind as stored."""

    name = "fitbit"
    limits_itself = True

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        api: FitbitAPI,
        sync_days: int = SYNC_DAYS,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.cipher = cipher
        self.api = api
        self.sync_days = max(1, sync_days)

    async def fetch(self, user_id: uuid.UUID, day: dt.date) -> SyncedDays:
        async with self.sessionmaker() as session:
            row = await get_connection(session, user_id, self.name)
            if row is None:
                return SyncedDays([])
            try:
                synced, partial = await self._fetch(session, row, day)
            except TrackerError as exc:
                row.last_error = str(exc)[:500]
                row.updated_at = utcnow()
                session.add(row)
                await session.commit()
                raise
            row.last_synced_at = utcnow()
            row.last_error = None if not partial else "; ".join(partial)[:500]
            session.add(row)
            await session.commit()
            return synced

    async def _fetch(
        self, session: AsyncSession, row: TrackerConnection, day: dt.date
    ) -> tuple[SyncedDays, list[str]]:
        """The window's rows and complete (date, kind) pairs, and what could not be fetched
        (anything but yesterday's activities, which raises)."""
        access = self.cipher.decrypt(row.access_token_enc)
        if row.expires_at is None or row.expires_at - EXPIRY_MARGIN <= utcnow():
            access = await self._refresh(session, row)
        items: list[ImportedActivity] = []
        complete: set[tuple[dt.date, str]] = set()
        partial: list[str] = []
        # Yesterday's activities, the window's nights in one call, then the earlier days:
        # 1 + sync_days calls of the provider budget.
        days = [day - dt.timedelta(days=back) for back in range(self.sync_days)]
        body = await self.api.daily(access, day)
        if body is None:  # refused although not expired: revoked or rotated elsewhere
            access = await self._refresh(session, row)
            body = await self.api.daily(access, day)
            if body is None:
                raise TrackerAuthError("fitbit refused a freshly refreshed token")
        items += fitbit_day(body, day)
        complete.add((day, ACTIVITY))
        try:
            nights = await self.api.sleep(access, days[-1], day if len(days) > 1 else None)
        except TrackerError as exc:
            # Sleep burns nothing on top of resting energy: the day's plan does not need it,
            # so its failure is recorded on the connection but the activities are kept.
            nights = None
            partial.append(f"sleep: {exc}")
        else:
            if nights is None:
                partial.append("sleep: fitbit refused the access token for the sleep log")
            elif isinstance(nights.get("sleep"), list):
                got = fitbit_sleep(nights)
                items += got
                # A log skipped as malformed must not delete the version stored before.
                if len(got) == len(nights["sleep"]):
                    complete.update((d, SLEEP) for d in days)
            # `{}`: no sleep scope; the nights stored from an export stay as they are.
        for when in days[1:]:
            try:
                earlier = await self.api.daily(access, when)
                if earlier is None:
                    raise TrackerAuthError("fitbit refused the access token")
            except TrackerError as exc:
                # That day keeps what was stored; the budget is not spent on the rest.
                partial.append(f"{when}: {exc}")
                break
            items += fitbit_day(earlier, when)
            complete.add((when, ACTIVITY))
        return SyncedDays(items, frozenset(complete)), partial

    async def _refresh(self, session: AsyncSession, row: TrackerConnection) -> str:
        tokens = await self.api.refresh(self.cipher.decrypt(row.refresh_token_enc))
        # Fitbit invalidates the old refresh token at once: store the new one before using it.
        await store_tokens(session, self.cipher, row.user_id, self.name, tokens)
        await session.refresh(row)
        return tokens.access_token
