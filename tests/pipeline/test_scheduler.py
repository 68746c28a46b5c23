"""The scheduler: who is due at 03:00 local, in every kind of zone, exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from app.pipeline.models import PlanRun
from app.pipeline.service import due_zones, schedule_cycle

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "now", "due_on"),
    [
        # Kathmandu is UTC+5:45: 03:00 local is 21:15 UTC the day before.
        ("Asia/Kathmandu", "2026-11-21 21:14", None),
        ("Asia/Kathmandu", "2026-11-21 21:16", "2026-11-22"),
        # Kolkata is UTC+5:30: 03:00 local is 21:30 UTC the day before.
        ("Asia/Kolkata", "2026-11-21 21:20", None),
        ("Asia/Kolkata", "2026-11-21 21:31", "2026-11-22"),
        # New York springs forward on 2026-03-08 (02:00 EST -> 03:00 EDT): 03:00 is 07:00 UTC,
        # an hour earlier than on the day before; a fixed -5 offset would say 02:05 here.
        ("America/New_York", "2026-03-08 06:59", None),
        ("America/New_York", "2026-03-08 07:05", "2026-03-08"),
        ("America/New_York", "2026-03-07 07:05", None),
        # ...and falls back on 2026-11-01: 03:00 EST is 08:00 UTC.
        ("America/New_York", "2026-11-01 07:30", None),
        ("America/New_York", "2026-11-01 08:01", "2026-11-01"),
        ("Pacific/Chatham", "2026-11-21 14:00", "2026-11-22"),  # UTC+13:45 in summer
        ("UTC", "2026-11-21 02:59", None),
        ("UTC", "2026-11-21 03:00", "2026-11-21"),
    ],
)
def test_due_zones(zone: str, now: str, due_on: str | None) -> None:
    due = due_zones([zone], at(now), 3)
    if due_on is None:
        assert not due
    else:
        assert due == {dt.date.fromisoformat(due_on): [zone]}


async def runs(ctx) -> set[tuple[str, str]]:
    async with ctx.sessionmaker() as s:
        rows = await s.execute(sa.select(PlanRun.user_id, PlanRun.date))
        return {(str(u), d.isoformat()) for u, d in rows.all()}


async def test_cycles_enqueue_each_user_day_once_across_zones(ctx, make_user):
    zones = [
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "Asia/Tokyo",
        "Europe/London",
        "America/New_York",
        "UTC",
    ]
    users = {z: (await make_user(tz=z)).id for z in zones}

    # 21:20 UTC: Kathmandu (03:05) and Tokyo (06:20) are on Nov 22; Kolkata is at 02:50 on
    # Nov 22 and must wait; the western zones are past 03:00 on Nov 21.
    first = await schedule_cycle(ctx, at("2026-11-21 21:20"))
    expected = {
        (users["Asia/Kathmandu"], "2026-11-22"),
        (users["Asia/Tokyo"], "2026-11-22"),
        (users["Europe/London"], "2026-11-21"),
        (users["America/New_York"], "2026-11-21"),
        (users["UTC"], "2026-11-21"),
    }
    assert await runs(ctx) == expected
    assert first.created == first.enqueued == 5
    # One job per local date: the users of a date are planned together.
    assert first.jobs == 2
    assert await ctx.queue.length() == 2

    # 15 minutes later Kolkata has passed 03:00; nobody else is enqueued again.
    second = await schedule_cycle(ctx, at("2026-11-21 21:35"))
    assert second.created == second.enqueued == second.jobs == 1
    assert await runs(ctx) == expected | {(users["Asia/Kolkata"], "2026-11-22")}
    assert await ctx.queue.length() == 3

    # The same cycle run again (a retried scheduler job) changes nothing.
    again = await schedule_cycle(ctx, at("2026-11-21 21:35"))
    assert again.created == again.enqueued == again.jobs == 0
    assert await ctx.queue.length() == 3


async def test_dst_day_in_new_york(ctx, make_user):
    ny = (await make_user(tz="America/New_York")).id
    # 06:50 UTC is 01:50 EST on Mar 8: today has begun there but 03:00 has not come.
    assert (await schedule_cycle(ctx, at("2026-03-08 06:50"))).created == 0
    # 07:05 UTC is 03:05 EDT (the clocks jumped from 02:00 to 03:00).
    assert (await schedule_cycle(ctx, at("2026-03-08 07:05"))).created == 1
    assert await runs(ctx) == {(ny, "2026-03-08")}


async def test_two_concurrent_schedulers_enqueue_once(make_ctx, make_user):
    zones = ["Asia/Kathmandu", "Asia/Kolkata", "America/New_York", "Europe/Berlin", "UTC"]
    for i in range(20):
        await make_user(tz=zones[i % len(zones)])
    a, b = make_ctx(), make_ctx()
    now = at("2026-11-22 12:00")
    ra, rb = await asyncio.gather(schedule_cycle(a, now), schedule_cycle(b, now))
    assert ra.created + rb.created == 20
    assert ra.enqueued + rb.enqueued == 20
    # One date: each scheduler sends the users it created as one job.
    assert await a.queue.length() == ra.jobs + rb.jobs
    assert ra.jobs == (ra.created > 0) and rb.jobs == (rb.created > 0)
    assert len(await runs(a)) == 20
    # A third scheduler a moment later finds nothing to do.
    assert (await schedule_cycle(make_ctx(), now + dt.timedelta(minutes=1))).enqueued == 0


async def test_plan_runs_are_unique_per_user_day_in_the_database(ctx, user):
    async with ctx.sessionmaker() as s:
        uid = uuid.UUID(user.id)
        s.add(PlanRun(user_id=uid, date=dt.date(2026, 11, 22)))
        await s.commit()
        s.add(PlanRun(user_id=uid, date=dt.date(2026, 11, 22)))
        with pytest.raises(sa.exc.IntegrityError):
            await s.commit()
