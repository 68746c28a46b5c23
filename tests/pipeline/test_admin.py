"""GET /api/v1/admin/pipeline: operators only; queue length, per-cycle figures, failures."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from app.auth.models import User
from app.pipeline.service import schedule_cycle
from app.plans import service as plans_service
from tests.conftest import assert_problem
from tests.logs.helpers import set_goal
from tests.pipeline.helpers import Clock, run_jobs, today_noon


async def make_admin(app, user) -> None:
    async with app.state.resources.sessionmaker() as s:
        await s.execute(sa.update(User).where(User.id == uuid.UUID(user.id)).values(is_admin=True))
        await s.commit()


async def test_admin_only(client, user):
    r = await client.get("/api/v1/admin/pipeline", headers=user.headers)
    assert_problem(r, 403, "forbidden")
    r = await client.get("/api/v1/admin/pipeline")
    assert_problem(r, 401)


async def test_cycle_figures(app, client, make_ctx, make_user):
    admin = await make_user(tz="UTC")
    await make_admin(app, admin)
    ok = await make_user(tz="UTC")
    broken = await make_user(tz="UTC")
    now = today_noon()
    for u in (ok, broken):
        await set_goal(client, u, effective_from=str(now.date() - dt.timedelta(days=3)))

    clock = Clock(now)

    async def sometimes(session, cache, requests, llm):
        ok_requests = [r for r in requests if str(r.user_id) != broken.id]
        out = await plans_service.generate_many(session, cache, ok_requests, llm)
        out.update({r.user_id: RuntimeError("boom") for r in requests if r not in ok_requests})
        return out

    ctx = make_ctx(generate=sometimes, clock=clock, config={"max_attempts": 1})
    # The app's admin view reads the app's queue: enqueue there, then look before running.
    ctx.queue = app.state.pipeline.queue
    await schedule_cycle(ctx, now)
    r = await client.get("/api/v1/admin/pipeline", headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    # One job: the three users share a local date, so they are planned together.
    assert body["queue_length"] == 1
    await run_jobs(ctx)

    body = (await client.get("/api/v1/admin/pipeline", headers=admin.headers)).json()
    assert body["queue_length"] == 0
    (cycle,) = body["cycles"]
    assert cycle["enqueued"] == 3 and cycle["processed"] == 3
    assert cycle["failures"] == 1 and cycle["skipped"] == 1 and cycle["fallbacks"] == 0
    assert body["runs_by_status"] == {"done": 1, "failed": 1, "skipped": 1}
    (failure,) = body["recent_failures"]
    assert failure["user_id"] == broken.id and "boom" in failure["last_error"]
    assert body["jobs_processed"] >= 1
