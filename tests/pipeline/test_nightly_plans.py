"""The nightly run never stores an empty plan, and words plans with the LLM within a budget."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from app.llm.client import LLMClient
from app.pipeline import service
from app.plans.models import MealPlan
from tests.llm.fake_openai import FakeOpenAI
from tests.logs.helpers import set_goal
from tests.pipeline.helpers import (
    Clock,
    cycle_and_run,
    get_run,
    notifications,
    run_jobs,
    today_noon,
)
from tests.users.helpers import patch_profile, put_profile


async def test_impossible_constraints_fail_at_once_with_yesterdays_plan(
    make_ctx, client, make_user
):
    user = await make_user(tz="UTC")
    now = today_noon()
    day = now.date()
    yesterday = day - dt.timedelta(days=1)
    await put_profile(client, user)
    await set_goal(client, user, effective_from=str(day - dt.timedelta(days=5)))
    r = await client.post(
        "/api/v1/plans/generate", json={"start": str(yesterday)}, headers=user.headers
    )
    assert r.status_code == 201, r.text
    previous = r.json()["plans"][0]
    # Since yesterday the user became keto without dairy, eggs and nuts: no breakfast exists.
    await patch_profile(client, user, dietary_pattern="keto", allergies=["dairy", "egg", "nuts"])

    ctx = make_ctx(clock=Clock(now))
    await cycle_and_run(ctx, now)
    run = await get_run(ctx, user.id, day)
    # Deterministic, so not retried: failed on the first attempt, with the reason kept.
    assert (run.status, run.attempts, run.fallback) == ("failed", 1, True)
    assert run.next_attempt_at is None
    assert run.last_error == (
        "PlanInfeasible: No plan for "
        f"{day}: no feasible keto, dairy-free, egg-free and nut-free recipes for breakfast"
    )
    r = await client.get("/api/v1/plans/today", headers=user.headers)
    plan = r.json()
    assert plan["date"] == str(day) and plan["fallback_from"] == str(yesterday)
    assert [s["options"][0]["recipe_id"] for s in plan["slots"]] == [
        s["options"][0]["recipe_id"] for s in previous["slots"]
    ]
    assert all(s["options"] for s in plan["slots"])
    (note,) = await notifications(ctx, user.id)
    assert note.payload["fallback"] is True


async def test_impossible_without_a_previous_plan_stores_nothing(make_ctx, client, make_user, app):
    user = await make_user(tz="UTC")
    now = today_noon()
    await put_profile(client, user)
    await patch_profile(client, user, dietary_pattern="keto", allergies=["dairy", "egg", "nuts"])
    await set_goal(client, user, effective_from=str(now.date() - dt.timedelta(days=5)))
    ctx = make_ctx(clock=Clock(now))
    await cycle_and_run(ctx, now)
    run = await get_run(ctx, user.id, now.date())
    assert (run.status, run.fallback) == ("failed", False)
    async with app.state.resources.sessionmaker() as s:
        count = await s.scalar(
            sa.select(sa.func.count())
            .select_from(MealPlan)
            .where(MealPlan.user_id == uuid.UUID(user.id))
        )
    assert count == 0


@pytest.fixture
async def fake_llm():
    fake = FakeOpenAI(
        content="A bright, easy day of cooking. Tip: soak the oats overnight. It has 500 kcal."
    )
    await fake.start()
    client = LLMClient(
        base_url=fake.base_url, api_key=None, model="fake", timeout=5.0, max_retries=0
    )
    yield fake, client
    await client.aclose()
    await fake.close()


async def plan_users(make_ctx, client, make_user, n: int, **ctx_kw):
    now = today_noon()
    users = [await make_user(tz="UTC") for _ in range(n)]
    for u in users:
        await set_goal(client, u, effective_from=str(now.date() - dt.timedelta(days=5)))
    ctx = make_ctx(clock=Clock(now), **ctx_kw)
    await cycle_and_run(ctx, now)
    plans = []
    for u in users:
        r = await client.get("/api/v1/plans/today", headers=u.headers)
        assert r.status_code == 200, r.text
        plans.append(r.json())
    return plans


async def test_nightly_plans_get_llm_text_within_the_budget(make_ctx, client, make_user, fake_llm):
    fake, llm = fake_llm
    plans = await plan_users(
        make_ctx, client, make_user, 3, llm=llm, config={"llm_calls_per_run": 2}
    )
    # Two of the three plans were worded by the LLM, the third by the template.
    assert len(fake.requests) == 2
    sources = sorted(p["text_source"] for p in plans)
    assert sources == ["llm", "llm", "template"]
    for p in plans:
        assert p["text"].startswith("This day gives you about")
        if p["text_source"] == "llm":
            assert "Tip: soak the oats overnight." in p["text"]
            assert "500 kcal" not in p["text"]
        else:
            assert "soak the oats" not in p["text"]  # a recipe name may say oats


async def test_a_failing_llm_is_not_asked_again_after_three_failures(
    make_ctx, client, make_user, fake_llm
):
    fake, llm = fake_llm
    fake.mode = "http_500"
    plans = await plan_users(make_ctx, client, make_user, 5, llm=llm)
    assert [p["text_source"] for p in plans] == ["template"] * 5
    assert len(fake.requests) == 3


async def test_no_llm_means_template_text(make_ctx, client, make_user):
    plans = await plan_users(make_ctx, client, make_user, 1)
    assert plans[0]["text_source"] == "template"


async def test_the_llm_budget_is_per_run_across_batches_and_workers(
    make_ctx, client, make_user, fake_llm, app
):
    """7 users in batches of 2 (4 jobs), two workers taking jobs at once, a run budget of 3:
    exactly 3 plans get LLM text whichever worker and batch they fall in; the rest get the
    template, and the run records both counts."""
    fake, llm = fake_llm
    now = today_noon()
    users = [await make_user(tz="UTC") for _ in range(7)]
    for u in users:
        await set_goal(client, u, effective_from=str(now.date() - dt.timedelta(days=5)))
    config = {"llm_calls_per_run": 3, "batch_size": 2}
    first = make_ctx(clock=Clock(now), llm=llm, config=config)
    second = make_ctx(clock=Clock(now), llm=llm, config=config)
    cycle = await service.schedule_cycle(first, now)
    assert (cycle.created, cycle.jobs) == (7, 4)
    ran = await asyncio.gather(run_jobs(first), run_jobs(second))
    assert sum(ran) == 4
    sources = []
    for u in users:
        r = await client.get("/api/v1/plans/today", headers=u.headers)
        assert r.status_code == 200, r.text
        sources.append(r.json()["text_source"])
    assert sorted(sources) == ["llm"] * 3 + ["template"] * 4
    assert len(fake.requests) == 3
    async with app.state.resources.sessionmaker() as s:
        stats = await service.stats(first.queue, s, 1, first.budget)
    latest = stats["cycles"][0]
    assert (latest["enqueued"], latest["processed"]) == (7, 7)
    assert (latest["llm_texts"], latest["llm_budget_fallbacks"]) == (3, 4)

    # The next night is a new run with a budget of its own.
    later = now + dt.timedelta(days=1)
    for ctx in (first, second):
        ctx.clock = Clock(later)
    await service.schedule_cycle(first, later)
    await asyncio.gather(run_jobs(first), run_jobs(second))
    assert len(fake.requests) == 6
