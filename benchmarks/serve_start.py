"""Time from launching the Quickstart's serve command to the first 200 from /docs.

Usage: ``python benchmarks/serve_start.py [--runs N] [--port P] [--fresh]``

Each run launches ``bash scripts/serve.sh`` (embedded SQLite, the repo's ``data/`` directory
unless DATA_DIR-style settings say otherwise), polls ``/docs`` every 10 ms and reports:
- wall seconds from launch to the first 200;
- CPU seconds of the server process at that moment (its own user+system time plus that of the
  children it waited for: bootstrap.sh's checks run before the exec into Python);
- the machine's load (1-minute average) so a noisy run can be told apart.
``--fresh`` deletes the SQLite file (``--db``, default data/nexfitra.db) before the first run,
so the first run is a cold one (empty database) and the others are warm.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_TCK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    # utime, stime, cutime, cstime
    return sum(int(v) for v in fields[11:15]) / _TCK


def one_run(port: int, timeout: float = 120.0) -> tuple[float, float]:
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1")
    # The worktree's code, not whatever the venv's editable install points at.
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    url = f"http://127.0.0.1:{port}/docs"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["bash", "scripts/serve.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"serve.sh exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        wall = time.perf_counter() - t0
                        return wall, _cpu(proc.pid)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.perf_counter() - t0 > timeout:
                raise SystemExit("no 200 from /docs in time")
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--fresh", action="store_true", help="delete the database before run 1")
    ap.add_argument("--db", default=str(ROOT / "data" / "nexfitra.db"))
    args = ap.parse_args()
    if args.fresh:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(args.db + suffix).unlink(missing_ok=True)
    walls, cpus = [], []
    for i in range(args.runs):
        wall, cpu = one_run(args.port)
        load = os.getloadavg()[0]
        kind = "cold" if args.fresh and i == 0 else "warm"
        print(
            f"run {i + 1} ({kind}): /docs 200 after {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"load {load:.2f}"
        )
        if not (args.fresh and i == 0):
            walls.append(wall)
            cpus.append(cpu)
    if walls:
        print(
            f"warm: wall median {statistics.median(walls):.2f} s (min {min(walls):.2f}, "
            f"max {max(walls):.2f}); CPU median {statistics.median(cpus):.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
