"""The per-user job: plan stored and cached, activity or baseline, fallback, retries, failure."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.activities.importers import ImportedActivity
from app.auth import service as auth_service
from app.core.cache import user_scope
from app.pipeline.service import plan_user_day, schedule_cycle
from tests.logs.helpers import set_goal
from tests.pipeline.helpers import (
    Clock,
    cycle_and_run,
    get_run,
    notifications,
    run_jobs,
    today_noon,
)
from tests.users.helpers import put_profile


async def test_job_stores_caches_and_schedules_notification(make_ctx, client, app, make_user):
    user = await make_user(tz="UTC")
    now = today_noon()
    ctx = make_ctx(clock=Clock(now))
    day = now.date()
    await set_goal(client, user, effective_from=str(day - dt.timedelta(days=5)))
    result = await cycle_and_run(ctx, now)
    assert result.enqueued == 1
    run = await get_run(ctx, user.id, day)
    assert (run.status, run.attempts, run.fallback) == ("done", 1, False)
    assert run.activity_source == "baseline"
    assert await ctx.queue.length() == 0

    # Cached for the plan endpoints (which read the cache first), under the key they read ...
    cache = app.state.resources.cache
    async with ctx.sessionmaker() as session:
        sfx, _ = await auth_service.cache_state(session, cache, uuid.UUID(user.id))
    cached, _ = await cache.get(user_scope(user.id), f"plan:{day}{sfx}")
    assert cached is not None and f'"date":"{day}"' in cached
    # ... and stored in the database.
    r = await client.get(f"/api/v1/plans/{day}", headers=user.headers)
    assert r.status_code == 200 and r.json()["date"] == str(day)

    # Due at the wake time (07:00 local) unless that has passed: then at once.
    (note,) = await notifications(ctx, user.id)
    assert note.kind == "plan.ready" and note.status == "pending"
    assert note.next_attempt_at == now
    assert note.payload["date"] == str(day) and note.payload["fallback"] is False

    # A duplicate job (a redelivered message) finds the run finished and does nothing.
    assert await plan_user_day(ctx, uuid.UUID(user.id), day) == "skipped-claim"
    assert (await schedule_cycle(ctx, now + dt.timedelta(minutes=15))).enqueued == 0


async def test_notification_waits_for_wake_time(make_ctx, client, make_user):
    user = await make_user(tz="Asia/Kolkata")
    r = await client.patch(
        "/api/v1/users/me/profile", json={"wake_time": "06:30"}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    today = dt.datetime.now(dt.UTC).date()
    await set_goal(client, user, effective_from=str(today - dt.timedelta(days=5)))
    # 03:05 in Kolkata on `today` is 21:35 UTC the day before.
    now = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(21, 35), tzinfo=dt.UTC)
    ctx = make_ctx(clock=Clock(now))
    await cycle_and_run(ctx, now)
    (note,) = await notifications(ctx, user.id)
    assert note.date == today
    assert note.next_attempt_at == dt.datetime.combine(today, dt.time(1, 0), tzinfo=dt.UTC)


class Provider:
    name = "testtracker"

    def __init__(self, kcal: float | None = None) -> None:
        self.kcal = kcal
        self.calls: list[dt.date] = []

    async def fetch(self, user_id: uuid.UUID, day: dt.date) -> list[ImportedActivity]:
        self.calls.append(day)
        if self.kcal is None:
            raise ConnectionError("provider answered 503")
        start = dt.datetime.combine(day, dt.time(7), tzinfo=dt.UTC)
        return [
            ImportedActivity(start, day, "running", 60, 10.0, self.kcal, None, self.name, "run-1")
        ]


@pytest.mark.parametrize("provider_kcal", [None, 600.0])
async def test_activity_import_or_baseline(make_ctx, client, make_user, provider_kcal):
    user = await make_user(tz="UTC")
    await put_profile(client, user, add_activity_kcal=True)
    now = today_noon()
    day = now.date()
    provider = Provider(provider_kcal)
    ctx = make_ctx(providers=[provider], clock=Clock(now))
    r = await client.get("/api/v1/targets", headers=user.headers)
    assert r.status_code == 200, r.text
    baseline_kcal = r.json()["targets"]["kcal"] if "targets" in r.json() else r.json()["kcal"]

    await cycle_and_run(ctx, now)
    run = await get_run(ctx, user.id, day)
    assert provider.calls == [day - dt.timedelta(days=1)]
    assert run.status == "done"
    plan = (await client.get(f"/api/v1/plans/{day}", headers=user.headers)).json()
    if provider_kcal is None:
        # The import failed: the baseline targets (no activity added) are planned for.
        assert run.activity_source == "baseline"
        assert plan["targets"]["kcal"] == pytest.approx(baseline_kcal, abs=1)
    else:
        assert run.activity_source == "activity"
        assert plan["targets"]["kcal"] == pytest.approx(baseline_kcal + provider_kcal, abs=2)


async def test_failing_generation_falls_back_retries_then_records(make_ctx, client, make_user):
    user = await make_user(tz="UTC")
    now = today_noon()
    day = now.date()
    yesterday = day - dt.timedelta(days=1)
    await set_goal(client, user, effective_from=str(day - dt.timedelta(days=5)))
    r = await client.post(
        "/api/v1/plans/generate", json={"start": str(yesterday)}, headers=user.headers
    )
    assert r.status_code == 201, r.text
    previous = r.json()["plans"][0]

    calls = 0

    async def broken(*args, **kw):
        nonlocal calls
        calls += 1
        raise RuntimeError("solver exploded")

    clock = Clock(now)
    ctx = make_ctx(generate=broken, clock=clock)

    await cycle_and_run(ctx, clock.now)
    run = await get_run(ctx, user.id, day)
    assert (run.status, run.attempts, run.fallback) == ("retry", 1, True)
    assert "solver exploded" in (run.last_error or "")
    assert run.next_attempt_at == now + dt.timedelta(seconds=600)
    # Yesterday's plan, copied: the user still wakes to a plan.
    r = await client.get("/api/v1/plans/today", headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["date"] == str(day)
    assert [s["options"][0]["recipe_id"] for s in r.json()["slots"]] == [
        s["options"][0]["recipe_id"] for s in previous["slots"]
    ]

    # Not before the backoff has passed ...
    assert (await cycle_and_run(ctx, clock.advance(minutes=5))).retried == 0
    # ... then retried, with a doubled backoff, ...
    assert (await cycle_and_run(ctx, clock.advance(minutes=6))).retried == 1
    run = await get_run(ctx, user.id, day)
    assert (run.status, run.attempts) == ("retry", 2)
    assert run.next_attempt_at == clock.now + dt.timedelta(seconds=1200)
    # ... and after the third attempt the failure is recorded.
    assert (await cycle_and_run(ctx, clock.advance(minutes=21))).retried == 1
    run = await get_run(ctx, user.id, day)
    assert (run.status, run.attempts, run.fallback) == ("failed", 3, True)
    assert run.next_attempt_at is None and "solver exploded" in (run.last_error or "")
    assert calls == 3
    assert (await cycle_and_run(ctx, clock.advance(hours=6))).enqueued == 0
    assert calls == 3
    # One notification for the day, flagged as a fallback.
    (note,) = await notifications(ctx, user.id)
    assert note.payload["fallback"] is True


async def test_user_without_targets_is_skipped_not_failed(ctx, make_user):
    user = await make_user(tz="UTC")
    now = today_noon()
    await cycle_and_run(ctx, now)
    run = await get_run(ctx, user.id, now.date())
    assert run.status == "skipped" and not run.fallback


async def test_failed_import_plans_for_baseline_even_with_stored_activity(
    make_ctx, client, make_user
):
    """An import that fails part-way may leave some of yesterday's activity stored: the
    baseline is planned for, not a partial figure."""
    user = await make_user(tz="UTC")
    await put_profile(client, user, add_activity_kcal=True)
    now = today_noon()
    day = now.date()
    baseline = (await client.get("/api/v1/targets", headers=user.headers)).json()
    baseline_kcal = baseline["targets"]["kcal"] if "targets" in baseline else baseline["kcal"]
    r = await client.post(
        "/api/v1/activities",
        json={
            "date": str(day - dt.timedelta(days=1)),
            "activity_type": "running",
            "duration_min": 30,
            "kcal": 400,
        },
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    # With the activity counted, the day's target is higher than the baseline ...
    counted = (await client.get(f"/api/v1/targets?date={day}", headers=user.headers)).json()
    counted_kcal = counted["targets"]["kcal"] if "targets" in counted else counted["kcal"]
    assert counted_kcal == pytest.approx(baseline_kcal + 400, abs=2)

    # ... but the provider fails, so the plan is made for the baseline.
    ctx = make_ctx(providers=[Provider(None)], clock=Clock(now))
    await cycle_and_run(ctx, now)
    run = await get_run(ctx, user.id, day)
    assert (run.status, run.activity_source) == ("done", "baseline")
    plan = (await client.get(f"/api/v1/plans/{day}", headers=user.headers)).json()
    assert plan["targets"]["kcal"] == pytest.approx(baseline_kcal, abs=1)


async def test_one_batch_with_every_outcome(make_ctx, client, make_user):
    """Users planned together keep their own outcomes: a plan, a skip (no targets), a
    failure with a fallback copy, and one who made today's plan themselves."""
    now = today_noon()
    day = now.date()
    yesterday = day - dt.timedelta(days=1)
    planned, no_targets, broken, own = [await make_user(tz="UTC") for _ in range(4)]
    for u in (planned, broken, own):
        await set_goal(client, u, effective_from=str(day - dt.timedelta(days=5)))
    r = await client.post(
        "/api/v1/plans/generate", json={"start": str(yesterday)}, headers=broken.headers
    )
    assert r.status_code == 201, r.text

    from app.plans import service as plans_service

    async def generate(session, cache, requests, llm):
        # The user who generated their own plan is not sent to the planner at all.
        assert {str(r.user_id) for r in requests} == {planned.id, no_targets.id, broken.id}
        fine = [r for r in requests if str(r.user_id) != broken.id]
        out = await plans_service.generate_many(session, cache, fine, llm)
        out[uuid.UUID(broken.id)] = RuntimeError("solver exploded")
        return out

    ctx = make_ctx(generate=generate, clock=Clock(now))
    result = await schedule_cycle(ctx, now)
    assert (result.created, result.jobs) == (4, 1)
    # After the run was scheduled, one user makes today's plan in the app.
    r = await client.post("/api/v1/plans/generate", json={"start": str(day)}, headers=own.headers)
    assert r.status_code == 201, r.text
    own_plan = r.json()["plans"][0]
    assert await run_jobs(ctx) == 1
    status = {u.id: (await get_run(ctx, u.id, day)).status for u in (planned, no_targets, broken)}
    assert status == {planned.id: "done", no_targets.id: "skipped", broken.id: "retry"}
    own_run = await get_run(ctx, own.id, day)
    assert own_run.status == "done"
    assert (await get_run(ctx, broken.id, day)).fallback is True

    r = await client.get(f"/api/v1/plans/{day}", headers=own.headers)
    assert r.json()["slots"] == own_plan["slots"]
    r = await client.get(f"/api/v1/plans/{day}", headers=planned.headers)
    assert r.status_code == 200 and r.json()["date"] == str(day)
    r = await client.get(f"/api/v1/plans/{day}", headers=no_targets.headers)
    assert r.status_code == 404
    # Notifications: the planned user and the fallback copy; none for the skipped user.
    assert len(await notifications(ctx, planned.id)) == 1
    assert len(await notifications(ctx, broken.id)) == 1
    assert await notifications(ctx, no_targets.id) == []
