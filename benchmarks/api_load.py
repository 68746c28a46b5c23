"""HTTP load against an already running NexFitra server (this script starts nothing).

    python benchmarks/api_load.py --base http://127.0.0.1:8000 --clients 50 --seconds 10

Start the server on PostgreSQL + Redis first, with the limits raised so the load is not
throttled (the limiter still runs on every write):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/nexfitra_bench \
    REDIS_URL=redis://127.0.0.1:6379/13 RATE_LIMIT_AUTH_PER_MINUTE=100000 \
    RATE_LIMIT_LOG_WRITES_PER_MINUTE=1000000 nexfitra serve --migrate --workers 2

Phases: cached reads (daily and weekly summaries) and log writes, each first as fast as the
clients can go (throughput) and then paced at the goal rates (latency at that load), then a mix
of both with log list reads; `--phases writes` (or `reads`, `mix`, comma-separated) runs only
those. The client is a minimal keep-alive HTTP/1.1 implementation on asyncio streams, so the load
generator costs far less CPU than the server it measures on a shared machine.

Each phase also prints how busy the whole machine was and, given `--server-pid` (the `nexfitra
serve` process; its uvicorn workers are counted too), the server's CPU time per request. On a
machine shared with other work, latency swings with the neighbours' load while CPU per request
barely moves, so compare changes on that figure as well as on the percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field

import procstat  # benchmarks/procstat.py, beside this script


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Conn:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data = await self.reader.readexactly(length) if length else b""
        return status, data


async def setup_user(host: str, port: int, i: int) -> dict[str, str]:
    conn = Conn(host, port)
    email = f"load-{int(time.time())}-{i}-{random.randint(0, 10**9)}@example.com"
    body = json.dumps({"email": email, "password": "load-test-pass"}).encode()
    ctype = {"Content-Type": "application/json"}
    status, data = await conn.request("POST", "/api/v1/auth/signup", ctype, body)
    assert status == 201, (status, data[:200])
    status, data = await conn.request("POST", "/api/v1/auth/login", ctype, body)
    assert status == 200, (status, data[:200])
    auth = {"Authorization": "Bearer " + json.loads(data)["access_token"], **ctype}
    goal = {
        "kcal": 2200,
        "protein_g": 140,
        "carbs_g": 250,
        "fat_g": 70,
        "effective_from": "2024-01-01",
    }
    status, _ = await conn.request("PUT", "/api/v1/goals", auth, json.dumps(goal).encode())
    assert status == 200
    for d in range(7):  # a week of history so summaries have something to add up
        await conn.request("POST", "/api/v1/logs", auth, _log_body(f"2024-05-{6 + d:02d}"))
    return auth


def _log_body(date: str) -> bytes:
    return json.dumps(
        {
            "date": date,
            "meal_type": random.choice(["breakfast", "lunch", "dinner", "snack"]),
            "description": "load test entry",
            "kcal": random.randint(100, 900),
            "protein_g": random.randint(0, 50),
            "carbs_g": random.randint(0, 90),
            "fat_g": random.randint(0, 40),
        }
    ).encode()


ROUTES = {
    "GET /summaries/daily": ("GET", "/api/v1/summaries/daily?date=2024-05-08", None),
    "GET /summaries/weekly": ("GET", "/api/v1/summaries/weekly?start=2024-05-06", None),
    "GET /logs": ("GET", "/api/v1/logs?limit=20", None),
    "POST /logs": ("POST", "/api/v1/logs", "log"),
}


async def client_loop(
    host: str,
    port: int,
    auth: dict[str, str],
    mix: list[str],
    deadline: float,
    stats: Stats,
    interval: float | None = None,
    offset: float = 0.0,
) -> None:
    """Closed loop (next request when the last answered) or, with `interval`, paced: requests
    are due on a fixed schedule and latency counts from the due time, so a slow server cannot
    hide its queueing (no coordinated omission)."""
    conn = Conn(host, port)
    due = time.perf_counter() + offset
    while time.perf_counter() < deadline:
        name = random.choice(mix)
        method, path, kind = ROUTES[name]
        body = _log_body(f"2024-05-{random.randint(6, 12):02d}") if kind == "log" else b""
        if interval is not None:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            t0 = due
            due += interval
        else:
            t0 = time.perf_counter()
        status, _ = await conn.request(method, path, auth, body)
        dt_ms = (time.perf_counter() - t0) * 1000
        if status >= 400:
            stats.errors[name] += 1
        stats.latencies[name].append(dt_ms)


def server_cpu_s(pid: int | None) -> float:
    """CPU seconds used so far by the server: the given process and its direct children (the
    uvicorn workers). On a shared machine CPU per request is a steadier figure than latency."""
    if pid is None:
        return 0.0
    return procstat.read(pid).cpu_s + sum(p.cpu_s for p in procstat.processes() if p.ppid == pid)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def phase(
    label: str,
    host: str,
    port: int,
    users: list[dict[str, str]],
    mix: list[str],
    seconds: float,
    rate: float | None = None,
    server_pid: int | None = None,
) -> None:
    stats = Stats()
    # The generator's own collector pauses showed up as server latency; it allocates no cycles
    # worth collecting during a phase, so it is paused while one runs.
    gc.collect()
    gc.disable()
    cpu0, (busy0, all0) = server_cpu_s(server_pid), procstat.machine_jiffies()
    deadline = time.perf_counter() + seconds
    t0 = time.perf_counter()
    interval = len(users) / rate if rate else None
    await asyncio.gather(
        *(
            client_loop(
                host, port, u, mix, deadline, stats, interval, i * (interval or 0) / len(users)
            )
            for i, u in enumerate(users)
        )
    )
    if rate:
        label += f" (paced at {rate:,.0f} req/s)"
    wall = time.perf_counter() - t0
    cpu1, (busy1, all1) = server_cpu_s(server_pid), procstat.machine_jiffies()
    gc.enable()
    total = sum(len(v) for v in stats.latencies.values())
    print(
        f"\n== {label}: {total / wall:,.0f} req/s overall over {wall:.1f} s, {len(users)} clients"
    )
    extra = f"machine CPU busy {100 * (busy1 - busy0) / max(1, all1 - all0):.0f}%"
    if server_pid is not None and total:
        extra += f", server CPU {1000 * (cpu1 - cpu0) / total:.2f} ms per request"
    print(extra)
    print(f"{'route':<24}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, lat in sorted(stats.latencies.items()):
        print(
            f"{name:<24}{len(lat) / wall:>9,.0f}{statistics.median(lat):>9.2f}"
            f"{pct(lat, 95):>9.2f}{pct(lat, 99):>9.2f}{stats.errors[name]:>8}"
        )


async def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--read-rate", type=float, default=1000, help="paced cached-read phase, req/s")
    ap.add_argument("--write-rate", type=float, default=500, help="paced write phase, req/s")
    ap.add_argument(
        "--server-pid",
        type=int,
        default=None,
        help="uvicorn master pid (Linux): also report the server's CPU time per request",
    )
    ap.add_argument(
        "--phases",
        default="reads,writes,mix",
        help="comma-separated subset of reads, writes, mix (default: all, in that order)",
    )
    args = ap.parse_args()
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    unknown = phases - {"reads", "writes", "mix"}
    if unknown:
        ap.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    u = urllib.parse.urlsplit(args.base)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    users = []
    for start in range(0, args.clients, 10):
        batch = range(start, min(start + 10, args.clients))
        users += await asyncio.gather(*(setup_user(host, port, i) for i in batch))
    reads = ["GET /summaries/daily", "GET /summaries/weekly"]
    writes = ["POST /logs"]
    mix = ["GET /summaries/daily"] * 3 + ["GET /summaries/weekly"] * 3
    mix += ["GET /logs"] * 2 + ["POST /logs"] * 2

    async def run(label: str, routes: list[str], seconds: float, rate: float | None) -> None:
        await phase(label, host, port, users, routes, seconds, rate, args.server_pid)

    if "reads" in phases:
        # Warm the caches, then run the read phases back to back: writes invalidate what they read.
        await run("warm-up", reads, 1, None)
        await run("cached summary reads", reads, args.seconds, None)
        await run("cached summary reads", reads, args.seconds, args.read_rate)
    if "writes" in phases:
        await run("log writes", writes, args.seconds, None)
        await run("log writes", writes, args.seconds, args.write_rate)
    if "mix" in phases:
        await run("mix (60% reads, 20% list, 20% writes)", mix, args.seconds, None)


if __name__ == "__main__":
    asyncio.run(main())
