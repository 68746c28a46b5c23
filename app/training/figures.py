"""Training arithmetic: pure functions with the formulas named, so tests pin exact numbers."""

from __future__ import annotations

import math

LB_PER_KG = 2.20462262185
E1RM_FORMULA = (
    "Epley (1985): e1RM = weight_kg × (1 + reps / 30); a single rep is its own 1RM; "
    "not estimated above 30 reps"
)
MAX_E1RM_REPS = 30
NAVY_FORMULA = (
    "US Navy circumference method (Hodgdon & Beckett 1984, as in the Navy's Physical Readiness "
    "Program), girths and height in inches: men 86.010 × log10(waist − neck) − 70.041 × "
    "log10(height) + 36.76; women 163.205 × log10(waist + hips − neck) − 97.684 × "
    "log10(height) − 78.387"
)
CM_PER_INCH = 2.54
# Assumed per set when neither duration_min nor the set's own duration_s is given: 45 s of
# work and 2 min of rest, a typical hypertrophy pace.
SET_WORK_S = 45
SET_REST_S = 120


def lb_to_kg(lb: float) -> float:
    return round(lb / LB_PER_KG, 2)


def epley_e1rm(weight_kg: float | None, reps: int | None) -> float | None:
    """Estimated one-rep max by Epley's formula, to 0.1 kg."""
    if weight_kg is None or reps is None or reps < 1 or reps > MAX_E1RM_REPS or weight_kg <= 0:
        return None
    if reps == 1:
        return round(weight_kg, 1)
    return round(weight_kg * (1 + reps / 30), 1)


def set_volume(weight_kg: float | None, reps: int | None, is_warmup: bool) -> float:
    """kg × reps; warm-ups and sets without a load move no volume."""
    if is_warmup or weight_kg is None or reps is None:
        return 0.0
    return round(weight_kg * reps, 2)


def is_hard_set(is_warmup: bool, rpe: float | None, rir: int | None) -> bool:
    """A working set taken near failure (RIR ≤ 4, i.e. RPE ≥ 6); unrated working sets count,
    as most lifters rate only some."""
    if is_warmup:
        return False
    if rir is not None:
        return rir <= 4
    if rpe is not None:
        return rpe >= 6
    return True


def estimated_duration_min(sets: list[tuple[int | None, bool]]) -> float:
    """Session length from its sets: (duration_s or the assumed work) + rest, per set."""
    seconds = sum((d if d is not None else SET_WORK_S) + SET_REST_S for d, _ in sets)
    return round(min(seconds / 60, 600.0), 1)


def navy_body_fat_pct(
    sex: str, height_cm: float, waist_cm: float, neck_cm: float, hips_cm: float | None = None
) -> float | None:
    """Body fat % by the US Navy formula (the inch form the Navy publishes; centimetres are
    converted), to 0.1; None when the girths cannot be used."""
    h, waist, neck = height_cm / CM_PER_INCH, waist_cm / CM_PER_INCH, neck_cm / CM_PER_INCH
    if sex == "male":
        girth = waist - neck
        if girth <= 0:
            return None
        value = 86.010 * math.log10(girth) - 70.041 * math.log10(h) + 36.76
    elif sex == "female":
        if hips_cm is None:
            return None
        girth = waist + hips_cm / CM_PER_INCH - neck
        if girth <= 0:
            return None
        value = 163.205 * math.log10(girth) - 97.684 * math.log10(h) - 78.387
    else:
        return None
    if not math.isfinite(value) or value < 2 or value > 75:
        return None
    return round(value, 1)
