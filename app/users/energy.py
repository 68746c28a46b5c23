"""Personal energy and macro targets: BMR, TDEE, goal adjustment, safety floors, macros.

Everything here is pure and deterministic so the API layer can call it, serialise the result
(`dataclasses.asdict`) and show the user exactly how a number was reached via `explanation`.

Formula choices (all documented where they are used):

- BMR: Katch-McArdle when body fat is known (it models lean mass directly, which is what drives
  resting expenditure), otherwise Mifflin-St Jeor, the most accurate of the common equations for
  the general population (Frankenfield et al. 2005).
- TDEE: BMR x activity factor (1.2 / 1.375 / 1.55 / 1.725 / 1.9), unless an adaptive estimate
  from the user's own intake and weight data is supplied with "medium" or "high" confidence.
- Goal adjustment: 7,700 kcal per kg of body weight, so `rate_kg_per_week * 7700 / 7` per day.
- Safety floor: never below max(BMR, 1200 kcal for women, 1500 kcal for men).
- Protein, fat, carbs, fiber: see `compute_targets`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal, get_args

Sex = Literal["male", "female"]
ActivityLevel = Literal["sedentary", "light", "moderate", "very_active", "extra_active"]
Goal = Literal["lose", "maintain", "gain"]
DietPattern = Literal["balanced", "keto"]
Confidence = Literal["none", "low", "medium", "high"]
BmrFormula = Literal["mifflin_st_jeor", "katch_mcardle"]
TdeeSource = Literal["activity_factor", "adaptive"]

SEXES: tuple[Sex, ...] = get_args(Sex)
ACTIVITY_LEVELS: tuple[ActivityLevel, ...] = get_args(ActivityLevel)
GOALS: tuple[Goal, ...] = get_args(Goal)
DIET_PATTERNS: tuple[DietPattern, ...] = get_args(DietPattern)

ACTIVITY_FACTORS: dict[ActivityLevel, float] = {
    "sedentary": 1.2,
    "light": 1.375,
    "moderate": 1.55,
    "very_active": 1.725,
    "extra_active": 1.9,
}

# Energy content of body-weight change (mixed fat/lean tissue), the conventional 3,500 kcal/lb.
KCAL_PER_KG = 7700.0
KCAL_PER_G_PROTEIN = 4.0
KCAL_PER_G_CARBS = 4.0
KCAL_PER_G_FAT = 9.0

# Below these intakes micronutrient needs are hard to meet without medical supervision
# (the usual 1200/1500 guidance); BMR is also a floor so a deficit never eats into resting needs.
MIN_KCAL: dict[Sex, float] = {"female": 1200.0, "male": 1500.0}

# Losing or gaining more than 1% of body weight per week costs lean mass / adds mostly fat.
MAX_WEEKLY_RATE_FRACTION = 0.01
# Defaults when a goal is given without a rate: moderate, well inside the 1% rule.
DEFAULT_LOSE_FRACTION = 0.005
DEFAULT_GAIN_FRACTION = 0.0025

PROTEIN_G_PER_KG: dict[Goal, float] = {"lose": 2.0, "maintain": 1.6, "gain": 1.8}
FAT_MIN_FRACTION = 0.25
FAT_MIN_G_PER_KG = 0.6
FAT_DEFAULT_FRACTION = 0.30
FIBER_G_PER_1000_KCAL = 14.0
KETO_CARBS_G = 30.0

# Body fat above which total weight overstates protein needs: protein is then dosed on the weight
# the user would have at this body fat with their current lean mass.
PROTEIN_REFERENCE_BODY_FAT_PCT: dict[Sex, float] = {"male": 25.0, "female": 32.0}
# Without body fat, cap the protein reference weight at this BMI (roughly where the body fat
# thresholds above are reached on average).
PROTEIN_REFERENCE_BMI = 27.5

HEIGHT_CM_RANGE = (100.0, 250.0)
WEIGHT_KG_RANGE = (30.0, 350.0)
AGE_YEARS_RANGE = (13, 120)
BODY_FAT_PCT_RANGE = (3.0, 70.0)

LB_PER_KG = 1 / 0.45359237
KG_PER_LB = 0.45359237
CM_PER_IN = 2.54
IN_PER_FT = 12


class TargetInputError(ValueError):
    """Base class for inputs that cannot produce safe targets; the message is user-facing."""


class ImplausibleValueError(TargetInputError):
    """A body measurement or age outside the range the formulas are valid for."""


class UnsafeRateError(TargetInputError):
    """A weekly weight-change rate above 1% of body weight."""


class InconsistentGoalError(TargetInputError):
    """Goal, rate and target weight contradict each other."""


# --- unit conversions -----------------------------------------------------------------------


def lb_to_kg(lb: float) -> float:
    return lb * KG_PER_LB


def kg_to_lb(kg: float) -> float:
    return kg * LB_PER_KG


def in_to_cm(inches: float) -> float:
    return inches * CM_PER_IN


def cm_to_in(cm: float) -> float:
    return cm / CM_PER_IN


def ft_in_to_cm(feet: float, inches: float = 0.0) -> float:
    return in_to_cm(feet * IN_PER_FT + inches)


def cm_to_ft_in(cm: float) -> tuple[int, float]:
    """Whole feet and the remaining inches (not rounded, so the round trip is exact)."""
    total_in = cm_to_in(cm)
    feet = math.floor(total_in / IN_PER_FT)
    return feet, total_in - feet * IN_PER_FT


# --- formulas -------------------------------------------------------------------------------


def age_on(dob: dt.date, date: dt.date) -> int:
    """Completed years on `date`. A 29 February birthday counts from 1 March in common years."""
    if date < dob:
        raise ValueError("date is before the date of birth")
    return date.year - dob.year - ((date.month, date.day) < (dob.month, dob.day))


def bmr_mifflin_st_jeor(sex: Sex, weight_kg: float, height_cm: float, age_years: float) -> float:
    """Mifflin-St Jeor (1990): 10*kg + 6.25*cm - 5*age + 5 (male) or - 161 (female)."""
    if sex not in SEXES:
        raise ValueError(f"sex must be one of {SEXES}, not {sex!r}")
    base = 10 * weight_kg + 6.25 * height_cm - 5 * age_years
    return base + (5 if sex == "male" else -161)


def lean_mass_kg(weight_kg: float, body_fat_pct: float) -> float:
    return weight_kg * (1 - body_fat_pct / 100)


def bmr_katch_mcardle(weight_kg: float, body_fat_pct: float) -> float:
    """Katch-McArdle: 370 + 21.6 * lean body mass (kg); sex and age enter only via lean mass."""
    return 370 + 21.6 * lean_mass_kg(weight_kg, body_fat_pct)


def daily_adjustment_kcal(rate_kg_per_week: float) -> float:
    """Daily surplus (+) or deficit (-) for a weekly rate, at 7,700 kcal per kg."""
    return rate_kg_per_week * KCAL_PER_KG / 7


def protein_reference_weight_kg(
    sex: Sex, weight_kg: float, height_cm: float, body_fat_pct: float | None
) -> tuple[float, str]:
    """Weight used to dose protein (and the fat minimum), with a note on how it was chosen.

    Protein needs scale with lean mass, so dosing g/kg on total weight over-prescribes for
    people with high body fat. With body fat known we use lean mass / (1 - threshold) where the
    threshold is 25% (men) / 32% (women): the weight at that body fat with the same lean mass.
    Without body fat we cap at the weight for BMI 27.5. Both rules are continuous (they equal
    the actual weight up to the threshold), so nobody sees a jump when crossing it.
    """
    if body_fat_pct is not None:
        threshold = PROTEIN_REFERENCE_BODY_FAT_PCT[sex]
        ref = lean_mass_kg(weight_kg, body_fat_pct) / (1 - threshold / 100)
        if ref < weight_kg:
            return ref, f"lean mass at {threshold:g}% body fat"
        return weight_kg, "actual weight"
    cap = PROTEIN_REFERENCE_BMI * (height_cm / 100) ** 2
    if cap < weight_kg:
        return cap, f"weight at BMI {PROTEIN_REFERENCE_BMI:g}"
    return weight_kg, "actual weight"


# --- validation -----------------------------------------------------------------------------


def _check_range(name: str, value: float, bounds: tuple[float, float], unit: str) -> None:
    lo, hi = bounds
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ImplausibleValueError(
            f"{name} must be between {lo:g} and {hi:g} {unit}, not {value:g}"
        )


def validate_body(
    weight_kg: float, height_cm: float, age_years: float, body_fat_pct: float | None = None
) -> None:
    _check_range("weight_kg", weight_kg, WEIGHT_KG_RANGE, "kg")
    _check_range("height_cm", height_cm, HEIGHT_CM_RANGE, "cm")
    _check_range("age_years", age_years, AGE_YEARS_RANGE, "years")
    if body_fat_pct is not None:
        _check_range("body_fat_pct", body_fat_pct, BODY_FAT_PCT_RANGE, "%")


def validate_rate(weight_kg: float, rate_kg_per_week: float) -> None:
    """Refuse rates above 1% of body weight per week, in either direction."""
    limit = weight_kg * MAX_WEEKLY_RATE_FRACTION
    if not math.isfinite(rate_kg_per_week):
        raise UnsafeRateError("rate_kg_per_week must be a finite number")
    if abs(rate_kg_per_week) > limit + 1e-9:
        raise UnsafeRateError(
            f"a rate of {abs(rate_kg_per_week):g} kg/week is more than 1% of your body weight "
            f"({limit:.2f} kg/week at {weight_kg:g} kg); choose {limit:.2f} kg/week or less"
        )


def validate_goal(
    goal: Goal, weight_kg: float, rate_kg_per_week: float, target_weight_kg: float | None
) -> None:
    if goal not in GOALS:
        raise InconsistentGoalError(f"goal must be one of {GOALS}, not {goal!r}")
    if goal == "lose" and rate_kg_per_week >= 0:
        raise InconsistentGoalError("a 'lose' goal needs a negative weekly rate")
    if goal == "gain" and rate_kg_per_week <= 0:
        raise InconsistentGoalError("a 'gain' goal needs a positive weekly rate")
    if goal == "maintain" and rate_kg_per_week != 0:
        raise InconsistentGoalError("a 'maintain' goal cannot have a weekly rate")
    if target_weight_kg is None:
        return
    _check_range("target_weight_kg", target_weight_kg, WEIGHT_KG_RANGE, "kg")
    if goal == "lose" and target_weight_kg >= weight_kg:
        raise InconsistentGoalError(
            f"target weight {target_weight_kg:g} kg is not below your current {weight_kg:g} kg; "
            "choose 'maintain' or 'gain', or a lower target"
        )
    if goal == "gain" and target_weight_kg <= weight_kg:
        raise InconsistentGoalError(
            f"target weight {target_weight_kg:g} kg is not above your current {weight_kg:g} kg; "
            "choose 'maintain' or 'lose', or a higher target"
        )


# --- targets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplanationStep:
    """One step of a calculation, for display: what, how, with which numbers, and the result."""

    step: str
    text: str
    value: float | None = None
    unit: str | None = None
    formula: str | None = None
    inputs: dict[str, float | str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetInputs:
    """Everything `compute_targets` needs.

    `rate_kg_per_week` is signed (negative to lose); None picks a default for the goal:
    -0.5% of body weight per week to lose, +0.25% to gain, 0 to maintain.
    `adaptive_tdee_kcal` / `adaptive_confidence` come from `trend.adaptive_expenditure`; the
    estimate replaces BMR x activity factor only at "medium" or "high" confidence.
    `extra_active_kcal` is yesterday's (net) activity energy, to be passed only when the user
    opted in; it is added on top, so users doing so should pick an activity level that does not
    already count that exercise.
    """

    sex: Sex
    weight_kg: float
    height_cm: float
    age_years: int
    activity_level: ActivityLevel = "sedentary"
    goal: Goal = "maintain"
    rate_kg_per_week: float | None = None
    body_fat_pct: float | None = None
    target_weight_kg: float | None = None
    diet_pattern: DietPattern = "balanced"
    adaptive_tdee_kcal: float | None = None
    adaptive_confidence: Confidence | None = None
    extra_active_kcal: float = 0.0


@dataclass(frozen=True)
class Targets:
    kcal: int
    protein_g: int
    carbs_g: int
    fat_g: int
    fiber_g: int
    bmr_kcal: int
    bmr_formula: BmrFormula
    tdee_kcal: int
    tdee_source: TdeeSource
    activity_factor: float
    rate_kg_per_week: float
    adjustment_kcal: int
    extra_active_kcal: int
    floor_kcal: int
    floor_applied: bool
    effective_rate_kg_per_week: float
    protein_reference_weight_kg: float
    protein_g_per_kg: float
    inputs: TargetInputs
    explanation: list[ExplanationStep]


def default_rate_kg_per_week(goal: Goal, weight_kg: float) -> float:
    if goal == "lose":
        return -round(weight_kg * DEFAULT_LOSE_FRACTION, 2)
    if goal == "gain":
        return round(weight_kg * DEFAULT_GAIN_FRACTION, 2)
    return 0.0


def validate_inputs(inputs: TargetInputs) -> float:
    """Validate `inputs` (raising a `TargetInputError`) and return the weekly rate to use."""
    if inputs.sex not in SEXES:
        raise ImplausibleValueError(f"sex must be one of {SEXES}, not {inputs.sex!r}")
    if inputs.activity_level not in ACTIVITY_FACTORS:
        raise ImplausibleValueError(
            f"activity_level must be one of {ACTIVITY_LEVELS}, not {inputs.activity_level!r}"
        )
    if inputs.diet_pattern not in DIET_PATTERNS:
        raise ImplausibleValueError(
            f"diet_pattern must be one of {DIET_PATTERNS}, not {inputs.diet_pattern!r}"
        )
    validate_body(inputs.weight_kg, inputs.height_cm, inputs.age_years, inputs.body_fat_pct)
    if inputs.extra_active_kcal < 0 or not math.isfinite(inputs.extra_active_kcal):
        raise ImplausibleValueError("extra_active_kcal must be zero or positive")
    rate = inputs.rate_kg_per_week
    if rate is None:
        rate = default_rate_kg_per_week(inputs.goal, inputs.weight_kg)
    validate_rate(inputs.weight_kg, rate)
    validate_goal(inputs.goal, inputs.weight_kg, rate, inputs.target_weight_kg)
    return rate


def compute_targets(inputs: TargetInputs) -> Targets:
    """Daily kcal and macro targets with a step-by-step explanation.

    1. BMR: Katch-McArdle if body fat is known, else Mifflin-St Jeor.
    2. TDEE: adaptive estimate at medium/high confidence, else BMR x activity factor.
    3. Adjustment: rate_kg_per_week * 7700 / 7 kcal per day (negative to lose).
    4. Extra active kcal (opt-in) added.
    5. Floor: max(BMR, 1200 women / 1500 men). When it binds, the effective weekly rate is
       recomputed from the floored kcal and reported so the user sees the slower pace.
    6. Protein: g/kg by goal (lose 2.0, maintain 1.6, gain 1.8) times the protein reference
       weight (see `protein_reference_weight_kg`).
    7. Fat: default 30% of kcal; minimum max(25% of kcal, 0.6 g/kg reference weight).
    8. Carbs: remainder / 4. If the remainder is negative, fat is lowered toward its minimum
       first; if that is not enough carbs are 0 and the explanation says the macros exceed the
       kcal target (only possible at extreme reference weights near the floor).
       Keto: carbs fixed at 30 g total (about 20-25 g net), fat is the remainder (never below
       its minimum).
    9. Fiber: 14 g per 1000 kcal (US Dietary Guidelines), at most half of carbs since fiber is
       part of total carbohydrate (only binds for keto).
    kcal are rounded to whole numbers, grams to 1 g; macros are computed from the rounded kcal.
    """
    rate = validate_inputs(inputs)
    steps: list[ExplanationStep] = []
    sex, w, h, age = inputs.sex, inputs.weight_kg, inputs.height_cm, inputs.age_years

    bmr_formula: BmrFormula
    if inputs.body_fat_pct is not None:
        bmr = bmr_katch_mcardle(w, inputs.body_fat_pct)
        bmr_formula = "katch_mcardle"
        lbm = lean_mass_kg(w, inputs.body_fat_pct)
        steps.append(
            ExplanationStep(
                "bmr",
                "Resting energy (BMR) from lean body mass, because your body fat is known "
                "(Katch-McArdle).",
                round(bmr),
                "kcal",
                "370 + 21.6 × lean_mass_kg; lean_mass_kg = weight_kg × (1 − body_fat_pct/100)",
                {
                    "weight_kg": w,
                    "body_fat_pct": inputs.body_fat_pct,
                    "lean_mass_kg": round(lbm, 1),
                },
            )
        )
    else:
        bmr = bmr_mifflin_st_jeor(sex, w, h, age)
        bmr_formula = "mifflin_st_jeor"
        steps.append(
            ExplanationStep(
                "bmr",
                "Resting energy (BMR) from weight, height, age and sex (Mifflin-St Jeor).",
                round(bmr),
                "kcal",
                "10 × weight_kg + 6.25 × height_cm − 5 × age_years "
                + ("+ 5" if sex == "male" else "− 161"),
                {"sex": sex, "weight_kg": w, "height_cm": h, "age_years": age},
            )
        )

    factor = ACTIVITY_FACTORS[inputs.activity_level]
    tdee_source: TdeeSource
    if inputs.adaptive_tdee_kcal is not None and inputs.adaptive_confidence in ("medium", "high"):
        tdee = inputs.adaptive_tdee_kcal
        tdee_source = "adaptive"
        steps.append(
            ExplanationStep(
                "tdee",
                "Daily expenditure estimated from your own intake and weight trend "
                f"({inputs.adaptive_confidence} confidence), used instead of the activity factor.",
                round(tdee),
                "kcal",
                "mean_intake_kcal − trend_weight_change_kg × 7700 / days",
                {"adaptive_confidence": inputs.adaptive_confidence},
            )
        )
    else:
        tdee = bmr * factor
        tdee_source = "activity_factor"
        note = ""
        if inputs.adaptive_tdee_kcal is not None:
            note = (
                f" Your data-based estimate ({inputs.adaptive_confidence or 'unknown'} "
                "confidence) is not reliable enough yet."
            )
        steps.append(
            ExplanationStep(
                "tdee",
                f"Daily expenditure (TDEE) = BMR × activity factor for '{inputs.activity_level}'."
                + note,
                round(tdee),
                "kcal",
                "bmr_kcal × activity_factor",
                {"bmr_kcal": round(bmr), "activity_factor": factor},
            )
        )

    adjustment = daily_adjustment_kcal(rate)
    steps.append(
        ExplanationStep(
            "adjustment",
            f"Daily {'deficit' if rate < 0 else 'surplus'} for {rate:+g} kg per week "
            "(7,700 kcal per kg of body weight)."
            if rate
            else "No deficit or surplus: maintaining weight.",
            round(adjustment),
            "kcal",
            "rate_kg_per_week × 7700 / 7",
            {"rate_kg_per_week": rate, "goal": inputs.goal},
        )
    )
    extra = inputs.extra_active_kcal
    if extra:
        steps.append(
            ExplanationStep(
                "extra_active",
                "Activity energy from yesterday added (you opted in).",
                round(extra),
                "kcal",
                None,
                {"extra_active_kcal": extra},
            )
        )

    raw_kcal = tdee + adjustment + extra
    floor = max(bmr, MIN_KCAL[sex])
    floor_applied = raw_kcal < floor
    kcal = round(max(raw_kcal, floor))
    effective_rate = (kcal - extra - tdee) * 7 / KCAL_PER_KG if floor_applied else rate
    steps.append(
        ExplanationStep(
            "floor",
            (
                f"Raised to the safety floor; at this intake you would change about "
                f"{effective_rate:+.2f} kg per week instead of {rate:+g}."
                if floor_applied
                else "Above the safety floor."
            ),
            round(floor),
            "kcal",
            f"max(bmr_kcal, {MIN_KCAL[sex]:g} kcal minimum for {sex}s)",
            {"bmr_kcal": round(bmr), "unfloored_kcal": round(raw_kcal)},
        )
    )
    steps.append(
        ExplanationStep(
            "kcal",
            "Daily energy target.",
            kcal,
            "kcal",
            "max(tdee_kcal + adjustment_kcal + extra_active_kcal, floor_kcal)",
        )
    )

    ref_w, ref_note = protein_reference_weight_kg(sex, w, h, inputs.body_fat_pct)
    g_per_kg = PROTEIN_G_PER_KG[inputs.goal]
    protein = round(g_per_kg * ref_w)
    steps.append(
        ExplanationStep(
            "protein",
            f"Protein {g_per_kg:g} g per kg for a '{inputs.goal}' goal, dosed on {ref_note}.",
            protein,
            "g",
            "protein_g_per_kg × reference_weight_kg",
            {"protein_g_per_kg": g_per_kg, "reference_weight_kg": round(ref_w, 1)},
        )
    )

    fat_min = max(FAT_MIN_FRACTION * kcal / KCAL_PER_G_FAT, FAT_MIN_G_PER_KG * ref_w)
    kcal_left = kcal - protein * KCAL_PER_G_PROTEIN
    if inputs.diet_pattern == "keto":
        carbs = KETO_CARBS_G
        fat = max((kcal_left - carbs * KCAL_PER_G_CARBS) / KCAL_PER_G_FAT, fat_min)
        steps.append(
            ExplanationStep(
                "carbs",
                f"Keto: carbohydrate capped at {KETO_CARBS_G:g} g total per day.",
                carbs,
                "g",
                None,
            )
        )
        steps.append(
            ExplanationStep(
                "fat",
                "Keto: fat supplies the remaining energy.",
                round(fat),
                "g",
                "(kcal − 4 × protein_g − 4 × carbs_g) / 9",
                {"fat_min_g": round(fat_min)},
            )
        )
    else:
        fat = max(FAT_DEFAULT_FRACTION * kcal / KCAL_PER_G_FAT, fat_min)
        carbs_raw = (kcal_left - fat * KCAL_PER_G_FAT) / KCAL_PER_G_CARBS
        fat_note = f"Fat {FAT_DEFAULT_FRACTION:.0%} of energy (at least the minimum)."
        if carbs_raw < 0:
            # Protein is the priority when energy is tight, then essential fat, then carbs.
            fat = max(fat_min, kcal_left / KCAL_PER_G_FAT)
            carbs_raw = (kcal_left - fat * KCAL_PER_G_FAT) / KCAL_PER_G_CARBS
            fat_note = "Fat lowered toward its minimum to leave room for protein."
        steps.append(
            ExplanationStep(
                "fat",
                fat_note,
                round(fat),
                "g",
                f"max({FAT_DEFAULT_FRACTION:g} × kcal / 9, fat_min_g); "
                f"fat_min_g = max({FAT_MIN_FRACTION:g} × kcal / 9, "
                f"{FAT_MIN_G_PER_KG:g} × reference_weight_kg)",
                {"fat_min_g": round(fat_min)},
            )
        )
        carbs = max(carbs_raw, 0.0)
        carb_text = "Carbohydrate supplies the remaining energy."
        if carbs_raw < 0:
            over = round(-carbs_raw * KCAL_PER_G_CARBS)
            carb_text = (
                f"No energy left for carbohydrate: protein and minimum fat already exceed "
                f"the target by {over} kcal."
            )
        steps.append(
            ExplanationStep(
                "carbs", carb_text, round(carbs), "g", "(kcal − 4 × protein_g − 9 × fat_g) / 4"
            )
        )

    fiber = min(FIBER_G_PER_1000_KCAL * kcal / 1000, carbs / 2)
    steps.append(
        ExplanationStep(
            "fiber",
            f"Fiber {FIBER_G_PER_1000_KCAL:g} g per 1000 kcal"
            + (
                " (capped at half of carbs)."
                if fiber < FIBER_G_PER_1000_KCAL * kcal / 1000
                else "."
            ),
            round(fiber),
            "g",
            "min(14 × kcal / 1000, carbs_g / 2)",
        )
    )

    return Targets(
        kcal=kcal,
        protein_g=protein,
        carbs_g=round(carbs),
        fat_g=round(fat),
        fiber_g=round(fiber),
        bmr_kcal=round(bmr),
        bmr_formula=bmr_formula,
        tdee_kcal=round(tdee),
        tdee_source=tdee_source,
        activity_factor=factor,
        rate_kg_per_week=rate,
        adjustment_kcal=round(adjustment),
        extra_active_kcal=round(extra),
        floor_kcal=round(floor),
        floor_applied=floor_applied,
        effective_rate_kg_per_week=round(effective_rate, 2),
        protein_reference_weight_kg=round(ref_w, 1),
        protein_g_per_kg=g_per_kg,
        inputs=inputs,
        explanation=steps,
    )
