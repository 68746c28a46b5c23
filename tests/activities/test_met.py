import pytest

from app.activities.met import (
    MET_TABLE,
    UnknownActivityError,
    estimate_activity,
    estimate_kcal,
    met_for_speed,
)


def test_table_covers_common_activities() -> None:
    assert len(MET_TABLE) >= 20
    for key in ("walking", "running", "cycling", "swimming", "strength_training", "yoga"):
        assert key in MET_TABLE
    for key in ("hiking", "rowing", "elliptical", "hiit", "dancing"):
        assert key in MET_TABLE
    assert all(0 < e.met < 25 for e in MET_TABLE.values())


def test_gross_kcal_is_met_times_kg_times_hours() -> None:
    # Running, 6 mph: 9.8 MET x 70 kg x 1 h.
    assert estimate_kcal("running", 60, 70) == pytest.approx(686.0)
    # Walking 3.5 MET x 80 kg x 0.5 h.
    assert estimate_kcal("walking", 30, 80) == pytest.approx(140.0)


def test_net_kcal_subtracts_resting_met() -> None:
    assert estimate_kcal("running", 60, 70, net=True) == pytest.approx((9.8 - 1) * 70)
    assert estimate_kcal("yoga", 60, 70, met=0.8, net=True) == 0.0


def test_explicit_met_wins() -> None:
    assert estimate_kcal("cycling", 30, 80, met=5.0) == pytest.approx(200.0)
    e = estimate_activity("cycling", 30, 80, 5.0, distance_km=20)
    assert e.met_source == "given"


def test_speed_refinement_matches_compendium_codes() -> None:
    # 6 mph exactly is the 9.8 MET code.
    assert met_for_speed("running", 9.656064) == pytest.approx(9.8)
    # 10 km/h (6.21 mph) interpolates between 6.0 mph (9.8) and 6.7 mph (10.5).
    assert 9.8 < met_for_speed("running", 10.0) < 10.5
    # Outside the table the end values are held.
    assert met_for_speed("running", 40) == 23.0
    assert met_for_speed("walking", 1.0) == 2.8
    e = estimate_activity("running", 60, 70, distance_km=9.656064)
    assert e.met_source == "speed"
    assert e.speed_kmh == pytest.approx(9.66, abs=0.01)
    assert e.kcal == pytest.approx(686.0)
    # Faster pace, same duration: more energy.
    assert estimate_kcal("running", 60, 70, distance_km=12) > 686.0
    # Brisk 3.5 mph walk is the 4.3 MET code.
    assert estimate_activity("walking", 60, 70, distance_km=3.5 * 1.609344).met == 4.3


def test_distance_ignored_for_activities_without_speed_table() -> None:
    e = estimate_activity("cycling", 60, 70, distance_km=25)
    assert e.met_source == "table"
    assert e.met == 7.5


def test_names_are_normalised() -> None:
    assert estimate_kcal("Strength Training", 60, 70) == estimate_kcal("strength_training", 60, 70)
    assert estimate_kcal("Run", 60, 70) == estimate_kcal("running", 60, 70)
    assert estimate_kcal("jump-rope", 10, 70) == estimate_kcal("jump_rope", 10, 70)


def test_invalid_input() -> None:
    with pytest.raises(UnknownActivityError, match="unknown activity type"):
        estimate_kcal("quidditch", 30, 70)
    with pytest.raises(ValueError):
        estimate_kcal("walking", -1, 70)
    with pytest.raises(ValueError):
        estimate_kcal("walking", 10, 0)
    with pytest.raises(ValueError):
        estimate_kcal("walking", 10, 70, met=0)


def test_explanation() -> None:
    e = estimate_activity("swimming", 45, 60, net=True)
    step = e.explanation[0]
    assert step.formula == "(MET − 1) × weight_kg × duration_min / 60"
    assert step.inputs["met"] == 5.8
    assert e.kcal == pytest.approx(4.8 * 60 * 0.75)
