"""Nightly pipeline at scale: N synthetic users over every UTC offset, N worker processes.

Seeds `--users` users (complete profiles, diets mixed) spread over 38 time zones from UTC-12
to UTC+14, including the :30 and :45 offsets, in a dedicated PostgreSQL database. Then, for
each worker count in `--workers`, it empties the pipeline state, runs the scheduler cycles at
15:05 and 18:05 UTC, which between them find every zone from UTC-12 to UTC+14 past 03:00 on
its local today (a whole day's worth of zones at once) and starts that many `worker` processes that
drain the Redis queue. Prints users/s, wall time and each worker's peak memory (max RSS).

Usage:
  .venv/bin/python benchmarks/pipeline_scale.py [--users 100000] [--workers 1,2]
      [--concurrency 2] [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/nexfitra_bench_pipeline]
      [--redis-url redis://127.0.0.1:6379/14] [--skip-seed]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import procstat  # noqa: E402  (benchmarks/procstat.py, beside this script)
from redis.asyncio import Redis  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.cli import migrate  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.jobs_redis import RedisJobQueue  # noqa: E402
from app.core.resources import Resources  # noqa: E402
from app.pipeline import service  # noqa: E402
from app.pipeline.config import PipelineSettings  # noqa: E402
from app.pipeline.limits import ProviderLimiter  # noqa: E402

ZONES = [
    "Etc/GMT+12", "Pacific/Pago_Pago", "Pacific/Honolulu", "Pacific/Marquesas",
    "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/Caracas", "America/Halifax", "America/St_Johns",
    "America/Sao_Paulo", "Atlantic/South_Georgia", "Atlantic/Azores", "UTC", "Europe/London",
    "Europe/Berlin", "Europe/Athens", "Europe/Moscow", "Asia/Tehran", "Asia/Dubai",
    "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka",
    "Asia/Yangon", "Asia/Bangkok", "Asia/Shanghai", "Australia/Eucla", "Asia/Tokyo",
    "Australia/Adelaide", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland",
    "Pacific/Chatham", "Pacific/Kiritimati",
]  # fmt: skip
DIETS = ["omnivore"] * 5 + ["vegetarian", "vegetarian", "pescatarian", "vegan", "keto"]
# No single instant finds every zone past 03:00 on its local today (offsets span 26 hours):
# at 15:05 UTC all but UTC+9..+11:30 are, at 18:05 UTC those are too. Two cycles, the day's
# scheduling collapsed, enqueue every user exactly once.
CYCLES_AT = (
    dt.datetime(2026, 11, 20, 15, 5, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 20, 18, 5, tzinfo=dt.UTC),
)
CYCLE_AT = CYCLES_AT[-1]


def _pg(url: str) -> dict[str, object]:
    u = make_url(url)
    return {
        "host": u.host,
        "port": u.port or 5432,
        "user": u.username,
        "password": u.password,
        "database": u.database,
    }


async def recreate_database(url: str) -> None:
    params = _pg(url)
    name = params.pop("database")
    conn = await asyncpg.connect(**params, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def seed(url: str, users: int) -> float:
    rng = random.Random(42)
    t0 = time.perf_counter()
    conn = await asyncpg.connect(**_pg(url))
    now = dt.datetime.now(dt.UTC)
    try:
        user_rows, profile_rows = [], []
        for i in range(users):
            uid = uuid.uuid4()
            user_rows.append(
                (uid, f"u{i}@bench.invalid", "x", True, False, ZONES[i % len(ZONES)], now, now)
            )
            sex = rng.choice(["male", "female"])
            profile_rows.append(
                (
                    uid,
                    sex,
                    dt.date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                    rng.uniform(155, 195),
                    rng.uniform(50, 110),
                    rng.choice(["sedentary", "light", "moderate", "very_active"]),
                    rng.choice(["lose", "maintain", "gain"]),
                    rng.choice(DIETS),
                    "[]",
                    "[]",
                    "[]",
                    "[]",
                    "[]",
                    "metric",
                    "manual",
                    False,
                    "07:00",
                    json.dumps(["breakfast", "lunch", "dinner", "snack"]),
                    now,
                    now,
                )
            )
        await conn.copy_records_to_table(
            "users",
            records=user_rows,
            columns=[
                "id",
                "email",
                "password_hash",
                "is_active",
                "is_admin",
                "timezone",
                "created_at",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "user_profiles",
            records=profile_rows,
            columns=[
                "user_id",
                "sex",
                "date_of_birth",
                "height_cm",
                "weight_kg",
                "activity_level",
                "goal",
                "dietary_pattern",
                "allergies",
                "excluded_foods",
                "excluded_food_groups",
                "liked_foods",
                "liked_exercises",
                "units",
                "goal_mode",
                "add_activity_kcal",
                "wake_time",
                "meal_slots",
                "created_at",
                "updated_at",
            ],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - t0


async def reset(url: str, redis_url: str) -> None:
    conn = await asyncpg.connect(**_pg(url))
    try:
        await conn.execute("TRUNCATE plan_runs, meal_plans, notifications CASCADE")
    finally:
        await conn.close()
    r = Redis.from_url(redis_url)
    await r.flushdb()
    await r.aclose()


def _settings(url: str, redis_url: str) -> Settings:
    return Settings(
        database_url=url,
        redis_url=redis_url,
        environment="development",
        foods_autoload=False,
        db_pool_size=10,
    )


class CpuSampler(threading.Thread):
    """CPU seconds used by processes with the given names while it runs (Linux /proc).

    Sampled every half second because PostgreSQL serves each connection from its own process,
    which exits with the worker that opened it: a before/after reading would miss them all.
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__(daemon=True)
        self.names = names
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.done = threading.Event()
        self.started = False

    def _sample(self) -> None:
        for proc in procstat.processes():
            if proc.name in self.names:
                # A process first seen after the start ran all of its time within the window.
                self.first.setdefault(proc.pid, proc.cpu_s if not self.started else 0.0)
                self.last[proc.pid] = (proc.name, proc.cpu_s)
        self.started = True

    def run(self) -> None:
        self._sample()
        while not self.done.wait(0.5):
            self._sample()

    def stop(self) -> dict[str, float]:
        self.done.set()
        self.join()
        self._sample()
        out = dict.fromkeys(self.names, 0.0)
        for pid, (name, cpu) in self.last.items():
            out[name] += cpu - self.first.get(pid, 0.0)
        return out


SERVICES = ("postgres", "redis-server")


async def run_cycle(url: str, redis_url: str) -> tuple[int, float]:
    settings = _settings(url, redis_url)
    res = Resources.create(settings)
    queue = RedisJobQueue.from_url(redis_url)
    config = PipelineSettings(in_process=False)
    ctx = service.PipelineContext(
        res.sessionmaker, res.cache, queue, ProviderLimiter(res.limiter), config
    )
    t0 = time.perf_counter()
    results = [await service.schedule_cycle(ctx, at) for at in CYCLES_AT]
    elapsed = time.perf_counter() - t0
    await queue.close()
    await res.close()
    return sum(r.enqueued for r in results), elapsed


async def worker_main(url: str, redis_url: str, concurrency: int) -> None:
    settings = _settings(url, redis_url)
    res = Resources.create(settings)
    queue = RedisJobQueue.from_url(redis_url)
    config = PipelineSettings(in_process=False, concurrency=concurrency)
    ctx = service.PipelineContext(
        res.sessionmaker,
        res.cache,
        queue,
        ProviderLimiter(res.limiter),
        config,
        clock=lambda: CYCLE_AT,
    )
    t0 = time.perf_counter()
    done = await queue.work(service.handlers(ctx), concurrency=concurrency, until_empty=True)
    elapsed = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "jobs": done,
                "seconds": elapsed,
                "peak_rss_mb": rss_mb,
                "cpu_s": cpu.ru_utime + cpu.ru_stime,
            }
        ),
        flush=True,
    )
    await queue.close()
    await res.close()


async def status_counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(**_pg(url))
    try:
        rows = await conn.fetch("SELECT status, count(*) FROM plan_runs GROUP BY status")
        plans = await conn.fetchval("SELECT count(*) FROM meal_plans")
    finally:
        await conn.close()
    return {**{r["status"]: r["count"] for r in rows}, "meal_plans": plans}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--workers", default="1,2")
    # The worker default (`nexfitra worker --concurrency`), so the figures are what ships.
    p.add_argument("--concurrency", type=int, default=PipelineSettings().concurrency)
    p.add_argument(
        "--database-url",
        default=os.environ.get(
            "PIPELINE_BENCH_DATABASE_URL",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/nexfitra_bench_pipeline",
        ),
    )
    p.add_argument(
        "--redis-url",
        default=os.environ.get("PIPELINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
    )
    p.add_argument("--skip-seed", action="store_true", help="reuse the seeded database")
    p.add_argument("--worker-mode", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    url = args.database_url

    if args.worker_mode:
        asyncio.run(worker_main(url, args.redis_url, args.concurrency))
        return 0

    if not args.skip_seed:
        asyncio.run(recreate_database(url))
        migrate("head", url)
        print(f"seeded {args.users} users in {asyncio.run(seed(url, args.users)):.1f} s")
    for n in [int(x) for x in args.workers.split(",")]:
        asyncio.run(reset(url, args.redis_url))
        enqueued, cycle_s = asyncio.run(run_cycle(url, args.redis_url))
        print(f"\nworkers={n}: scheduler cycles enqueued {enqueued} in {cycle_s:.1f} s")
        t0 = time.perf_counter()
        sampler, machine0 = CpuSampler(SERVICES), procstat.machine_jiffies()
        sampler.start()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--worker-mode",
                    "--database-url",
                    url,
                    "--redis-url",
                    args.redis_url,
                    "--concurrency",
                    str(args.concurrency),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(n)
        ]
        reports = [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc in procs]
        wall = time.perf_counter() - t0
        services, machine1 = sampler.stop(), procstat.machine_jiffies()
        counts = asyncio.run(status_counts(url))
        # A job carries a batch of users (PIPELINE_BATCH_SIZE): count users by their runs.
        users = counts.get("done", 0)
        print(
            f"  workers' wall {wall:.1f} s, {users / wall:.0f} users/s; with the scheduler "
            f"cycles {cycle_s + wall:.1f} s, {users / (cycle_s + wall):.0f} users/s; runs {counts}"
        )
        for i, r in enumerate(reports):
            print(
                f"  worker {i}: {r['jobs']} jobs in {r['seconds']:.1f} s, "
                f"cpu {r['cpu_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB"
            )
        # Where the machine's CPU went, per user planned: on a small machine shared with the
        # databases, what N workers can reach is bounded by cores / (CPU per user, all
        # processes together), not by N times one worker's rate.
        per_user = {
            "workers": sum(r["cpu_s"] for r in reports),
            **services,
        }
        busy, total = machine1[0] - machine0[0], machine1[1] - machine0[1]
        cores = os.cpu_count() or 1
        if users:
            spent = sum(per_user.values())
            print(
                "  CPU per user: "
                + ", ".join(f"{k} {1000 * v / users:.2f} ms" for k, v in per_user.items())
                + f"; machine busy {100 * busy / max(1, total):.0f}% of {cores} cores; "
                f"bound at this cost {cores * users / spent:.0f} users/s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
