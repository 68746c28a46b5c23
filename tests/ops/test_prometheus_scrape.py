"""The monitoring profile's Prometheus half, run for real without Docker: Debian's `prometheus`
and `promtool` (what the profile's image runs) check deploy/prometheus/prometheus.yml, then
scrape a running NexFitra with that scrape job, and every query of the Grafana dashboard is
evaluated by Prometheus itself and returns series after some traffic.

`docker compose --profile monitoring up` itself cannot run where no image registry is
reachable (CI's machine included); tests/ops/test_monitoring_config.py checks that compose
wires these same files together. Without the binaries the tests skip locally; under CI=true
they fail, so CI cannot go green without them (`.ci/run` installs them)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import BACKEND, ROOT, TEST_DATABASE_URL, TEST_REDIS_URL

CONFIG = ROOT / "deploy/prometheus/prometheus.yml"
DASHBOARD = ROOT / "deploy/grafana/dashboards/nexfitra.json"
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
TOKEN = "scrape-token-" + uuid.uuid4().hex

needs_prometheus = pytest.mark.skipif(
    (PROMETHEUS is None or PROMTOOL is None)
    and os.environ.get("CI", "").lower() not in ("1", "true"),
    reason="prometheus/promtool not installed (CI installs them; `apt-get install prometheus`)",
)


def _require_binaries() -> tuple[str, str]:
    assert PROMETHEUS and PROMTOOL, "prometheus and promtool are required under CI=true"
    return PROMETHEUS, PROMTOOL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not up in time: {log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@needs_prometheus
def test_promtool_accepts_the_profiles_scrape_config():
    _, promtool = _require_binaries()
    # --syntax-only: the token file exists only inside the profile's container.
    r = subprocess.run(
        [promtool, "check", "config", "--syntax-only", str(CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


@needs_prometheus
@pytest.mark.skipif(
    BACKEND != "server", reason="run once, with the production backends (about 20 s)"
)
def test_prometheus_scrapes_the_api_and_every_dashboard_query_has_data(base_settings, tmp_path):
    prometheus, promtool = _require_binaries()
    api_port, prom_port = _free_port(), _free_port()
    api_log, prom_log = tmp_path / "api.log", tmp_path / "prometheus.log"
    env = dict(
        os.environ,
        METRICS_TOKEN=TOKEN,
        JWT_SECRET="x" * 40,
        FOODS_AUTOLOAD="false",
        DATABASE_URL=TEST_DATABASE_URL,
        REDIS_URL=TEST_REDIS_URL,
    )
    api = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(api_port)],
        cwd=ROOT,
        env=env,
        stdout=api_log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    prom: subprocess.Popen[bytes] | None = None
    base = f"http://127.0.0.1:{api_port}"
    try:
        _wait(f"{base}/health", api, api_log, time.monotonic() + 120)
        # The profile's scrape job as it is, pointed at this server and at a token file here
        # (in the profile: the api service, and the file compose writes from METRICS_TOKEN).
        config: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
        (job,) = config["scrape_configs"]
        job["static_configs"] = [{"targets": [f"127.0.0.1:{api_port}"]}]
        token_file = tmp_path / "metrics_token"
        token_file.write_text(TOKEN)
        job["authorization"]["credentials_file"] = str(token_file)
        config["global"]["scrape_interval"] = "1s"
        config_file = tmp_path / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(config))
        # The full check this time: the token file is there.
        r = subprocess.run(
            [promtool, "check", "config", str(config_file)], capture_output=True, text=True
        )
        assert r.returncode == 0, r.stdout + r.stderr
        prom = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=prom_log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        prom_url = f"http://127.0.0.1:{prom_port}"
        _wait(f"{prom_url}/-/ready", prom, prom_log, time.monotonic() + 60)

        with httpx.Client(base_url=base, timeout=10) as c:
            body = {"email": f"prom-{uuid.uuid4().hex[:8]}@example.com", "password": "pw-123456"}
            assert c.post("/api/v1/auth/signup", json=body).status_code == 201
            r = c.post("/api/v1/auth/login", json=body)
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            for _ in range(2):  # a cache miss, then a hit
                r = c.get("/api/v1/summaries/daily?date=2024-05-08", headers=headers)
                assert r.status_code == 200, r.text
            assert c.get("/no/such/page").status_code == 404

        queries = [
            (p["title"], t["expr"])
            for p in json.loads(DASHBOARD.read_text())["panels"]
            for t in p["targets"]
        ]
        assert queries
        missing: dict[str, str] = {}
        with httpx.Client(base_url=prom_url, timeout=10) as pc:
            # rate() needs two scrapes of a series after the traffic: wait for them.
            deadline = time.monotonic() + 60
            while True:
                missing = {}
                for title, expr in queries:
                    r = pc.get("/api/v1/query", params={"query": expr})
                    # Each query is valid PromQL: Prometheus evaluates it.
                    assert r.status_code == 200 and r.json()["status"] == "success", (expr, r.text)
                    if not r.json()["data"]["result"]:
                        missing[title] = expr
                if not missing or time.monotonic() > deadline:
                    break
                time.sleep(1)
            (target,) = pc.get("/api/v1/targets").json()["data"]["activeTargets"]
            # Requests counted by route: the traffic above is in Prometheus, by route template.
            r = pc.get(
                "/api/v1/query",
                params={"query": 'nexfitra_http_requests_total{route="/api/v1/summaries/daily"}'},
            )
            routes = r.json()["data"]["result"]
    finally:
        if prom is not None:
            _stop(prom)
        _stop(api)
    assert target["health"] == "up" and not target["lastError"], target
    assert target["labels"]["job"] == job["job_name"]
    assert not missing, f"dashboard queries without data after traffic: {missing}"
    assert sum(float(s["value"][1]) for s in routes) == 2, routes
