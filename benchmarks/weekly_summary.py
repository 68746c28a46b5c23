"""Uncached weekly summary latency for a user with three years of daily logs, in a table of one
million rows (PostgreSQL).

    python benchmarks/weekly_summary.py [--url postgresql://postgres@127.0.0.1:5432/nexfitra_bench_summary]

Rebuilds the database, seeds rows with COPY, then times `summaries.service.weekly` (the SQL
GROUP BY plus goal lookup, no cache) for random weeks of the heavy user.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import time
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from app.cli import migrate
from app.core.config import Settings, normalise_database_url
from app.core.db import create_engine, create_sessionmaker
from app.summaries import service

TOTAL_ROWS = 1_000_000
DAYS = 3 * 365
PER_DAY = 4  # the heavy user logs four entries a day


async def seed(url: str) -> uuid.UUID:
    u = make_url(normalise_database_url(url))
    admin = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, database="postgres"
    )
    await admin.execute(f'DROP DATABASE IF EXISTS "{u.database}"')
    await admin.execute(f'CREATE DATABASE "{u.database}"')
    await admin.close()
    await asyncio.to_thread(migrate, "head", normalise_database_url(url))
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, database=u.database
    )
    now = dt.datetime.now(dt.UTC)
    heavy = uuid.uuid4()
    others = [uuid.uuid4() for _ in range(2000)]
    await conn.copy_records_to_table(
        "users",
        records=[
            (uid, f"{uid}@example.com", "x", True, False, "UTC", now, now)
            for uid in [heavy, *others]
        ],
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
    await conn.execute(
        "INSERT INTO goals (id, user_id, effective_from, kcal, protein_g, carbs_g, fat_g,"
        " source, created_at, updated_at)"
        " VALUES ($1, $2, $3, 2200, 140, 250, 70, 'manual', $4, $4)",
        uuid.uuid4(),
        heavy,
        dt.date(2020, 1, 1),
        now,
    )
    start = dt.date(2022, 1, 1)
    rng = random.Random(7)
    cols = [
        "id",
        "user_id",
        "date",
        "meal_type",
        "description",
        "source",
        "kcal",
        "protein_g",
        "carbs_g",
        "fat_g",
        "created_at",
        "updated_at",
    ]

    def row(uid: uuid.UUID, day: dt.date) -> tuple:
        return (
            uuid.uuid4(),
            uid,
            day,
            rng.choice(("breakfast", "lunch", "dinner", "snack")),
            "bench",
            "manual",
            rng.uniform(50, 900),
            rng.uniform(0, 50),
            rng.uniform(0, 90),
            rng.uniform(0, 40),
            now,
            now,
        )

    heavy_rows = [
        row(heavy, start + dt.timedelta(days=d)) for d in range(DAYS) for _ in range(PER_DAY)
    ]
    await conn.copy_records_to_table("log_entries", records=heavy_rows, columns=cols)
    remaining = TOTAL_ROWS - len(heavy_rows)
    batch = 100_000
    while remaining > 0:
        n = min(batch, remaining)
        recs = [
            row(rng.choice(others), start + dt.timedelta(days=rng.randrange(DAYS)))
            for _ in range(n)
        ]
        await conn.copy_records_to_table("log_entries", records=recs, columns=cols)
        remaining -= n
    await conn.execute("ANALYZE")
    total = await conn.fetchval("SELECT count(*) FROM log_entries")
    print(f"seeded {total:,} log rows; heavy user has {len(heavy_rows):,} ({DAYS} days)")
    await conn.close()
    return heavy


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/nexfitra_bench_summary")
    ap.add_argument("--runs", type=int, default=500)
    args = ap.parse_args()
    heavy = await seed(args.url)
    engine = create_engine(Settings(database_url=args.url))
    maker = create_sessionmaker(engine)
    rng = random.Random(1)
    times = []
    async with maker() as session:
        for i in range(args.runs + 20):
            start = dt.date(2022, 1, 3) + dt.timedelta(weeks=rng.randrange(150))
            t0 = time.perf_counter()
            summary = await service.weekly(session, heavy, start)
            elapsed = (time.perf_counter() - t0) * 1000
            if i >= 20:  # the first calls warm connections and plan caches
                times.append(elapsed)
            assert summary.days_logged == 7
    await engine.dispose()
    times.sort()
    p95, p99 = times[int(0.95 * len(times))], times[int(0.99 * len(times))]
    print(
        f"uncached weekly summary over {args.runs} random weeks: "
        f"p50 {statistics.median(times):.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
