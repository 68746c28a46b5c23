"""One pure ASGI middleware for what every request needs around it: a request id, the HTTP
metrics and the access log line, and (without CORS) the answer to an unhandled error.

One layer instead of three, and nothing per request beyond a few attribute reads: the route
template comes from `scope["route"]`, which the router sets on the same scope dict when it
matches, and the metric children are bound once per (route, method, status).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.errors import answer_unhandled
from app.core.logconfig import REQUEST_ID, USER_ID, write_access

ACCESS_LOGGER = "nexfitra.access"
access_log = logging.getLogger(ACCESS_LOGGER)

UNMATCHED = "<unmatched>"


class ObservabilityMiddleware:
    def __init__(
        self, app: ASGIApp, *, access_log_enabled: bool = True, answer_errors: bool = False
    ) -> None:
        self.app = app
        self.access_log_enabled = access_log_enabled
        # Also do UnhandledErrorMiddleware's job (core/errors.py), where it would sit right
        # inside this one: a layer less on every request.
        self.answer_errors = answer_errors
        self._children: dict[Any, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = rid
        REQUEST_ID.set(rid)
        USER_ID.set(None)
        status = 0  # none sent yet
        rid_header = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append(rid_header)
            await send(message)

        metrics.in_flight_add(1)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not self.answer_errors:
                raise
            await answer_unhandled(scope, receive, send_with_id, status != 0)
        finally:
            status = status or 500
            metrics.in_flight_add(-1)
            duration = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = scope["method"]
            metrics.child(self._children, template, method, status)(duration)
            if self.access_log_enabled and access_log.isEnabledFor(logging.INFO):
                path = scope["path"]
                fields = {
                    "method": method,
                    "path": path,
                    "route": template,
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                }
                # What Logger.info makes and handles, minus findCaller's stack walk (the caller
                # is always this middleware), makeRecord and, under the serve configuration,
                # the record itself (core/logconfig.write_access).
                write_access(access_log, __file__, "%s %s %d", (method, path, status), fields)
