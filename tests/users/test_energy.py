import dataclasses
import datetime as dt
import json

import pytest

from app.users import energy
from app.users.energy import (
    ImplausibleValueError,
    InconsistentGoalError,
    TargetInputError,
    TargetInputs,
    UnsafeRateError,
    age_on,
    bmr_katch_mcardle,
    bmr_mifflin_st_jeor,
    cm_to_ft_in,
    cm_to_in,
    compute_targets,
    ft_in_to_cm,
    in_to_cm,
    kg_to_lb,
    lb_to_kg,
)


def male_80(**kw: object) -> TargetInputs:
    base: dict[str, object] = {
        "sex": "male",
        "weight_kg": 80.0,
        "height_cm": 180.0,
        "age_years": 25,
        "activity_level": "moderate",
    }
    base.update(kw)
    return TargetInputs(**base)  # type: ignore[arg-type]


# --- published worked examples ---------------------------------------------------------------


def test_mifflin_st_jeor_male_worked_example() -> None:
    # 10*80 + 6.25*180 - 5*25 + 5
    assert bmr_mifflin_st_jeor("male", 80, 180, 25) == pytest.approx(1805)


def test_mifflin_st_jeor_female_worked_example() -> None:
    # 10*60 + 6.25*165 - 5*30 - 161
    assert bmr_mifflin_st_jeor("female", 60, 165, 30) == pytest.approx(1320.25)


def test_katch_mcardle_worked_example() -> None:
    # 80 kg at 20% body fat -> 64 kg lean mass -> 370 + 21.6 * 64
    assert bmr_katch_mcardle(80, 20) == pytest.approx(1752.4)


def test_age_on_birthday_edges() -> None:
    assert age_on(dt.date(1990, 6, 15), dt.date(2024, 6, 14)) == 33
    assert age_on(dt.date(1990, 6, 15), dt.date(2024, 6, 15)) == 34
    assert age_on(dt.date(2000, 2, 29), dt.date(2021, 2, 28)) == 20
    assert age_on(dt.date(2000, 2, 29), dt.date(2021, 3, 1)) == 21
    with pytest.raises(ValueError):
        age_on(dt.date(2000, 1, 2), dt.date(2000, 1, 1))


# --- unit conversions ------------------------------------------------------------------------


def test_pound_and_inch_definitions() -> None:
    assert lb_to_kg(1) == pytest.approx(0.45359237)
    assert in_to_cm(1) == pytest.approx(2.54)
    assert ft_in_to_cm(6, 0) == pytest.approx(182.88)
    assert ft_in_to_cm(5, 10) == pytest.approx(177.8)


@pytest.mark.parametrize("value", [0.0, 1.0, 45.5, 80.0, 154.3, 350.0])
def test_weight_round_trips(value: float) -> None:
    assert lb_to_kg(kg_to_lb(value)) == pytest.approx(value)
    assert kg_to_lb(lb_to_kg(value)) == pytest.approx(value)


@pytest.mark.parametrize("cm", [100.0, 152.4, 170.0, 182.88, 199.9, 250.0])
def test_height_round_trips(cm: float) -> None:
    assert in_to_cm(cm_to_in(cm)) == pytest.approx(cm)
    feet, inches = cm_to_ft_in(cm)
    assert 0 <= inches < 12
    assert ft_in_to_cm(feet, inches) == pytest.approx(cm)


def test_cm_to_ft_in_whole_feet() -> None:
    feet, inches = cm_to_ft_in(182.88)
    assert feet == 6
    assert inches == pytest.approx(0, abs=1e-9)


# --- targets ---------------------------------------------------------------------------------


def test_maintain_targets_step_by_step() -> None:
    t = compute_targets(male_80(goal="maintain"))
    assert t.bmr_formula == "mifflin_st_jeor"
    assert t.bmr_kcal == 1805
    assert t.activity_factor == 1.55
    assert t.tdee_kcal == 2798  # 1805 * 1.55 = 2797.75
    assert t.adjustment_kcal == 0
    assert t.kcal == 2798
    assert not t.floor_applied
    assert t.protein_g == 128  # 1.6 g/kg * 80 kg
    assert t.fat_g == 93  # 30% of 2798 kcal / 9
    assert t.carbs_g == 362  # (2798 - 4*128 - 9*93.27) / 4
    assert t.fiber_g == 39  # 14 * 2.798
    # Macros add up to the target within rounding.
    assert abs(4 * t.protein_g + 4 * t.carbs_g + 9 * t.fat_g - t.kcal) <= 10


def test_activity_factors() -> None:
    assert energy.ACTIVITY_FACTORS == {
        "sedentary": 1.2,
        "light": 1.375,
        "moderate": 1.55,
        "very_active": 1.725,
        "extra_active": 1.9,
    }


def test_lose_rate_becomes_daily_deficit() -> None:
    t = compute_targets(male_80(goal="lose", rate_kg_per_week=-0.5))
    assert t.adjustment_kcal == -550  # -0.5 * 7700 / 7
    assert t.kcal == 2248  # 2797.75 - 550
    assert t.protein_g == 160  # 2.0 g/kg when losing
    assert t.effective_rate_kg_per_week == -0.5


def test_gain_rate_becomes_daily_surplus() -> None:
    t = compute_targets(male_80(goal="gain", rate_kg_per_week=0.25))
    assert t.adjustment_kcal == 275
    assert t.kcal == 3073
    assert t.protein_g == 144  # 1.8 g/kg


def test_default_rates() -> None:
    assert compute_targets(male_80(goal="lose")).rate_kg_per_week == -0.4  # 0.5% of 80 kg
    assert compute_targets(male_80(goal="gain")).rate_kg_per_week == 0.2  # 0.25%
    assert compute_targets(male_80(goal="maintain")).rate_kg_per_week == 0


def test_katch_mcardle_used_when_body_fat_known() -> None:
    t = compute_targets(male_80(body_fat_pct=20))
    assert t.bmr_formula == "katch_mcardle"
    assert t.bmr_kcal == 1752
    assert t.tdee_kcal == round(1752.4 * 1.55)


def test_one_percent_rule() -> None:
    compute_targets(male_80(goal="lose", rate_kg_per_week=-0.8))  # exactly 1%: allowed
    with pytest.raises(UnsafeRateError, match="1% of your body weight"):
        compute_targets(male_80(goal="lose", rate_kg_per_week=-0.81))
    with pytest.raises(UnsafeRateError):
        compute_targets(male_80(goal="gain", rate_kg_per_week=1.0))


def test_error_classes_are_value_errors() -> None:
    assert issubclass(UnsafeRateError, TargetInputError)
    assert issubclass(TargetInputError, ValueError)


def test_floor_for_women_is_1200() -> None:
    # BMR 500 + 1000 - 200 - 161 = 1139; TDEE 1366.8; -0.5 kg/week would be 816.8 kcal.
    t = compute_targets(
        TargetInputs(
            sex="female",
            weight_kg=50,
            height_cm=160,
            age_years=40,
            activity_level="sedentary",
            goal="lose",
            rate_kg_per_week=-0.5,
        )
    )
    assert t.floor_applied
    assert t.floor_kcal == 1200
    assert t.kcal == 1200
    assert t.effective_rate_kg_per_week == pytest.approx(-0.15, abs=0.01)
    floor_step = next(s for s in t.explanation if s.step == "floor")
    assert "safety floor" in floor_step.text


def test_floor_is_bmr_when_bmr_is_higher() -> None:
    t = compute_targets(
        TargetInputs(
            sex="male",
            weight_kg=120,
            height_cm=190,
            age_years=30,
            activity_level="sedentary",
            goal="lose",
            rate_kg_per_week=-1.2,
        )
    )
    assert t.floor_applied
    assert t.floor_kcal == t.bmr_kcal
    assert t.kcal == t.floor_kcal
    assert t.kcal > 1500


def test_floor_for_men_is_1500() -> None:
    t = compute_targets(
        TargetInputs(
            sex="male",
            weight_kg=45,
            height_cm=150,
            age_years=60,
            activity_level="sedentary",
            goal="lose",
            rate_kg_per_week=-0.45,
        )
    )
    assert t.bmr_kcal < 1500
    assert t.floor_kcal == 1500
    assert t.kcal == 1500


def test_keto_caps_carbs_and_fat_is_remainder() -> None:
    t = compute_targets(male_80(diet_pattern="keto"))
    assert t.carbs_g == 30
    assert t.protein_g == 128
    assert t.fat_g == round((2798 - 4 * 128 - 4 * 30) / 9)
    assert t.fiber_g == 15  # capped at half of total carbs
    assert abs(4 * t.protein_g + 4 * t.carbs_g + 9 * t.fat_g - t.kcal) <= 10


def test_protein_uses_reference_weight_with_high_body_fat() -> None:
    # 120 kg at 40% -> 72 kg lean -> 96 kg at 25% body fat.
    t = compute_targets(male_80(weight_kg=120, body_fat_pct=40, goal="lose", rate_kg_per_week=-1))
    assert t.protein_reference_weight_kg == 96
    assert t.protein_g == 192


def test_protein_reference_weight_without_body_fat_caps_at_bmi() -> None:
    t = compute_targets(male_80(weight_kg=120, goal="lose", rate_kg_per_week=-1))
    assert t.protein_reference_weight_kg == pytest.approx(27.5 * 1.8**2, abs=0.1)
    assert t.protein_g == round(2.0 * 27.5 * 1.8**2)
    # Lean users dose on actual weight.
    assert compute_targets(male_80(body_fat_pct=15)).protein_reference_weight_kg == 80


def test_negative_carb_remainder_lowers_fat_to_minimum_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Not reachable with the shipped protein doses; force it to check the fallback order.
    monkeypatch.setitem(energy.PROTEIN_G_PER_KG, "lose", 4.0)
    inputs = male_80(activity_level="sedentary", goal="lose", rate_kg_per_week=-0.8)
    t = compute_targets(inputs)
    assert t.kcal == 1805  # floored at BMR
    # 1805 - 4*320 = 525 kcal left: default fat (60 g) does not fit, 58.3 g (>= min 50) does.
    assert t.fat_g == 58
    assert t.carbs_g == 0

    monkeypatch.setitem(energy.PROTEIN_G_PER_KG, "lose", 5.0)
    t = compute_targets(inputs)
    assert t.fat_g == 50  # the minimum: max(25% of 1805 / 9, 0.6 * 80)
    assert t.carbs_g == 0
    carbs_step = next(s for s in t.explanation if s.step == "carbs")
    assert "exceed" in carbs_step.text


def test_adaptive_tdee_used_only_when_confident() -> None:
    t = compute_targets(male_80(adaptive_tdee_kcal=2500, adaptive_confidence="high"))
    assert t.tdee_source == "adaptive"
    assert t.kcal == 2500
    t = compute_targets(male_80(adaptive_tdee_kcal=2500, adaptive_confidence="low"))
    assert t.tdee_source == "activity_factor"
    assert t.kcal == 2798


def test_extra_active_kcal_added() -> None:
    t = compute_targets(male_80(extra_active_kcal=300))
    assert t.kcal == 3098
    assert t.extra_active_kcal == 300
    assert any(s.step == "extra_active" for s in t.explanation)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"height_cm": 99}, "height_cm"),
        ({"height_cm": 251}, "height_cm"),
        ({"weight_kg": 29}, "weight_kg"),
        ({"weight_kg": 351}, "weight_kg"),
        ({"age_years": 12}, "age_years"),
        ({"age_years": 121}, "age_years"),
        ({"body_fat_pct": 80}, "body_fat_pct"),
        ({"activity_level": "couch"}, "activity_level"),
        ({"extra_active_kcal": -5}, "extra_active_kcal"),
    ],
)
def test_implausible_inputs_refused(kw: dict[str, object], match: str) -> None:
    with pytest.raises(ImplausibleValueError, match=match):
        compute_targets(male_80(**kw))


def test_inconsistent_goals_refused() -> None:
    with pytest.raises(InconsistentGoalError, match="not below"):
        compute_targets(male_80(goal="lose", target_weight_kg=85))
    with pytest.raises(InconsistentGoalError, match="not above"):
        compute_targets(male_80(goal="gain", target_weight_kg=75))
    with pytest.raises(InconsistentGoalError, match="negative"):
        compute_targets(male_80(goal="lose", rate_kg_per_week=0.3))
    with pytest.raises(InconsistentGoalError, match="positive"):
        compute_targets(male_80(goal="gain", rate_kg_per_week=-0.3))
    with pytest.raises(InconsistentGoalError, match="maintain"):
        compute_targets(male_80(goal="maintain", rate_kg_per_week=-0.3))
    compute_targets(male_80(goal="lose", target_weight_kg=75))


def test_explanation_is_serialisable_and_complete() -> None:
    t = compute_targets(male_80(goal="lose", rate_kg_per_week=-0.5))
    data = json.loads(json.dumps(dataclasses.asdict(t)))
    assert data["inputs"]["weight_kg"] == 80.0
    steps = [s["step"] for s in data["explanation"]]
    assert steps == [
        "bmr",
        "tdee",
        "adjustment",
        "floor",
        "kcal",
        "protein",
        "fat",
        "carbs",
        "fiber",
    ]
    bmr_step = data["explanation"][0]
    assert bmr_step["value"] == 1805
    assert "Mifflin" in bmr_step["text"]
    assert bmr_step["inputs"]["age_years"] == 25
