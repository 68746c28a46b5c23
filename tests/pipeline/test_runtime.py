"""The loops the worker (or, without Redis, the API process) runs, end to end."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx

from app.pipeline.worker import Runtime
from tests.logs.helpers import set_goal
from tests.pipeline.helpers import Clock, get_run, notifications, today_noon


async def test_runtime_schedules_generates_and_notifies(make_ctx, client, make_user):
    user = await make_user(tz="UTC")
    now = today_noon()
    await set_goal(client, user, effective_from=str(now.date() - dt.timedelta(days=2)))
    ctx = make_ctx(clock=Clock(now), config={"notify_interval_s": 1})
    runtime = Runtime(ctx, httpx.AsyncClient())
    runtime.start(consume=True, schedule=True)
    try:
        for _ in range(100):
            notes = await notifications(ctx, user.id)
            if notes and notes[0].status == "sent":
                break
            await asyncio.sleep(0.1)
        run = await get_run(ctx, user.id, now.date())
        assert run.status == "done"
        assert [n.status for n in notes] == ["sent"]
    finally:
        await runtime.close()
    assert all(t.done() for t in runtime.tasks)


async def test_user_made_plan_is_kept(make_ctx, client, make_user):
    user = await make_user(tz="UTC")
    now = today_noon()
    day = now.date()
    await set_goal(client, user, effective_from=str(day - dt.timedelta(days=2)))
    ctx = make_ctx(clock=Clock(now))
    from app.pipeline.service import handlers, schedule_cycle

    await schedule_cycle(ctx, now)
    # The user plans the day by hand before the worker gets to it.
    r = await client.post("/api/v1/plans/generate", json={"start": str(day)}, headers=user.headers)
    assert r.status_code == 201
    created = r.json()["plans"][0]["created_at"]
    await ctx.queue.work(handlers(ctx), until_empty=True)
    assert (await get_run(ctx, user.id, day)).status == "done"
    r = await client.get(f"/api/v1/plans/{day}", headers=user.headers)
    assert r.json()["created_at"] == created
