"""Prometheus metrics: the series exist and count what happened, in-process and with
`nexfitra serve --workers 2` (multiprocess mode) on a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import BACKEND, ROOT, TEST_DATABASE_URL, TEST_REDIS_URL, assert_problem

TOKEN = "scrape-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(s: dict, name: str, **labels: str) -> float:
    return s.get((name, frozenset(labels.items())), 0.0)


async def scrape(c: httpx.AsyncClient) -> dict:
    r = await c.get("/metrics", headers=AUTH)
    assert r.status_code == 200, r.text
    return samples(r.text)


async def test_http_cache_and_limiter_series_count_requests(client_factory, make_user):
    async with client_factory(metrics_token=TOKEN, rate_limit_auth_per_minute=2) as c:
        before = await scrape(c)
        for _ in range(3):
            assert (await c.get("/health")).status_code == 200
        assert (await c.get("/no/such/page")).status_code == 404
        r = await c.post(
            "/api/v1/auth/signup", json={"email": "m@example.com", "password": "pw-123456"}
        )
        assert r.status_code == 201, r.text
        r = await c.post(
            "/api/v1/auth/login", json={"email": "m@example.com", "password": "pw-123456"}
        )
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        # The third auth request within the minute is refused.
        r = await c.post(
            "/api/v1/auth/login", json={"email": "m@example.com", "password": "pw-123456"}
        )
        assert_problem(r, 429)
        for _ in range(2):
            r = await c.get(
                "/api/v1/summaries/daily", params={"date": "2026-01-05"}, headers=headers
            )
            assert r.status_code == 200, r.text
        r = await c.post(
            "/api/v1/logs",
            json={"meal_type": "lunch", "description": "soup", "kcal": 300, "protein_g": 10,
                  "carbs_g": 30, "fat_g": 10},
            headers=headers,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        after = await scrape(c)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    http = "nexfitra_http_requests_total"
    assert delta(http, route="/health", method="GET", status="200") == 3
    assert delta(http, route="<unmatched>", method="GET", status="404") == 1
    assert delta(http, route="/api/v1/auth/signup", method="POST", status="201") == 1
    assert delta(http, route="/api/v1/auth/login", method="POST", status="429") == 1
    assert delta(http, route="/api/v1/summaries/daily", method="GET", status="200") == 2
    assert delta("nexfitra_http_request_duration_seconds_count", route="/health", method="GET") == 3
    # The first summary computed and stored, the second one read the cache (the time zone
    # lookups are cache reads too, hence at least).
    assert delta("nexfitra_cache_requests_total", result="hit") >= 1
    assert delta("nexfitra_cache_requests_total", result="miss") >= 1
    assert delta("nexfitra_rate_limit_rejections_total", limit="auth") == 1
    # The scrape itself is the one request in flight.
    assert value(after, "nexfitra_http_requests_in_flight") == 1
    assert value(after, "nexfitra_db_pool_connections_in_use") >= 0
    assert ("nexfitra_db_pool_connections_in_use", frozenset()) in after
    assert value(after, "nexfitra_llm_calls_total", outcome="ok") >= 0
    assert ("nexfitra_llm_calls_total", frozenset({("outcome", "timeout")})) in after
    # The pipeline gauges are still there, and the event pipeline's.
    assert ("nexfitra_pipeline_queue_length", frozenset()) in after
    assert ("nexfitra_events_outbox_unpublished", frozenset()) in after
    # The log written above waits for the relay (not running under ENVIRONMENT=test).
    assert value(after, "nexfitra_events_outbox_unpublished") >= 1
    assert ("nexfitra_events_consumer_lag", frozenset({("consumer", "insights")})) in after


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(
    BACKEND != "server", reason="run once, with the production backends (about a minute)"
)
def test_multiprocess_workers_sum_their_counts(base_settings, tmp_path):
    """Two uvicorn workers each answer part of the traffic; any scrape reports all of it."""
    port = _free_port()
    env = dict(
        os.environ,
        METRICS_TOKEN=TOKEN,
        JWT_SECRET="x" * 40,
        FOODS_AUTOLOAD="false",
        LOG_FORMAT="json",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"),
    )
    if BACKEND == "server":
        env.update(DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL)
    else:
        env.update(DATABASE_URL=base_settings.database_url, REDIS_URL="")
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        ready = 0
        with httpx.Client(base_url=base, timeout=5) as c:
            # Both workers up: each answers /health once its lifespan has run.
            while time.monotonic() < deadline:
                try:
                    if c.get("/health").status_code == 200:
                        ready += 1
                        if ready >= 5:
                            break
                except httpx.TransportError:
                    pass
                time.sleep(0.3)
            assert ready >= 5, (tmp_path / "server.log").read_text()[-3000:]
            time.sleep(2)  # the second worker may still be starting
            before = samples(c.get("/metrics", headers=AUTH).text)
            # New connections each time, so the kernel spreads them over both workers.
            for _ in range(40):
                with httpx.Client(base_url=base, timeout=5) as one:
                    assert one.get("/health").status_code == 200
            scrapes = [samples(c.get("/metrics", headers=AUTH).text) for _ in range(4)]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    pids = {p.name.split("_")[-1] for p in (tmp_path / "prom").glob("counter_*.db")}
    assert len(pids) == 2, pids
    for after in scrapes:
        got = value(
            after, "nexfitra_http_requests_total", route="/health", method="GET", status="200"
        ) - value(
            before, "nexfitra_http_requests_total", route="/health", method="GET", status="200"
        )
        assert got == 40
    lines = (tmp_path / "server.log").read_text().splitlines()
    assert any('"route": "/health"' in line and '"status": 200' in line for line in lines)


async def test_dashboard_queries_only_exposed_series(client_factory):
    """Every series the Grafana dashboard and Prometheus config rely on is exposed."""
    import json
    import re

    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/nexfitra.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    wanted = {n for e in exprs for n in re.findall(r"nexfitra_[a-z_]+", e)}
    async with client_factory(metrics_token=TOKEN) as c:
        await c.get("/health")
        names = {name for name, _ in await scrape(c)}
    assert wanted and wanted <= names, wanted - names


def test_request_recorder_counts_as_the_public_calls_do():
    """metrics.child's recorder adds to the children's values directly: the same samples as
    Counter.inc and Histogram.observe, bucket edges included."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

    from app.core import metrics

    def pair(registry: CollectorRegistry) -> tuple[Counter, Histogram, Gauge]:
        return (
            Counter("c", "c", ["route"], registry=registry),
            Histogram("h", "h", ["route"], buckets=(0.005, 0.01, 0.5, 1.0), registry=registry),
            Gauge("g", "g", registry=registry),
        )

    public, direct = CollectorRegistry(), CollectorRegistry()
    (pc, ph, pg), (dc, dh, dg) = pair(public), pair(direct)
    record = metrics._recorder(dc.labels("/x"), dh.labels("/x"))
    add = metrics._adder(dg)
    for seconds in (0.0, 0.001, 0.005, 0.0050001, 0.01, 0.3, 0.5, 1.0, 1.5, 30.0):
        pc.labels("/x").inc()
        ph.labels("/x").observe(seconds)
        record(seconds)
    pg.inc()
    pg.inc()
    pg.dec()
    add(1)
    add(1)
    add(-1)

    def counted(registry: CollectorRegistry) -> dict:
        # Everything but the creation times, which differ by when each registry was made.
        found = samples(generate_latest(registry).decode())
        return {k: v for k, v in found.items() if not k[0].endswith("_created")}

    assert counted(direct) == counted(public)
    le = frozenset({("route", "/x"), ("le", "0.005")})
    assert counted(direct)[("h_bucket", le)] == 3  # 0.0, 0.001 and 0.005 itself
    assert counted(direct)[("g", frozenset())] == 1
