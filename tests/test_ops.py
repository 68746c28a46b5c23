from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import BACKEND


async def test_health(client):
    r = await client.get("/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


async def test_health_answers_what_fastapi_would(client, app):
    """/health sends its constant answer without FastAPI's request handling: the same bytes
    and headers as the route itself, which still answers what the shortcut does not (HEAD,
    other methods) and is documented as before."""
    fastapi_app = FastAPI()

    @fastapi_app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    transport = httpx.ASGITransport(app=fastapi_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as plain:
        expected = await plain.get("/health")
    r = await client.get("/health")
    assert r.content == expected.content == b'{"status":"ok"}'
    assert r.headers["content-type"] == expected.headers["content-type"]
    assert r.headers["content-length"] == expected.headers["content-length"]
    assert len(r.headers["x-request-id"]) == 32
    assert (await client.delete("/health")).status_code == 405
    spec = (await client.get("/openapi.json")).json()
    assert spec["paths"]["/health"]["get"]["operationId"] == "health"


async def test_ready(client):
    r = await client.get("/ready")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == (
        "ok" if BACKEND == "server" else "not configured (in-process cache)"
    )


async def test_docs_serve_html(client):
    r = await client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in r.text.lower()


async def test_openapi_has_operation_ids_and_tags(client):
    spec = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 20
    missing = [(p, m) for p, m, op in operations if not op.get("operationId") or not op.get("tags")]
    assert missing == []
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids))
    assert {"auth", "logs", "goals", "summaries", "ops"} <= {
        t for _, _, op in operations for t in op["tags"]
    }
    assert spec["paths"]["/api/v1/logs"]["post"]["operationId"] == "logs_create"


async def test_top_level_routes_match_as_before_behind_their_prefix_check(client, app):
    """The probes and docs pages check the path's literal prefix before their regexes
    (core/routing.index_routes): matches, 405s and the trailing-slash redirect are unchanged."""
    from app.core.routing import _RouteGuard

    guarded = {
        r.path for r in app.router.routes if isinstance(r.__dict__.get("matches"), _RouteGuard)
    }
    assert {"/health", "/ready", "/docs", "/openapi.json"} <= guarded
    r = await client.get("/health/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"].endswith("/health")
    assert (await client.post("/health")).status_code == 405
    assert (await client.get("/healthz")).status_code == 404
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "NexFitra API"
