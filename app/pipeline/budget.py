"""The LLM budget of one nightly run, shared by every batch job of the run on every worker.

A run is one scheduler cycle: the batches it enqueued (the `cycle_at` of their payload) may be
planned by several worker processes at once, so the count of LLM-worded plans cannot live in
a job. It lives where all workers see it: a Redis hash per run (one atomic script decides and
counts), or process memory in the embedded default, where the API process runs every job.

Each run records how many plans the LLM worded (`spent`) and how many were refused for the
budget and got the template text instead (`refused`), for the operators' view.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core import metrics
from app.llm.plan_text import BudgetExhausted, PlanTextWriter

log = logging.getLogger("nexfitra.pipeline")

# A run's counters outlive its retries (the stale-run recovery waits 3 h) and a day of views.
_TTL_S = 2 * 86_400
# Runs kept in memory: two days of 15-minute cycles.
_MEMORY_RUNS = 192

_TAKE = """
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local ok = 0
if spent < tonumber(ARGV[1]) then
  redis.call('HINCRBY', KEYS[1], 'spent', 1)
  ok = 1
else
  redis.call('HINCRBY', KEYS[1], 'refused', 1)
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return ok
"""


class RunBudget(Protocol):
    backend: str

    async def take(self, run: str, limit: int) -> bool:
        """One LLM call of `run` if fewer than `limit` were taken (counted as spent), else
        False (counted as refused)."""

    async def give_back(self, run: str) -> None:
        """Returns a taken call that was not made (the batch's own limits stopped it)."""

    async def usage(self, runs: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(spent, refused) per run; runs never seen are left out."""


class MemoryRunBudget:
    backend = "memory"

    def __init__(self) -> None:
        self._runs: dict[str, list[int]] = {}

    async def take(self, run: str, limit: int) -> bool:
        # No await between the check and the count: atomic within the event loop.
        if run not in self._runs and len(self._runs) >= _MEMORY_RUNS:
            del self._runs[next(iter(self._runs))]  # the oldest run: a long-lived API process
        counts = self._runs.setdefault(run, [0, 0])
        if counts[0] < limit:
            counts[0] += 1
            return True
        counts[1] += 1
        return False

    async def give_back(self, run: str) -> None:
        counts = self._runs.get(run)
        if counts and counts[0] > 0:
            counts[0] -= 1

    async def usage(self, runs: Sequence[str]) -> dict[str, tuple[int, int]]:
        return {r: (c[0], c[1]) for r in runs if (c := self._runs.get(r))}


class RedisRunBudget:
    backend = "redis"

    def __init__(self, client: Redis, prefix: str = "nf:llmrun:") -> None:
        self.client = client
        self.prefix = prefix
        self._take = client.register_script(_TAKE)

    async def take(self, run: str, limit: int) -> bool:
        try:
            return bool(await self._take(keys=[self.prefix + run], args=[limit, _TTL_S]))
        except (RedisError, OSError) as exc:
            # Without the shared count, any call could be over the budget: the template it is.
            log.warning("LLM run budget unavailable, plan text falls back: %s", exc)
            return False

    async def give_back(self, run: str) -> None:
        try:
            await self.client.hincrby(self.prefix + run, "spent", -1)
        except (RedisError, OSError) as exc:
            log.warning("LLM run budget: a call could not be given back: %s", exc)

    async def usage(self, runs: Sequence[str]) -> dict[str, tuple[int, int]]:
        if not runs:
            return {}
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for r in runs:
                    pipe.hmget(self.prefix + r, ["spent", "refused"])
                replies: list[Any] = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("LLM run budget unreadable: %s", exc)
            return {}
        return {
            r: (int(spent or 0), int(refused or 0))
            for r, (spent, refused) in zip(runs, replies, strict=True)
            if spent is not None or refused is not None
        }


def create_run_budget(redis: Redis | None) -> RunBudget:
    return RedisRunBudget(redis) if redis is not None else MemoryRunBudget()


class RunBudgetedWriter:
    """Spends one call of the run's budget per plan text; past it the plan gets the template
    (`describe_plan` treats BudgetExhausted as a quiet fallback) and the refusal is counted.

    It wraps the batch's own writer (time limit, failing-server cut-off): a call that writer
    refuses without asking the LLM is given back to the run."""

    def __init__(self, inner: PlanTextWriter, budget: RunBudget, run: str, max_calls: int) -> None:
        self.inner = inner
        self.budget = budget
        self.run = run
        self.max_calls = max_calls

    async def write_plan_text(self, plan: dict[str, Any]) -> str:
        if not await self.budget.take(self.run, self.max_calls):
            metrics.LLM_FALLBACKS.labels("plan_text", "budget").inc()
            raise BudgetExhausted(f"the run's {self.max_calls} LLM plan texts are spent")
        try:
            return await self.inner.write_plan_text(plan)
        except BudgetExhausted:
            await self.budget.give_back(self.run)
            raise
