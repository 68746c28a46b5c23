"""Domain event transport: one Redis stream with a consumer group per consumer | in-process.

One small interface, two implementations, as for the cache, the limiter and the job queue:

- `RedisEventBus`: every event goes to one stream (`nf:ev`), read by consumer groups
  (XREADGROUP); a consumer acknowledges an entry after it handled it, and entries left pending by
  a consumer that died are taken over with XAUTOCLAIM once idle. Each event is also appended to
  its user's own short stream (`nf:ev:u:<user>`) that the live SSE stream reads, so an API
  process never filters other users' events.
- `MemoryEventBus`: the same semantics inside one process for the embedded default.

Publishing is idempotent by event id: a Lua script sets a dedup key and appends only if the key
was new, so the outbox relay may retry a batch it is not sure went out without publishing any
event twice.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ResponseError

log = logging.getLogger("nexfitra.events")

STREAM = "nf:ev"
USER_STREAM = "nf:ev:u:"
DEDUP = "nf:ev:pub:"
# Bounds on what Redis keeps: the main stream is trimmed well past any consumer's backlog
# (the relay stops publishing when Redis is down, so a lagging consumer is the only reader),
# a user's stream holds what a reconnecting client may ask to replay.
STREAM_MAXLEN = 200_000
USER_STREAM_MAXLEN = 500
USER_STREAM_TTL_S = 7 * 24 * 3600
DEDUP_TTL_S = 7 * 24 * 3600

# ARGV: (id, body, user_id) per event. The user id is passed beside the body, not decoded from
# it: cjson.decode of a whole event was ~2.5 µs of Redis CPU per event published.
_PUBLISH = """
local n = 0
for i = 1, #ARGV, 3 do
  local id = ARGV[i]
  if redis.call('SET', KEYS[3] .. id, '1', 'NX', 'EX', tonumber(KEYS[4])) then
    local body = ARGV[i + 1]
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', tonumber(KEYS[5]), '*', 'e', body)
    local ukey = KEYS[2] .. ARGV[i + 2]
    redis.call('XADD', ukey, 'MAXLEN', '~', tonumber(KEYS[6]), '*', 'e', body)
    redis.call('EXPIRE', ukey, tonumber(KEYS[4]))
    n = n + 1
  end
end
return n
"""

# `_PUBLISH` for events already rendered as text, all in ARGV[1]: "id US user_id US body" per
# event, events separated by RS (ASCII unit and record separators, 0x1F and 0x1E). JSON text
# can hold neither, raw, anywhere (control characters are escaped inside strings, and outside
# them only tab, newline, return and space may appear), so no body can be cut in two. One
# argument, not three per event: redis-py encodes and packs every argument in Python, and
# that was most of what the relay cost the API process. Each event is cut with plain finds of
# the separators, not a Lua pattern: gmatch and match stepped through every byte of a ~450
# byte event twice, 3-4 us of Redis CPU per event published (a third of the script's time,
# benchmarks/overhead.py's log write). An empty record, or one without both separators, is
# skipped, as the pattern skipped it.
RS, US = "\x1e", "\x1f"
_PUBLISH_LINES = """
local n = 0
local s = ARGV[1]
local len = #s
local pos = 1
while pos <= len do
  local stop = string.find(s, '\\30', pos, true) or (len + 1)
  local a = string.find(s, '\\31', pos, true)
  local b = a and a < stop and string.find(s, '\\31', a + 1, true)
  if b and b < stop then
    local id = string.sub(s, pos, a - 1)
    if redis.call('SET', KEYS[3] .. id, '1', 'NX', 'EX', tonumber(KEYS[4])) then
      local body = string.sub(s, b + 1, stop - 1)
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', tonumber(KEYS[5]), '*', 'e', body)
      local ukey = KEYS[2] .. string.sub(s, a + 1, b - 1)
      redis.call('XADD', ukey, 'MAXLEN', '~', tonumber(KEYS[6]), '*', 'e', body)
      redis.call('EXPIRE', ukey, tonumber(KEYS[4]))
      n = n + 1
    end
  end
  pos = stop + 1
end
return n
"""


def split_lines(lines: str) -> list[dict[str, Any]]:
    """The events of `publish_lines`'s text, decoded (for buses that keep dicts)."""
    events: list[dict[str, Any]] = []
    for line in lines.split(RS):
        if line:
            event: dict[str, Any] = json.loads(line.split(US, 2)[2])
            events.append(event)
    return events


@dataclass(frozen=True, slots=True)
class Delivery:
    """One stream entry handed to a consumer: its stream id, the event and how many times it
    has been delivered to this consumer group (1 on first delivery)."""

    entry_id: str
    event: dict[str, Any]
    deliveries: int


class EventBus(Protocol):
    backend: str

    async def publish(self, events: Sequence[Mapping[str, Any]]) -> int:
        """Appends the events not published before (by `id`); answers how many were new."""

    async def publish_lines(self, lines: str) -> int:
        """`publish` for events already rendered as text: "id US user_id US JSON body" each,
        separated by RS (the PostgreSQL relay renders them so in the database)."""

    async def ensure_group(self, group: str) -> None: ...

    async def read(
        self, group: str, consumer: str, *, count: int, block_ms: int
    ) -> list[Delivery]: ...

    async def reclaim(
        self, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        """Entries pending for longer than `min_idle_ms` (their consumer died), now ours."""

    async def ack(self, group: str, entry_ids: Sequence[str]) -> None: ...

    async def lag(self, group: str) -> dict[str, int]:
        """{"pending": delivered but not acknowledged, "lag": not yet delivered}."""

    async def user_events(
        self, user_id: str, after: str | None, *, block_ms: int, count: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        """The user's events after stream id `after` (None: only new ones), waiting up to
        `block_ms` for one to arrive."""

    async def user_position(self, user_id: str) -> str:
        """The id of the user's latest event ("0-0" if none): read after it for new ones."""

    async def close(self) -> None: ...


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _stream_reply(reply: Any) -> list[tuple[Any, Any]]:
    """XREAD/XREADGROUP replies as (stream, entries) pairs (RESP2 lists, or a RESP3 dict)."""
    if not reply:
        return []
    if isinstance(reply, Mapping):
        return list(reply.items())
    return [(pair[0], pair[1]) for pair in reply]


def _event_of(fields: Mapping[Any, Any]) -> dict[str, Any]:
    raw = fields.get(b"e", fields.get("e"))
    event: dict[str, Any] = json.loads(raw)
    return event


# json.dumps(e, separators=(",", ":"), default=str), with its encoder made once: dumps builds a
# new JSONEncoder on every call that passes options, once per event the relay publishes.
_compact_json = json.JSONEncoder(separators=(",", ":"), default=str).encode


class RedisEventBus:
    backend = "redis"

    def __init__(self, client: Redis, *, stream: str = STREAM) -> None:
        self.client = client
        self.stream = stream
        self._publish = client.register_script(_PUBLISH)
        self._publish_lines = client.register_script(_PUBLISH_LINES)
        self._keys = [
            stream,
            USER_STREAM,
            DEDUP,
            str(DEDUP_TTL_S),
            str(STREAM_MAXLEN),
            str(USER_STREAM_MAXLEN),
        ]

    async def publish(self, events: Sequence[Mapping[str, Any]]) -> int:
        if not events:
            return 0
        args: list[str] = []
        for e in events:
            # The body's user_id as the body spells it (a UUID through `default=str`).
            args += [str(e["id"]), _compact_json(e), str(e["user_id"])]
        return int(await self._publish(keys=self._keys, args=args))

    async def publish_lines(self, lines: str) -> int:
        if not lines:
            return 0
        return int(await self._publish_lines(keys=self._keys, args=[lines]))

    async def ensure_group(self, group: str) -> None:
        try:
            await self.client.xgroup_create(self.stream, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _counts(self, group: str, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        lo, hi = min(ids, key=_id_key), max(ids, key=_id_key)
        rows = await self.client.xpending_range(self.stream, group, min=lo, max=hi, count=len(ids))
        return {_decode(r["message_id"]): int(r["times_delivered"]) for r in rows}

    async def read(self, group: str, consumer: str, *, count: int, block_ms: int) -> list[Delivery]:
        reply = await self.client.xreadgroup(
            group, consumer, {self.stream: ">"}, count=count, block=block_ms or None
        )
        out: list[Delivery] = []
        for _stream, entries in _stream_reply(reply):
            for entry_id, fields in entries:
                if fields:
                    out.append(Delivery(_decode(entry_id), _event_of(fields), 1))
        return out

    async def reclaim(
        self, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        reply = await self.client.xautoclaim(
            self.stream, group, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count
        )
        entries = reply[1] if len(reply) > 1 else []
        live = [(_decode(i), f) for i, f in entries if f]
        counts = await self._counts(group, [i for i, _ in live])
        return [Delivery(i, _event_of(f), counts.get(i, 2)) for i, f in live]

    async def ack(self, group: str, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            await self.client.xack(self.stream, group, *entry_ids)

    async def lag(self, group: str) -> dict[str, int]:
        try:
            groups = await self.client.xinfo_groups(self.stream)
        except ResponseError:
            return {"pending": 0, "lag": 0}
        for g in groups:
            if _decode(g["name"]) == group:
                return {"pending": int(g.get("pending") or 0), "lag": int(g.get("lag") or 0)}
        return {"pending": 0, "lag": 0}

    async def user_events(
        self, user_id: str, after: str | None, *, block_ms: int, count: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        key = USER_STREAM + user_id
        if after is None:
            # "$" would miss an event appended between this call and the blocking read.
            after = await self.user_position(user_id)
        reply = await self.client.xread({key: after}, count=count, block=block_ms or None)
        out: list[tuple[str, dict[str, Any]]] = []
        for _stream, entries in _stream_reply(reply):
            for entry_id, fields in entries:
                out.append((_decode(entry_id), _event_of(fields)))
        return out

    async def user_position(self, user_id: str) -> str:
        last = await self.client.xrevrange(USER_STREAM + user_id, count=1)
        return _decode(last[0][0]) if last else "0-0"

    async def close(self) -> None:
        await self.client.aclose()


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class _Group:
    next_index: int = 0
    # entry id -> [consumer, delivered at (monotonic s), deliveries]
    pending: OrderedDict[str, list[Any]] = field(default_factory=OrderedDict)


class MemoryEventBus:
    """The Redis bus's semantics in one process: groups, pending entries, reclaim, user
    streams with ids of the same "ms-seq" form, so `Last-Event-ID` works the same."""

    backend = "memory"

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._entries: list[tuple[str, dict[str, Any]]] = []
        self._base = 0  # index of _entries[0] in the logical stream (after trimming)
        self._index: dict[str, int] = {}
        self._groups: dict[str, _Group] = {}
        self._published: OrderedDict[str, None] = OrderedDict()
        self._users: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._changed = asyncio.Condition()
        self._seq = itertools.count()
        self._last_ms = 0

    def _next_id(self) -> str:
        ms = int(time.time() * 1000)
        if ms <= self._last_ms:
            ms = self._last_ms
        else:
            self._seq = itertools.count()
        self._last_ms = ms
        return f"{ms}-{next(self._seq)}"

    async def publish(self, events: Sequence[Mapping[str, Any]]) -> int:
        n = 0
        for e in events:
            eid = str(e["id"])
            if eid in self._published:
                continue
            self._published[eid] = None
            if len(self._published) > self.max_entries * 2:
                self._published.popitem(last=False)
            body: dict[str, Any] = json.loads(json.dumps(e, default=str))
            entry_id = self._next_id()
            self._index[entry_id] = self._base + len(self._entries)
            self._entries.append((entry_id, body))
            user = self._users.setdefault(str(body["user_id"]), [])
            user.append((entry_id, body))
            del user[:-USER_STREAM_MAXLEN]
            n += 1
        self._trim()
        if n:
            async with self._changed:
                self._changed.notify_all()
        return n

    async def publish_lines(self, lines: str) -> int:
        return await self.publish(split_lines(lines))

    def _trim(self) -> None:
        extra = len(self._entries) - self.max_entries
        if extra <= 0:
            return
        # Only what every group has read and acknowledged may go.
        floor = min(
            [g.next_index for g in self._groups.values()]
            + [self._index.get(i, 0) for g in self._groups.values() for i in g.pending],
            default=self._base + len(self._entries),
        )
        drop = min(extra, max(0, floor - self._base))
        for entry_id, _ in self._entries[:drop]:
            self._index.pop(entry_id, None)
        del self._entries[:drop]
        self._base += drop

    async def ensure_group(self, group: str) -> None:
        self._groups.setdefault(group, _Group(next_index=self._base))

    async def _wait(self, block_ms: int, ready: Any) -> None:
        if ready() or block_ms <= 0:
            return
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), block_ms / 1000)
            except TimeoutError:
                pass

    async def read(self, group: str, consumer: str, *, count: int, block_ms: int) -> list[Delivery]:
        g = self._groups[group]
        await self._wait(block_ms, lambda: g.next_index < self._base + len(self._entries))
        out: list[Delivery] = []
        now = time.monotonic()
        while g.next_index < self._base + len(self._entries) and len(out) < count:
            entry_id, body = self._entries[g.next_index - self._base]
            g.next_index += 1
            g.pending[entry_id] = [consumer, now, 1]
            out.append(Delivery(entry_id, body, 1))
        return out

    async def reclaim(
        self, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        g = self._groups[group]
        now = time.monotonic()
        out: list[Delivery] = []
        for entry_id, info in g.pending.items():
            if len(out) >= count:
                break
            if (now - info[1]) * 1000 >= min_idle_ms:
                info[0], info[1], info[2] = consumer, now, info[2] + 1
                index = self._index.get(entry_id)
                if index is not None:
                    out.append(Delivery(entry_id, self._entries[index - self._base][1], info[2]))
        return out

    async def ack(self, group: str, entry_ids: Sequence[str]) -> None:
        g = self._groups.get(group)
        if g is not None:
            for entry_id in entry_ids:
                g.pending.pop(entry_id, None)

    async def lag(self, group: str) -> dict[str, int]:
        g = self._groups.get(group)
        if g is None:
            return {"pending": 0, "lag": 0}
        waiting = self._base + len(self._entries) - g.next_index
        return {"pending": len(g.pending), "lag": waiting}

    async def user_events(
        self, user_id: str, after: str | None, *, block_ms: int, count: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        if after is None:
            after = await self.user_position(user_id)
        floor = _id_key(after)

        def newer() -> list[tuple[str, dict[str, Any]]]:
            return [e for e in self._users.get(user_id, []) if _id_key(e[0]) > floor][:count]

        await self._wait(block_ms, lambda: bool(newer()))
        return newer()

    async def user_position(self, user_id: str) -> str:
        user = self._users.get(user_id, [])
        return user[-1][0] if user else "0-0"

    async def close(self) -> None:
        return None


def create_bus(redis_url: str | None) -> EventBus:
    if not redis_url:
        return MemoryEventBus()
    # Its own client: blocking reads (consumers, live streams) hold a connection for seconds,
    # past the API client's half-second socket timeout and outside its pool.
    client = Redis.from_url(
        redis_url, socket_timeout=60, socket_connect_timeout=2, max_connections=2000
    )
    return RedisEventBus(client)
