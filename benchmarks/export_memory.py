"""Memory of the GDPR export (`GET /api/v1/users/me/export`) as a user's history grows.

    python benchmarks/export_memory.py                      # SQLite in a temporary file
    python benchmarks/export_memory.py --url postgresql://postgres@127.0.0.1:5432/nexfitra_bench_export

Seeds users with 1,000 / 10,000 / 100,000 log entries, streams each one's export the way the
route does (chunks handed to the ASGI server one by one) and prints rows, bytes, time and the
peak Python allocation during the export (tracemalloc). Flat peaks mean the export streams.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import models as _models  # noqa: F401
from app.auth.models import User
from app.cli import migrate
from app.core.config import Settings, normalise_database_url
from app.core.db import create_engine, create_sessionmaker
from app.logs.models import LogEntry
from app.privacy.service import export_json

SIZES = (1_000, 10_000, 100_000)


async def reset_postgres(url: str) -> None:
    import asyncpg

    u = make_url(url)
    admin = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database="postgres"
    )
    await admin.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{u.database}"')
    await admin.close()


async def seed(engine: sa.ext.asyncio.AsyncEngine, rows: int) -> uuid.UUID:
    uid = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(rows)
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(User).values(
                id=uid,
                email=f"{uid}@example.com",
                is_active=True,
                is_admin=False,
                timezone="UTC",
                created_at=now,
                updated_at=now,
            )
        )
        start = dt.date(2020, 1, 1)
        for lo in range(0, rows, 5000):
            batch = [
                {
                    "id": uuid.uuid4(),
                    "user_id": uid,
                    "date": start + dt.timedelta(days=i // 4),
                    "meal_type": "lunch",
                    "description": "bench meal with a realistic description length",
                    "source": "manual",
                    "kcal": rng.uniform(50, 900),
                    "protein_g": rng.uniform(0, 50),
                    "carbs_g": rng.uniform(0, 90),
                    "fat_g": rng.uniform(0, 40),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(lo, min(rows, lo + 5000))
            ]
            await conn.execute(sa.insert(LogEntry), batch)
    return uid


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=None)
    args = ap.parse_args()
    tmp = None
    if args.url:
        url = normalise_database_url(args.url)
        await reset_postgres(url)
    else:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'export.db'}"
    await asyncio.to_thread(migrate, "head", url)
    engine = create_engine(Settings(database_url=url, foods_autoload=False))
    maker = create_sessionmaker(engine)
    print(f"backend: {engine.dialect.name}")
    print(f"{'log rows':>10} {'bytes':>13} {'seconds':>8} {'peak KiB':>9}")
    for size in SIZES:
        uid = await seed(engine, size)
        tracemalloc.start()
        t0 = time.perf_counter()
        total = 0
        async for chunk in export_json(maker, uid):
            total += len(chunk.encode())
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{size:>10,} {total:>13,} {elapsed:>8.2f} {peak / 1024:>9,.0f}")
    await engine.dispose()
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
