"""Recipes and receipts read in the first seconds after start-up, while the food index is still
being built in the background (app/main.py): they wait for it without blocking the event loop,
and answer as they do once it is built.

The build is made to happen again by dropping the built index; the check that the loop stayed
free is another request (/health) answered while the build is still running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from app.foods import parser
from app.foods.dataset import food_uuid

SPINACH = str(food_uuid("11457"))  # Spinach, raw
RECEIPT = "SPINACH BABY 300 g   2.49\nzorblax crunch 4.99\n"


@pytest.fixture
def unbuilt_index() -> Iterator[None]:
    parser.default_index()  # the app's own start-up build over first (it holds the lock)
    parser._build_default_index.cache_clear()
    yield
    parser.default_index()  # later tests find it built, as after a real start-up


async def _during_build(
    client: httpx.AsyncClient, request: Callable[[], Awaitable[httpx.Response]]
) -> httpx.Response:
    """Sends `request` while the index is unbuilt; once its build is running, asks /health and
    checks the answer came before the build ended."""
    assert parser._build_default_index.cache_info().currsize == 0
    task = asyncio.create_task(request())
    deadline = time.monotonic() + 60
    # A build on the event loop would hold the loop until it ended: this loop would never see
    # the lock taken, only the index built.
    while not parser._index_lock.locked():
        assert not task.done(), task.result().text
        assert parser._build_default_index.cache_info().currsize == 0, "built on the loop"
        assert time.monotonic() < deadline, "the index build never started"
        await asyncio.sleep(0.002)
    health = await client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert parser._build_default_index.cache_info().currsize == 0, "loop blocked by the build"
    return await task


def _recipe(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "meal_types": ["lunch"],
        "ingredients_text": "300 g spinach\n2 eggs",
    }


def _ingredients(body: dict[str, Any]) -> list[tuple[str, float]]:
    return [(i["food_id"], i["grams"]) for i in body["ingredients"]]


async def test_a_recipe_read_during_the_index_build(client, user, unbuilt_index):
    r = await _during_build(
        client,
        lambda: client.post("/api/v1/recipes", json=_recipe("Early"), headers=user.headers),
    )
    assert r.status_code == 201, r.text
    early = _ingredients(r.json())
    assert early[0] == (SPINACH, 300.0)
    assert len(early) == 2 and early[1][1] > 0
    # The same text once the index is built reads the same.
    r = await client.post("/api/v1/recipes", json=_recipe("Later"), headers=user.headers)
    assert r.status_code == 201, r.text
    assert _ingredients(r.json()) == early


async def test_a_receipt_read_during_the_index_build(client, user, unbuilt_index):
    r = await _during_build(
        client,
        lambda: client.post(
            "/api/v1/inventory/receipt", json={"text": RECEIPT}, headers=user.headers
        ),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["unrecognised"] == ["zorblax crunch 4.99"]
    (added,) = body["added"]
    assert added["item"]["food_id"] == SPINACH and added["item"]["grams"] == 300.0
