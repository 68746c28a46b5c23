import dataclasses
import datetime as dt
import json
import random

import pytest

from app.users.trend import adaptive_expenditure, weight_trend

D0 = dt.date(2024, 1, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


# --- weight trend ----------------------------------------------------------------------------


def test_linear_series_gives_known_weekly_rate_and_projection() -> None:
    # -0.1 kg/day = -0.7 kg/week for 60 days.
    entries = [(day(i), 100 - 0.1 * i) for i in range(60)]
    t = weight_trend(entries, target_weight_kg=90)
    assert t.weekly_rate_kg == pytest.approx(-0.7, abs=0.02)
    assert t.latest_date == day(59)
    assert t.latest_weight_kg == pytest.approx(94.1)
    # The EMA lags a linear series by (1 - alpha) / alpha = 9 days: 94.1 + 0.9.
    assert t.latest_trend_kg == pytest.approx(95.0, abs=0.05)
    assert t.projected_date is not None
    expected = (95.0 - 90) / 0.1
    assert abs((t.projected_date - day(59)).days - expected) <= 2
    assert len(t.series) == 60
    assert t.rate_window_start == day(32)


def test_noisy_series_rate() -> None:
    rng = random.Random(7)
    entries = [(day(i), 80 + 0.05 * i + rng.gauss(0, 0.4)) for i in range(70)]
    t = weight_trend(entries)
    assert t.weekly_rate_kg == pytest.approx(0.35, abs=0.12)


def test_gap_decays_per_elapsed_day() -> None:
    t = weight_trend([(day(0), 100.0), (day(10), 90.0)], alpha=0.1)
    alpha_eff = 1 - 0.9**10
    assert t.latest_trend_kg == pytest.approx(100 - alpha_eff * 10, abs=0.01)
    # Consecutive days use plain alpha.
    t = weight_trend([(day(0), 100.0), (day(1), 90.0)], alpha=0.1)
    assert t.latest_trend_kg == pytest.approx(99.0)


def test_same_day_entries_are_averaged_and_order_does_not_matter() -> None:
    t = weight_trend([(day(1), 81.0), (day(0), 80.0), (day(1), 83.0)])
    assert [p.weight_kg for p in t.series] == [80.0, 82.0]
    assert t.latest_trend_kg == pytest.approx(80.2)


def test_no_projection_when_moving_away_or_flat() -> None:
    losing = [(day(i), 100 - 0.1 * i) for i in range(40)]
    assert weight_trend(losing, target_weight_kg=110).projected_date is None
    flat = [(day(i), 80.0) for i in range(40)]
    assert weight_trend(flat, target_weight_kg=75).projected_date is None
    # Already at the target: reached today.
    assert weight_trend(flat, target_weight_kg=80).projected_date == day(39)


def test_rate_needs_a_week_of_data() -> None:
    t = weight_trend([(day(i), 80.0 - i * 0.1) for i in range(5)], target_weight_kg=70)
    assert t.weekly_rate_kg is None
    assert t.projected_date is None


def test_empty_and_invalid_input() -> None:
    t = weight_trend([])
    assert t.latest_trend_kg is None
    assert t.series == []
    with pytest.raises(ValueError):
        weight_trend([(day(0), 80.0)], alpha=0)
    with pytest.raises(ValueError):
        weight_trend([(day(0), -1.0)])


def test_trend_serialises() -> None:
    t = weight_trend([(day(i), 80.0) for i in range(10)], target_weight_kg=80)
    data = json.loads(json.dumps(dataclasses.asdict(t), default=str))
    assert data["series"][0]["trend_kg"] == 80.0


# --- adaptive expenditure --------------------------------------------------------------------


def synthetic_user(
    days: int, true_tdee: float = 2500, mean_intake: float = 2000, seed: int = 42
) -> tuple[list[tuple[dt.date, float]], list[tuple[dt.date, float]]]:
    """Eats around `mean_intake`, burns `true_tdee`; weight follows at 7700 kcal/kg, with
    daily intake noise and water-weight noise on the scale."""
    rng = random.Random(seed)
    true_weight = 90.0
    intake, weights = [], []
    for i in range(days):
        kcal = mean_intake + rng.gauss(0, 200)
        intake.append((day(i), kcal))
        weights.append((day(i), true_weight + rng.gauss(0, 0.25)))
        true_weight += (kcal - true_tdee) / 7700
    return intake, weights


@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_adaptive_recovers_true_expenditure(seed: int) -> None:
    intake, weights = synthetic_user(56, seed=seed)
    est = adaptive_expenditure(intake, weights)
    assert est.confidence == "high"
    assert est.tdee_kcal is not None
    assert abs(est.tdee_kcal - 2500) < 100
    assert est.logged_days == 28
    assert est.weigh_ins == 28
    assert est.window_end == day(55)
    assert est.window_start == day(28)
    assert est.weekly_rate_kg == pytest.approx(-500 * 7 / 7700, abs=0.15)
    assert not est.clamped
    assert est.standard_error_kcal is not None and est.standard_error_kcal < 100


def test_adaptive_with_five_logged_days_has_no_confidence() -> None:
    intake, weights = synthetic_user(28)
    est = adaptive_expenditure(intake[-5:], weights)
    assert est.logged_days == 5
    assert est.confidence == "none"
    assert est.tdee_kcal is None
    assert est.mean_intake_kcal is not None


def test_unlogged_days_are_excluded_not_zero() -> None:
    # Eats exactly 2000 and holds weight; only every other day is logged.
    intake = [(day(i), 2000.0) for i in range(28) if i % 2 == 0]
    intake += [(day(i), 0.0) for i in range(28) if i % 2 == 1]  # empty day records
    weights = [(day(i), 70.0) for i in range(28)]
    est = adaptive_expenditure(intake, weights, min_days=14)
    assert est.logged_days == 14
    assert est.mean_intake_kcal == 2000
    assert est.tdee_kcal == 2000
    assert est.confidence == "low"


def test_same_day_intake_entries_are_summed() -> None:
    intake = [(day(i), 1000.0) for i in range(28)] * 2
    weights = [(day(i), 70.0) for i in range(28)]
    est = adaptive_expenditure(intake, weights)
    assert est.mean_intake_kcal == 2000


def test_confidence_levels() -> None:
    weights_all = [(day(i), 70.0) for i in range(28)]
    intake_all = [(day(i), 2200.0) for i in range(28)]
    assert adaptive_expenditure(intake_all, weights_all).confidence == "high"
    # 21 of 28 days logged, weighed twice a week.
    intake_21 = [*intake_all[:21], (day(27), 2200.0)]
    weights_8 = [w for w in weights_all if w[0].weekday() in (0, 3)]
    est = adaptive_expenditure(intake_21, weights_8, end_date=day(27))
    assert (est.logged_days, est.weigh_ins) == (22, 8)
    assert est.confidence == "medium"
    # Too few weigh-ins.
    est = adaptive_expenditure(intake_all, weights_all[:3])
    assert est.confidence == "none"
    assert est.tdee_kcal is None


def test_implausible_estimate_is_clamped_and_downgraded() -> None:
    intake = [(day(i), 600.0) for i in range(28)]
    weights = [(day(i), 70.0) for i in range(28)]
    est = adaptive_expenditure(intake, weights)
    assert est.raw_tdee_kcal == 600
    assert est.tdee_kcal == 1000
    assert est.clamped
    assert est.confidence == "low"


def test_adaptive_empty_input() -> None:
    est = adaptive_expenditure([], [])
    assert est.confidence == "none"
    assert est.tdee_kcal is None
