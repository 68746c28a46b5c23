"""What arrives in one turn of the event loop, sent as one batch.

Three hot paths (keyed version reads in core/db.py, rate-limit and invalidation scripts in
core/redisbatch.py, food log inserts in logs/pgwrite.py) pay a round trip's fixed cost per
request; sending together what arrived together makes that cost per batch. A batch leaves at
the end of the turn it started in, unless `in_flight` batches are already out: then the queue
grows and leaves when one returns, so batches grow with the load and a lone request waits
for nothing more than its own round trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Sized
from typing import Any, Generic, TypeVar

B = TypeVar("B", bound=Sized)  # the queue: a list, or a dict of waiters by key


class TurnBatcher(Generic[B]):
    """Subclasses queue with `_queue` (which answers the running loop), add their item to
    `self._pending`, call `_schedule`, and send a batch in `_send`."""

    def __init__(self, empty: Callable[[], B], in_flight: int) -> None:
        self._empty = empty
        self._in_flight = in_flight
        self._pending: B = empty()
        self._scheduled = False
        self._running: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _queue(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new event loop (tests): what was queued or scheduled on the old one never runs.
            self._loop = loop
            self._pending, self._scheduled, self._running = self._empty(), False, set()
        return loop

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._dispatch)

    def _dispatch(self) -> None:
        self._scheduled = False
        if not self._pending or len(self._running) >= self._in_flight:
            return
        batch, self._pending = self._pending, self._empty()
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._pending and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._dispatch)

    def _send(self, batch: B) -> Coroutine[Any, Any, None]:
        raise NotImplementedError


def fail(futures: Iterable[asyncio.Future[Any]], exc: BaseException) -> None:
    """What a batch's failure tells each of its requests still waiting: the error, or
    cancelled when the batch was; a BaseException other than cancellation is the caller's to
    re-raise."""
    for future in futures:
        if future.done():
            continue
        if isinstance(exc, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(exc)
