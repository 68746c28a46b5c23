"""The Redis work of concurrent writes in one round trip: rate-limit hits and cache
invalidations that arrive in the same turn of the event loop run as one script.

A log write makes two Redis calls, the limiter's hit before its INSERT and the cache
invalidation after it commits. Each call cost this process 250-300 µs of redis-py work
(packing, the connection pool, parsing), more than the INSERT's own driver work. Under load,
dozens of writes make these calls at the same moment: here they leave together as one EVALSHA
whose script runs each operation in the order it was asked for, and each caller gets its own
answer. Nothing runs earlier than its caller asked (an invalidation is only queued once its row
is committed) and nobody answers before the script that did its work returned, so each
request's semantics are those of its own call; a lone request waits only for its own round
trip. While `MAX_IN_FLIGHT` scripts are out, new operations queue and leave together when one
returns, so batches grow with the load.

A failed script fails every operation in it the way the single call would have failed (the
callers fall back exactly as before: the limiter to process memory, the invalidation to a
logged error bounded by the TTL).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from redis.asyncio import Redis

from app.core.batching import TurnBatcher, fail

# One script for both kinds of operation. ARGV[1] is a JSON array of the operations, each
# `[kind, args...]`, taking its keys from KEYS in order; the reply is a JSON array of their
# answers. JSON both ways, not one Redis argument and one reply element per value: redis-py
# packs each argument and parses each reply element in Python, which cost this process about
# 45 µs per operation (two per log write) where a single string each way costs a few.
#   ["h", interval, limit, field-or-""]  KEYS: bucket [hash to read when field is not ""]
#       -> [allowed, remaining, retry_ms, reset_ms(, read)]  (GCRA, see core/ratelimit.py;
#          `read` only when the field was asked for and is set)
#   ["i", ttl]                           KEYS: scope hash
#       -> the scope's new version  (see core/cache.py)
# Times are whole milliseconds (math.floor), as Redis made of the Lua numbers when the script
# answered them as integers; every one of them is positive there, so floor is that truncation.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ops = cjson.decode(ARGV[1])
local out = {}
local k = 1
for i = 1, #ops do
  local op = ops[i]
  if op[1] == 'h' then
    local interval = op[2]
    local limit = op[3]
    local field = op[4]
    local key = KEYS[k]
    k = k + 1
    local tat = tonumber(redis.call('GET', key) or now)
    if tat < now then tat = now end
    local new_tat = tat + interval
    -- tat - interval * (limit - 1), not new_tat - window: the same value without adding and
    -- then subtracting an interval, whose rounding could refuse the first hit of a limit of one.
    local allow_at = tat - interval * (limit - 1)
    local hash = false
    if field ~= '' then
      hash = KEYS[k]
      k = k + 1
    end
    if now < allow_at then
      out[i] = {0, 0, math.floor(allow_at - now), math.floor(tat - now)}
    else
      redis.call('SET', key, new_tat, 'PX', math.ceil(new_tat - now))
      local reply = {1, math.floor((now - allow_at) / interval), 0, math.floor(new_tat - now)}
      if hash then
        local read = redis.call('HGET', hash, field)
        if read then reply[5] = read end
      end
      out[i] = reply
    end
  else
    local ttl = op[2]
    local key = KEYS[k]
    k = k + 1
    local v = redis.call('HINCRBY', key, '_v', 1)
    redis.call('DEL', key)
    redis.call('HSET', key, '_v', v)
    redis.call('EXPIRE', key, ttl)
    out[i] = v
  end
end
return cjson.encode(out)
"""

MAX_IN_FLIGHT = 2

_Op = tuple[list[str], list[Any], "asyncio.Future[Any]"]


class RedisBatch(TurnBatcher[list[_Op]]):
    """Queues operations for one Redis client and sends each turn's as one script."""

    def __init__(self, client: Redis) -> None:
        super().__init__(list, MAX_IN_FLIGHT)
        self._script = client.register_script(_SCRIPT)

    def hit(
        self, key: str, interval: float, limit: int, also_read: tuple[str, str] | None
    ) -> asyncio.Future[Any]:
        """GCRA: [allowed, remaining, retry_ms, reset_ms(, read)], the GCRA of core/ratelimit.py."""
        if also_read is None:
            return self._add([key], ["h", interval, limit, ""])
        return self._add([key, also_read[0]], ["h", interval, limit, also_read[1]])

    def invalidate(self, key: str, ttl: int) -> asyncio.Future[Any]:
        """Bumps the scope's version and drops its entries, as core/cache.py describes."""
        return self._add([key], ["i", ttl])

    def _add(self, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        loop = self._queue()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((keys, args, future))
        self._schedule(loop)
        return future

    async def _send(self, batch: list[_Op]) -> None:
        keys: list[str] = []
        ops: list[list[Any]] = []
        for op_keys, op_args, _ in batch:
            keys += op_keys
            ops.append(op_args)
        try:
            answers = json.loads(await self._script(keys=keys, args=[json.dumps(ops)]))
        except BaseException as exc:
            fail((future for _, _, future in batch), exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, _, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)
