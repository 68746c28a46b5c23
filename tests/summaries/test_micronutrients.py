"""Micronutrients in the daily and weekly summaries against the Dietary Reference Intakes."""

from __future__ import annotations

import pytest

from app.summaries import micronutrients
from tests.logs.helpers import add_log, local_today
from tests.users.helpers import PROFILE, dob_for_age, profile_body

DAILY = "/api/v1/summaries/daily"


def by_name(summary):
    return {m["nutrient"]: m for m in summary["micronutrients"]["items"]}


async def test_daily_micronutrients_from_the_logged_foods(client, user):
    r = await client.put(
        PROFILE,
        json=profile_body(sex="female", date_of_birth=dob_for_age(30), weight_kg=60),
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        "/api/v1/logs/natural",
        json={"text": "2 cups of milk and an orange", "meal_type": "breakfast"},
        headers=user.headers,
    )
    assert r.status_code == 201, r.text
    entries = r.json()["entries"]
    assert all(e["nutrients"] for e in entries)
    calcium = sum(e["nutrients"].get("calcium_mg", 0) for e in entries)
    vit_c = sum(e["nutrients"].get("vitamin_c_mg", 0) for e in entries)
    assert calcium > 400 and vit_c > 40  # two cups of milk, one orange
    summary = (await client.get(DAILY, headers=user.headers)).json()
    micro = summary["micronutrients"]
    assert micro["basis"] == "female 19-30"
    assert micro["coverage_pct"] == 100.0
    assert "National Academies" in micro["source"]
    items = by_name(summary)
    assert set(items) >= {
        "fiber_g", "calcium_mg", "iron_mg", "magnesium_mg", "potassium_mg", "sodium_mg",
        "zinc_mg", "vitamin_a_ug", "vitamin_c_mg", "vitamin_d_ug", "vitamin_e_mg",
        "vitamin_k_ug", "vitamin_b6_mg", "vitamin_b12_ug", "folate_ug",
    }  # fmt: skip
    ca = items["calcium_mg"]
    assert ca["amount"] == pytest.approx(calcium, abs=0.01)
    assert (ca["reference"], ca["reference_kind"], ca["upper"], ca["upper_kind"]) == (
        1000.0,
        "RDA",
        2500.0,
        "UL",
    )
    assert ca["percent"] == round(ca["amount"] / 10, 1)
    assert ca["status"] == ("meets" if calcium >= 1000 else "below")
    c = items["vitamin_c_mg"]
    assert (c["reference"], c["amount"]) == (75.0, pytest.approx(vit_c, abs=0.01))
    assert items["iron_mg"]["reference"] == 18.0  # women 19-50
    assert items["fiber_g"]["reference_kind"] == "AI"


async def test_sodium_past_the_cdrr_and_typed_entries_coverage(client, user):
    await add_log(client, user, date=str(local_today("UTC")), sodium_mg=2500, fiber_g=4)
    summary = (await client.get(DAILY, headers=user.headers)).json()
    micro = summary["micronutrients"]
    # No sex or age in the profile: the higher adult value, and the basis says so.
    assert micro["basis"].startswith("adult 31-50")
    assert micro["coverage_pct"] == 0.0  # a typed entry carries no full snapshot
    items = by_name(summary)
    na = items["sodium_mg"]
    assert (na["amount"], na["reference"], na["upper"], na["upper_kind"]) == (
        2500.0,
        1500.0,
        2300.0,
        "CDRR",
    )
    assert na["status"] == "above_upper"
    assert items["fiber_g"]["amount"] == 4.0 and items["fiber_g"]["reference"] == 38.0
    assert items["calcium_mg"]["amount"] == 0.0 and items["calcium_mg"]["status"] == "below"


async def test_weekly_micronutrients_average_over_logged_days(client, user):
    await add_log(client, user, date="2024-03-04", sodium_mg=1000)
    await add_log(client, user, date="2024-03-06", sodium_mg=2000)
    r = await client.get("/api/v1/summaries/weekly?start=2024-03-04", headers=user.headers)
    items = {m["nutrient"]: m for m in r.json()["micronutrients"]["items"]}
    assert items["sodium_mg"]["amount"] == 1500.0 and items["sodium_mg"]["status"] == "meets"


def test_reference_groups():
    basis, refs = micronutrients.references("male", 55)
    assert basis == "male 51-70"
    assert refs["vitamin_b6_mg"] == (1.7, 100.0)
    assert refs["fiber_g"] == (30.0, None)
    basis, refs = micronutrients.references("female", 80)
    assert basis == "female 71+"
    assert refs["vitamin_d_ug"] == (20.0, 100.0) and refs["calcium_mg"] == (1200.0, 2000.0)
    basis, refs = micronutrients.references("male", 16)
    assert refs["zinc_mg"] == (11.0, 34.0) and refs["sodium_mg"] == (1500.0, 2300.0)
