"""GET /api/v1/admin/pipeline: operators only; queue length, per-cycle figures, failures."""

from __future__ import annotations

import datetime as dt

from app.auth.models import User
from app.pipeline.models import PlanRun
from app.pipeline.service import schedule_cycle
from app.plans import service as plans_service
from tests.admin.helpers import make_admin
from tests.conftest import assert_problem
from tests.logs.helpers import set_goal
from tests.pipeline.helpers import Clock, run_jobs, today_noon


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


async def test_prometheus_metrics(client, client_factory, make_user):
    # Off unless a token is configured.
    assert_problem(await client.get("/metrics"), 404, "not-found")

    async with client_factory(metrics_token="scrape-token") as c:
        assert_problem(await c.get("/metrics"), 401)
        r = await c.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert_problem(r, 401)

        sessionmaker = c.app.state.resources.sessionmaker
        now = today_noon()
        async with sessionmaker() as s:
            users = []
            for i in range(3):
                u = User(email=f"m{i}@example.com", password_hash="x", timezone="UTC")
                s.add(u)
                users.append(u)
            await s.flush()
            for u, status in zip(users, ("done", "failed", "queued"), strict=True):
                s.add(
                    PlanRun(
                        user_id=u.id,
                        date=now.date(),
                        status=status,
                        attempts=1,
                        fallback=status == "failed",
                        cycle_at=now,
                    )
                )
            await s.commit()

        r = await c.get("/metrics", headers={"Authorization": "Bearer scrape-token"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        samples = {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in r.text.splitlines()
            if line and not line.startswith("#")
        }
        assert samples["nexfitra_pipeline_queue_length"] == 0
        assert samples['nexfitra_pipeline_runs{status="done"}'] == 1
        assert samples['nexfitra_pipeline_runs{status="failed"}'] == 1
        assert samples['nexfitra_pipeline_runs{status="queued"}'] == 1
        assert samples['nexfitra_pipeline_runs{status="retry"}'] == 0
        assert samples["nexfitra_pipeline_last_cycle_enqueued"] == 3
        assert samples["nexfitra_pipeline_last_cycle_processed"] == 2
        assert samples["nexfitra_pipeline_last_cycle_failures"] == 1
        assert samples["nexfitra_pipeline_last_cycle_fallbacks"] == 1
        assert samples["nexfitra_pipeline_last_cycle_timestamp_seconds"] == now.timestamp()
        assert "# TYPE nexfitra_pipeline_jobs_processed_total counter" in r.text
