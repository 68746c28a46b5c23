"""Live sync with Fitbit's Web API (a local stand-in speaking its documented endpoints):
connecting, tokens encrypted at rest, refresh with rotation, retries, the provider budget, and
the nightly run using it or falling back to baseline."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest
import sqlalchemy as sa

from app.activities import sync
from app.activities.models import Activity, TrackerConnection
from app.activities.trackers_router import cipher, fitbit_api
from app.pipeline import service as pipeline_service
from app.pipeline.limits import ProviderLimiter
from tests.activities.fake_fitbit import FakeFitbit
from tests.activities.test_trackers import make_zip
from tests.conftest import assert_problem, create_user
from tests.pipeline import conftest as pipeline_conftest
from tests.pipeline.helpers import Clock, cycle_and_run, get_run, today_noon
from tests.training.helpers import set_profile
from tests.training.test_workouts import bench_workout
from tests.users.helpers import put_profile

# The pipeline tests' fixture: a pipeline context over the test app's database and cache.
make_ctx = pipeline_conftest.make_ctx

RUN = {
    "logId": 9001,
    "activityParentName": "Run",
    "name": "Run",
    "calories": 420,
    "duration": 2_400_000,
    "distance": 6.2,
    "startTime": "07:15",
    "steps": 6000,
}


def night(log_id: int, day: dt.date, minutes_asleep: int) -> dict:
    """A sleep log as GET /1.2/user/-/sleep/date/{date}.json answers it (fields trimmed)."""
    start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(23, 5))
    return {
        "logId": log_id,
        "dateOfSleep": day.isoformat(),
        "startTime": start.strftime("%Y-%m-%dT%H:%M:%S.000"),
        "endTime": (start + dt.timedelta(minutes=minutes_asleep + 53)).strftime(
            "%Y-%m-%dT%H:%M:%S.000"
        ),
        "duration": (minutes_asleep + 53) * 60_000,
        "minutesAsleep": minutes_asleep,
        "minutesAwake": 53,
        "timeInBed": minutes_asleep + 53,
        "efficiency": 88,
        "isMainSleep": True,
        "logType": "auto_detected",
        "type": "stages",
    }


@pytest.fixture
async def fake():
    server = FakeFitbit()
    await server.start()
    yield server
    await server.close()


def settings_for(fake: FakeFitbit) -> dict:
    return {
        "fitbit_client_id": fake.client_id,
        "fitbit_client_secret": fake.client_secret,
        "fitbit_api_url": fake.url,
    }


async def connect(c, user, fake: FakeFitbit) -> dict:
    r = await c.post(
        "/api/v1/trackers/fitbit/connect",
        json={"code": fake.code, "redirect_uri": "https://app.example/cb"},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_connect_stores_tokens_encrypted(client_factory, fake):
    async with client_factory(**settings_for(fake)) as c:
        user = await create_user(c)
        body = await connect(c, user, fake)
        assert body["provider"] == "fitbit" and body["external_user_id"] == "ABC123"
        async with c.app.state.resources.sessionmaker() as s:
            row = await s.scalar(sa.select(TrackerConnection))
        # Encrypted at rest: neither token appears in the stored values.
        assert "access-1" not in row.access_token_enc and "refresh-1" not in row.refresh_token_enc
        key = cipher(c.app.state.settings)
        assert key.decrypt(row.access_token_enc) == "access-1"
        assert key.decrypt(row.refresh_token_enc) == "refresh-1"
        listed = (await c.get("/api/v1/trackers", headers=user.headers)).json()["items"]
        assert [i["provider"] for i in listed] == ["fitbit"]
        assert "token" not in str(listed)
        # A code is good once: Fitbit answers invalid_grant, we answer 422.
        r = await c.post(
            "/api/v1/trackers/fitbit/connect",
            json={"code": "auth-code", "redirect_uri": "https://app.example/cb"},
            headers=user.headers,
        )
        assert_problem(r, 422, "tracker-connect-failed")
        assert (await c.delete("/api/v1/trackers/fitbit", headers=user.headers)).status_code == 204
        assert_problem(await c.delete("/api/v1/trackers/fitbit", headers=user.headers), 404)


async def test_connect_without_configuration_is_404(client, user):
    r = await client.post(
        "/api/v1/trackers/fitbit/connect",
        json={"code": "x", "redirect_uri": "https://app.example/cb"},
        headers=user.headers,
    )
    assert_problem(r, 404, "provider-not-configured")


async def nightly(make_ctx, c, fake, user_ids, now, limiter_per_minute=50):
    settings = c.app.state.settings
    res = c.app.state.resources
    http = httpx.AsyncClient(timeout=5.0)
    limiter = ProviderLimiter(res.limiter, limiter_per_minute)
    api = fitbit_api(settings, http, limiter)
    api.backoff_s = 0.01
    provider = sync.FitbitSync(res.sessionmaker, cipher(settings), api)
    ctx = make_ctx(providers=[provider], clock=Clock(now))
    try:
        await cycle_and_run(ctx, now)
    finally:
        await http.aclose()
    return {uid: await get_run(ctx, uid, now.date()) for uid in user_ids}


async def test_nightly_run_uses_live_sync_and_falls_back(make_ctx, client_factory, fake):
    now = today_noon()
    day = now.date()
    yesterday = day - dt.timedelta(days=1)
    fake.days[yesterday.isoformat()] = {
        "activities": [RUN],
        "summary": {"steps": 12_345, "caloriesOut": 2900},
    }
    # Last night (dateOfSleep = yesterday) and the night before, which is not yesterday's.
    fake.nights = [night(7001, yesterday, 409), night(7000, yesterday - dt.timedelta(days=1), 300)]
    async with client_factory(**settings_for(fake)) as c:
        linked, plain = await create_user(c, tz="UTC"), await create_user(c, tz="UTC")
        for u in (linked, plain):
            await put_profile(c, u, add_activity_kcal=True)
        got = (await c.get("/api/v1/targets", headers=linked.headers)).json()
        base = got["targets"]["kcal"] if "targets" in got else got["kcal"]
        await connect(c, linked, fake)
        before = len(fake.requests)
        runs = await nightly(make_ctx, c, fake, [linked.id, plain.id], now)
        assert runs[linked.id].activity_source == "activity"
        assert runs[plain.id].activity_source == "baseline"  # not connected: as before
        # Only the connected user cost API calls: yesterday's activities, the nights of the
        # window in one call, then the two days before yesterday again (Fitbit may have
        # revised them).
        paths = [r.path for r in fake.requests[before:]]
        first = yesterday - dt.timedelta(days=2)
        assert paths == [
            f"/1/user/-/activities/date/{yesterday}.json",
            f"/1.2/user/-/sleep/date/{first}/{yesterday}.json",
            f"/1/user/-/activities/date/{yesterday - dt.timedelta(days=1)}.json",
            f"/1/user/-/activities/date/{first}.json",
        ]
        plan = (await c.get(f"/api/v1/plans/{day}", headers=linked.headers)).json()
        assert plan["targets"]["kcal"] == pytest.approx(base + 420, abs=2)
        async with c.app.state.resources.sessionmaker() as s:
            rows = list(
                await s.scalars(sa.select(Activity).where(Activity.user_id == uuid.UUID(linked.id)))
            )
        # The night before yesterday came with the re-read window, on its own date.
        earlier = [(r.date, r.activity_type, r.duration_min) for r in rows if r.date != yesterday]
        assert earlier == [(yesterday - dt.timedelta(days=1), "sleep", 300.0)]
        rows = [r for r in rows if r.date == yesterday]
        got = {r.activity_type: r for r in rows}
        assert got["running"].kcal == 420 and got["running"].duration_min == 40.0
        assert got["running"].distance_km == 6.2 and got["running"].date == yesterday
        assert got["daily_steps"].steps == 12_345
        # Sleep: minutes asleep on its date; it adds nothing to the day's energy (checked
        # above: base + the run's 420 kcal only).
        assert (got["sleep"].date, got["sleep"].duration_min) == (yesterday, 409.0)
        assert got["sleep"].kcal is None
        assert len(rows) == 3
        assert {r.source for r in rows} == {"fitbit"}


async def test_expired_token_is_refreshed_and_rotated(make_ctx, client_factory, fake):
    now = today_noon()
    fake.days[(now.date() - dt.timedelta(days=1)).isoformat()] = {"activities": [RUN]}
    async with client_factory(**settings_for(fake)) as c:
        user = await create_user(c, tz="UTC")
        await put_profile(c, user, add_activity_kcal=True)
        await connect(c, user, fake)
        # Fitbit revoked the access token (not yet expired by our clock): 401, refresh, retry.
        fake.access_token = "rotated-elsewhere"
        runs = await nightly(make_ctx, c, fake, [user.id], now)
        assert runs[user.id].activity_source == "activity"
        assert fake.refreshes == 1
        async with c.app.state.resources.sessionmaker() as s:
            row = await s.scalar(sa.select(TrackerConnection))
        key = cipher(c.app.state.settings)
        # The new refresh token was stored (the old one no longer works at Fitbit).
        assert key.decrypt(row.refresh_token_enc) == fake.refresh_token == "refresh-2"
        assert row.last_synced_at is not None and row.last_error is None


async def test_transient_errors_are_retried_then_baseline(make_ctx, client_factory, fake):
    now = today_noon()
    fake.days[(now.date() - dt.timedelta(days=1)).isoformat()] = {"activities": [RUN]}
    async with client_factory(**settings_for(fake)) as c:
        ok_user, bad_user = await create_user(c, tz="UTC"), await create_user(c, tz="UTC")
        for u in (ok_user, bad_user):
            await put_profile(c, u, add_activity_kcal=True)
            await connect(c, u, fake)
            fake.code = "auth-code"
        # First user: three failures for the activities. Second user: two failures then
        # success for the activities, then three failures for the sleep log.
        fake.fail_next = [500, 429, 503, 503, 503, 200, 503, 503, 503]
        runs = await nightly(make_ctx, c, fake, [ok_user.id, bad_user.id], now)
        sources = sorted(r.activity_source for r in runs.values())
        # A failed sleep log costs the day nothing else: that user's activities were kept.
        assert sources == ["activity", "baseline"]
        assert all(r.status == "done" for r in runs.values())
        async with c.app.state.resources.sessionmaker() as s:
            errors = sorted(
                r.last_error or "" for r in await s.scalars(sa.select(TrackerConnection))
            )
        assert errors[0].startswith("fitbit /1/user/-/activities/date/")
        assert errors[1].startswith("sleep: fitbit /1.2/user/-/sleep/date/")
        assert all("HTTP 503 after 3 attempts" in e for e in errors)


async def test_every_call_spends_the_provider_budget(make_ctx, client_factory, fake):
    now = today_noon()
    async with client_factory(**settings_for(fake)) as c:
        user = await create_user(c, tz="UTC")
        await connect(c, user, fake)
        res = c.app.state.resources
        limiter = ProviderLimiter(res.limiter, 1)
        async with httpx.AsyncClient() as http:
            api = fitbit_api(c.app.state.settings, http, limiter)
            await api.daily(fake.access_token, now.date())
            # The budget (1 a minute) is spent: the next call would wait ~60 s, past its limit.
            with pytest.raises(Exception, match="rate limit"):
                await api.daily(fake.access_token, now.date())


async def test_sleep_sync_is_idempotent_with_the_export(make_ctx, client_factory, fake):
    """The same night from the account export and from live sync, twice: one row."""
    now = today_noon()
    yesterday = now.date() - dt.timedelta(days=1)
    fake.nights = [night(8001, yesterday, 431)]
    export = make_zip(
        {"MyFitbitData/Jane/Sleep/sleep-0.json": json.dumps([night(8001, yesterday, 431)])}
    )
    async with client_factory(**settings_for(fake)) as c:
        user = await create_user(c, tz="UTC")
        await put_profile(c, user, add_activity_kcal=True)
        await connect(c, user, fake)
        r = await c.post(
            "/api/v1/activities/import/fitbit",
            files={"file": ("export.zip", export, "application/zip")},
            headers=user.headers,
        )
        assert r.json()["imported"] == 1, r.text
        runs = await nightly(make_ctx, c, fake, [user.id], now)
        assert runs[user.id].activity_source == "activity"
        settings, res = c.app.state.settings, c.app.state.resources
        async with httpx.AsyncClient(timeout=5.0) as http:
            api = fitbit_api(settings, http, ProviderLimiter(res.limiter, 50))
            provider = sync.FitbitSync(res.sessionmaker, cipher(settings), api)
            ctx = make_ctx(providers=[provider], clock=Clock(now))
            async with res.sessionmaker() as s:
                source = await pipeline_service.import_yesterday(
                    ctx, s, uuid.UUID(user.id), yesterday
                )
        assert source == "activity"
        async with res.sessionmaker() as s:
            rows = list(
                await s.scalars(sa.select(Activity).where(Activity.activity_type == "sleep"))
            )
        assert [(r.date, r.duration_min, r.source) for r in rows] == [(yesterday, 431.0, "fitbit")]


async def test_without_the_sleep_scope_the_day_has_no_sleep(make_ctx, client_factory, fake):
    now = today_noon()
    yesterday = now.date() - dt.timedelta(days=1)
    fake.scope = "activity"  # the user did not grant sleep: Fitbit answers 403
    fake.days[yesterday.isoformat()] = {"activities": [RUN], "summary": {"steps": 900}}
    fake.nights = [night(9001, yesterday, 400)]
    async with client_factory(**settings_for(fake)) as c:
        user = await create_user(c, tz="UTC")
        await put_profile(c, user, add_activity_kcal=True)
        await connect(c, user, fake)
        runs = await nightly(make_ctx, c, fake, [user.id], now)
        assert runs[user.id].activity_source == "activity"
        async with c.app.state.resources.sessionmaker() as s:
            kinds = sorted(r.activity_type for r in await s.scalars(sa.select(Activity)))
            row = await s.scalar(sa.select(TrackerConnection))
        assert kinds == ["daily_steps", "running"]
        assert row.last_error is None


def kcal_of(body: dict) -> float:
    return float(body["targets"]["kcal"] if "targets" in body else body["kcal"])


async def test_resync_updates_revised_days_and_nights_in_place(make_ctx, client_factory, fake):
    """Fitbit revises a day after the first sync (the tracker synced the evening late, a run's
    calories were corrected, an exercise deleted, the night edited and logged again under a
    new logId): the next night's sync updates the stored day in place, with no duplicate row
    and the activity energy counted once."""
    now = today_noon()
    day = now.date()
    yesterday = day - dt.timedelta(days=1)
    walk = {**RUN, "logId": 9002, "activityParentName": "Walk", "name": "Walk", "calories": 150}
    fake.days[yesterday.isoformat()] = {
        "activities": [RUN, walk],
        "summary": {"steps": 8_000},
    }
    fake.nights = [night(7101, yesterday, 380)]
    async with client_factory(**settings_for(fake)) as c:
        user = await create_user(c, tz="UTC")
        await put_profile(c, user, add_activity_kcal=True)
        base = kcal_of((await c.get("/api/v1/targets", headers=user.headers)).json())
        await connect(c, user, fake)
        runs = await nightly(make_ctx, c, fake, [user.id], now)
        assert runs[user.id].activity_source == "activity"
        first = kcal_of((await c.get(f"/api/v1/targets?date={day}", headers=user.headers)).json())
        assert first == pytest.approx(base + 420 + 150, abs=2)

        fake.days[yesterday.isoformat()] = {
            "activities": [{**RUN, "calories": 480, "duration": 2_700_000}],
            "summary": {"steps": 12_345},
        }
        fake.nights = [night(7102, yesterday, 431)]
        fake.days[day.isoformat()] = {"activities": [], "summary": {"steps": 4_000}}
        before = len(fake.requests)
        tomorrow = now + dt.timedelta(days=1)
        runs = await nightly(make_ctx, c, fake, [user.id], tomorrow)
        assert runs[user.id].status == "done"
        paths = [r.path for r in fake.requests[before:]]
        assert f"/1/user/-/activities/date/{yesterday}.json" in paths
        assert f"/1.2/user/-/sleep/date/{yesterday - dt.timedelta(days=1)}/{day}.json" in paths

        async with c.app.state.resources.sessionmaker() as s:
            rows = list(
                await s.scalars(
                    sa.select(Activity)
                    .where(Activity.user_id == uuid.UUID(user.id))
                    .order_by(Activity.date, Activity.activity_type)
                )
            )
        got = [(r.date, r.activity_type, r.kcal, r.duration_min, r.steps) for r in rows]
        assert got == [
            (yesterday, "daily_steps", None, 0.0, 12_345),
            (yesterday, "running", 480.0, 45.0, 6000),
            (yesterday, "sleep", None, 431.0, None),
            (day, "daily_steps", None, 0.0, 4_000),
        ]
        # The day's energy holds the revised run once: not 420 + 480, and no deleted walk.
        again = kcal_of((await c.get(f"/api/v1/targets?date={day}", headers=user.headers)).json())
        assert again == pytest.approx(base + 480, abs=2)
        daily = (
            await c.get(
                f"/api/v1/activities/daily?start={yesterday}&end={yesterday}",
                headers=user.headers,
            )
        ).json()
        totals = daily["days"][0]
        assert (totals["kcal"], totals["steps"]) == (480.0, 12_345)

        # A third night with nothing revised changes nothing (idempotent).
        stamp = {r.id: r.updated_at for r in rows}
        await nightly(make_ctx, c, fake, [user.id], tomorrow + dt.timedelta(days=1))
        async with c.app.state.resources.sessionmaker() as s:
            after = list(
                await s.scalars(
                    sa.select(Activity).where(
                        Activity.user_id == uuid.UUID(user.id), Activity.date <= day
                    )
                )
            )
        assert {r.id: r.updated_at for r in after} == stamp


async def test_a_failed_earlier_day_keeps_what_was_stored(make_ctx, client_factory, fake):
    """Re-reading the days before yesterday is best effort: when it fails, those days keep
    their stored rows (nothing deleted) and yesterday's plan still uses the activity."""
    now = today_noon()
    yesterday = now.date() - dt.timedelta(days=1)
    before_day = yesterday - dt.timedelta(days=1)
    fake.days[before_day.isoformat()] = {"activities": [RUN], "summary": {"steps": 7_000}}
    async with client_factory(**settings_for(fake)) as c:
        user = await create_user(c, tz="UTC")
        await put_profile(c, user, add_activity_kcal=True)
        await connect(c, user, fake)
        await nightly(make_ctx, c, fake, [user.id], now - dt.timedelta(days=1))
        fake.days[yesterday.isoformat()] = {"activities": [], "summary": {"steps": 3_000}}
        # Yesterday's activities and the nights answer; then the day before fails three times.
        fake.fail_next = [200, 200, 503, 503, 503]
        runs = await nightly(make_ctx, c, fake, [user.id], now)
        assert runs[user.id].activity_source == "activity"
        async with c.app.state.resources.sessionmaker() as s:
            kinds = sorted((r.date, r.activity_type) for r in await s.scalars(sa.select(Activity)))
            row = await s.scalar(sa.select(TrackerConnection))
        assert kinds == [
            (before_day, "daily_steps"),
            (before_day, "running"),
            (yesterday, "daily_steps"),
        ]
        assert row.last_error.startswith(f"{before_day}: fitbit /1/user/-/activities/date/")


async def test_a_synced_session_counts_a_logged_workout_once_across_revisions(
    make_ctx, client_factory, fake
):
    """A strength workout logged in the app and the same session synced from Fitbit count
    once; when Fitbit logs the session again under a new logId, the workout follows it, and
    when Fitbit drops it, the workout counts as its own activity again."""
    now = today_noon()
    yesterday = now.date() - dt.timedelta(days=1)
    weights = {
        "logId": 9101,
        "activityParentName": "Weights",
        "name": "Weights",
        "calories": 310,
        "duration": 3_300_000,
        "startTime": "17:00",
    }
    fake.days[yesterday.isoformat()] = {"activities": [weights], "summary": {"steps": 4_000}}
    async with client_factory(**settings_for(fake)) as c:
        user = await create_user(c, tz="UTC")
        await put_profile(c, user, add_activity_kcal=True)
        await set_profile(c, user, weight_kg=80)
        r = await c.post(
            "/api/v1/workouts",
            json=bench_workout(date=None, started_at=f"{yesterday}T17:05:00Z"),
            headers=user.headers,
        )
        assert r.status_code == 201, r.text
        workout = r.json()
        await connect(c, user, fake)
        await nightly(make_ctx, c, fake, [user.id], now)

        async def day_and_link() -> tuple[dict, str]:
            r = await c.get(
                "/api/v1/activities/daily",
                params={"start": str(yesterday), "end": str(yesterday)},
                headers=user.headers,
            )
            w = await c.get(f"/api/v1/workouts/{workout['id']}", headers=user.headers)
            return r.json()["days"][0], w.json()["activity_id"]

        day, linked = await day_and_link()
        assert (day["activities"], day["kcal"]) == (1, 310.0)
        first = linked
        assert first != workout["activity_id"]

        fake.days[yesterday.isoformat()] = {
            "activities": [{**weights, "logId": 9102, "calories": 330}],
            "summary": {"steps": 4_500},
        }
        await nightly(make_ctx, c, fake, [user.id], now + dt.timedelta(days=1))
        day, linked = await day_and_link()
        assert (day["activities"], day["kcal"], day["steps"]) == (1, 330.0, 4_500)
        assert linked is not None and linked != first
        r = await c.get(f"/api/v1/activities/{linked}", headers=user.headers)
        assert (r.json()["source"], r.json()["kcal"]) == ("fitbit", 330.0)

        # Fitbit drops the session: the workout counts as its own activity again, once.
        fake.days[yesterday.isoformat()] = {"activities": [], "summary": {"steps": 4_500}}
        await nightly(make_ctx, c, fake, [user.id], now + dt.timedelta(days=2))
        day, linked = await day_and_link()
        assert linked is not None and linked != first
        r = await c.get(f"/api/v1/activities/{linked}", headers=user.headers)
        own = r.json()
        assert (own["source"], own["activity_type"]) == ("workout", "strength_training")
        assert own["kcal"] == workout["kcal"] and own["kcal"] > 0
        assert (day["activities"], day["kcal"]) == (1, own["kcal"])
