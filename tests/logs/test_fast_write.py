"""POST /logs through its write shortcut (core/routing.fast_write) answers exactly what the
route answers, and anything the shortcut does not handle still gets the route's own answer."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.core import routing
from app.core.routing import FastAnswer
from app.events.models import OutboxEvent
from app.logs import router as logs_router
from app.logs.models import LogEntry
from tests.conftest import BACKEND, assert_problem, create_user
from tests.logs.helpers import log_body

LOGS = "/api/v1/logs"
ENTRY_FIELDS = ("id", "created_at", "updated_at")


@pytest.fixture
def shortcut_calls(monkeypatch: pytest.MonkeyPatch) -> list[FastAnswer | None]:
    """What the log shortcut answered, per request that reached it."""
    calls: list[FastAnswer | None] = []
    inner = getattr(logs_router.create_log, routing._FAST_WRITE_ATTR)

    async def spy(scope: Any, body: Any) -> FastAnswer | None:
        answer = await inner(scope, body)
        calls.append(answer)
        return answer

    monkeypatch.setattr(logs_router.create_log, routing._FAST_WRITE_ATTR, spy)
    return calls


def _without_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(logs_router.create_log, routing._FAST_WRITE_ATTR)


async def _post(c: httpx.AsyncClient, user: Any, content: bytes, **headers: str) -> httpx.Response:
    h = {"Content-Type": "application/json", "X-Request-Id": "same-id", **headers}
    if user is not None:
        h.update(user.headers)
    return await c.post(LOGS, content=content, headers=h)


def _normalised(
    r: httpx.Response, fields: tuple[str, ...] = ENTRY_FIELDS
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body with the entry's own id and instants replaced, so two answers
    for the same input compare byte for byte."""
    body = r.content
    if r.status_code == 201:
        data = r.json()
        for key in fields:
            body = body.replace(json.dumps(data[key]).encode(), f'"<{key}>"'.encode())
    return r.status_code, list(r.headers.multi_items()), body


async def _both(
    c: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    calls: list[FastAnswer | None],
    **headers: str,
) -> tuple[httpx.Response, httpx.Response]:
    """The same request by two fresh users (same budget left): through the shortcut, then
    through the route alone."""
    first, second = await create_user(c), await create_user(c)
    fast = await _post(c, first, content, **headers)
    reached = len(calls)
    with monkeypatch.context() as m:
        _without_shortcut(m)
        slow = await _post(c, second, content, **headers)
    assert len(calls) == reached  # the second request really went through the route
    return fast, slow


BODIES = [
    log_body(),
    log_body(date=..., consumed_at="2024-03-04T07:30:00+02:00", grams=250, fiber_g=4.5),
    log_body(description="  café crème ☕ \u00e9  ", sodium_mg=0, sugars_g=12.25),
    log_body(date=..., meal_type="snack", kcal=0, protein_g=0, carbs_g=0, fat_g=0),
]


@pytest.mark.parametrize("body", BODIES)
async def test_shortcut_answers_byte_for_byte_what_the_route_answers(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    shortcut_calls: list[FastAnswer | None],
    body: dict[str, Any],
) -> None:
    content = json.dumps(body).encode()
    fast, slow = await _both(client, monkeypatch, content, shortcut_calls)
    assert len(shortcut_calls) == 1 and shortcut_calls[0] is not None  # it answered
    assert fast.status_code == 201, fast.text
    # An entry without `consumed_at` is stamped now.
    fields = ENTRY_FIELDS if "consumed_at" in body else (*ENTRY_FIELDS, "consumed_at")
    assert _normalised(fast, fields) == _normalised(slow, fields)
    if BACKEND == "server":
        assert fast.headers["RateLimit-Remaining"] == slow.headers["RateLimit-Remaining"]
    assert fast.json()["description"] == body["description"].strip()


INVALID = [
    (b'{"date": "2024-03-04", "meal_type": "brunch", "description": "x", "kcal": 1}', 422),
    (b'{"date": "2024-03-04", "meal_type": "lunch", "description": "x", "kcal": "5"}', 422),
    (b'{"date": "1800-01-01", "meal_type": "lunch", "description": "x", "kcal": 5}', 422),
    (b'{"date": "2024-03-04", "meal_type": "lunch", "description": "a\\u0000", "kcal": 5}', 422),
    (b'{"date": "2024-03-04", "meal_type": "lunch", "description": "x", "kcal": 5, "z": 1}', 422),
    (b'{"date": "2024-03-04", "meal_type": "lunch", "description": "x", "kcal": 5', 422),
    (b"[]", 422),
    (
        json.dumps(log_body(grams=10, protein_g=20, carbs_g=0, fat_g=0)).encode(),
        422,
    ),
    (
        json.dumps(log_body(date="2024-03-04", consumed_at="2024-03-09T10:00:00+00:00")).encode(),
        422,
    ),
]


@pytest.mark.parametrize(("content", "status"), INVALID)
async def test_invalid_input_gets_the_routes_problem(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    shortcut_calls: list[FastAnswer | None],
    content: bytes,
    status: int,
) -> None:
    fast, slow = await _both(client, monkeypatch, content, shortcut_calls)
    assert_problem(fast, status)
    assert _normalised(fast) == _normalised(slow)


async def test_requests_the_shortcut_leaves_alone_get_the_routes_answer(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    shortcut_calls: list[FastAnswer | None],
) -> None:
    content = json.dumps(log_body()).encode()
    # Another content type, no token, a bad token: never handed to the shortcut, or refused
    # by it before it did anything, and the route answers as always.
    user = await create_user(client)
    r = await _post(client, user, content, **{"Content-Type": "text/plain"})
    assert_problem(r, 422)
    r = await _post(client, None, content)
    assert_problem(r, 401)
    r = await _post(client, None, content, Authorization="Bearer not-a-token")
    assert_problem(r, 401)
    r = await _post(client, user, content, **{"Content-Type": "application/json; charset=UTF-8"})
    assert r.status_code == 201, r.text
    # A food's entry is the route's: it reads the food and maybe the inventory.
    food_id = str(uuid.uuid4())
    fast, slow = await _both(
        client, monkeypatch, json.dumps(log_body(food_id=food_id, grams=100)).encode(), []
    )
    assert _normalised(fast) == _normalised(slow)
    assert fast.status_code == 422
    assert all(call is None for call in shortcut_calls)


async def test_rate_limit_refuses_through_the_shortcut(
    client_factory: Any, monkeypatch: pytest.MonkeyPatch, shortcut_calls: list[Any]
) -> None:
    async with client_factory(rate_limit_log_writes_per_minute=2) as c:
        content = json.dumps(log_body()).encode()
        first, second = await create_user(c), await create_user(c)
        answers = {}
        for name, user in (("fast", first), ("slow", second)):
            with monkeypatch.context() as m:
                if name == "slow":
                    _without_shortcut(m)
                for _ in range(2):
                    assert (await _post(c, user, content)).status_code == 201
                answers[name] = await _post(c, user, content)
        body = assert_problem(answers["fast"], 429, "rate-limited")
        assert "2 requests per minute" in body["detail"]
        assert answers["fast"].headers["RateLimit-Remaining"] == "0"
        assert int(answers["fast"].headers["Retry-After"]) >= 1
        assert _normalised(answers["fast"]) == _normalised(answers["slow"])
        assert len(shortcut_calls) == 2  # the refused one raised in the shortcut
        page = (await c.get(LOGS, headers=first.headers)).json()
        assert page["total"] == 2


async def test_shortcut_write_stores_the_row_event_and_invalidates_the_summary(
    client: httpx.AsyncClient, app: Any, shortcut_calls: list[FastAnswer | None]
) -> None:
    user = await create_user(client)
    day = "2024-03-04"
    summary_url = f"/api/v1/summaries/daily?date={day}"
    await _post(client, user, json.dumps(log_body(kcal=300, protein_g=10)).encode())
    before = await client.get(summary_url, headers=user.headers)
    again = await client.get(summary_url, headers=user.headers)  # cached now
    assert before.json() == again.json()
    assert before.json()["totals"]["kcal"] == 300
    r = await _post(
        client,
        user,
        json.dumps(log_body(kcal=450.5, protein_g=31, grams=200, sodium_mg=120)).encode(),
    )
    assert r.status_code == 201, r.text
    assert len(shortcut_calls) == 2 and all(shortcut_calls)
    entry = r.json()
    after = (await client.get(summary_url, headers=user.headers)).json()
    assert after["totals"]["kcal"] == 750.5
    assert after["totals"]["protein_g"] == 41

    res = app.state.resources
    async with res.engine.connect() as conn:
        row = (
            await conn.execute(sa.select(LogEntry).where(LogEntry.id == uuid.UUID(entry["id"])))
        ).one()
        events = (
            await conn.execute(
                sa.select(OutboxEvent.type, OutboxEvent.payload).where(
                    OutboxEvent.user_id == uuid.UUID(str(user.id))
                )
            )
        ).all()
    assert row.user_id == uuid.UUID(str(user.id))
    assert str(row.date) == day
    assert (row.kcal, row.protein_g, row.grams, row.sodium_mg) == (450.5, 31, 200, 120)
    # A typed entry has no nutrient snapshot, as the route stores it.
    assert row.nutrients is None
    assert row.source == "manual"
    assert [t for t, _ in events].count("FoodLogged") == 2
    logged = [p for t, p in events if p["entry_id"] == entry["id"]]
    assert len(logged) == 1 and logged[0]["kcal"] == 450.5
