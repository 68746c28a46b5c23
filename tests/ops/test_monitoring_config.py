"""The monitoring profile's configuration, checked without Docker: `docker compose --profile
monitoring up` cannot run on machines without a Docker daemon (CI's included), so these tests
read docker-compose.yml and deploy/ and check that the pieces point at each other, and that
every series and label the Grafana dashboard queries exists in a real scrape after traffic."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.ops.test_metrics import AUTH, TOKEN

COMPOSE = ROOT / "docker-compose.yml"
DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana/dashboards/nexfitra.json"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


def mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path (relative to the compose file) of the bind mounts."""
    found: dict[str, Path] = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            found[target] = ROOT / source
    return found


def host_path(service: dict[str, Any], container_path: str) -> Path | None:
    """Where a file the container reads comes from, through the longest matching mount."""
    for target, source in sorted(mounts(service).items(), key=lambda m: -len(m[0])):
        if container_path == target:
            return source
        if container_path.startswith(target.rstrip("/") + "/"):
            return source / PurePosixPath(container_path).relative_to(target)
    return None


def test_monitoring_profile_holds_prometheus_and_grafana_only(compose):
    services = compose["services"]
    monitoring = {name for name, s in services.items() if "monitoring" in s.get("profiles", [])}
    assert monitoring == {"prometheus", "grafana"}
    # The API and its stores start without the profile; the profile only adds to them.
    for name in ("api", "postgres", "redis"):
        assert not services[name].get("profiles"), name
    assert "api" in services["prometheus"]["depends_on"]
    assert "prometheus" in services["grafana"]["depends_on"]
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")


def test_prometheus_scrapes_the_api_service_with_the_metrics_token(compose):
    services = compose["services"]
    prometheus = services["prometheus"]
    flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config_path = host_path(prometheus, flag.split("=", 1)[1])
    assert config_path is not None and config_path.is_file()
    assert config_path == DEPLOY / "prometheus/prometheus.yml"
    config = load_yaml(config_path)
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    (target,) = [t for sc in job["static_configs"] for t in sc["targets"]]
    host, port = target.split(":")
    # The target is the api service on the port the API listens on inside its container.
    api = services["api"]
    assert host == "api"
    assert str(api["environment"]["PORT"]) == port
    assert any(p.endswith(f":{port}") for p in api["ports"])
    # The bearer token: Prometheus reads it from the file compose writes from the same
    # variable (and default) the API's METRICS_TOKEN comes from.
    auth = job["authorization"]
    assert auth["type"] == "Bearer"
    (config_mount,) = prometheus["configs"]
    assert config_mount["target"] == auth["credentials_file"]
    token_source = compose["configs"][config_mount["source"]]["content"]
    assert token_source == api["environment"]["METRICS_TOKEN"]
    assert token_source.startswith("${METRICS_TOKEN")


def test_grafana_provisions_the_datasource_and_the_dashboard(compose):
    services = compose["services"]
    grafana = services["grafana"]
    provisioning = host_path(grafana, "/etc/grafana/provisioning")
    assert provisioning is not None and provisioning.is_dir()
    (source,) = load_yaml(provisioning / "datasources/prometheus.yml")["datasources"]
    # Grafana reaches Prometheus by its service name, on the port Prometheus listens on.
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert any(p.endswith(":9090") for p in services["prometheus"]["ports"])
    (provider,) = load_yaml(provisioning / "dashboards/nexfitra.yml")["providers"]
    dashboards = host_path(grafana, provider["options"]["path"])
    assert dashboards is not None and (dashboards / DASHBOARD.name).is_file()
    home = host_path(grafana, grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
    assert home == DASHBOARD
    # Every panel and query uses that datasource.
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for ref in [panel.get("datasource"), *(t.get("datasource") for t in panel["targets"])]:
            assert ref == {"type": "prometheus", "uid": source["uid"]}, panel["title"]


def _queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def test_dashboard_queries_are_balanced():
    """What can be checked of PromQL without Prometheus: brackets and quotes pair up."""
    pairs = {")": "(", "]": "[", "}": "{"}
    for expr in _queries():
        assert expr.count('"') % 2 == 0, expr
        stack: list[str] = []
        for ch in re.sub(r'"[^"]*"', '""', expr):
            if ch in "([{":
                stack.append(ch)
            elif ch in pairs:
                assert stack and stack.pop() == pairs[ch], expr
        assert not stack, expr


async def test_dashboard_series_and_labels_exist_after_traffic(client_factory):
    from prometheus_client.parser import text_string_to_metric_families

    async with client_factory(metrics_token=TOKEN) as c:
        body = {"email": "dash@example.com", "password": "pw-123456"}
        assert (await c.post("/api/v1/auth/signup", json=body)).status_code == 201
        r = await c.post("/api/v1/auth/login", json=body)
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        for _ in range(2):  # a miss, then a hit
            r = await c.get("/api/v1/summaries/daily?date=2024-05-08", headers=headers)
            assert r.status_code == 200
        assert (await c.get("/no/such/page")).status_code == 404
        assert (await c.get("/health")).status_code == 200
        r = await c.get("/metrics", headers=AUTH)
        assert r.status_code == 200
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
    for expr in _queries():
        names = set(re.findall(r"nexfitra_[a-z_]+", expr))
        assert names and names <= labels.keys(), (expr, names - labels.keys())
        used = {
            label.strip()
            for group in re.findall(r"by \(([^)]*)\)", expr)
            for label in group.split(",")
        } | set(re.findall(r"[{,]\s*([a-z_]+)\s*=~?", expr))
        have = set().union(*(labels[n] for n in names))
        assert used <= have, (expr, used - have)


_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")  # Prometheus's duration syntax


def _seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", duration))


def test_prometheus_config_fields_are_ones_prometheus_accepts():
    """What promtool would refuse first, checked by hand: known top-level and job keys,
    durations in Prometheus's syntax, a timeout no longer than the interval, unique jobs."""
    config = load_yaml(DEPLOY / "prometheus/prometheus.yml")
    assert set(config) <= {"global", "scrape_configs", "rule_files", "alerting"}
    glob = config["global"]
    for key in ("scrape_interval", "evaluation_interval", "scrape_timeout"):
        if key in glob:
            assert _DURATION.match(glob[key]), (key, glob[key])
    jobs = config["scrape_configs"]
    assert len({j["job_name"] for j in jobs}) == len(jobs)
    known = {
        "job_name",
        "metrics_path",
        "scheme",
        "scrape_interval",
        "scrape_timeout",
        "authorization",
        "static_configs",
        "honor_labels",
        "params",
    }
    for job in jobs:
        assert set(job) <= known, set(job) - known
        interval = _seconds(job.get("scrape_interval", glob.get("scrape_interval", "1m")))
        timeout = _seconds(job.get("scrape_timeout", glob.get("scrape_timeout", "10s")))
        assert timeout <= interval
        for sc in job["static_configs"]:
            for target in sc["targets"]:
                assert re.fullmatch(r"[a-z0-9.-]+:\d{1,5}", target), target


def test_dashboard_layout_is_one_grafana_loads():
    """Unique panel ids and per-panel refIds, panels inside Grafana's 24-column grid and not
    overlapping, and every target's expression present."""
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(set(refs)) == len(refs), panel["title"]
        assert all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        pos = panel["gridPos"]
        assert pos["w"] > 0 and pos["h"] > 0 and 0 <= pos["x"] and pos["x"] + pos["w"] <= 24
        mine = {
            (x, y)
            for x in range(pos["x"], pos["x"] + pos["w"])
            for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not (mine & cells), f"{panel['title']} overlaps another panel"
        cells |= mine


async def test_the_api_answers_prometheus_as_the_profile_configures_it(compose, client_factory):
    """Prometheus's scrape as configured: the job's path, with the token compose writes to the
    credentials file (the default of ${METRICS_TOKEN:-...}, which the API gets too), is
    answered with the app's metrics; the same path without the token, or with another, is not."""
    job = load_yaml(DEPLOY / "prometheus/prometheus.yml")["scrape_configs"][0]
    content = compose["configs"]["metrics_token"]["content"]
    default = re.fullmatch(r"\$\{METRICS_TOKEN:-(.+)\}", content)
    assert default is not None, content
    token = default.group(1)
    async with client_factory(metrics_token=token) as c:
        r = await c.get(job["metrics_path"], headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        assert "nexfitra_http_requests_total" in r.text
        assert (await c.get(job["metrics_path"])).status_code == 401
        other = {"Authorization": f"Bearer {token}x"}
        assert (await c.get(job["metrics_path"], headers=other)).status_code == 401
