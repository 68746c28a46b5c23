from __future__ import annotations

import datetime as dt

import pytest

from app.users import energy
from tests.conftest import assert_problem
from tests.logs.helpers import add_log, local_today, set_goal
from tests.users.helpers import (
    TARGETS,
    add_weight,
    dob_for_age,
    get_targets,
    goal_history,
    patch_profile,
    put_profile,
)

MACROS = ("kcal", "protein_g", "carbs_g", "fat_g", "fiber_g")


def expected(**kw) -> energy.Targets:
    return energy.compute_targets(energy.TargetInputs(**kw))


async def test_worked_example_mifflin_st_jeor(client, user):
    """Male, 30 y, 80 kg, 180 cm, moderate, maintain: 10×80 + 6.25×180 − 5×30 + 5 = 1780 kcal
    BMR, × 1.55 = 2759 kcal TDEE (Mifflin-St Jeor's published form)."""
    await put_profile(client, user)
    t = await get_targets(client, user)
    assert (t["bmr_kcal"], t["tdee_kcal"], t["formula_tdee_kcal"]) == (1780, 2759, 2759)
    assert (t["bmr_formula"], t["tdee_source"], t["activity_factor"]) == (
        "mifflin_st_jeor",
        "activity_factor",
        1.55,
    )
    ref = expected(sex="male", weight_kg=80, height_cm=180, age_years=30, activity_level="moderate")
    assert {k: t[k] for k in MACROS} == {k: getattr(ref, k) for k in MACROS}
    assert t["kcal"] == 2759 and t["protein_g"] == 128  # 1.6 g/kg × 80 kg
    assert [s["step"] for s in t["explanation"]] == [s.step for s in ref.explanation]
    bmr = t["explanation"][0]
    assert bmr["value"] == 1780 and "10 × weight_kg" in bmr["formula"]
    assert t["inputs"]["age_years"] == 30 and t["inputs"]["weight_kg"] == 80
    assert t["adaptive"]["confidence"] == "none" and t["adaptive"]["used"] is False
    assert t["active_kcal"]["opted_in"] is False and t["extra_active_kcal"] == 0
    assert t["goal_mode"] == "manual" and t["goal_in_force"] is None
    assert t["date"] == local_today("UTC").isoformat()


@pytest.mark.parametrize(
    ("profile", "inputs"),
    [
        # Mifflin-St Jeor, female: 10×60 + 6.25×165 − 5×25 − 161 = 1345 kcal.
        (
            dict(sex="female", weight_kg=60, height_cm=165, age=25, activity_level="sedentary"),
            dict(sex="female", weight_kg=60, height_cm=165, age_years=25),
        ),
        # Katch-McArdle with body fat: 370 + 21.6 × 64 kg lean mass = 1752 kcal.
        (
            dict(body_fat_pct=20, activity_level="light", goal="lose", weekly_rate_kg=0.5),
            dict(
                sex="male",
                weight_kg=80,
                height_cm=180,
                age_years=30,
                body_fat_pct=20,
                activity_level="light",
                goal="lose",
                rate_kg_per_week=-0.5,
            ),
        ),
        # Keto maps to energy's keto pattern; gain with the default rate and a target.
        (
            dict(dietary_pattern="keto", goal="gain", target_weight_kg=85),
            dict(
                sex="male",
                weight_kg=80,
                height_cm=180,
                age_years=30,
                activity_level="moderate",
                goal="gain",
                target_weight_kg=85,
                diet_pattern="keto",
            ),
        ),
        # Other patterns are "balanced".
        (
            dict(dietary_pattern="vegan", activity_level="extra_active"),
            dict(
                sex="male",
                weight_kg=80,
                height_cm=180,
                age_years=30,
                activity_level="extra_active",
            ),
        ),
    ],
)
async def test_targets_equal_compute_targets(client, user, profile, inputs):
    age = profile.pop("age", 30)
    await put_profile(client, user, date_of_birth=dob_for_age(age), **profile)
    t = await get_targets(client, user)
    ref = expected(**inputs)
    for key in (*MACROS, "bmr_kcal", "bmr_formula", "tdee_kcal", "adjustment_kcal"):
        assert t[key] == getattr(ref, key), key
    assert t["rate_kg_per_week"] == ref.rate_kg_per_week


async def test_female_worked_example_bmr(client, user):
    await put_profile(
        client,
        user,
        sex="female",
        weight_kg=60,
        height_cm=165,
        date_of_birth=dob_for_age(25),
        activity_level="sedentary",
    )
    t = await get_targets(client, user)
    assert (t["bmr_kcal"], t["tdee_kcal"]) == (1345, 1614)  # 1345.25 × 1.2


async def test_profile_incomplete_is_409_naming_fields(client, user):
    r = await client.get(TARGETS, headers=user.headers)
    body = assert_problem(r, 409, "profile-incomplete")
    assert body["missing_fields"] == [
        "sex",
        "date_of_birth",
        "height_cm",
        "weight_kg",
        "activity_level",
        "goal",
    ]
    await patch_profile(client, user, sex="male", height_cm=180, goal="maintain")
    body = assert_problem(await client.get(TARGETS, headers=user.headers), 409)
    assert body["missing_fields"] == ["date_of_birth", "weight_kg", "activity_level"]
    assert "date_of_birth" in body["detail"]


# --- auto goals -----------------------------------------------------------------------------


async def test_switching_to_auto_sets_todays_goal_and_keeps_history(client, user):
    today = local_today("UTC")
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    await put_profile(client, user)
    await set_goal(client, user, kcal=1900, effective_from=yesterday)
    assert len(await goal_history(client, user)) == 1

    await patch_profile(client, user, goal_mode="auto")
    hist = await goal_history(client, user)
    assert [(g["effective_from"], g["source"]) for g in hist] == [
        (today.isoformat(), "auto"),
        (yesterday, "manual"),
    ]
    auto = hist[0]
    assert (auto["kcal"], auto["protein_g"], auto["carbs_g"], auto["fat_g"]) == (
        2759,
        128,
        355,
        92,
    )
    t = await get_targets(client, user)
    assert t["goal_in_force"]["kcal"] == t["kcal"] == 2759
    assert t["goal_in_force"]["source"] == "auto"

    # A new weight today moves today's goal; yesterday's stays as it was.
    await add_weight(client, user, 90)
    hist = await goal_history(client, user)
    assert len(hist) == 2
    ref = expected(sex="male", weight_kg=90, height_cm=180, age_years=30, activity_level="moderate")
    assert (hist[0]["effective_from"], hist[0]["kcal"], hist[0]["protein_g"]) == (
        today.isoformat(),
        ref.kcal,
        ref.protein_g,
    )
    assert hist[1] == {**hist[1], "effective_from": yesterday, "kcal": 1900, "source": "manual"}

    # Profile changes (activity level) recompute it as well.
    await patch_profile(client, user, activity_level="sedentary")
    ref = expected(sex="male", weight_kg=90, height_cm=180, age_years=30)
    assert (await goal_history(client, user))[0]["kcal"] == ref.kcal
    # The goals API shows it as today's goal.
    r = await client.get("/api/v1/goals", headers=user.headers)
    assert r.json()["kcal"] == ref.kcal and r.json()["source"] == "auto"


async def test_manual_mode_goals_are_untouched(client, user):
    await put_profile(client, user)
    goal = await set_goal(client, user, kcal=2100)
    await add_weight(client, user, 70)
    await patch_profile(client, user, activity_level="very_active", goal="lose")
    assert await goal_history(client, user) == [goal]
    t = await get_targets(client, user)
    assert t["goal_in_force"]["kcal"] == 2100 and t["kcal"] != 2100


async def test_auto_mode_keeps_a_manual_goal_set_later_until_inputs_change(client, user):
    await put_profile(client, user, goal_mode="auto")
    await set_goal(client, user, kcal=2222)
    t = await get_targets(client, user)
    assert t["goal_in_force"]["kcal"] == 2222 and t["goal_in_force"]["source"] == "manual"
    await add_weight(client, user, 79)
    assert (await get_targets(client, user))["goal_in_force"]["source"] == "auto"


async def test_auto_goal_uses_the_adaptive_estimate_once_confident(client, user):
    """A synthetic user whose true expenditure is 2550 kcal: 2000 kcal a day logged for 21 days
    while weight falls 0.5 kg a week (0.5 × 7700 / 7 = 550 kcal a day from body stores)."""
    today = local_today("UTC")
    await put_profile(client, user, goal_mode="auto", activity_level="sedentary")
    for i in range(21, 0, -1):
        day = (today - dt.timedelta(days=i)).isoformat()
        await add_log(client, user, date=day, kcal=1200, protein_g=60, carbs_g=150, fat_g=40)
        await add_log(client, user, date=day, kcal=800, protein_g=40, carbs_g=100, fat_g=25)
        await add_weight(client, user, round(80 + 0.5 / 7 * i, 2), date=day)
    t = await get_targets(client, user)
    a = t["adaptive"]
    assert a["confidence"] == "medium"  # 21 of 28 days logged: not yet "high" (24)
    assert (a["logged_days"], a["weigh_ins"], a["window_days"]) == (21, 21, 28)
    assert a["mean_intake_kcal"] == 2000
    assert abs(a["tdee_kcal"] - 2550) <= 5
    assert a["weekly_rate_kg"] == pytest.approx(-0.5, abs=0.01)
    assert a["window_end"] == (today - dt.timedelta(days=1)).isoformat()
    assert a["used"] is True and t["tdee_source"] == "adaptive"
    assert t["tdee_kcal"] == a["tdee_kcal"]
    # The formula TDEE is still shown next to it (sedentary, 80.07 kg).
    ref = expected(
        sex="male", weight_kg=80.07, height_cm=180, age_years=30, activity_level="sedentary"
    )
    assert t["formula_tdee_kcal"] == ref.tdee_kcal
    # Maintaining: the target is the adaptive expenditure, and so is the auto goal.
    assert t["kcal"] == a["tdee_kcal"]
    assert t["goal_in_force"]["kcal"] == t["kcal"]
    assert t["goal_in_force"]["source"] == "auto"


async def test_adaptive_estimate_with_too_little_data_is_not_used(client, user):
    today = local_today("UTC")
    await put_profile(client, user)
    for i in range(5, 0, -1):
        day = (today - dt.timedelta(days=i)).isoformat()
        await add_log(client, user, date=day, kcal=2000, protein_g=100, carbs_g=250, fat_g=60)
        await add_weight(client, user, 80, date=day)
    t = await get_targets(client, user)
    assert t["adaptive"]["confidence"] == "none" and t["adaptive"]["tdee_kcal"] is None
    assert (t["adaptive"]["logged_days"], t["adaptive"]["weigh_ins"]) == (5, 5)
    assert t["tdee_source"] == "activity_factor" and t["tdee_kcal"] == 2759


async def test_targets_are_private(client, make_user):
    alice = await make_user()
    bob = await make_user()
    await put_profile(client, alice)
    assert_problem(await client.get(TARGETS, headers=bob.headers), 409, "profile-incomplete")
