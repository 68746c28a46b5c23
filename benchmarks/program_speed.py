"""Training speed: program generation in process, and workout log writes against a server.

    python benchmarks/program_speed.py                      # generation only
    python benchmarks/program_speed.py --base http://127.0.0.1:8000 --clients 20 --seconds 10

Generation: `generator.generate` over a spread of inputs (2-6 days, every goal, several
equipment sets and experience levels, 4-12 weeks), as the API runs it; prints programs per
second and p50/p99 in milliseconds (goal: p99 under 20 ms).

Writes (only with `--base`; this script starts no server): users sign up, then each client
logs workouts of `--exercises` exercises × 4 sets (one warm-up), first as fast as the clients
go, then paced at `--write-rate` (latency counted from the due time, so queueing is not
hidden); then the same two phases for food log writes (POST /api/v1/logs, the body of
benchmarks/api_load.py), so the two are compared in one run on the same machine load. Give
`--server-pid` for the server's CPU time per request, the robust figure on a shared machine,
and `--database` (a local PostgreSQL) for its backends' CPU time per request.
Start the server like the other load benchmarks, with the write limit raised:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/nexfitra_bench \\
    REDIS_URL=redis://127.0.0.1:6379/13 RATE_LIMIT_AUTH_PER_MINUTE=100000 \\
    RATE_LIMIT_LOG_WRITES_PER_MINUTE=1000000 nexfitra serve --migrate --workers 2

Goal: the same class as food log writes, ≥ 500 req/s and p99 < 50 ms.

`--wrk` drives the closed-loop write phase with wrk (a Lua script posts pre-built bodies with
the users' tokens) instead of this script's asyncio client, which spent about 1 ms of CPU per
request itself, a large share of a 2-core machine that also runs the server and PostgreSQL.
The users are still signed up here; wrk has no paced phase, so only the closed loop runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import procstat  # benchmarks/procstat.py, beside this script
from api_load import (  # the keep-alive client of the load benchmark
    Conn,
    _log_body,
    pct,
    server_cpu_s,
)

from app.training import generator, programs
from app.training.dataset import exercise_uuid

EQUIPMENT_SETS = (
    ("barbell", "cable", "dumbbell", "machine"),
    ("barbell", "dumbbell"),
    ("dumbbell",),
    ("body only",),
    ("bands", "kettlebells"),
    (
        "barbell",
        "bands",
        "body only",
        "cable",
        "dumbbell",
        "e-z curl bar",
        "kettlebells",
        "machine",
        "medicine ball",
        "exercise ball",
        "foam roll",
        "other",
    ),
)
LIFTS = [
    str(exercise_uuid(s))
    for s in (
        "Barbell_Squat",
        "Barbell_Bench_Press_-_Medium_Grip",
        "Bent_Over_Barbell_Row",
        "Barbell_Deadlift",
        "Standing_Military_Press",
    )
]


def bench_generation(n: int) -> None:
    candidates = programs._catalogue_candidates()
    inputs = [
        generator.Params(goal, days, 60, eq, exp, weeks=weeks)
        for goal, days, eq, exp, weeks in itertools.product(
            generator.GOALS, range(2, 7), EQUIPMENT_SETS, generator.EXPERIENCE, (4, 12)
        )
    ]
    random.Random(1).shuffle(inputs)
    generator.generate(candidates, inputs[0])  # staples file read once, as in a warm server
    times = []
    # As the server does after start-up (app/main.py): long-lived data out of the collector.
    gc.collect()
    gc.freeze()
    t_all, cpu0 = time.perf_counter(), time.process_time()
    for i in range(n):
        t0 = time.perf_counter()
        generator.generate(candidates, inputs[i % len(inputs)])
        times.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - t_all
    cpu = time.process_time() - cpu0
    print(f"== program generation: {n} programs over {len(inputs)} distinct inputs")
    print(
        f"{n / wall:,.0f} programs/s, p50 {statistics.median(times):.2f} ms, "
        f"p99 {pct(times, 99):.2f} ms, max {max(times):.2f} ms; "
        f"CPU {1000 * cpu / n:.2f} ms per program (latency above includes waiting for a core "
        "on a shared machine)"
    )


def workout_body(i: int, n_exercises: int) -> bytes:
    day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
    exercises = []
    for lift in LIFTS[:n_exercises]:
        load = random.choice((60, 80, 100))
        sets = [{"reps": 8, "weight_kg": load / 2, "is_warmup": True}]
        sets += [{"reps": random.randint(5, 10), "weight_kg": load, "rpe": 8} for _ in range(3)]
        exercises.append({"exercise_id": lift, "sets": sets})
    return json.dumps({"date": day, "duration_min": 55, "exercises": exercises}).encode()


async def setup_user(host: str, port: int, i: int) -> dict[str, str]:
    conn = Conn(host, port)
    email = f"train-{int(time.time())}-{i}-{random.randint(0, 10**9)}@example.com"
    body = json.dumps({"email": email, "password": "load-test-pass"}).encode()
    ctype = {"Content-Type": "application/json"}
    status, data = await conn.request("POST", "/api/v1/auth/signup", ctype, body)
    assert status == 201, (status, data[:200])
    status, data = await conn.request("POST", "/api/v1/auth/login", ctype, body)
    assert status == 200, (status, data[:200])
    auth = {"Authorization": "Bearer " + json.loads(data)["access_token"], **ctype}
    profile = json.dumps({"weight_kg": 80}).encode()
    status, _ = await conn.request("PATCH", "/api/v1/users/me/profile", auth, profile)
    assert status == 200
    return auth


def db_cpu_s(database: str | None) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving `database` (read from their
    process titles, "postgres: ... <user> <database> <client> <state>"; the server must be on
    this machine). Shared processes (WAL writer, checkpointer) are left out."""
    if database is None:
        return 0.0
    total = 0.0
    for p in procstat.processes():
        try:
            with open(f"/proc/{p.pid}/cmdline", "rb") as f:
                title = f.read().decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            total += p.cpu_s
    return total


async def writes(
    host: str,
    port: int,
    users: list[dict[str, str]],
    seconds: float,
    rate: float | None,
    server_pid: int | None,
    path: str,
    make_body: Callable[[int], bytes],
    database: str | None,
) -> None:
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    interval = len(users) / rate if rate else None

    async def loop(auth: dict[str, str], offset: float) -> None:
        nonlocal errors
        conn = Conn(host, port)
        due = time.perf_counter() + offset
        while time.perf_counter() < deadline:
            body = make_body(next(counter))
            if interval is not None:
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                t0, due = due, due + interval
            else:
                t0 = time.perf_counter()
            status, _ = await conn.request("POST", path, auth, body)
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += status != 201

    gc.collect()
    gc.disable()
    cpu0, (busy0, all0) = server_cpu_s(server_pid), procstat.machine_jiffies()
    db0 = db_cpu_s(database)
    deadline = time.perf_counter() + seconds
    t0 = time.perf_counter()
    await asyncio.gather(*(loop(u, i * (interval or 0) / len(users)) for i, u in enumerate(users)))
    wall = time.perf_counter() - t0
    cpu1, (busy1, all1) = server_cpu_s(server_pid), procstat.machine_jiffies()
    db1 = db_cpu_s(database)
    gc.enable()
    label = f"POST {path}" + (f" (paced at {rate:,.0f} req/s)" if rate else "")
    n = len(latencies)
    print(f"\n== {label}: {n / wall:,.0f} req/s over {wall:.1f} s, {len(users)} clients")
    extra = f"machine CPU busy {100 * (busy1 - busy0) / max(1, all1 - all0):.0f}%"
    if server_pid is not None and n:
        extra += f", server CPU {1000 * (cpu1 - cpu0) / n:.2f} ms per request"
    if database is not None and n:
        extra += f", database CPU {1000 * (db1 - db0) / n:.2f} ms per request"
    print(extra)
    if n:
        print(
            f"p50 {statistics.median(latencies):.2f} ms, p95 {pct(latencies, 95):.2f} ms, "
            f"p99 {pct(latencies, 99):.2f} ms, errors {errors}"
        )


_WRK_SCRIPT = """
local tokens = {%(tokens)s}
local bodies = {%(bodies)s}
local counter = 0
bad = 0  -- a global: done() reads it from each thread
local threads = {}

function setup(thread)
    thread:set("offset", #threads)
    table.insert(threads, thread)
end

function init(args)
    counter = offset
end

function request()
    counter = counter + 1
    local headers = {}
    headers["Authorization"] = "Bearer " .. tokens[(counter %% #tokens) + 1]
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "%(path)s", headers, bodies[(counter %% #bodies) + 1])
end

function response(status, headers, body)
    if status ~= 201 then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local bad_total = 0
    for _, t in ipairs(threads) do
        bad_total = bad_total + t:get("bad")
    end
    io.write(string.format("WRK %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests,
        bad_total, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
        latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def wrk_writes(
    base: str,
    users: list[dict[str, str]],
    seconds: float,
    server_pid: int | None,
    path: str,
    make_body: Callable[[int], bytes],
    database: str | None,
) -> None:
    """The closed-loop phase of `writes`, driven by wrk: `len(users)` connections over two
    threads, each request a pre-built body (500 of them, in turn) with a user's token."""
    tokens = ", ".join(f'"{u["Authorization"].removeprefix("Bearer ")}"' for u in users)
    bodies = ", ".join(f"[==[{make_body(i).decode()}]==]" for i in range(500))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_WRK_SCRIPT % {"tokens": tokens, "bodies": bodies, "path": path})
        script = f.name
    cmd = ["wrk", "-t2", f"-c{len(users)}", f"-d{round(seconds)}s", "-s", script, base]
    try:
        cpu0, (busy0, all0) = server_cpu_s(server_pid), procstat.machine_jiffies()
        db0 = db_cpu_s(database)
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        cpu1, (busy1, all1) = server_cpu_s(server_pid), procstat.machine_jiffies()
        db1 = db_cpu_s(database)
    finally:
        os.unlink(script)
    found = re.search(r"^WRK (\d+) (\d+) (\S+) (\S+) (\S+) (\S+)$", out, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no summary from wrk:\n{out}")
    n, bad = int(found[1]), int(found[2])
    p50, p95, p99, wall = (float(found[i]) for i in range(3, 7))
    print(f"\n== POST {path} (wrk): {n / wall:,.0f} req/s over {wall:.1f} s, {len(users)} clients")
    extra = f"machine CPU busy {100 * (busy1 - busy0) / max(1, all1 - all0):.0f}%"
    if server_pid is not None and n:
        extra += f", server CPU {1000 * (cpu1 - cpu0) / n:.2f} ms per request"
    if database is not None and n:
        extra += f", database CPU {1000 * (db1 - db0) / n:.2f} ms per request"
    print(extra)
    print(f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, errors {bad}")


async def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--programs", type=int, default=2000, help="programs to generate")
    ap.add_argument("--base", default=None, help="a running server; writes are skipped without")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--write-rate", type=float, default=500, help="paced phase, req/s")
    ap.add_argument("--server-pid", type=int, default=None)
    ap.add_argument("--exercises", type=int, default=5, choices=range(1, len(LIFTS) + 1))
    ap.add_argument("--no-food", action="store_true", help="skip the food log write phases")
    ap.add_argument("--wrk", action="store_true", help="closed-loop phases by wrk (no paced phase)")
    ap.add_argument(
        "--database",
        default=None,
        help="the server's PostgreSQL database (local): its backends' CPU per request",
    )
    args = ap.parse_args()
    random.seed(7)
    bench_generation(args.programs)
    if not args.base:
        return
    url = urllib.parse.urlsplit(args.base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    users = await asyncio.gather(*(setup_user(host, port, i) for i in range(args.clients)))
    print(f"\nworkouts of {args.exercises} exercises x 4 sets (1 warm-up)")

    def workout(i: int) -> bytes:
        return workout_body(i, args.exercises)

    def food(i: int) -> bytes:
        return _log_body(f"2024-05-{6 + i % 7:02d}")

    phases = [("/api/v1/workouts", workout)]
    if not args.no_food:
        phases.append(("/api/v1/logs", food))
    for path, make in phases:
        if args.wrk:
            wrk_writes(
                args.base, list(users), args.seconds, args.server_pid, path, make, args.database
            )
            continue
        for rate in (None, args.write_rate):
            await writes(
                host,
                port,
                list(users),
                args.seconds,
                rate,
                args.server_pid,
                path,
                make,
                args.database,
            )


if __name__ == "__main__":
    asyncio.run(main())
