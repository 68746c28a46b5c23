"""A local stand-in for the Fitbit Web API endpoints the app uses, on 127.0.0.1:

- `POST /oauth2/token`: HTTP Basic client authentication; grant_type authorization_code (the
  one valid `code`) and refresh_token (the current refresh token only: each refresh rotates
  both tokens and invalidates the old refresh token, as Fitbit does);
- `GET /1/user/-/activities/date/{yyyy-MM-dd}.json`: Bearer access token; the day's
  `activities` and `summary`, or 401 `expired_token`;
- `GET /1.2/user/-/sleep/date/{yyyy-MM-dd}.json`: Bearer access token; `{"sleep": [...],
  "summary": {...}}` with the logs in `nights` whose `dateOfSleep` is the date (the summary
  totals computed from them as Fitbit does), 401 `expired_token`, or 403 `insufficient_scope`
  when `scope` lacks "sleep";
- `GET /1.2/user/-/sleep/date/{startDate}/{endDate}.json` (sleep log by date range): the same
  for every `dateOfSleep` in the range, `{"sleep": [...]}` (Fitbit gives no summary for a
  range), at most 100 days.

`fail_next` makes the next requests answer those statuses first (429, 500 ...; 200 answers
that request as usual).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

_DAY = re.compile(r"^/1/user/-/activities/date/(\d{4}-\d{2}-\d{2})\.json$")
_SLEEP = re.compile(r"^/1\.2/user/-/sleep/date/(\d{4}-\d{2}-\d{2})(?:/(\d{4}-\d{2}-\d{2}))?\.json$")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeFitbit:
    client_id: str = "client-1"
    client_secret: str = "secret-1"
    code: str = "auth-code"
    access_token: str = "access-0"
    refresh_token: str = "refresh-0"
    expires_in: int = 28_800
    days: dict[str, dict[str, Any]] = field(default_factory=dict)
    nights: list[dict[str, Any]] = field(default_factory=list)
    scope: str = "activity sleep"
    fail_next: list[int] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    refreshes: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Seen(method, path, headers, body))
            status, payload, extra = self._answer(method, path, headers, body)
            data = json.dumps(payload).encode()
            head_out = (
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n{extra}Connection: close\r\n\r\n"
            )
            writer.write(head_out.encode() + data)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _error(self, status: int, kind: str) -> tuple[int, dict[str, Any], str]:
        return status, {"errors": [{"errorType": kind, "message": kind}], "success": False}, ""

    def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any], str]:
        status = self.fail_next.pop(0) if self.fail_next else 200
        if status != 200:
            return status, {"errors": [{"errorType": "system"}]}, "Retry-After: 1\r\n"
        if method == "POST" and path == "/oauth2/token":
            basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if headers.get("authorization") != f"Basic {basic}":
                return self._error(401, "invalid_client")
            form = dict(urllib.parse.parse_qsl(body.decode()))
            grant = form.get("grant_type")
            if grant == "authorization_code" and form.get("code") == self.code:
                self.code = ""  # a code is good once
            elif grant == "refresh_token" and form.get("refresh_token") == self.refresh_token:
                self.refreshes += 1
            else:
                return self._error(400, "invalid_grant")
            n = self.refreshes
            self.access_token, self.refresh_token = f"access-{n + 1}", f"refresh-{n + 1}"
            return (
                200,
                {
                    "access_token": self.access_token,
                    "refresh_token": self.refresh_token,
                    "expires_in": self.expires_in,
                    "token_type": "Bearer",
                    "user_id": "ABC123",
                    "scope": self.scope,
                },
                "",
            )
        m = _DAY.match(path)
        if method == "GET" and m:
            if headers.get("authorization") != f"Bearer {self.access_token}":
                return self._error(401, "expired_token")
            return 200, self.days.get(m.group(1), {"activities": [], "summary": {}}), ""
        m = _SLEEP.match(path)
        if method == "GET" and m:
            if headers.get("authorization") != f"Bearer {self.access_token}":
                return self._error(401, "expired_token")
            if "sleep" not in self.scope.split():
                return self._error(403, "insufficient_scope")
            start, end = m.group(1), m.group(2)
            if end is not None:
                days = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days
                if not 0 <= days < 100:
                    return self._error(400, "validation")
                logs = [n for n in self.nights if start <= str(n.get("dateOfSleep")) <= end]
                return 200, {"sleep": logs}, ""
            logs = [n for n in self.nights if n.get("dateOfSleep") == start]
            summary = {
                "totalMinutesAsleep": sum(int(n.get("minutesAsleep", 0)) for n in logs),
                "totalSleepRecords": len(logs),
                "totalTimeInBed": sum(int(n.get("timeInBed", 0)) for n in logs),
            }
            return 200, {"sleep": logs, "summary": summary}, ""
        return self._error(404, "not_found")
