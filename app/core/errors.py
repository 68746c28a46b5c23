"""Domain errors and their RFC 9457 problem+json rendering, in one place."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.contract import allow_header, allowed_methods

log = logging.getLogger("nexfitra.errors")

PROBLEM_JSON = "application/problem+json"
# Only the key, by name: core imports no domain (the auth models own this table).
_USERS = sa.table("users", sa.column("id", sa.Uuid()))
PROBLEM_BASE = "https://nexfitra.dev/problems/"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json answers."""
    return {
        s: {"content": {PROBLEM_JSON: {}}, "description": "Problem details (RFC 9457)"}
        for s in statuses
    }


class AppError(Exception):
    """Base of every error the services raise; the handler turns it into problem+json."""

    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Not authenticated"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class Unprocessable(AppError):
    status, code, title = 422, "unprocessable", "Unprocessable content"


class RateLimited(AppError):
    status, code, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(AppError):
    status, code, title = 503, "unavailable", "Service unavailable"


_STATUS_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Validation failed"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal-error", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    default_code, default_title = _STATUS_TITLES.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (code or default_code),
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or (str(loc[0]) if loc else "")


def _method_not_allowed(request: Request) -> JSONResponse:
    methods = allowed_methods(request.app.routes, request.url.path)
    return problem(
        405,
        f"Method {request.method} is not allowed on {request.url.path}",
        instance=request.url.path,
        headers={"Allow": allow_header(methods)},
    )


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem(
            exc.status,
            exc.detail,
            code=exc.code,
            title=exc.title,
            instance=request.url.path,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        headers = dict(getattr(exc, "headers", None) or {})
        status = exc.status_code
        if status == 404 and detail == "Not Found":
            detail = f"No route matches {request.url.path}"
        elif status == 405:
            return _method_not_allowed(request)
        elif status == 400:
            # Only the framework raises HTTPException(400) here (services raise AppError): a
            # body it could not parse, not UTF-8 JSON or broken multipart. Answered as the
            # validation problem every operation documents.
            return problem(
                422,
                "The request body could not be parsed (not UTF-8 JSON, or broken form data)",
                instance=request.url.path,
                errors=[
                    {
                        "field": "body",
                        "location": "body",
                        "message": detail,
                        "type": "body_decode",
                    }
                ],
            )
        return problem(status, detail, instance=request.url.path, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = list(exc.errors())
        # A model validated by hand may report a whole-body error with an empty location
        # (an empty JSON body): it is no path's.
        if any(e.get("loc", ("",))[:1] == ("path",) for e in raw):
            # The path parameters do not parse, so this route does not own the URL: another
            # route may (`PATCH /logs/parse` reached `PATCH /logs/{entry_id}`), or none does.
            if allowed_methods(request.app.routes, request.url.path):
                return _method_not_allowed(request)
            fields = ", ".join(
                str(e["loc"][-1]) for e in raw if e.get("loc", ("",))[:1] == ("path",)
            )
            return problem(
                404,
                f"No resource matches {request.url.path} (invalid {fields})",
                instance=request.url.path,
            )
        errors = []
        for err in raw:
            loc = err.get("loc", ())
            errors.append(
                {
                    "field": _loc_to_field(loc),
                    "location": str(loc[0]) if loc else "body",
                    "message": err.get("msg", "invalid"),
                    "type": err.get("type", "value_error"),
                }
            )
        fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
        return problem(
            422,
            f"Request validation failed for: {fields}" if fields else "Request validation failed",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check what they can; what is left is a race with another request or a
        # token whose user was deleted since it was issued (its writes hit the foreign key).
        user_id = getattr(request.state, "user_id", None)
        if user_id is not None:
            try:
                async with request.app.state.resources.sessionmaker() as session:
                    found = await session.execute(
                        sa.select(_USERS.c.id).where(_USERS.c.id == user_id)
                    )
                    exists = found.first() is not None
            except Exception:
                log.exception("user lookup after an integrity error failed")
                exists = True
            if not exists:
                return problem(
                    401,
                    "The account of this token no longer exists",
                    instance=request.url.path,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        log.warning("integrity error on %s: %s", request.url.path, exc.orig)
        return problem(
            409,
            "The request conflicts with data written meanwhile; retry it",
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        rid = _request_id(request)
        log.exception("unhandled error (request_id=%s)", rid)
        # The request-id middleware sits inside the server-error layer that sends this answer,
        # so the header has to be set here.
        return problem(
            500,
            "An unexpected error occurred. Quote the request id when reporting it.",
            instance=request.url.path,
            headers={"X-Request-Id": rid} if rid else None,
            request_id=rid,
        )


class UnhandledErrorMiddleware:
    """Answers an unexpected exception with the generic 500 problem and swallows it.

    Starlette's outermost error layer sends the same answer but then re-raises, and uvicorn
    closes the connection of a request whose app raised after its response began: every 500
    cost the client its keep-alive connection. Installed inside the request-id middleware; when
    no CORS layer has to sit between them, that middleware does this itself
    (`answer_unhandled`), saving a layer on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            await answer_unhandled(scope, receive, send, started)


async def answer_unhandled(scope: Scope, receive: Receive, send: Send, started: bool) -> None:
    """Inside `except Exception`: logs the error and sends the generic 500 problem, or
    re-raises when part of a response went out already."""
    rid = scope.get("state", {}).get("request_id")
    log.exception("unhandled error (request_id=%s)", rid)
    if started:
        raise  # half a response went out: only closing the connection is honest
    response = problem(
        500,
        "An unexpected error occurred. Quote the request id when reporting it.",
        instance=scope.get("path"),
        request_id=rid,
    )
    await response(scope, receive, send)
