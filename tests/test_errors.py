from __future__ import annotations

import httpx

from app.main import create_app
from tests.conftest import assert_problem


async def test_unknown_route_is_404_problem(client):
    r = await client.get("/api/v1/nope")
    body = assert_problem(r, 404, "not-found")
    assert body["detail"] == "No route matches /api/v1/nope"
    assert body["instance"] == "/api/v1/nope"


async def test_wrong_method_is_405_with_allow(client):
    r = await client.delete("/health")
    body = assert_problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "GET"
    assert "DELETE" in body["detail"]


async def test_malformed_json_is_422_problem(client):
    r = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "a@example.com", ',
        headers={"content-type": "application/json"},
    )
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["type"] == "json_invalid"


async def test_missing_token_is_401_problem(client):
    r = await client.get("/api/v1/logs")
    body = assert_problem(r, 401, "unauthorized")
    assert body["detail"] == "Missing bearer token"
    assert r.headers["www-authenticate"] == "Bearer"


async def test_every_response_carries_a_request_id(client):
    r = await client.get("/health", headers={"X-Request-Id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len((await client.get("/health")).headers["x-request-id"]) == 32


async def test_unexpected_exception_is_generic_500(base_settings):
    app = create_app(base_settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: db password hunter2")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get("/boom", headers={"X-Request-Id": "req-42"})
        plain = await c.get("/boom")
    body = assert_problem(r, 500, "internal-error")
    assert body["request_id"] == "req-42"
    assert "req-42" in body["detail"] or "request id" in body["detail"]
    for leaked in ("hunter2", "RuntimeError", "Traceback", "secret internals"):
        assert leaked not in r.text
    assert len(assert_problem(plain, 500)["request_id"]) == 32


async def test_500_response_carries_the_request_id_header(base_settings):
    app = create_app(base_settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get("/boom", headers={"X-Request-Id": "req-43"})
    assert r.status_code == 500
    assert r.headers.get("x-request-id") == "req-43"


async def test_500_passes_through_cors_when_cors_is_on(base_settings):
    """With CORS on, the unhandled-error layer sits inside CORS: the 500 carries the CORS
    headers and the request id, and the app does not raise."""
    from tests.conftest import make_settings

    app = create_app(make_settings(base_settings, cors_origins=["https://app.example"]))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get(
            "/boom", headers={"X-Request-Id": "req-44", "Origin": "https://app.example"}
        )
    body = assert_problem(r, 500, "internal-error")
    assert body["request_id"] == "req-44"
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["x-request-id"] == "req-44"


async def test_500_is_answered_without_raising_when_the_middleware_answers_it(base_settings):
    """Without CORS the observability middleware answers the error itself: nothing is
    re-raised to the server (which would close the keep-alive connection)."""
    app = create_app(base_settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get("/boom", headers={"X-Request-Id": "req-45"})
    assert assert_problem(r, 500, "internal-error")["request_id"] == "req-45"
    assert r.headers["x-request-id"] == "req-45"
