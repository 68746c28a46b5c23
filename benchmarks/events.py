"""Domain events: throughput of the outbox relay and the insights consumer, and end-to-end
latency from a log write to the writer's live stream.

    python benchmarks/events.py                       # PostgreSQL + Redis on 127.0.0.1
    python benchmarks/events.py --embedded            # SQLite + in-process bus

Phase 1 writes N FoodLogged events (N log entries from 200 users, through the logs service),
then times the relay publishing all of them and one insights consumer applying all of them
(each application recomputes the week's facts with its GROUP BYs and commits).
Phase 2 serves the API with uvicorn (one process, relay woken by each write), keeps one SSE
connection open and times POST /logs -> the FoodLogged message on the stream, one write at a
time, for p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.auth.models import User
from app.cli import migrate
from app.core.cache import MemoryCache
from app.core.config import Settings
from app.core.eventbus import create_bus
from app.core.resources import Resources
from app.events import insights
from app.events.config import EventsSettings
from app.events.runtime import EventsRuntime
from app.logs import service as logs_service
from app.main import create_app


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def fresh_postgres(url: str) -> None:
    u = make_url(url)
    admin = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, database="postgres"
    )
    await admin.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{u.database}"')
    await admin.close()


async def throughput(settings: Settings, n: int) -> None:
    res = Resources.create(settings)
    users = [uuid.uuid4() for _ in range(200)]
    async with res.sessionmaker() as session:
        session.add_all(
            User(id=u, email=f"bench-{u.hex}@example.com", password_hash="x") for u in users
        )
        await session.commit()
    cache = MemoryCache(60)
    t0 = time.perf_counter()
    for i in range(0, n, 100):
        async with res.sessionmaker() as s:
            rows = [
                {
                    "date": dt.date(2024, 3, 1 + j % 7),
                    "meal_type": "lunch",
                    "description": f"food {j % 37}",
                    "kcal": 500,
                    "protein_g": 25,
                    "carbs_g": 60,
                    "fat_g": 15,
                    "sodium_mg": 300 + j % 50,
                }
                for j in range(i, min(n, i + 100))
            ]
            user = users[(i // 100) % len(users)]
            await logs_service.create_entries(s, cache, user, "UTC", rows)
    write_s = time.perf_counter() - t0
    rt = EventsRuntime(res, create_bus(settings.redis_url), EventsSettings())
    runner = rt.runner(insights.CONSUMER, name="bench")
    await rt.bus.ensure_group("insights")
    t0 = time.perf_counter()
    published = await rt.relay_now()
    relay_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    consumed = await runner.drain()
    consume_s = time.perf_counter() - t0
    print(f"writes with their events: {n} in {write_s:.2f} s (batches of 100 entries)")
    print(f"relay:    {published} events in {relay_s:.2f} s = {published / relay_s:,.0f} events/s")
    print(
        f"consumer: {consumed} events in {consume_s:.2f} s = {consumed / consume_s:,.0f} "
        "events/s (insights: a batch's weeks recomputed once each)"
    )
    await rt.bus.close()
    await res.close()


async def latency(settings: Settings, writes: int) -> None:
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes no event for it
        await asyncio.sleep(0.05)
    app.state.events.start(relay_loop=True, consume=False)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        await http.post("/api/v1/auth/signup", json={"email": email, "password": "bench-pass-1"})
        r = await http.post("/api/v1/auth/login", json={"email": email, "password": "bench-pass-1"})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        arrived: asyncio.Queue[tuple[str, float]] = asyncio.Queue()

        async def listen() -> None:
            async with http.stream("GET", "/api/v1/stream", headers=headers) as s:
                async for line in s.aiter_lines():
                    if line.startswith("data:"):
                        ev = json.loads(line[5:])
                        if ev["type"] == "FoodLogged":
                            await arrived.put((ev["payload"]["description"], time.perf_counter()))

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)
        samples: list[float] = []
        writes_ms: list[float] = []
        for i in range(writes):
            desc = f"bench {i}"
            t0 = time.perf_counter()
            r = await http.post(
                "/api/v1/logs",
                json={"meal_type": "lunch", "description": desc, "kcal": 500, "protein_g": 20,
                      "carbs_g": 60, "fat_g": 15},
                headers=headers,
            )  # fmt: skip
            assert r.status_code == 201, r.text
            t_resp = time.perf_counter()
            name, t1 = await asyncio.wait_for(arrived.get(), 5)
            assert name == desc
            samples.append((t1 - t0) * 1000)
            writes_ms.append((t_resp - t0) * 1000)
        listener.cancel()
        print(f"POST /logs alone: p50={statistics.median(writes_ms):.1f} ms")
    server.should_exit = True
    await task
    print(
        f"write -> stream: n={len(samples)} p50={statistics.median(samples):.1f} ms "
        f"p99={pct(samples, 0.99):.1f} ms max={max(samples):.1f} ms"
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedded", action="store_true")
    ap.add_argument(
        "--database-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/nexfitra_bench_events",
    )
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--writes", type=int, default=300)
    args = ap.parse_args()
    common: dict[str, Any] = dict(
        environment="test", jwt_secret="bench-" + "x" * 40, foods_autoload=False,
        rate_limit_auth_per_minute=0, rate_limit_log_writes_per_minute=0,
    )  # fmt: skip
    if args.embedded:
        db = Path(tempfile.mkdtemp()) / "events.db"
        settings = Settings(database_url=f"sqlite+aiosqlite:///{db}", redis_url=None, **common)
    else:
        await fresh_postgres(args.database_url)
        r = Redis.from_url(args.redis_url)
        await r.flushdb()
        await r.aclose()
        settings = Settings(database_url=args.database_url, redis_url=args.redis_url, **common)
    await asyncio.to_thread(migrate, "head", settings.database_url)
    print(f"backend: {'SQLite + in-process bus' if args.embedded else 'PostgreSQL + Redis'}")
    await throughput(settings, args.events)
    await latency(settings, args.writes)


if __name__ == "__main__":
    asyncio.run(main())
