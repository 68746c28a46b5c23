"""Prometheus metrics (prometheus-client): HTTP traffic, DB pool, cache, limiter and LLM.

Under `nexfitra serve --workers N` the serve command points PROMETHEUS_MULTIPROC_DIR at a fresh
directory before the workers start; prometheus-client then keeps every value in a per-process
file and a scrape of any worker sums them all. Single-process runs keep them in memory.

Hot paths hold pre-bound label children (`CACHE_HIT.inc()`), so counting costs a lock and an add.
"""

from __future__ import annotations

import math
import os
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _mp
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "nexfitra_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "nexfitra_http_request_duration_seconds",
    "Time from request start to the end of the response, by route template and method.",
    ["route", "method"],
    # Fewer buckets than the default: each costs a comparison per request and a series per route.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
HTTP_IN_FLIGHT = Gauge(
    "nexfitra_http_requests_in_flight",
    "Requests being handled right now.",
    multiprocess_mode="livesum",
)
DB_POOL_IN_USE = Gauge(
    "nexfitra_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
_CACHE = Counter(
    "nexfitra_cache_requests", "Read-through cache lookups, by result (hit or miss).", ["result"]
)
CACHE_HIT = _CACHE.labels("hit")
CACHE_MISS = _CACHE.labels("miss")
RATE_LIMIT_REJECTIONS = Counter(
    "nexfitra_rate_limit_rejections",
    "Requests refused with 429, by limit (auth, log_writes, admin).",
    ["limit"],
)
LLM_CALLS = Counter(
    "nexfitra_llm_calls",
    "Calls to the LLM server, by outcome (ok, timeout, invalid_output, error).",
    ["outcome"],
)
LLM_FALLBACKS = Counter(
    "nexfitra_llm_fallbacks",
    "Times the LLM was asked but a feature answered from its deterministic path, by feature "
    "and reason (timeout, error, invalid_output, not_better).",
    ["feature", "reason"],
)

# Pre-create the series a dashboard expects, so they read 0 rather than being absent.
for _limit in ("auth", "log_writes", "admin"):
    RATE_LIMIT_REJECTIONS.labels(_limit)
for _outcome in ("ok", "timeout", "invalid_output", "error"):
    LLM_CALLS.labels(_outcome)
    if _outcome != "ok":
        LLM_FALLBACKS.labels("parse", _outcome)
        LLM_FALLBACKS.labels("plan_text", _outcome)
LLM_FALLBACKS.labels("parse", "not_better")


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def track_pool(engine: AsyncEngine) -> None:
    """Counts checked-out connections through the pool's own events."""
    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", lambda *_: DB_POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: DB_POOL_IN_USE.dec())


def render() -> tuple[bytes, str]:
    """The exposition text of every process (multiprocess mode) or of this one."""
    if multiprocess_enabled():
        registry = CollectorRegistry()
        _mp.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4
    return generate_latest(REGISTRY), CONTENT_TYPE_PLAIN_0_0_4


def process_exited(pid: int | None = None) -> None:
    """Drops a finished worker's live gauges (in flight, pool in use) from the sums."""
    if multiprocess_enabled():
        _mp.mark_process_dead(pid or os.getpid())


def child(cache: dict[Any, Any], route: str, method: str, status: int) -> Callable[[float], None]:
    """Counts one answered request of a route/method/status and observes its duration; the
    children are bound once per key."""
    key = (route, method, status)
    record = cache.get(key)
    if record is None:
        record = cache[key] = _recorder(
            HTTP_REQUESTS.labels(route, method, str(status)), HTTP_DURATION.labels(route, method)
        )
    return record


def _recorder(counter: Any, histogram: Any) -> Callable[[float], None]:
    """`counter.inc(); histogram.observe(seconds)` on the children's values directly.

    The public calls check on every call that the child is not a labelled parent and walk the
    buckets one comparison at a time; for a bound child neither can change, so this adds to
    the same values (the locked in-memory ones, or the files of multiprocess mode) and finds
    the bucket by bisection. Falls back to the public calls if prometheus-client lays its
    children out otherwise."""
    try:
        add_count = counter._value.inc
        add_sum = histogram._sum.inc
        bounds = list(histogram._upper_bounds)
        add_bucket = [bucket.inc for bucket in histogram._buckets]
    except AttributeError:
        inc, observe = counter.inc, histogram.observe

        def record_public(seconds: float) -> None:
            inc()
            observe(seconds)

        return record_public
    if len(bounds) != len(add_bucket) or bounds[-1] != math.inf:
        inc, observe = counter.inc, histogram.observe

        def record_checked(seconds: float) -> None:
            inc()
            observe(seconds)

        return record_checked

    def record(seconds: float) -> None:
        add_count(1)
        add_sum(seconds)
        # The first bucket whose bound is at least the value, as Histogram.observe picks it.
        add_bucket[bisect_left(bounds, seconds)](1)

    return record


def _adder(gauge: Gauge) -> Callable[[float], None]:
    """`gauge.inc(amount)` without the per-call check (see `_recorder`)."""
    try:
        add: Callable[[float], None] = gauge._value.inc
    except AttributeError:
        return gauge.inc
    return add


# Requests in flight: +1 as one starts, -1 as it ends.
in_flight_add = _adder(HTTP_IN_FLIGHT)
