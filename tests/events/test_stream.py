"""The live stream over a real HTTP server: delivery, isolation, resume, caps, heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from app.events.config import EventsSettings
from app.events.stream import StreamSlots
from app.main import create_app
from tests.conftest import assert_problem, create_user
from tests.logs.helpers import log_body


@asynccontextmanager
async def served(settings: Any, **events_cfg: Any) -> AsyncIterator[tuple[Any, str]]:
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    app.state.events.config = EventsSettings(**events_cfg)
    app.state.events.start(relay_loop=True, consume=False)
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Listener:
    """Reads one SSE connection in the background into a queue of (event, id, data)."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http, self.headers = http, headers
        self.events: asyncio.Queue[tuple[str, str, dict[str, Any]]] = asyncio.Queue()
        self.comments = 0
        self.status: int | None = None
        self.ready = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async with self.http.stream("GET", "/api/v1/stream", headers=self.headers) as r:
            self.status = r.status_code
            self.ready.set()
            if r.status_code != 200:
                await r.aread()
                return
            event, eid, data = "message", "", ""
            async for line in r.aiter_lines():
                if line.startswith(":"):
                    self.comments += 1
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("id:"):
                    eid = line[3:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif line == "" and data:
                    await self.events.put((event, eid, json.loads(data)))
                    event, eid, data = "message", "", ""

    async def next(self, timeout: float = 5.0) -> tuple[str, str, dict[str, Any]]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self.task


async def post_log(http: httpx.AsyncClient, user: Any, **kw: Any) -> dict[str, Any]:
    r = await http.post("/api/v1/logs", json=log_body(**kw), headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_new_log_reaches_the_listening_client_within_a_second(client, base_settings):
    async with served(base_settings) as (_app, url), httpx.AsyncClient(base_url=url) as http:
        alice = await create_user(http)
        bob = await create_user(http)
        a, b = Listener(http, alice.headers), Listener(http, bob.headers)
        try:
            await a.ready.wait()
            await b.ready.wait()
            assert (a.status, b.status) == (200, 200)
            await asyncio.sleep(0.2)  # both connections are reading
            t0 = time.perf_counter()
            entry = await post_log(http, alice, description="porridge")
            event, eid, data = await a.next()
            elapsed = time.perf_counter() - t0
            assert elapsed < 1.0, elapsed
            assert event == "FoodLogged" and eid
            assert data["user_id"] == alice.id and data["version"] == 1
            assert data["payload"]["entry_id"] == entry["id"]
            assert data["payload"]["description"] == "porridge"
            # Bob hears nothing of Alice's log, but his own arrives.
            await post_log(http, bob, description="bagel")
            event, _, data = await b.next()
            assert (data["user_id"], data["payload"]["description"]) == (bob.id, "bagel")
            assert b.events.empty() and a.events.empty()
        finally:
            await a.close()
            await b.close()


async def test_last_event_id_resumes_after_the_last_event_seen(client, base_settings):
    async with served(base_settings) as (_app, url), httpx.AsyncClient(base_url=url) as http:
        user = await create_user(http)
        first = Listener(http, user.headers)
        await first.ready.wait()
        await asyncio.sleep(0.2)
        await post_log(http, user, description="one")
        _, seen_id, _ = await first.next()
        await first.close()
        # Offline meanwhile: two more logs and a deletion.
        two = await post_log(http, user, description="two")
        await post_log(http, user, description="three")
        r = await http.delete(f"/api/v1/logs/{two['id']}", headers=user.headers)
        assert r.status_code == 204
        await asyncio.sleep(0.3)  # the relay publishes them
        again = Listener(http, {**user.headers, "Last-Event-ID": seen_id})
        try:
            got = [await again.next() for _ in range(3)]
        finally:
            await again.close()
        assert [(e, d["payload"]["description"]) for e, _, d in got] == [
            ("FoodLogged", "two"),
            ("FoodLogged", "three"),
            ("FoodLogDeleted", "two"),
        ]


async def test_heartbeats_keep_an_idle_stream_alive(client, base_settings):
    async with (
        served(base_settings, stream_heartbeat_s=1) as (_app, url),
        httpx.AsyncClient(base_url=url) as http,
    ):
        user = await create_user(http)
        listener = Listener(http, user.headers)
        try:
            for _ in range(100):  # two pings a second apart; generous on a loaded machine
                if listener.comments >= 2:
                    break
                await asyncio.sleep(0.1)
            assert listener.comments >= 2 and listener.events.empty()
        finally:
            await listener.close()


async def test_open_streams_per_user_are_capped(client, base_settings):
    async with served(base_settings) as (app, url), httpx.AsyncClient(base_url=url) as http:
        app.state.stream_slots = StreamSlots(app.state.resources.redis, 2)
        user = await create_user(http)
        other = await create_user(http)
        held = [Listener(http, user.headers) for _ in range(2)]
        try:
            for h in held:
                await h.ready.wait()
                assert h.status == 200
            r = await http.get("/api/v1/stream", headers=user.headers)
            body = assert_problem(r, 429, "too-many-streams")
            assert "2 open streams" in body["detail"] and r.headers["retry-after"]
            # Another user is not affected by this user's streams.
            mine = Listener(http, other.headers)
            await mine.ready.wait()
            assert mine.status == 200
            await mine.close()
            # Closing one frees its slot.
            await held.pop().close()
            for _ in range(50):
                again = Listener(http, user.headers)
                await again.ready.wait()
                if again.status == 200:
                    held.append(again)
                    break
                await asyncio.sleep(0.1)
            assert held[-1].status == 200 and len(held) == 2
        finally:
            for h in held:
                await h.close()


@pytest.mark.parametrize("value", ["yesterday", "1-2-3", "9" * 30 + "-1"])
async def test_a_bad_last_event_id_is_refused(client, user, value):
    r = await client.get("/api/v1/stream", headers={**user.headers, "Last-Event-ID": value})
    assert_problem(r, 422)


async def test_the_stream_needs_a_token(client):
    assert_problem(await client.get("/api/v1/stream"), 401)
