"""The in-process relay coalesces wake-ups (EVENTS_RELAY_COALESCE_S): writes made within the
window after a first one go out in one relay pass, and a write on its own still goes out
promptly, long before the periodic pass (EVENTS_RELAY_INTERVAL_S, 30 s here).

A relay pass stamps every event it publishes with one `published_at`, so the passes are counted
from the outbox itself: distinct stamps = passes. Real database and bus (memory or Redis).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from app.events import outbox
from app.events.models import OutboxEvent
from tests.events.helpers import app_of, fresh_runtime, outbox_rows

INTERVAL_S = 30.0  # the periodic pass: far beyond every bound below


async def _weigh(client: Any, user: Any, day: int) -> None:
    r = await client.post(
        "/api/v1/weights",
        json={"weight_kg": 70 + day / 10, "date": f"2024-03-{day:02d}"},
        headers=user.headers,
    )
    assert r.status_code in (200, 201), r.text


async def _published(client: Any, n: int, timeout: float = 10.0) -> list[OutboxEvent]:
    """Waits until `n` WeightLogged events are stamped published; answers them."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await outbox_rows(client, "WeightLogged")
        done = [r for r in rows if r.published_at is not None]
        if len(done) >= n:
            return done
        assert time.monotonic() < deadline, f"{len(done)} of {n} published after {timeout} s"
        await asyncio.sleep(0.005)


async def test_writes_within_the_window_go_out_in_one_relay_pass(client, user):
    window = 1.0  # the widest allowed: room for the writes on a busy machine
    rt = fresh_runtime(client, relay_interval_s=INTERVAL_S, relay_coalesce_s=window)
    res, uid = app_of(client).state.resources, uuid.UUID(user.id)
    rt.start(relay_loop=True, consume=False)
    try:
        await asyncio.sleep(0.05)  # the loop's first (empty) pass is behind it

        # Four writes as the services make them: each its own committed transaction, then a
        # nudge of the relay; at once, from four connections. (Through the API each costs a
        # tenth of a second or more on a busy machine, too slow to fit several in the window.)
        async def write(day: int) -> None:
            async with res.sessionmaker() as session:
                payload = {"date": f"2024-03-{day:02d}", "weight_kg": 70.0, "replaced": False}
                await outbox.add(session, [outbox.event_row("WeightLogged", uid, payload)])
                await session.commit()
            outbox.nudge()

        start = time.monotonic()
        await asyncio.gather(*(write(day) for day in range(1, 5)))
        span = time.monotonic() - start
        assert span < window, f"the writes took {span:.2f} s, more than the window"
        rows = await _published(client, 4)
        took = time.monotonic() - start
    finally:
        await rt.close()
    assert len(rows) == 4 and rt.published == 4
    # One pass: every event carries the same stamp.
    assert len({r.published_at for r in rows}) == 1
    # ... made once the window after the first write had passed, not by the periodic pass.
    assert window <= took < window + 5.0


async def test_a_write_alone_is_published_promptly(client, user):
    # The default window (20 ms).
    rt = fresh_runtime(client, relay_interval_s=INTERVAL_S)
    assert rt.config.relay_coalesce_s == 0.02
    rt.start(relay_loop=True, consume=False)
    try:
        await asyncio.sleep(0.05)
        delays = []
        for day in (1, 2, 3):
            start = time.monotonic()
            await _weigh(client, user, day)
            await _published(client, day)
            delays.append(time.monotonic() - start)
            await asyncio.sleep(0.1)  # apart: each write alone in its window
    finally:
        await rt.close()
    rows = await outbox_rows(client, "WeightLogged")
    # Three writes far apart: three passes, each within a bounded delay of its write.
    assert len({r.published_at for r in rows}) == 3 and rt.published == 3
    assert max(delays) < 2.0, delays


async def test_the_window_widens_under_sustained_load_and_narrows_when_it_ends(client):
    rt = fresh_runtime(client, relay_coalesce_s=0.02, relay_coalesce_max_s=0.1)
    assert rt.config.relay_coalesce_max_s == 0.1
    windows, window = [], rt.config.relay_coalesce_s
    for published in (5, 8, 30, 40, 1, 0, 3):
        window = rt._next_window(window, published)
        windows.append(window)
    assert windows == [0.04, 0.08, 0.1, 0.1, 0.02, 0.02, 0.04]
    # Never below the configured window, and coalescing stays off when it is off.
    assert fresh_runtime(client, relay_coalesce_s=0.5)._next_window(0.5, 9) == 0.5
    assert fresh_runtime(client, relay_coalesce_s=0)._next_window(0, 9) == 0


async def test_after_a_busy_pass_the_next_write_waits_the_wider_window(client, user):
    base, widest = 0.2, 0.8
    rt = fresh_runtime(
        client, relay_interval_s=INTERVAL_S, relay_coalesce_s=base, relay_coalesce_max_s=widest
    )
    res, uid = app_of(client).state.resources, uuid.UUID(user.id)

    async def write(day: int) -> None:
        async with res.sessionmaker() as session:
            payload = {"date": f"2024-03-{day:02d}", "weight_kg": 70.0, "replaced": False}
            await outbox.add(session, [outbox.event_row("WeightLogged", uid, payload)])
            await session.commit()
        outbox.nudge()

    rt.start(relay_loop=True, consume=False)
    try:
        await asyncio.sleep(0.05)
        await asyncio.gather(*(write(day) for day in range(1, 4)))  # one pass of three events
        await _published(client, 3)
        await asyncio.sleep(0.1)  # the relay is waiting for its next wake
        start = time.monotonic()
        await write(4)
        await _published(client, 4)
        took = time.monotonic() - start
    finally:
        await rt.close()
    # The pass of three doubled the window: the lone write waited 0.4 s, not 0.2 s.
    assert took >= 2 * base - 0.01, took
