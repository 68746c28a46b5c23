"""The HTTP-independent targets service the meal planner calls, and the daily auto refresh."""

from __future__ import annotations

import datetime as dt
import uuid

from app.users import energy, targets
from tests.logs.helpers import local_today, set_goal
from tests.users.helpers import add_weight, get_targets, goal_history, put_profile


def _dob_with_birthday_in(days: int, age_now: int) -> dt.date:
    day = local_today("UTC") + dt.timedelta(days=days)
    try:
        return day.replace(year=day.year - age_now - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - age_now - 1, day=28)


async def test_targets_for_matches_compute_targets(client, app, user):
    today = local_today("UTC")
    uid = uuid.UUID(user.id)
    async with app.state.resources.sessionmaker() as session:
        assert await targets.targets_for(session, uid, today) is None
    await put_profile(client, user, goal="lose", weekly_rate_kg=0.5, add_activity_kcal=True)
    async with app.state.resources.sessionmaker() as session:
        t = await targets.targets_for(session, uid, today)
    ref = energy.compute_targets(
        energy.TargetInputs(
            sex="male",
            weight_kg=80,
            height_cm=180,
            age_years=30,
            activity_level="moderate",
            goal="lose",
            rate_kg_per_week=-0.5,
        )
    )
    assert t is not None
    assert (t.kcal, t.protein_g, t.carbs_g, t.fat_g, t.fiber_g) == (
        ref.kcal,
        ref.protein_g,
        ref.carbs_g,
        ref.fat_g,
        ref.fiber_g,
    )
    assert t.kcal == 2759 - 550


async def test_birthday_refreshes_an_auto_goal_from_that_day(client, app, user):
    """Age enters Mifflin-St Jeor at −5 kcal a year: on the birthday the auto goal drops."""
    today = local_today("UTC")
    birthday = today + dt.timedelta(days=5)
    dob = _dob_with_birthday_in(5, age_now=30)
    await put_profile(client, user, date_of_birth=dob.isoformat(), goal_mode="auto")
    assert [g["kcal"] for g in await goal_history(client, user)] == [2759]
    uid = uuid.UUID(user.id)
    res = app.state.resources
    async with res.sessionmaker() as session:
        # The day before nothing changes; on the birthday a new auto goal starts.
        before = await targets.refresh_auto_goal(
            session, res.cache, uid, birthday - dt.timedelta(days=1), force=False
        )
        assert before is not None and before.effective_from == today
        goal = await targets.refresh_auto_goal(session, res.cache, uid, birthday, force=False)
        assert goal is not None
        t = await targets.targets_for(session, uid, birthday)
    assert t is not None and t.inputs.age_years == 31 and t.bmr_kcal == 1775
    assert (goal.effective_from, goal.kcal, goal.source) == (birthday, t.kcal, "auto")
    hist = await goal_history(client, user)
    assert [(g["effective_from"], g["kcal"]) for g in hist] == [
        (birthday.isoformat(), t.kcal),
        (today.isoformat(), 2759),
    ]


async def test_daily_refresh_leaves_a_manual_goal_alone(client, app, user):
    await put_profile(client, user, goal_mode="auto")
    await set_goal(client, user, kcal=2500)
    res = app.state.resources
    async with res.sessionmaker() as session:
        goal = await targets.refresh_auto_goal(
            session, res.cache, uuid.UUID(user.id), local_today("UTC"), force=False
        )
    assert goal is not None and (goal.kcal, goal.source) == (2500, "manual")


async def test_weigh_ins_past_the_target_still_give_targets(client, user):
    """Targets survive a profile the weigh-ins made inconsistent: the target weight is reached
    (ignored, with a note) and the stored rate is now over 1% (capped at the limit)."""
    await put_profile(client, user, goal="lose", target_weight_kg=75, weekly_rate_kg=0.8)
    await add_weight(client, user, 72)
    t = await get_targets(client, user)
    notes = [s["text"] for s in t["explanation"] if s["step"] == "note"]
    assert any("more than 1%" in n for n in notes)
    assert any("reached your target" in n for n in notes)
    assert t["rate_kg_per_week"] == -0.72
    assert t["inputs"]["target_weight_kg"] is None
    ref = energy.compute_targets(
        energy.TargetInputs(
            sex="male",
            weight_kg=72,
            height_cm=180,
            age_years=30,
            activity_level="moderate",
            goal="lose",
            rate_kg_per_week=-0.72,
        )
    )
    assert t["kcal"] == ref.kcal
