"""The per-user job: plan stored and cached, activity or baseline, fallback, retries, failure."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.core.cache import user_scope
from app.pipeline.service import plan_user_day, schedule_cycle
from app.workouts.importers import ImportedActivity
from tests.logs.helpers import set_goal
from tests.pipeline.helpers import Clock, cycle_and_run, get_run, notifications, today_noon
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

    # Cached for the plan endpoints (which read the cache first) ...
    cached, _ = await app.state.resources.cache.get(user_scope(user.id), f"plan:{day}")
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
