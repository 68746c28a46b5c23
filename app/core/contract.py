"""The API contract, enforced for every route at once (issue 14).

Routers written later get all of this without doing anything, as long as they are included in
the app `create_app` builds (it installs the dependency, the handlers and the OpenAPI hook):

- `enforce_contract`, an app-level dependency, refuses before the route's own code runs:
  NUL characters in any declared query/path parameter, form field or JSON string or key;
  JSON bodies whose types only lax coercion accepts (`true` for a number, `"5"` for an integer,
  `0` for a date), checked by validating the raw body again in pydantic's strict JSON mode;
  dates that are not ISO `YYYY-MM-DD` (`date=0` is not 1970-01-01) or outside
  `DATE_MIN`..`DATE_MAX`. All answer 422 problem+json naming the field.
- `allowed_methods` answers which methods a URL path really has, so 405s carry a complete
  `Allow` header and a path parameter that does not parse (`PATCH /logs/parse` reaching
  `PATCH /logs/{entry_id}`) answers 405 when another route owns that path, 404 otherwise.
- `contract_openapi` rewrites the generated document: every 4xx is problem+json with the
  `Problem` schema, 401 on every authenticated operation, 429 (with `Retry-After` and
  `RateLimit-*`) on every rate-limited one, 404 on every operation with path parameters, and
  the date range on every `format: date` schema.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, Field, TypeAdapter, ValidationError
from starlette.datastructures import UploadFile
from starlette.routing import BaseRoute

PROBLEM_JSON = "application/problem+json"

# One range for every date a user sends: birth dates, logs, goals, weights, plans. Earlier or
# later dates are typing mistakes, and the arithmetic on them (ages, week numbers) is untested.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)
# The same range as a pattern: JSON Schema cannot bound a `format: date` string otherwise, and
# contract testers (schemathesis) then generate only dates the API accepts.
DATE_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DATETIME_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]"
DATE_DESCRIPTION = f"ISO date YYYY-MM-DD between {DATE_MIN} and {DATE_MAX}."
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}.*")

# For text that is stripped and must not end up empty (`str_strip_whitespace` + `min_length`):
# says "some character that is not a space", which the schema cannot say otherwise.
# Whitespace is pydantic's (Unicode White_Space, what `strip_whitespace` trims), spelled out
# because `\s` differs between ECMA (schemathesis), Python and Rust regex engines.
_WS = r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def non_blank_pattern(min_chars: int = 1) -> str:
    """Text with at least `min_chars` characters left once stripped, and no NUL."""
    return "^[^\\u0000]*" + f"[^{_WS}\\u0000][^\\u0000]*" * min_chars + "$"


NON_BLANK_PATTERN = non_blank_pattern(1)

# Bounds for every list route (ARCHITECTURE.md: "every list route has bounds").
MAX_LIMIT = 500
MAX_OFFSET = 100_000


def _check_date_range(value: dt.date) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(f"date must be between {DATE_MIN} and {DATE_MAX}")
    return value


# Use these in schemas and parameters instead of bare `date`/`int` (see /work/notes/b.md);
# bare ones are still range-checked at run time by `enforce_contract`.
UserDate = Annotated[
    dt.date,
    AfterValidator(_check_date_range),
    Field(description=DATE_DESCRIPTION, json_schema_extra={"pattern": DATE_PATTERN}),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]

RATE_LIMITED_ATTR = "__nexfitra_rate_limited__"


def rate_limited(func: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a dependency that spends a rate-limit budget, so the OpenAPI document shows 429."""
    setattr(func, RATE_LIMITED_ATTR, True)
    return func


# --- request checks -------------------------------------------------------------------------


def _base_type(annotation: Any) -> Any:
    """`date` for `date`, `date | None`, `Annotated[date | None, ...]`; else the annotation."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _base_type(args[0])
    return annotation


def _walk(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any, bool]]:
    """Every (path, value, is_key) in decoded JSON."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*path, k), k, True
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i))
    else:
        yield path, value, False


def _plain(value: Any) -> Any:
    """A validated body as dicts, lists and scalars (fields by name)."""
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name, None)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def _object_paths(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """Paths of the objects a route reads (models and dict fields, not ignored extras)."""
    if isinstance(value, dict):
        yield path
        for k, v in value.items():
            yield from _object_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _object_paths(v, (*path, i))


def _may_hold_date(annotation: Any, seen: frozenset[Any] = frozenset()) -> bool:
    """Whether a value validated as `annotation` can be or contain a date; True when unsure."""
    if annotation is None or annotation is type(None):
        return False
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _may_hold_date(typing.get_args(annotation)[0], seen)
    if origin is typing.Literal:
        return False
    if origin is not None:
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return not args or any(_may_hold_date(a, seen) for a in args)
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            if annotation in seen:
                return True  # recursive model: walked at run time
            return bool(_date_fields(annotation, seen | {annotation}))
        if issubclass(annotation, dt.date):
            return True
        # Scalars pydantic never turns into a date (enums are str or int subclasses).
        return not issubclass(annotation, str | int | float | bool | bytes | uuid.UUID)
    return True  # Any, type variables, forward references: look at the value


_date_fields_cache: dict[type[BaseModel], tuple[str, ...]] = {}


def _date_fields(model: type[BaseModel], seen: frozenset[Any] = frozenset()) -> tuple[str, ...]:
    """The fields of `model` whose values can hold a date, in field order (cached per model)."""
    hit = _date_fields_cache.get(model)
    if hit is None:
        seen = seen | {model}
        hit = tuple(
            name
            for name, info in model.model_fields.items()
            if _may_hold_date(info.annotation, seen)
        )
        _date_fields_cache[model] = hit
    return hit


def _dates_in(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], dt.date]]:
    """Every date (and datetime) in a validated body, with its path. Model fields whose type
    holds no date (most of a workout's sets) are not visited."""
    if isinstance(value, dt.date):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in _date_fields(type(value)):
            yield from _dates_in(getattr(value, name, None), (*path, name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _dates_in(v, (*path, k))
    elif isinstance(value, list | tuple | set | frozenset):
        for i, v in enumerate(value):
            yield from _dates_in(v, (*path, i))


def _err(loc: tuple[Any, ...], msg: str, typ: str, value: Any = None) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": typ, "input": value}


_adapters: dict[int, TypeAdapter[Any] | None] = {}


def _strict_adapter(route: APIRoute) -> TypeAdapter[Any] | None:
    key = id(route)
    if key not in _adapters:
        field = route.body_field
        try:
            annotation = field.field_info.annotation if field else None
            _adapters[key] = TypeAdapter(annotation) if annotation is not None else None
        except Exception:  # a body type pydantic cannot adapt on its own: lax checks only
            _adapters[key] = None
    return _adapters[key]


def _check_param(loc: str, name: str, raw: str, annotation: Any) -> list[dict[str, Any]]:
    if "\x00" in raw or "\x00" in name:
        return [_err((loc, name), "NUL characters are not allowed", "string_nul", raw)]
    base = _base_type(annotation)
    if base is dt.date:
        if not _ISO_DATE.fullmatch(raw):
            return [_err((loc, name), "Dates must be ISO YYYY-MM-DD", "date_format", raw)]
        try:
            _check_date_range(dt.date.fromisoformat(raw))
        except ValueError as exc:
            return [_err((loc, name), str(exc), "date_range", raw)]
    elif base is dt.datetime:
        if not _ISO_DATETIME.fullmatch(raw):
            return [_err((loc, name), "Instants must be ISO 8601", "datetime_format", raw)]
        try:
            _check_date_range(dt.date.fromisoformat(raw[:10]))
        except ValueError as exc:
            return [_err((loc, name), str(exc), "date_range", raw)]
    return []


_flats: dict[int, tuple[Dependant, Dependant]] = {}


def _flat(dependant: Dependant) -> Dependant:
    """A route's parameters from all its dependencies, once each (cached per route)."""
    hit = _flats.get(id(dependant))
    if hit is not None and hit[0] is dependant:
        return hit[1]
    flat = Dependant()
    for dep in _all_dependants(dependant):
        for kind in ("path_params", "query_params", "header_params", "cookie_params"):
            mine = getattr(flat, kind)
            seen = {f.alias for f in mine}
            mine.extend(f for f in getattr(dep, kind) if f.alias not in seen)
    _flats[id(dependant)] = (dependant, flat)
    return flat


def served_routes(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    """Every route as served, with its full path, methods and dependant. FastAPI 0.16x keeps
    included routers as nested entries of `app.routes`; its RouteContext resolves them."""
    iter_contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    if iter_contexts is None:
        yield from routes
    else:
        yield from iter_contexts(list(routes))


async def enforce_contract(request: Request) -> None:
    """App-level dependency: the checks in the module docstring, before any route code."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    flat = _flat(route.dependant)
    errors: list[dict[str, Any]] = []
    for field in flat.query_params:
        for raw in request.query_params.getlist(field.alias):
            errors += _check_param("query", field.alias, raw, field.field_info.annotation)
    for field in flat.path_params:
        path_value = request.path_params.get(field.alias)
        if isinstance(path_value, str):
            errors += _check_param("path", field.alias, path_value, field.field_info.annotation)
    for field in flat.header_params + flat.cookie_params:
        header = request.headers.get(field.alias.replace("_", "-"))
        if header is not None and "\x00" in header:
            errors.append(_err(("header", field.alias), "NUL characters are not allowed", "nul"))
    if route.body_field is not None:
        errors += await _check_body(request, route)
    if errors:
        raise RequestValidationError(errors)


def json_request_passes(route: APIRoute, dependant: Dependant, scope: Any, raw: bytes) -> bool:
    """Whether `enforce_contract` surely finds nothing to refuse in a JSON request with body
    `raw` to `route` (whose served dependant is `dependant`), decided without a `Request`, for
    route shortcuts (core/routing.FastPathRoute). False whenever it is not sure: a declared
    query, header or cookie parameter, any NUL, a body that fails strict validation; the
    request then goes through the route and `enforce_contract` as usual."""
    return json_request_body(route, dependant, scope, raw) is not None


def json_request_body(route: APIRoute, dependant: Dependant, scope: Any, raw: bytes) -> Any:
    """`json_request_passes`, answering the body as its strict validation made it (None when
    not sure). A body that passes strict validation validates the same in lax mode, so a
    shortcut can take this value instead of validating the body a second time."""
    flat = _flat(dependant)
    if flat.query_params or flat.header_params or flat.cookie_params:
        return None
    path_params = scope.get("path_params") or {}
    for field in flat.path_params:
        value = path_params.get(field.alias)
        if not isinstance(value, str) or _check_param(
            "path", field.alias, value, field.field_info.annotation
        ):
            return None
    adapter = _strict_adapter(route)
    if adapter is None or b"\x00" in raw or b"\\u0000" in raw:
        return None
    try:
        validated = adapter.validate_json(raw, strict=True)
    except ValidationError:
        return None
    return None if _date_errors(validated) else validated


async def _check_body(request: Request, route: APIRoute) -> list[dict[str, Any]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    errors: list[dict[str, Any]] = []
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()  # parsed once already by FastAPI; this is its cached copy
        for key, item in form.multi_items():
            if "\x00" in key or (isinstance(item, str) and "\x00" in item):
                errors.append(_err(("body", key), "NUL characters are not allowed", "string_nul"))
            if isinstance(item, UploadFile) and item.filename and "\x00" in item.filename:
                errors.append(_err(("body", key), "NUL in file name", "string_nul"))
        return errors
    if not (ctype == "application/json" or ctype.endswith("+json") or not ctype):
        return errors
    raw = await request.body()
    if not raw:
        return errors
    adapter = _strict_adapter(route)
    if adapter is not None and b"\x00" not in raw and b"\\u0000" not in raw:
        # No NUL anywhere (JSON spells it only as an escape, or as a raw byte that a strict
        # decoder refuses): the NUL walks below could find nothing. A body that passes
        # strict validation passes the lax one too, with the same values.
        try:
            validated = adapter.validate_json(raw, strict=True)
        except ValidationError:
            pass  # the full checks below say which errors are the caller's to hear
        else:
            return _date_errors(validated)
    try:
        data = json.loads(raw)
    except ValueError:
        return errors  # FastAPI has answered already; not reached
    if adapter is None:  # a body type pydantic cannot adapt alone: look at all of it
        for path, value, _is_key in _walk(data, ("body",)):
            if isinstance(value, str) and "\x00" in value:
                errors.append(_err(path, "NUL characters are not allowed", "string_nul"))
        return errors
    try:
        validated = adapter.validate_python(data)
    except ValidationError:
        # Invalid however read: FastAPI reports it after authentication, so a caller without
        # a token still hears 401 first.
        return errors
    # NUL: in every key sent (the schema's `propertyNames` say so), and in the values the
    # route will read; values of properties a model ignores never reach it.
    plain = _plain(validated)
    read_objects = {("body", *p) for p in _object_paths(plain, ())}
    for path, value, is_key in _walk(data, ("body",)):
        if is_key and "\x00" in value and path[:-1] in read_objects:
            errors.append(_err(path, "NUL characters are not allowed in keys", "string_nul"))
    for path, value, is_key in _walk(plain, ("body",)):
        if not is_key and isinstance(value, str) and "\x00" in value:
            errors.append(_err(path, "NUL characters are not allowed", "string_nul"))
    if errors:
        return errors
    try:
        adapter.validate_json(raw, strict=True)
    except ValidationError as exc:
        strict_only = [
            _err(("body", *e["loc"]), e["msg"], e["type"], e.get("input"))
            for e in exc.errors(include_url=False)
            # JSON Schema's `integer` includes 2.0; only booleans and strings are refused.
            if not (
                e["type"] == "int_type"
                and isinstance(e.get("input"), float)
                and e["input"].is_integer()
            )
        ]
        if strict_only:
            return strict_only
    return _date_errors(validated)


def _date_errors(validated: Any) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for path, day in _dates_in(validated, ("body",)):
        try:
            _check_date_range(day)
        except ValueError as exc:
            errors.append(_err(path, str(exc), "date_range", str(day)))
    return errors


# --- routing: Allow and 405 ----------------------------------------------------------------


def _params_parse(dependant: Dependant, params: dict[str, Any]) -> bool:
    for field in _flat(dependant).path_params:
        value = params.get(field.alias)
        if isinstance(value, str) and _check_param(
            "path", field.alias, value, field.field_info.annotation
        ):
            return False
        _, errs = field.validate(value, {}, loc=("path", field.alias))
        if errs:
            return False
    return True


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> set[str]:
    """Methods of every route whose template matches `path` with parameters that parse."""
    methods: set[str] = set()
    for route in served_routes(routes):
        regex = getattr(route, "path_regex", None)
        if regex is None or not route.methods:
            continue
        match = regex.match(path)
        if not match:
            continue
        convertors = getattr(route, "param_convertors", {})
        params = {k: convertors[k].convert(v) for k, v in match.groupdict().items()}
        dependant = getattr(route, "dependant", None)
        if dependant is not None and not _params_parse(dependant, params):
            continue
        methods |= set(route.methods)
    if "GET" not in methods:
        methods.discard("HEAD")
    return methods


def allow_header(methods: set[str]) -> str:
    return ", ".join(sorted(methods))


# --- OpenAPI ---------------------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "For validation problems: one entry per bad field.",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "location": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_STATUS_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, invalid or expired bearer token, or its user no longer exists",
    403: "Forbidden",
    404: "Not found (also: a path parameter that does not parse)",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Payload too large",
    415: "Unsupported media type",
    422: (
        "Unprocessable content. Problem `type` `.../validation-error` (with `errors` naming "
        "each field): the request does not match this schema, including NUL characters in "
        "text, a body that is not UTF-8 JSON, and dates outside "
        f"{DATE_MIN}..{DATE_MAX}. Any other problem `type`: the request is well formed but "
        "breaks a business rule of this operation (for example a start date after the end "
        "date, a date in the future, a food id that does not exist, text with no food in it, "
        "fields that exclude each other); the `detail` says which."
    ),
    429: "Rate limit exceeded; retry after `Retry-After` seconds",
    500: "Unexpected error; quote the request id",
    503: "A backing service is unavailable",
}

_RATE_HEADERS = {
    "Retry-After": {
        "description": "Seconds until a request is allowed again",
        "schema": {"type": "integer"},
    },
    "RateLimit-Limit": {"description": "Requests per window", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "Requests left", "schema": {"type": "integer"}},
    "RateLimit-Reset": {
        "description": "Seconds until a request is allowed again (equals Retry-After on 429)",
        "schema": {"type": "integer"},
    },
    "RateLimit-Policy": {"description": "Limit and window", "schema": {"type": "string"}},
}


def _problem_response(status: int, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = dict(existing or {})
    desc = resp.get("description")
    if not desc or desc in ("Validation Error", "Problem details (RFC 9457)"):
        resp["description"] = _STATUS_DESCRIPTIONS.get(status, "Problem details (RFC 9457)")
    resp["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    return resp


def _route_flags(app: FastAPI) -> dict[tuple[str, str], dict[str, bool]]:
    flags: dict[tuple[str, str], dict[str, bool]] = {}
    for route in served_routes(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not getattr(route, "include_in_schema", True):
            continue
        calls = [d.call for d in _all_dependants(dependant)]
        limited = any(getattr(c, RATE_LIMITED_ATTR, False) for c in calls if c is not None)
        for method in route.methods or ():
            flags[(route.path_format, method.lower())] = {
                "rate_limited": limited,
                "path_params": bool(_flat(dependant).path_params),
            }
    return flags


def _all_dependants(dep: Dependant) -> Iterator[Dependant]:
    yield dep
    for sub in dep.dependencies:
        yield from _all_dependants(sub)


NO_NUL_PATTERN = "^[^\\u0000]*$"


def _bound_dates(node: Any) -> None:
    """Adds the date range to every date and date-time schema in the document, and says that
    text (strings, and keys of objects open to other properties) carries no NUL."""
    if isinstance(node, dict):
        if node.get("type") == "object" and node.get("additionalProperties") is not False:
            node.setdefault("propertyNames", {"pattern": NO_NUL_PATTERN})
        if (
            node.get("type") == "string"
            and not {"pattern", "format", "enum", "const", "contentMediaType"} & node.keys()
        ):
            node["pattern"] = NO_NUL_PATTERN
        if node.get("type") == "string" and node.get("format") == "date":
            node.setdefault("pattern", DATE_PATTERN)
            node.setdefault("description", DATE_DESCRIPTION)
        elif node.get("type") == "string" and node.get("format") == "date-time":
            node.setdefault("pattern", DATETIME_PATTERN)
        for value in node.values():
            _bound_dates(value)
    elif isinstance(node, list):
        for value in node:
            _bound_dates(value)


def contract_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers or [{"url": "/", "description": "This server"}],
        license_info=app.license_info,
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    flags = _route_flags(app)
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses: dict[str, Any] = op["responses"]
            f = flags.get((path, method), {})
            secured = bool(op.get("security"))
            if not secured:
                op["security"] = []  # public, said explicitly
            wanted = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
            if op.get("parameters") or op.get("requestBody"):
                wanted.add(422)
            if secured:
                wanted.add(401)
            if f.get("path_params"):
                wanted.add(404)
            if f.get("rate_limited"):
                wanted.add(429)
            for status in sorted(wanted):
                responses[str(status)] = _problem_response(status, responses.get(str(status)))
            if "429" in responses:
                responses["429"]["headers"] = _RATE_HEADERS
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f'"#/components/schemas/{unused}"' not in json.dumps(doc["paths"]):
            del schemas[unused]
    # Problems echo what was sent (a field name with a NUL in it), so theirs stay open.
    problem_schema = schemas.pop("Problem")
    _bound_dates(doc)
    schemas["Problem"] = problem_schema
    app.openapi_schema = doc
    return doc


def omittable(**kwargs: Any) -> Any:
    """Default for a field that may be left out but not sent as null: `grams: Grams =
    omittable()`. The schema then shows no null and null fails validation; read whether it was
    sent with `model_fields_set`. (`T | None = None` documents null as accepted.)"""
    return Field(default=None, **kwargs)


def skip_where_nothing_to_check(app: FastAPI) -> None:
    """Drops `enforce_contract` from the app's own routes that declare no parameter and no
    body, where it can never find anything: `/health` and `/ready` are probed constantly, and
    FastAPI's handling of even a no-op dependency cost a third of what `/health` added to a bare
    app's answer. Routes of included routers keep it, whatever they declare."""
    for route in app.router.routes:
        if not isinstance(route, APIRoute) or route.body_field is not None:
            continue
        dependant = route.dependant
        others = [d for d in dependant.dependencies if d.call is not enforce_contract]
        if len(others) == len(dependant.dependencies):
            continue
        declared = any(
            getattr(dep, kind)
            for dep in [dependant, *(d for o in others for d in _all_dependants(o))]
            for kind in ("path_params", "query_params", "header_params", "cookie_params")
        )
        if not declared:
            dependant.dependencies[:] = others
