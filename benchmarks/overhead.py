"""What NexFitra adds around a request, against a bare FastAPI app, in one run.

    python benchmarks/overhead.py [--seconds 8] [--clients 50] [--profile out.txt]

Starts a bare FastAPI app (one trivial route) and NexFitra on PostgreSQL + Redis, one uvicorn
worker each, with production settings (JSON logs, an access line per request, metrics on), and
drives each with the same keep-alive load (benchmarks/api_load.py's client). Reports req/s and
server CPU per request for the bare route, `/health`, a cached daily summary and a log write,
each as a share of the bare app, and what PostgreSQL and Redis spent per NexFitra request (on
this 2-core machine the load is CPU-bound: every process a request wakes competes for the same
cores, so the share follows the CPU per request of all of them). Goals (issue #16):
/health >= 80%, cached summary >= 50%, log write >= 35%.

The runs alternate (bare, NexFitra, bare, NexFitra ...) so a neighbour's burst on a shared
machine hits both sides; the share uses the mean of the bare runs.

Needs PostgreSQL and Redis on 127.0.0.1 (BENCH_DATABASE_URL, BENCH_REDIS_URL to change them).
`--profile FILE` runs NexFitra under pyinstrument and writes its text report to FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import api_load  # benchmarks/api_load.py, beside this script
import procstat  # benchmarks/procstat.py

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
DB = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/nexfitra_bench")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
GOALS = {"/health": 0.80, "cached summary": 0.50, "log write": 0.35}


def bare_app():  # uvicorn factory: `overhead:bare_app`
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("server did not start")


def ensure_database(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)

    async def create() -> None:
        c = await asyncpg.connect(
            host=u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            database="postgres",
        )
        if not await c.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", u.database):
            await c.execute(f'CREATE DATABASE "{u.database}"')
        await c.close()

    asyncio.run(create())


def start_bare(port: int) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "overhead:bare_app",
        "--factory",
        "--app-dir",
        str(HERE),
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)


def start_nexfitra(port: int, profile: str | None) -> subprocess.Popen:
    env = dict(
        os.environ,
        ENVIRONMENT="production",
        JWT_SECRET=secrets.token_urlsafe(48),
        DATABASE_URL=DB,
        REDIS_URL=REDIS,
        METRICS_TOKEN="bench",
        RATE_LIMIT_AUTH_PER_MINUTE="1000000",
        RATE_LIMIT_LOG_WRITES_PER_MINUTE="100000000",
        LOG_LEVEL="info",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    if profile:
        cmd = [
            sys.executable,
            "-m",
            "pyinstrument",
            "--renderer",
            "text",
            "-o",
            profile,
            "-m",
            "app.cli",
            *serve,
        ]
    else:
        cmd = [sys.executable, "-m", "app.cli", *serve]
    # Logs go where production sends them, a pipe someone reads; /dev/null costs the same writes.
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )


async def load(
    port: int,
    method: str,
    path: str,
    headers: list[dict[str, str]],
    seconds: float,
    body: bytes | None = None,
    pid: int | None = None,
    backing: list[tuple[float, float]] | None = None,
) -> tuple[float, float]:
    """Closed-loop keep-alive load; (req/s, server CPU µs per request). With `backing`, also
    appends to it the CPU µs per request of PostgreSQL and Redis (`backing_cpu_s`)."""
    count = 0
    errors = 0
    first_error: list[bytes] = []
    deadline = time.perf_counter() + seconds

    async def client(h: dict[str, str]) -> None:
        nonlocal count, errors
        conn = api_load.Conn("127.0.0.1", port)
        while time.perf_counter() < deadline:
            status, data = await conn.request(method, path, h, body or b"")
            count += 1
            if status >= 400:
                errors += 1
                first_error.append(data[:300])

    pg0, redis0 = backing_cpu_s() if backing is not None else (0.0, 0.0)
    cpu0 = api_load.server_cpu_s(pid)
    t0 = time.perf_counter()
    await asyncio.gather(*(client(h) for h in headers))
    wall = time.perf_counter() - t0
    cpu = api_load.server_cpu_s(pid) - cpu0
    if backing is not None:
        pg1, redis1 = backing_cpu_s()
        n = max(1, count)
        backing.append((1_000_000 * (pg1 - pg0) / n, 1_000_000 * (redis1 - redis0) / n))
    if errors:
        raise SystemExit(f"{errors} error responses from {path}: {first_error[0]!r}")
    return count / wall, 1_000_000 * cpu / max(1, count)


def backing_cpu_s() -> tuple[float, float]:
    """CPU seconds so far of PostgreSQL (the backends connected to the benchmark's database,
    plus the WAL writer, background writer and checkpointer every commit also costs) and of
    the Redis server. Other databases' backends are left out; Redis and PostgreSQL's shared
    processes also work for anyone else using them at the time, so on a shared machine these
    are upper bounds."""
    from sqlalchemy.engine import make_url

    database = make_url(DB).database or ""
    shared = ("walwriter", "background writer", "checkpointer")
    pg = redis = 0.0
    for p in procstat.processes():
        if p.name.startswith("redis-server"):
            redis += p.cpu_s
        elif p.name.startswith("postgres"):
            try:
                with open(f"/proc/{p.pid}/cmdline", "rb") as f:
                    title = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            # A backend's title: "postgres: <cluster>: <user> <database> <client> <state>".
            if f" {database} " in title or any(s in title for s in shared):
                pg += p.cpu_s
    return pg, redis


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per target")
    ap.add_argument("--profile", help="run NexFitra under pyinstrument, report to this file")
    ap.add_argument("--bare-port", type=int, help="port of the bare app (default: a free one)")
    ap.add_argument("--port", type=int, help="port of NexFitra (default: a free one)")
    args = ap.parse_args()

    ensure_database(DB)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=ROOT,
        check=True,
        env=dict(os.environ, DATABASE_URL=DB),
        stdout=subprocess.DEVNULL,
    )
    bare_port = args.bare_port or free_port()
    nex_port = args.port or free_port()
    bare = start_bare(bare_port)
    nex = start_nexfitra(nex_port, args.profile)
    try:
        wait_up(bare_port, bare)
        wait_up(nex_port, nex)
        bare_runs, nex_runs = asyncio.run(measure(args, bare, bare_port, nex, nex_port))
    finally:
        for p in (bare, nex):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
        for p in (bare, nex):
            p.wait(timeout=60)
    report(args, bare_runs, nex_runs)


async def measure(
    args: argparse.Namespace,
    bare: subprocess.Popen,
    bare_port: int,
    nex: subprocess.Popen,
    nex_port: int,
) -> tuple[list[tuple[float, float]], dict[str, list[tuple[float, float]]]]:
    users = await asyncio.gather(
        *(api_load.setup_user("127.0.0.1", nex_port, i) for i in range(args.clients))
    )
    plain = [{} for _ in range(args.clients)]
    log_body = json.dumps(
        {
            "date": "2024-05-08",
            "meal_type": "lunch",
            "description": "overhead benchmark entry",
            "kcal": 500,
            "protein_g": 30,
            "carbs_g": 50,
            "fat_g": 15,
        }
    ).encode()
    targets = {
        "/health": ("GET", "/health", plain, None),
        "cached summary": ("GET", "/api/v1/summaries/daily?date=2024-05-08", users, None),
        "log write": ("POST", "/api/v1/logs", users, log_body),
    }
    # Warm both (first requests pay imports, pool connections, the cache fill).
    await load(bare_port, "GET", "/health", plain, 1.5)
    for method, path, hs, body in targets.values():
        await load(nex_port, method, path, hs, 1.5, body)
    bare_runs: list[tuple[float, float]] = []
    nex_runs: dict[str, list[tuple[float, float]]] = {k: [] for k in targets}
    backing: dict[str, list[tuple[float, float]]] = {k: [] for k in targets}
    for _ in range(args.rounds):
        for name, (method, path, hs, body) in targets.items():
            bare_runs.append(
                await load(bare_port, "GET", "/health", plain, args.seconds, pid=bare.pid)
            )
            if name == "cached summary":
                # A write just invalidated the summaries: fill the cache again first.
                await load(nex_port, method, path, hs, 0.5, body)
            nex_runs[name].append(
                await load(nex_port, method, path, hs, args.seconds, body, nex.pid, backing[name])
            )
    BACKING.update(backing)
    return bare_runs, nex_runs


# PostgreSQL and Redis CPU µs per request of each NexFitra target's runs (`measure`).
BACKING: dict[str, list[tuple[float, float]]] = {}


def report(
    args: argparse.Namespace,
    bare_runs: list[tuple[float, float]],
    nex_runs: dict[str, list[tuple[float, float]]],
) -> None:
    bare_rps = statistics.mean(r for r, _ in bare_runs)
    bare_cpu = statistics.mean(c for _, c in bare_runs)
    print(
        f"\n{args.clients} keep-alive clients, {args.seconds:g} s per run, {args.rounds} rounds, "
        "one uvicorn worker each"
    )
    print(
        f"{'target':<28}{'req/s':>9}{'share':>8}{'goal':>7}{'CPU µs/req':>12}{'CPU share':>11}"
        f"{'PG µs/req':>11}{'Redis µs/req':>14}"
    )
    print(
        f"{'bare FastAPI /health':<28}{bare_rps:>9,.0f}{'100%':>8}{'':>7}{bare_cpu:>12.1f}"
        f"{'100%':>11}"
    )
    for name, runs in nex_runs.items():
        rps = statistics.mean(r for r, _ in runs)
        cpu = statistics.mean(c for _, c in runs)
        pg = statistics.mean(p for p, _ in BACKING[name]) if BACKING.get(name) else math.nan
        redis = statistics.mean(r for _, r in BACKING[name]) if BACKING.get(name) else math.nan
        print(
            f"{'NexFitra ' + name:<28}{rps:>9,.0f}{rps / bare_rps:>8.0%}{GOALS[name]:>7.0%}"
            f"{cpu:>12.1f}{bare_cpu / cpu:>11.0%}{pg:>11.1f}{redis:>14.1f}"
        )
    print(
        "share = req/s against the bare app's; CPU share = bare CPU per request / NexFitra's "
        "(the steadier figure on a shared machine)\nCPU µs/req: the API process; PG and Redis "
        "µs/req: this database's backends with the WAL writer, background writer and "
        "checkpointer, and the Redis server\n(upper bounds: others using them meanwhile count too)"
    )
    if args.profile:
        print(f"pyinstrument report: {args.profile}")


if __name__ == "__main__":
    main()
