"""Routing without trying every router: each included router first checks the path's prefix.

The app's router tries its entries in order, and an included router (FastAPI keeps each
`include_router` as one entry) tries each of its routes' regexes in turn, twice for the router
that matches (once to match, once to handle). With some 200 routes in about 30 routers, a request
to a router near the end paid 70-220 µs of regex matching before its own code ran.

Every route's regex starts with its path's literal text up to the first `{parameter}`, so a path
that starts with none of a router's literal prefixes cannot match any of its routes, with any
method, and with or without a trailing slash that redirect_slashes tries. `index_routes` gives each
included router that check in front of its own `matches`, and changes nothing else: order, 405s
with `Allow`, redirect_slashes, mounts and everything FastAPI reads from `app.routes` stay as they
are. Routers holding a route without a literal path (a `Host`, a frontend group) are left alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi import params as fastapi_params
from fastapi import routing as fastapi_routing
from fastapi.datastructures import DefaultPlaceholder
from pydantic import BaseModel
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Message, Receive, Scope, Send

from app.core import contract

_NO_MATCH: tuple[Match, Scope] = (Match.NONE, {})


def _literal_prefix(path_format: str) -> str:
    cut = path_format.find("{")
    return path_format if cut < 0 else path_format[:cut]


def _route_prefix(context: Any) -> str | None:
    """The literal start of every path the route can match, or None when it has none."""
    route = context.original_route
    if isinstance(route, fastapi_routing.APIRoute):
        fmt = getattr(context, "path_format", None)
    else:
        starlette_route = context.starlette_route
        if starlette_route is None or getattr(starlette_route, "path_regex", None) is None:
            return None
        fmt = getattr(starlette_route, "path_format", None)
    return _literal_prefix(fmt) if isinstance(fmt, str) else None


def _routers(included: Any) -> list[Any]:
    """The included router's own router and every router nested in it."""
    found = [included.original_router]
    for route in included.original_router.routes:
        if isinstance(route, fastapi_routing._IncludedRouter):
            found += _routers(route)
    return found


class _PrefixGuard:
    """`matches` of one included router, answering NONE at once for paths none of its routes
    can match. Recomputed when a route is added to the router or a router nested in it."""

    def __init__(self, included: Any) -> None:
        self.included = included
        self.inner = type(included).matches.__get__(included)
        self.versions: tuple[int, ...] = ()
        self.routers: list[Any] = []
        self.prefixes: tuple[str, ...] | None = None

    def _refresh(self) -> None:
        self.routers = _routers(self.included)
        self.versions = tuple(r._routes_version for r in self.routers)
        prefixes: set[str] = set()
        for context in self.included.effective_route_contexts():
            prefix = _route_prefix(context)
            if prefix is None:
                self.prefixes = None
                return
            prefixes.add(prefix)
        if self.included.original_router._low_priority_routes:
            self.prefixes = None  # frontend fallbacks: matched elsewhere, by other rules
            return
        self.prefixes = tuple(prefixes)

    def __call__(self, scope: Scope) -> tuple[Match, Scope]:
        # A plain loop: this runs for every router the request passes on its way (a generator
        # building a tuple here cost more than the prefix check it guards).
        i = 0
        versions = self.versions
        for router in self.routers:
            if router._routes_version != versions[i]:
                self._refresh()
                break
            i += 1
        if self.prefixes is not None:
            path: str = scope["path"]
            root_path = scope.get("root_path", "")
            if root_path:
                path = fastapi_routing.get_route_path(scope)
            if not path.startswith(self.prefixes):
                return _NO_MATCH
        return self.inner(scope)


class _RouteGuard:
    """`matches` of one route at the app's top level (the probes, the docs pages): NONE at
    once for a path that does not start with the route's literal prefix, which its regex
    could not match either. Every API request passes these routes first."""

    def __init__(self, route: Route, prefix: str) -> None:
        self.inner = type(route).matches.__get__(route)
        self.prefix = prefix

    def __call__(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope["path"]
        if scope.get("root_path", ""):
            path = fastapi_routing.get_route_path(scope)
        if not path.startswith(self.prefix):
            return _NO_MATCH
        return self.inner(scope)


def index_routes(app: FastAPI) -> None:
    """Puts the prefix check in front of every router included in `app` so far, and of every
    plain route at its top level."""
    routes: list[BaseRoute] = app.router.routes
    for route in routes:
        if isinstance(route, fastapi_routing._IncludedRouter) and not isinstance(
            route.__dict__.get("matches"), _PrefixGuard
        ):
            guard = _PrefixGuard(route)
            guard._refresh()
            # An instance attribute: the route stays the _IncludedRouter FastAPI looks for.
            route.matches = guard  # type: ignore[method-assign]
        elif (
            isinstance(route, Route)
            and isinstance(getattr(route, "path_format", None), str)
            and not isinstance(route.__dict__.get("matches"), _RouteGuard)
        ):
            prefix = _literal_prefix(route.path_format)
            route.matches = _RouteGuard(route, prefix)  # type: ignore[method-assign]


# A route's shortcut: answers the request's JSON body from the scope alone, or None to let the
# route run as usual.
FastPath = Callable[[Scope], Awaitable[bytes | None]]
_FAST_PATH_ATTR = "__nexfitra_fast_path__"


def fast_path(shortcut: FastPath) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Gives a GET endpoint of a router built with `route_class=FastPathRoute` a shortcut.

    The shortcut must only answer what the endpoint would answer (status 200 with the same JSON
    body), and only when it is sure: anything it does not fully understand (a missing or odd
    token, an unusual query string, a cache miss) returns None, and the request then goes
    through validation, dependencies and the endpoint as always, with their errors."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        setattr(endpoint, _FAST_PATH_ATTR, shortcut)
        return endpoint

    return mark


@dataclass(frozen=True, slots=True)
class FastAnswer:
    """What a `fast_write` shortcut answers: `content` is what the endpoint would return (the
    route serialises it with its own `response_model` settings, exactly as FastAPI does), and
    `headers` are what the endpoint's dependencies would set on their `Response` (rate-limit
    headers, a Location), sent after content-length and content-type like FastAPI sends them.
    `status_code` None is the route's own. `body`, when given, is `content` already
    serialised, byte for byte as the route would (the shortcut's tests must compare them), and
    is sent instead of it."""

    content: Any
    headers: Sequence[tuple[str, str]] = ()
    status_code: int | None = None
    body: bytes | None = None


# A write route's shortcut: given the scope and the request body already validated by the
# route's own body model (and passed by `enforce_contract`), answers as the endpoint would, or
# None (before doing anything) to let the route run as usual.
FastWrite = Callable[[Scope, Any], Awaitable[FastAnswer | None]]
_FAST_WRITE_ATTR = "__nexfitra_fast_write__"

# A body larger than this is left to the route (and its body limits): shortcuts are for the
# small JSON documents of frequent writes.
FAST_WRITE_MAX_BODY = 64 * 1024


def fast_write(shortcut: FastWrite) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Gives a JSON write endpoint (POST, PUT, PATCH) of a router built with
    `route_class=FastPathRoute` a shortcut that skips FastAPI's request handling.

    How an endpoint opts in::

        async def _fast_create(scope: Scope, body: ThingCreate) -> FastAnswer | None:
            if <anything the shortcut does not handle>:   # before any side effect
                return None
            claims = await scope_access_claims(scope)     # core/deps: the route's token check
            if claims is None:
                return None
            ...                                           # what the endpoint does
            return FastAnswer(ThingOut.model_validate(row), headers=rate_limit_headers)

        @fast_write(_fast_create)          # above the route decorator
        @router.post("", status_code=201, response_model=ThingOut)
        async def create(body: ThingCreate, ...) -> ThingOut: ...

    The route (`FastPathRoute.handle`) only calls the shortcut for a request with a
    `Content-Type: application/json` body of known length up to FAST_WRITE_MAX_BODY, that
    `enforce_contract` would pass (core/contract.json_request_body) with a body model; it hands
    the shortcut the model that strict validation made, which the route's lax validation would
    make the same. Anything else, and any None the shortcut answers,
    goes through the route as usual with the body replayed, so its errors stay the route's own
    problem+json. Exceptions the shortcut raises reach the app's handlers as the endpoint's do.

    The shortcut's contract: answer exactly what the endpoint would (the same side effects:
    rows, events, cache invalidation; the same `content`, status and headers), and do
    everything the route's dependencies would (token check, rate limits, their headers, their
    errors, in their order). Return None only before any side effect. Tests should compare the
    shortcut's answer with the route's for the same input (tests/logs/test_fast_write.py)."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        setattr(endpoint, _FAST_WRITE_ATTR, shortcut)
        return endpoint

    return mark


async def _read_small_json_body(
    scope: Scope, receive: Receive
) -> tuple[bytes | None, list[Message], BaseException | None]:
    """The whole body when the request qualifies for a write shortcut (None otherwise), the
    messages read from `receive` so far and any error reading raised, to replay to the route."""
    length = -1
    ctype = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = int(value) if value.isdigit() and len(value) < 10 else -2
        elif name == b"content-type":
            ctype = value
        elif name == b"transfer-encoding":
            return None, [], None
    if (
        length < 1
        or length > FAST_WRITE_MAX_BODY
        or ctype not in (b"application/json", b"application/json; charset=utf-8")
    ):
        return None, [], None
    messages: list[Message] = []
    chunks: list[bytes] = []
    try:
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return None, messages, None
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
    except Exception as exc:
        return None, messages, exc
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return (body if len(body) == length else None), messages, None


def _replay(messages: list[Message], error: BaseException | None, receive: Receive) -> Receive:
    """`receive` as the route would have seen it: the messages already read, then the error
    reading raised (if any), then the rest from the server."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        if error is not None:
            raise error
        return await receive()

    return replay


class FastPathRoute(fastapi_routing.APIRoute):
    """An APIRoute that first tries its endpoint's shortcut: `fast_path` on GET requests,
    `fast_write` on JSON writes.

    For the hottest cached reads and writes: FastAPI's request object, dependency solving
    (cache keys, scopes and kinds worked out per dependency on every request), parameter
    validation and the exit stack cost several times what a cache hit does. Matching,
    middleware, metrics and the access log are the route's as usual (the router set
    `scope["route"]` already)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "GET":
                shortcut: FastPath | None = getattr(self.endpoint, _FAST_PATH_ATTR, None)
                if shortcut is not None:
                    body = await shortcut(scope)
                    if body is not None:
                        await send(
                            {
                                "type": "http.response.start",
                                "status": 200,
                                "headers": [
                                    (b"content-length", str(len(body)).encode()),
                                    (b"content-type", b"application/json"),
                                ],
                            }
                        )
                        await send({"type": "http.response.body", "body": body})
                        return
            else:
                write: FastWrite | None = getattr(self.endpoint, _FAST_WRITE_ATTR, None)
                if write is not None:
                    rest = await self._fast_write(write, scope, receive, send)
                    if rest is None:
                        return
                    receive = rest
        await super().handle(scope, receive, send)

    def _served(self, scope: Scope) -> Any:
        """The route as served: its effective context for a route of an included router (the
        app's dependencies added, the prefix applied), else the route itself."""
        context = fastapi_routing._get_scope_effective_route_context(scope)
        if context is not None and context.original_route is self:
            return context
        return self

    def _qualifies(self, served: Any, scope: Scope) -> bool:
        body_field = served.body_field
        return (
            scope["method"] in served.methods
            and body_field is not None
            and not isinstance(body_field.field_info, fastapi_params.Form)
            and not served._embed_body_fields
            and served.response_field is not None
            and isinstance(served.response_class, DefaultPlaceholder)
            and served.max_body_size is None
            and served.stream_item_field is None
            and not served.is_json_stream
            and MAX_BODY_SIZE_SCOPE_KEY not in scope
            and not getattr(scope.get("app"), "dependency_overrides", None)
        )

    async def _fast_write(
        self, shortcut: FastWrite, scope: Scope, receive: Receive, send: Send
    ) -> Receive | None:
        """Answers through the shortcut (None), or the `receive` the route must use."""
        served = self._served(scope)
        if not self._qualifies(served, scope):
            return receive
        raw, messages, error = await _read_small_json_body(scope, receive)
        if raw is None:
            return _replay(messages, error, receive) if messages or error else receive
        replay = _replay(messages, None, receive)
        # The contract's strict validation is the body's only one here: a model it makes is the
        # one the route's lax validation would (a second pass cost ~0.1 ms for a workout).
        # Any other body (not a model) goes the route's way.
        value = contract.json_request_body(self, served.dependant, scope, raw)
        if not isinstance(value, BaseModel):
            return replay
        answer = await shortcut(scope, value)
        if answer is None:
            return replay
        await self._send_answer(served, answer, scope, replay, send)
        return None

    async def _send_answer(
        self, served: Any, answer: FastAnswer, scope: Scope, receive: Receive, send: Send
    ) -> None:
        # What FastAPI's request handler does with an endpoint's return value
        # (fastapi.routing.get_request_handler, serialize_response with dump_json).
        content = answer.body
        if content is None:
            content = await fastapi_routing.serialize_response(
                field=served.response_field,
                response_content=answer.content,
                include=served.response_model_include,
                exclude=served.response_model_exclude,
                by_alias=served.response_model_by_alias,
                exclude_unset=served.response_model_exclude_unset,
                exclude_defaults=served.response_model_exclude_defaults,
                exclude_none=served.response_model_exclude_none,
                is_coroutine=True,
                dump_json=True,
            )
        status_code = answer.status_code or served.status_code or 200
        if 200 <= status_code and status_code not in (204, 304):
            # The messages Starlette's Response(content, media_type="application/json") sends
            # for a status with a body, built here directly: the Response object (its header
            # list, MutableHeaders, the background check) cost a write ~20 µs for two dicts.
            headers = [
                (b"content-length", str(len(content)).encode()),
                (b"content-type", b"application/json"),
            ]
            for name, value in answer.headers:
                headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
            await send({"type": "http.response.start", "status": status_code, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        response = Response(content=content, media_type="application/json", status_code=status_code)
        if not fastapi_routing.is_body_allowed_for_status_code(status_code):
            response.body = b""
        raw_headers = response.headers.raw
        for name, value in answer.headers:
            raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        await response(scope, receive, send)
