"""Start-up cost of the food data: index build times and the API's resident memory.

Usage: ``python benchmarks/foods_startup.py [--runs N]``

Each run is a fresh interpreter (so caches and imports are cold) that:
1. times loading the packaged USDA data and building each in-memory index (CPU seconds, which
   a busy shared machine distorts far less than wall time; wall time printed too);
2. migrates an empty SQLite database, runs the API's real start-up (lifespan: food loader,
   index warm-up, gc.freeze) and reports its wall time and the process's resident memory after;
3. a second start-up on the now loaded database (the common case: nothing to insert).
"startup" ends when the API can serve; "steady" RSS is after background work (the search
index) has finished too.

It works on older checkouts too (it only uses names that exist there), so running it in a copy
of the previous commit gives the "before" figures. Search latency is printed for a few queries
when the search index exists.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import asyncio, json, os, sys, time, gc
sys.path.insert(0, os.getcwd())

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0

out = {"rss_start_mb": rss_mb()}
phase = sys.argv[1]
if phase == "index":
    from app.foods import dataset
    t, c = time.perf_counter(), time.process_time()
    dataset.load_usda_foods()
    if hasattr(dataset, "load_fndds_foods"):
        dataset.load_fndds_foods()
    out["data_wall_s"], out["data_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    from app.foods.parser import default_index
    t, c = time.perf_counter(), time.process_time()
    default_index()
    out["parser_index_wall_s"], out["parser_index_cpu_s"] = (
        time.perf_counter() - t, time.process_time() - c)
    try:
        from app.foods.search import packaged_index
    except ImportError:
        packaged_index = None
    if packaged_index is not None:
        t, c = time.perf_counter(), time.process_time()
        idx = packaged_index()
        out["search_index_wall_s"], out["search_index_cpu_s"] = (
            time.perf_counter() - t, time.process_time() - c)
        lat = {}
        for q in ["chiken brest", "egg", "apple", "cheese", "coke", "whole milk", "chick"]:
            best = min(
                (lambda s=time.perf_counter(): (idx.search(q), time.perf_counter() - s)[1])()
                for _ in range(5)
            )
            lat[q] = round(best * 1000, 2)
        out["search_ms"] = lat
    out["rss_after_index_mb"] = rss_mb()
else:
    from app.cli import migrate
    from app.core.config import Settings
    from app.main import create_app
    db = sys.argv[2]
    settings = Settings(database_url=f"sqlite+aiosqlite:///{db}", redis_url=None,
                        environment="test", jwt_secret="x" * 48)
    if phase == "api-fresh":
        migrate("head", settings.database_url)
    app = create_app(settings)

    async def main():
        t, c = time.perf_counter(), time.process_time()
        async with app.router.lifespan_context(app):
            out["startup_wall_s"] = time.perf_counter() - t
            out["startup_cpu_s"] = time.process_time() - c
            out["rss_api_mb"] = rss_mb()
            try:
                from app.foods.search import index_ready
            except ImportError:
                index_ready = None
            if index_ready is not None:
                # Serving already; the search index is finished in the background.
                while not index_ready():
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.2)
                out["search_ready_wall_s"] = time.perf_counter() - t
            out["rss_api_steady_mb"] = rss_mb()
    asyncio.run(main())
print("RESULT " + json.dumps(out))
"""


def run(phase: str, *args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, phase, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, object] = json.loads(line[7:])
            return result
    raise SystemExit(f"{phase} failed:\n{proc.stderr[-3000:]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows: dict[str, list[float]] = {}
    extra: dict[str, object] = {}
    for _ in range(args.runs):
        results = [run("index")]
        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "bench.db")
            fresh = run("api-fresh", db)
            loaded = run("api-loaded", db)
        results.append({f"fresh_{k}": v for k, v in fresh.items()})
        results.append({f"loaded_{k}": v for k, v in loaded.items()})
        for r in results:
            for k, v in r.items():
                if isinstance(v, int | float):
                    rows.setdefault(k, []).append(float(v))
                else:
                    extra[k] = v
    print(f"{'figure':34} {'median':>9} {'min':>9} {'max':>9}   ({args.runs} runs)")
    for k, vs in rows.items():
        print(f"{k:34} {statistics.median(vs):9.3f} {min(vs):9.3f} {max(vs):9.3f}")
    for k, v in extra.items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
