"""Process and machine CPU readings from Linux /proc, shared by the benchmarks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ProcCpu:
    pid: int
    name: str
    ppid: int
    cpu_s: float  # user + system CPU seconds so far


def read(pid: int) -> ProcCpu:
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The name may hold spaces and parentheses: it runs to the last ")".
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat.rpartition(")")[2].split()
    return ProcCpu(pid, name, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TCK)


def processes() -> Iterator[ProcCpu]:
    """Every process readable now (one that exits meanwhile is skipped)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                yield read(int(entry))
            except (OSError, ValueError, IndexError):
                continue


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)
