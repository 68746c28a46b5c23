"""Live tracker connections: connect (OAuth code exchange), list, disconnect."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import httpx
from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from app.activities import sync
from app.activities.models import TrackerConnection
from app.core.config import Settings
from app.core.deps import CurrentUserId, SessionDep
from app.core.errors import problem_responses

router = APIRouter(prefix="/api/v1/trackers", tags=["trackers"])


class ConnectIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "7b64c4b0...", "redirect_uri": "https://app.example/cb"}]
        },
    )

    code: str = Field(min_length=1, max_length=2000, description="From Fitbit's redirect")
    redirect_uri: str = Field(min_length=1, max_length=2000)


class ConnectionOut(BaseModel):
    provider: str
    external_user_id: str | None
    connected_at: dt.datetime
    expires_at: dt.datetime | None
    last_synced_at: dt.datetime | None
    last_error: str | None


class ConnectionList(BaseModel):
    items: list[ConnectionOut]


def _out(row: TrackerConnection) -> ConnectionOut:
    return ConnectionOut(
        provider=row.provider,
        external_user_id=row.external_user_id,
        connected_at=row.created_at,
        expires_at=row.expires_at,
        last_synced_at=row.last_synced_at,
        last_error=row.last_error,
    )


def cipher(settings: Settings) -> sync.TokenCipher:
    return sync.TokenCipher(settings.token_encryption_secret or settings.secret)


def fitbit_api(
    settings: Settings, http: httpx.AsyncClient, limiter: sync.Limiter | None
) -> sync.FitbitAPI:
    if not (settings.fitbit_client_id and settings.fitbit_client_secret):
        raise sync.ProviderNotConfigured(
            "Fitbit is not configured on this server (FITBIT_CLIENT_ID, FITBIT_CLIENT_SECRET)"
        )
    return sync.FitbitAPI(
        http,
        api_url=settings.fitbit_api_url,
        client_id=settings.fitbit_client_id,
        client_secret=settings.fitbit_client_secret,
        limiter=limiter,
    )


@router.get("", response_model=ConnectionList, operation_id="trackers_list")
async def list_trackers(user_id: CurrentUserId, session: SessionDep) -> ConnectionList:
    """Your connected trackers (tokens are never shown)."""
    return ConnectionList(items=[_out(r) for r in await sync.list_connections(session, user_id)])


@router.post(
    "/fitbit/connect",
    status_code=status.HTTP_201_CREATED,
    response_model=ConnectionOut,
    operation_id="trackers_connect_fitbit",
    responses=problem_responses(401, 404, 422),
)
async def connect_fitbit(
    body: ConnectIn, request: Request, user_id: CurrentUserId, session: SessionDep
) -> ConnectionOut:
    """Finish Fitbit's OAuth 2.0 authorization: send the `code` Fitbit redirected back with.
    From then on the nightly run imports yesterday's activity from Fitbit before planning."""
    settings: Settings = request.app.state.settings
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as http:
        api = fitbit_api(settings, http, None)
        row = await sync.connect_fitbit(
            session, cipher(settings), api, user_id, body.code, body.redirect_uri
        )
    return _out(row)


@router.delete(
    "/{provider}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="trackers_disconnect",
    responses=problem_responses(401, 404),
)
async def disconnect(
    provider: Literal["fitbit"], user_id: CurrentUserId, session: SessionDep
) -> None:
    """Forget the connection and its tokens; imported activities stay."""
    await sync.disconnect(session, user_id, provider)
