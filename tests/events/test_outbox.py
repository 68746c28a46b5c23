"""Events are written with their change, relayed once, consumed exactly once in effect."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from app.core.eventbus import Delivery, create_bus
from app.events import insights, outbox
from app.events.models import OutboxEvent
from tests.conftest import BACKEND, ROOT, TEST_REDIS_URL, assert_problem
from tests.events.helpers import app_of, consumed, fresh_runtime, make_admin, outbox_rows
from tests.logs.helpers import add_log


async def announced_causes(client) -> list[str]:
    """The events the insights consumer applied, from its InsightsUpdated announcements (one
    per applied event id; a double application would list an id twice)."""
    rows = await outbox_rows(client, "InsightsUpdated")
    return sorted(c for e in rows for c in e.payload["causes"])


async def test_each_write_writes_its_event(client, user):
    entry = await add_log(client, user, description="toast", sodium_mg=300)
    r = await client.patch(f"/api/v1/logs/{entry['id']}", json={"kcal": 250}, headers=user.headers)
    assert r.status_code == 200
    r = await client.post(
        "/api/v1/weights", json={"weight_kg": 71.5, "date": "2024-03-04"}, headers=user.headers
    )
    assert r.status_code in (200, 201), r.text
    r = await client.delete(f"/api/v1/logs/{entry['id']}", headers=user.headers)
    assert r.status_code == 204
    rows = await outbox_rows(client)
    assert [e.type for e in rows] == [
        "FoodLogged",
        "FoodLogUpdated",
        "WeightLogged",
        "FoodLogDeleted",
    ]
    logged, updated, weight, deleted = rows
    assert all(str(e.user_id) == user.id and e.version == 1 for e in rows)
    assert logged.payload["entry_id"] == entry["id"]
    assert logged.payload["date"] == "2024-03-04"
    assert logged.payload["kcal"] == 400 and logged.payload["meal_type"] == "breakfast"
    assert updated.payload["kcal"] == 250 and updated.payload["previous_date"] == "2024-03-04"
    assert weight.payload == {"date": "2024-03-04", "weight_kg": 71.5, "replaced": False}
    assert deleted.payload["entry_id"] == entry["id"]
    assert all(e.published_at is None for e in rows)


async def test_a_refused_write_writes_no_event(client, user):
    entry = await add_log(client, user)
    # 60 g of protein cannot fit in 10 g of food: refused, and nothing is announced.
    r = await client.patch(
        f"/api/v1/logs/{entry['id']}",
        json={"grams": 10, "protein_g": 60},
        headers=user.headers,
    )
    assert_problem(r, 422)
    assert [e.type for e in await outbox_rows(client)] == ["FoodLogged"]


async def test_natural_and_bulk_logs_write_one_event_per_entry(client, user):
    r = await client.post(
        "/api/v1/logs/natural",
        json={"text": "2 eggs and a slice of toast", "meal_type": "breakfast"},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    entries = r.json()["entries"] if "entries" in r.json() else r.json()["items"]
    events = await outbox_rows(client, "FoodLogged")
    assert sorted(e.payload["entry_id"] for e in events) == sorted(x["id"] for x in entries)


async def test_relay_publishes_each_event_once_even_when_retried(client, user):
    for i in range(3):
        await add_log(client, user, description=f"meal {i}")
    rt = fresh_runtime(client)
    try:
        await rt.bus.ensure_group("probe")
        assert await rt.relay_now() == 3
        assert await rt.relay_now() == 0
        # A relay that died after publishing but before stamping the rows publishes again.
        async with app_of(client).state.resources.sessionmaker() as s:
            await s.execute(sa.update(OutboxEvent).values(published_at=None))
            await s.commit()
        assert await rt.relay_now() == 3  # stamped again ...
        seen = await rt.bus.read("probe", "c1", count=100, block_ms=0)
        assert len(seen) == 3  # ... but each reached the stream once
        assert {d.event["payload"]["description"] for d in seen} == {"meal 0", "meal 1", "meal 2"}
        rows = await outbox_rows(client)
        assert all(e.published_at is not None for e in rows)
    finally:
        await rt.bus.close()


@pytest.mark.skipif(BACKEND != "server", reason="a Redis outage needs Redis")
async def test_redis_down_writes_succeed_and_events_wait(client_factory):
    from tests.conftest import create_user

    async with client_factory(redis_url="redis://127.0.0.1:1/0") as c:
        user = await create_user(c)
        entry = await add_log(c, user)
        assert entry["kcal"] == 400
        down = fresh_runtime(c, bus=create_bus("redis://127.0.0.1:1/0"))
        with pytest.raises(Exception):  # noqa: B017 - any connection error
            await down.relay_now()
        await down.bus.close()
        waiting = await outbox_rows(c)
        assert [e.type for e in waiting] == ["FoodLogged"]
        assert waiting[0].published_at is None
        # Redis is back: the waiting event goes out, once.
        up = fresh_runtime(c, bus=create_bus(TEST_REDIS_URL))
        try:
            await up.bus.ensure_group("probe")
            assert await up.relay_now() == 1
            got = await up.bus.read("probe", "c1", count=10, block_ms=0)
            assert [d.event["payload"]["entry_id"] for d in got] == [entry["id"]]
        finally:
            await up.bus.close()


async def test_insights_consumer_applies_a_redelivered_event_once(client, user):
    await add_log(client, user, sodium_mg=800)
    await add_log(client, user, description="soup", sodium_mg=900)
    rt = fresh_runtime(client, claim_idle_s=0.001)
    try:
        runner = rt.runner(insights.CONSUMER, name="a")
        await runner.bus.ensure_group("insights")
        await rt.relay_now()
        assert await runner.drain() == 2
        first = await consumed(client)
        assert len(first) == 2
        logged = sorted(str(e.id) for e in await outbox_rows(client, "FoodLogged"))
        assert await announced_causes(client) == logged
        # The same events delivered again (at-least-once): nothing changes.
        events = [
            Delivery(f"0-{i}", outbox.envelope(e), 2)
            for i, e in enumerate(await outbox_rows(client, "FoodLogged"))
        ]
        assert await runner.process(events) == 2
        assert sorted(await consumed(client)) == sorted(first)
        assert await announced_causes(client) == logged
    finally:
        await rt.bus.close()


async def test_a_consumer_dying_mid_batch_loses_and_repeats_nothing(client, user):
    for i in range(6):
        await add_log(client, user, description=f"meal {i}", date=f"2024-03-0{i + 1}")
    rt = fresh_runtime(client)
    try:
        await rt.bus.ensure_group("insights")
        await rt.relay_now()
        doomed = rt.runner(insights.CONSUMER, name="doomed")
        batch = await rt.bus.read("insights", "doomed", count=100, block_ms=0)
        assert len(batch) == 6
        # It applied (committed) three events, then died before acknowledging anything.
        for d in batch[:3]:
            assert await doomed.apply(d)
        survivor = rt.runner(insights.CONSUMER, name="survivor")
        survivor.claim_idle_ms = 0
        assert await survivor.drain() == 6  # all six pending entries taken over
        assert await rt.bus.lag("insights") == {"pending": 0, "lag": 0}
        ids = await consumed(client)
        assert len(ids) == len(set(ids)) == 6
        assert await announced_causes(client) == sorted(
            str(e.id) for e in await outbox_rows(client, "FoodLogged")
        )
    finally:
        await rt.bus.close()


KILLED_CONSUMER = r"""
import asyncio, os, sys
from app.core.config import Settings
from app.core.resources import Resources
from app.core.eventbus import create_bus
from app.events import insights
from app.events.config import EventsSettings
from app.events.runtime import EventsRuntime

async def main():
    settings = Settings(database_url=sys.argv[1], redis_url=sys.argv[2], environment="test",
                        jwt_secret="x" * 48)
    res = Resources.create(settings)
    rt = EventsRuntime(res, create_bus(settings.redis_url), EventsSettings())
    runner = rt.runner(insights.CONSUMER, name="doomed")
    await rt.bus.ensure_group("insights")
    batch = await rt.bus.read("insights", "doomed", count=100, block_ms=1000)
    for i, d in enumerate(batch):
        if i == 3:
            os._exit(9)  # killed mid-batch: nothing acknowledged, the rest never started
        await runner.apply(d)

asyncio.run(main())
"""


@pytest.mark.skipif(BACKEND != "server", reason="a consumer process over Redis")
async def test_killed_consumer_process_every_event_once_in_effect(client, user):
    for i in range(8):
        await add_log(client, user, description=f"meal {i}", date=f"2024-03-0{i % 7 + 1}")
    rt = fresh_runtime(client)
    try:
        await rt.bus.ensure_group("insights")
        await rt.relay_now()
        settings = app_of(client).state.resources.settings
        proc = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", KILLED_CONSUMER, settings.database_url, settings.redis_url],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            timeout=60,
        )
        assert proc.returncode == 9, proc.stderr.decode()[-2000:]
        assert len(await consumed(client)) == 3, proc.stderr.decode()[-3000:]
        assert (await rt.bus.lag("insights"))["pending"] == 8
        survivor = rt.runner(insights.CONSUMER, name="survivor")
        survivor.claim_idle_ms = 0
        await survivor.drain()
        ids = await consumed(client)
        assert len(ids) == len(set(ids)) == 8
        # Every event was announced once: none lost, none applied twice.
        assert await announced_causes(client) == sorted(
            str(e.id) for e in await outbox_rows(client, "FoodLogged")
        )
        assert (await rt.bus.lag("insights"))["pending"] == 0
    finally:
        await rt.bus.close()


async def test_poison_event_is_parked_and_shown_to_admins(client, user):
    rt = fresh_runtime(client, max_attempts=3, claim_idle_s=0.001)
    try:
        await rt.bus.ensure_group("insights")
        bad = {
            "id": str(uuid.uuid4()),
            "type": "FoodLogged",
            "version": 1,
            "user_id": "not-a-user",
            "occurred_at": "2024-03-04T10:00:00+00:00",
            "payload": {"date": "2024-03-04"},
        }
        good = await add_log(client, user)
        await rt.bus.publish([bad])
        await rt.relay_now()
        runner = rt.runner(insights.CONSUMER, name="c")
        runner.claim_idle_ms = 0
        for _ in range(5):
            await runner.drain()
        assert runner.parked == 1
        assert await rt.bus.lag("insights") == {"pending": 0, "lag": 0}
        assert len(await consumed(client)) == 1  # the good event went through
        await make_admin(client, user.id)
        app = app_of(client)
        saved, app.state.events = app.state.events, rt
        try:
            r = await client.get("/api/v1/admin/events", headers=user.headers)
        finally:
            app.state.events = saved
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["parked_total"] == 1
        parked = body["parked"][0]
        assert parked["event_id"] == bad["id"] and parked["attempts"] == 3
        assert parked["consumer"] == "insights" and "ValueError" in parked["error"]
        assert body["consumers"] == [{"name": "insights", "pending": 0, "lag": 0}]
        assert good["id"]
        # An operator's view is audited like every admin request.
        r = await client.get(
            "/api/v1/admin/audit", params={"action": "events.view"}, headers=user.headers
        )
        (seen,) = r.json()["items"]
        assert seen["actor_id"] == user.id and seen["detail"] == {"offset": 0}
    finally:
        await rt.bus.close()


async def test_admin_events_needs_an_admin(client, user):
    r = await client.get("/api/v1/admin/events", headers=user.headers)
    assert_problem(r, 403)


@pytest.mark.skipif(BACKEND != "server", reason="Redis stream specifics")
async def test_redis_publish_is_deduplicated_across_bus_instances(client, user):
    bus1, bus2 = create_bus(TEST_REDIS_URL), create_bus(TEST_REDIS_URL)
    try:
        event = outbox.envelope(
            outbox.event_row(outbox.FOOD_LOGGED, uuid.UUID(user.id), {"date": "2024-03-04"})
        )
        assert await bus1.publish([event]) == 1
        assert await bus2.publish([event]) == 0
        await bus1.ensure_group("probe")
        got = await bus1.read("probe", "x", count=10, block_ms=0)
        assert [json.dumps(d.event, sort_keys=True) for d in got] == [
            json.dumps(event, sort_keys=True)
        ]
    finally:
        await bus1.close()
        await bus2.close()
