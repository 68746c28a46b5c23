"""The API contract of issue 14, app-wide (app/core/contract.py, app/core/errors.py).

Each test reproduces one defect the schemathesis audit found. The OpenAPI tests walk every
operation of the served document, so routes added later are held to the same contract.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, Request

from app.core.config import Settings
from app.main import create_app
from tests.conftest import assert_problem, make_settings
from tests.logs.helpers import log_body

PROBLEM = "application/problem+json"


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


# --- NUL bytes and undecodable bodies -------------------------------------------------------


async def test_nul_in_a_json_string_is_422_naming_the_field(client, user):
    r = await client.post(
        "/api/v1/logs", json=log_body(description="egg\x00s"), headers=user.headers
    )
    assert fields(assert_problem(r, 422, "validation-error")) == {"description"}
    r = await client.get("/api/v1/logs", headers=user.headers)
    assert r.json()["total"] == 0  # nothing half-written


async def test_nul_in_a_json_key_is_422(client, user):
    body = log_body()
    body["bad\x00key"] = 1
    r = await client.post("/api/v1/logs", json=body, headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"bad\x00key"}


async def test_nul_in_nested_json_recipes_and_webhook(client, user):
    r = await client.post(
        "/api/v1/recipes",
        json={
            "name": "soup",
            "meal_types": ["lunch"],
            "ingredients_text": "1 cup rice\x00",
            "servings": 2,
        },
        headers=user.headers,
    )
    assert fields(assert_problem(r, 422, "validation-error")) == {"ingredients_text"}
    r = await client.put(
        "/api/v1/notifications/webhook",
        json={"url": "http://127.0.0.1:9/\x00hook"},
        headers=user.headers,
    )
    assert fields(assert_problem(r, 422, "validation-error")) == {"url"}


async def test_nul_in_query_and_form_fields_is_422(client, user):
    r = await client.get("/api/v1/foods", params={"q": "egg\x00"}, headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"q"}
    r = await client.post(
        "/api/v1/auth/token", data={"username": user.email + "\x00", "password": user.password}
    )
    assert fields(assert_problem(r, 422, "validation-error")) == {"username"}


async def test_body_that_is_not_utf8_is_422_problem(client, user):
    r = await client.post(
        "/api/v1/logs",
        content=b'{"description": "\xff\xfe"}',
        headers={**user.headers, "content-type": "application/json"},
    )
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["type"] == "body_decode"


# --- strict types and one date range --------------------------------------------------------


async def test_booleans_are_not_numbers(client, user):
    r = await client.post("/api/v1/logs", json=log_body(protein_g=False), headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"protein_g"}
    r = await client.post("/api/v1/logs", json=log_body(kcal="400"), headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"kcal"}
    r = await client.post("/api/v1/logs", json=log_body(kcal=400.5), headers=user.headers)
    assert r.status_code == 201, r.text
    assert r.json()["kcal"] == 400.5


async def test_date_zero_is_not_1970(client, user):
    r = await client.get("/api/v1/summaries/daily", params={"date": "0"}, headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"date"}
    r = await client.get("/api/v1/summaries/weekly", params={"start": "0"}, headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"start"}
    r = await client.post("/api/v1/logs", json=log_body(date=0), headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"date"}
    r = await client.get(
        "/api/v1/summaries/daily", params={"date": "2024-03-04"}, headers=user.headers
    )
    assert r.status_code == 200 and r.json()["date"] == "2024-03-04"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2100-01-01"])
async def test_one_date_range_for_user_dates(client, user, day):
    goal = {"kcal": 2000, "protein_g": 100, "carbs_g": 250, "fat_g": 70, "effective_from": day}
    r = await client.put("/api/v1/goals", json=goal, headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"effective_from"}
    r = await client.get("/api/v1/summaries/daily", params={"date": day}, headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"date"}


async def test_range_edges_are_accepted(client, user):
    goal = {"kcal": 2000, "protein_g": 100, "carbs_g": 250, "fat_g": 70}
    r = await client.put(
        "/api/v1/goals", json={**goal, "effective_from": "2099-12-31"}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["effective_from"] == "2099-12-31"
    for day in ("1900-01-01", "2099-12-31"):
        r = await client.get("/api/v1/summaries/daily", params={"date": day}, headers=user.headers)
        assert r.status_code == 200, r.text
        assert r.json()["date"] == day


# --- nulls the schema must not promise ------------------------------------------------------


async def test_no_null_in_schema_where_the_route_refuses_it(client, user):
    doc = (await client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]

    def allows_null(prop: dict[str, Any]) -> bool:
        return any(alt.get("type") == "null" for alt in prop.get("anyOf", [])) or (
            prop.get("type") == "null"
        )

    profile = next(v for k, v in schemas.items() if k.startswith("ProfileIn"))
    patch = next(v for k, v in schemas.items() if k.startswith("InventoryPatch"))
    assert not allows_null(profile["properties"]["sex"])
    assert not allows_null(patch["properties"]["grams"])
    assert allows_null(patch["properties"]["expires_on"])  # clearing it is allowed
    r = await client.put("/api/v1/users/me/profile", json={"sex": None}, headers=user.headers)
    assert "sex" in fields(assert_problem(r, 422, "validation-error"))


# --- bounds, time zones, deleted users ------------------------------------------------------


async def test_goal_history_offset_is_bounded(client, user):
    r = await client.get("/api/v1/goals/history", params={"offset": 10**12}, headers=user.headers)
    assert fields(assert_problem(r, 422, "validation-error")) == {"offset"}


async def test_every_list_parameter_is_bounded(client):
    doc = (await client.get("/openapi.json")).json()
    unbounded = [
        (path, method, p["name"])
        for path, item in doc["paths"].items()
        for method, op in item.items()
        for p in op.get("parameters", [])
        if p["name"] in ("limit", "offset", "page", "page_size", "days")
        and "maximum" not in p["schema"]
    ]
    assert unbounded == []


async def test_timezone_folder_name_is_422(client, user):
    for zone in ("Europe", "America", "posix", "right/UTC"):
        r = await client.patch("/api/v1/users/me", json={"timezone": zone}, headers=user.headers)
        assert fields(assert_problem(r, 422, "validation-error")) == {"timezone"}, zone


async def test_token_of_a_deleted_user_is_401(app, client, user):
    async with app.state.resources.engine.begin() as conn:
        await conn.execute(sa.text("DELETE FROM refresh_tokens"))
        await conn.execute(sa.text("DELETE FROM users"))
    r = await client.put(
        "/api/v1/notifications/webhook",
        json={"url": "http://127.0.0.1:9/hook"},
        headers=user.headers,
    )
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    r = await client.post("/api/v1/logs", json=log_body(), headers=user.headers)
    assert_problem(r, 401)


# --- methods, Allow and path parameters -----------------------------------------------------


async def test_options_lists_every_method_of_the_path(client, user):
    r = await client.options("/api/v1/logs", headers=user.headers)
    assert_problem(r, 405)
    assert r.headers["allow"] == "GET, POST"
    r = await client.options("/api/v1/logs/00000000-0000-0000-0000-000000000001")
    assert set(r.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


async def test_wrong_method_on_a_static_path_is_405_not_422(client, user):
    r = await client.patch("/api/v1/logs/parse", json={"text": "2 eggs"}, headers=user.headers)
    assert_problem(r, 405)
    assert r.headers["allow"] == "POST"
    r = await client.delete("/api/v1/weights/trend", headers=user.headers)
    assert_problem(r, 405)
    assert r.headers["allow"] == "GET"


async def test_path_parameter_that_does_not_parse_is_404(client, user):
    r = await client.get("/api/v1/foods/None", headers=user.headers)
    body = assert_problem(r, 404)
    assert "food_id" in body["detail"]


# --- the OpenAPI document -------------------------------------------------------------------


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    ]


async def test_every_error_response_is_documented_as_problem_json(client):
    doc = (await client.get("/openapi.json")).json()
    assert "Problem" in doc["components"]["schemas"]
    bad = []
    for path, method, op in _operations(doc):
        for status, resp in op["responses"].items():
            if status.isdigit() and int(status) >= 400:
                content = resp.get("content", {})
                if list(content) != [PROBLEM] or "schema" not in content[PROBLEM]:
                    bad.append((method, path, status))
        if op.get("parameters") or op.get("requestBody"):
            if "422" not in op["responses"]:
                bad.append((method, path, "422 missing"))
            elif "business rule" not in op["responses"]["422"]["description"]:
                bad.append((method, path, "422 does not document business rules"))
    assert bad == []


async def test_auth_429_and_404_documented_on_every_route_that_can_send_them(app, client):
    doc = (await client.get("/openapi.json")).json()
    missing = []
    for path, method, op in _operations(doc):
        if op.get("security") and "401" not in op["responses"]:
            missing.append((method, path, "401"))
        if "{" in path and "404" not in op["responses"]:
            missing.append((method, path, "404"))
    assert missing == []
    refresh = doc["paths"]["/api/v1/auth/refresh"]["post"]["responses"]
    assert "429" in refresh
    assert {"Retry-After", "RateLimit-Reset"} <= set(refresh["429"]["headers"])
    assert "429" in doc["paths"]["/api/v1/logs"]["post"]["responses"]


async def test_date_schemas_carry_the_range(client):
    doc = (await client.get("/openapi.json")).json()
    unbounded = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("format") == "date" and "pattern" not in node:
                unbounded.append(where)
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(doc, "")
    assert unbounded == []


# --- rate-limit headers agree -----------------------------------------------------------------


async def test_after_429_reset_and_retry_after_agree(client_factory):
    async with client_factory(rate_limit_auth_per_minute=2) as c:
        bad = {"email": "nobody@example.com", "password": "wrong-pass-1"}
        statuses = [(await c.post("/api/v1/auth/login", json=bad)).status_code for _ in range(3)]
        r = await c.post("/api/v1/auth/login", json=bad)
    assert statuses[:2] == [401, 401]
    assert_problem(r, 429)
    assert r.headers["retry-after"] == r.headers["ratelimit-reset"]
    assert 1 <= int(r.headers["retry-after"]) <= 30


# --- a 500 keeps the connection -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_500_keeps_the_keep_alive_connection(base_settings: Settings):
    application: FastAPI = create_app(make_settings(base_settings))

    @application.get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("deliberate failure for the keep-alive test")

    @application.get("/port", include_in_schema=False)
    async def port(request: Request) -> dict[str, int]:
        return {"port": request.client.port}

    port_ = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port_, log_level="critical")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_}", timeout=60) as c:
            for _ in range(240):
                try:
                    if (await c.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.25)
            first = (await c.get("/port")).json()["port"]
            r = await c.get("/boom")
            assert r.status_code == 500
            assert r.headers["content-type"] == PROBLEM
            assert r.json()["request_id"] == r.headers["x-request-id"]
            assert r.headers.get("connection", "").lower() != "close"
            second = (await c.get("/port")).json()["port"]
        assert second == first  # the same TCP connection served all three
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)


# --- a created resource stays until it is deleted ---------------------------------------------


async def test_deleting_a_food_held_in_the_inventory_is_409(client, user):
    # The foreign key cascaded the delete onto the pantry items, so an item just created
    # answered 404 (schemathesis ST302 in the stateful phase).
    r = await client.post(
        "/api/v1/foods",
        json={"name": "Grandma's jam", "kcal": 250, "protein_g": 0, "carbs_g": 60, "fat_g": 0},
        headers=user.headers,
    )
    jam = r.json()["id"]
    r = await client.post(
        "/api/v1/inventory", json={"food_id": jam, "grams": 400}, headers=user.headers
    )
    item = r.json()["id"]
    r = await client.delete(f"/api/v1/foods/{jam}", headers=user.headers)
    assert assert_problem(r, 409, "food-in-inventory")["inventory_items"] == 1
    r = await client.get(f"/api/v1/inventory/{item}", headers=user.headers)
    assert r.status_code == 200 and r.json()["grams"] == 400
    assert (
        await client.delete(f"/api/v1/inventory/{item}", headers=user.headers)
    ).status_code == 204
    assert (await client.delete(f"/api/v1/foods/{jam}", headers=user.headers)).status_code == 204
