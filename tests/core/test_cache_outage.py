"""A write during a Redis outage must not leave stale cached reads behind (issue 14).

Redis keeps its data throughout (as a Redis with persistence would across a restart); the app
reaches it through a TCP proxy that the test stops and starts, so for the app Redis goes away
and comes back with everything it held before, including the entries the missed invalidation
should have dropped. Runs on the server backend (the embedded one has no Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.conftest import BACKEND, TEST_REDIS_URL, create_user
from tests.logs.helpers import add_log, log_body, set_goal

pytestmark = pytest.mark.skipif(BACKEND != "server", reason="needs the Redis of the server backend")

DAY = "2024-03-04"


class Proxy:
    """Forwards 127.0.0.1:<port> to the test Redis; `stop()` drops the listener and every
    open connection (the app sees Redis vanish), `start()` listens on the same port again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.pipes |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.pipes:
            w.close()
        self.pipes.clear()
        await self.server.wait_closed()


@pytest.fixture
async def proxy() -> Any:
    r = Redis.from_url(TEST_REDIS_URL)
    kw = r.connection_pool.connection_kwargs
    await r.aclose()
    p = Proxy(kw.get("host", "127.0.0.1"), kw.get("port", 6379))
    await p.start()
    yield p
    with contextlib.suppress(Exception):
        await p.stop()


def proxied_url(proxy: Proxy) -> str:
    db = Redis.from_url(TEST_REDIS_URL).connection_pool.connection_kwargs.get("db", 0)
    return f"redis://127.0.0.1:{proxy.port}/{db}"


async def daily_kcal(c: Any, user: Any) -> float:
    r = await c.get("/api/v1/summaries/daily", params={"date": DAY}, headers=user.headers)
    assert r.status_code == 200, r.text
    return float(r.json()["totals"]["kcal"])


async def test_write_during_outage_is_seen_after_redis_returns(client_factory, proxy):
    async with client_factory(redis_url=proxied_url(proxy)) as c:
        user = await create_user(c)
        await add_log(c, user, date=DAY, kcal=400)
        assert await daily_kcal(c, user) == 400  # computed and cached in Redis
        assert await daily_kcal(c, user) == 400  # served from the cache

        await proxy.stop()
        r = await c.post("/api/v1/logs", json=log_body(date=DAY, kcal=250), headers=user.headers)
        assert r.status_code == 201, r.text  # acknowledged; the invalidation could not run
        assert await daily_kcal(c, user) == 650  # Redis down: read from the database

        await proxy.start()  # Redis is back, with the summary cached before the write
        assert await daily_kcal(c, user) == 650
        assert await daily_kcal(c, user) == 650
        r = await c.get("/api/v1/logs", headers=user.headers)
        assert sorted(e["kcal"] for e in r.json()["items"]) == [250, 400]


async def test_other_process_never_serves_what_a_cut_off_writer_changed(client_factory, proxy):
    """Two API processes on one Redis: the writer cannot reach Redis, the reader can. The
    reader must still see the write (the database, not Redis, says what is current)."""
    async with (
        client_factory(redis_url=TEST_REDIS_URL) as reader,
        client_factory(redis_url=proxied_url(proxy)) as writer,
    ):
        user = await create_user(reader)
        await add_log(reader, user, date=DAY, kcal=400)
        assert await daily_kcal(reader, user) == 400
        await set_goal(reader, user, kcal=2000)
        assert (await reader.get("/api/v1/goals", headers=user.headers)).json()["kcal"] == 2000

        await proxy.stop()
        r = await writer.post(
            "/api/v1/logs", json=log_body(date=DAY, kcal=100), headers=user.headers
        )
        assert r.status_code == 201, r.text
        entry = r.json()
        assert await daily_kcal(reader, user) == 500

        r = await writer.patch(
            f"/api/v1/logs/{entry['id']}", json={"kcal": 50}, headers=user.headers
        )
        assert r.status_code == 200, r.text
        assert await daily_kcal(reader, user) == 450

        r = await writer.delete(f"/api/v1/logs/{entry['id']}", headers=user.headers)
        assert r.status_code == 204
        assert await daily_kcal(reader, user) == 400

        await set_goal(writer, user, kcal=1800)
        assert (await reader.get("/api/v1/goals", headers=user.headers)).json()["kcal"] == 1800
