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

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

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


class FastPathRoute(fastapi_routing.APIRoute):
    """An APIRoute that first tries its endpoint's `fast_path` shortcut on GET requests.

    For the hottest cached reads: FastAPI's request object, dependency solving (cache keys,
    scopes and kinds worked out per dependency on every request), parameter validation and the
    exit stack cost several times what a cache hit does. Matching, middleware, metrics and the
    access log are the route's as usual (the router set `scope["route"]` already)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        shortcut: FastPath | None = getattr(self.endpoint, _FAST_PATH_ATTR, None)
        if shortcut is not None and scope["type"] == "http" and scope["method"] == "GET":
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
        await super().handle(scope, receive, send)
