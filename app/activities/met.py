"""Activity energy from MET values (2011 Compendium of Physical Activities, Ainsworth et al.).

kcal = MET × weight_kg × hours. 1 MET ≈ 1 kcal/kg/h, the resting rate, so this is GROSS energy:
it includes what the body would have burned at rest anyway. `net=True` subtracts that 1 MET;
use net kcal when adding exercise on top of a TDEE that already counts resting energy (e.g.
`TargetInputs.extra_active_kcal`), otherwise the resting part is counted twice.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Literal

from app.users.energy import ExplanationStep

MetSource = Literal["table", "speed", "given"]


@dataclass(frozen=True)
class MetEntry:
    met: float
    description: str


# One representative Compendium entry per activity type (moderate/general effort), so that an
# activity logged without detail gets a typical, not extreme, value.
MET_TABLE: dict[str, MetEntry] = {
    "walking": MetEntry(3.5, "walking, 2.8-3.2 mph, level, moderate pace, firm surface"),
    "running": MetEntry(9.8, "running, 6 mph (10 min/mile)"),
    "cycling": MetEntry(7.5, "bicycling, general"),
    "swimming": MetEntry(5.8, "swimming laps, freestyle, light or moderate effort"),
    "strength_training": MetEntry(
        3.5, "resistance (weight) training, multiple exercises, 8-15 reps at varied resistance"
    ),
    "yoga": MetEntry(2.5, "yoga, Hatha"),
    "pilates": MetEntry(3.0, "Pilates, general"),
    "hiking": MetEntry(6.0, "hiking, cross country"),
    "rowing": MetEntry(7.0, "rowing, stationary ergometer, moderate effort"),
    "elliptical": MetEntry(5.0, "elliptical trainer, moderate effort"),
    "hiit": MetEntry(8.0, "circuit training / calisthenics, vigorous effort"),
    "dancing": MetEntry(7.8, "dancing, general (disco, folk, line dancing)"),
    "stair_climbing": MetEntry(9.0, "stair-treadmill ergometer, general"),
    "jump_rope": MetEntry(11.8, "rope jumping, moderate pace, 100-120 skips/min"),
    "tennis": MetEntry(7.3, "tennis, general"),
    "basketball": MetEntry(6.5, "basketball, general"),
    "soccer": MetEntry(7.0, "soccer, casual, general"),
    "skiing": MetEntry(5.3, "skiing, downhill, moderate effort, general"),
    "cross_country_skiing": MetEntry(9.0, "skiing, cross country, moderate speed and effort"),
    "golf": MetEntry(4.8, "golf, general"),
    "climbing": MetEntry(8.0, "rock or mountain climbing"),
    "boxing": MetEntry(5.5, "boxing, punching bag"),
    "martial_arts": MetEntry(5.3, "martial arts, slower pace, novice performers"),
    "other": MetEntry(4.0, "general moderate-intensity exercise (fallback)"),
}

ALIASES: dict[str, str] = {
    "walk": "walking",
    "run": "running",
    "jogging": "running",
    "bike": "cycling",
    "biking": "cycling",
    "swim": "swimming",
    "weights": "strength_training",
    "weight_training": "strength_training",
    "weightlifting": "strength_training",
    "hike": "hiking",
    "dance": "dancing",
    "stairs": "stair_climbing",
    "skipping": "jump_rope",
}

# Compendium speed-specific codes (mph -> MET), converted to km/h below. Between codes the MET
# is interpolated linearly; outside the table it is held at the nearest end.
_KM_PER_MILE = 1.609344
_WALKING_MPH_MET = [
    (2.0, 2.8),
    (2.5, 3.0),
    (3.0, 3.5),
    (3.5, 4.3),
    (4.0, 5.0),
    (4.5, 7.0),
    (5.0, 8.3),
]
_RUNNING_MPH_MET = [
    (4.0, 6.0),
    (5.0, 8.3),
    (5.2, 9.0),
    (6.0, 9.8),
    (6.7, 10.5),
    (7.0, 11.0),
    (7.5, 11.5),
    (8.0, 11.8),
    (8.6, 12.3),
    (9.0, 12.8),
    (10.0, 14.5),
    (11.0, 16.0),
    (12.0, 19.0),
    (13.0, 19.8),
    (14.0, 23.0),
]
SPEED_TABLES_KMH: dict[str, list[tuple[float, float]]] = {
    name: [(mph * _KM_PER_MILE, met) for mph, met in table]
    for name, table in (("walking", _WALKING_MPH_MET), ("running", _RUNNING_MPH_MET))
}


class UnknownActivityError(ValueError):
    pass


@dataclass(frozen=True)
class ActivityEnergy:
    kcal: float
    activity_type: str
    met: float
    met_source: MetSource
    net: bool
    duration_min: float
    weight_kg: float
    speed_kmh: float | None
    explanation: list[ExplanationStep] = field(default_factory=list)


def normalize_activity_type(activity_type: str) -> str:
    """Canonical table key (case, spaces and hyphens ignored, common aliases resolved)."""
    key = activity_type.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    if key not in MET_TABLE:
        raise UnknownActivityError(
            f"unknown activity type {activity_type!r}; known: {', '.join(sorted(MET_TABLE))}"
        )
    return key


def met_for_speed(activity_type: str, speed_kmh: float) -> float:
    """MET for walking or running at a speed, interpolated between Compendium codes."""
    table = SPEED_TABLES_KMH[normalize_activity_type(activity_type)]
    speeds = [s for s, _ in table]
    if speed_kmh <= speeds[0]:
        return table[0][1]
    if speed_kmh >= speeds[-1]:
        return table[-1][1]
    i = bisect.bisect_right(speeds, speed_kmh)
    (s0, m0), (s1, m1) = table[i - 1], table[i]
    return m0 + (m1 - m0) * (speed_kmh - s0) / (s1 - s0)


def estimate_activity(
    activity_type: str,
    duration_min: float,
    weight_kg: float,
    met: float | None = None,
    *,
    distance_km: float | None = None,
    net: bool = False,
) -> ActivityEnergy:
    """Energy of one activity with an explanation. MET precedence: an explicit `met`, then a
    speed-specific value for walking/running when `distance_km` is given, then the table."""
    key = normalize_activity_type(activity_type)
    if duration_min < 0:
        raise ValueError("duration_min must not be negative")
    if weight_kg <= 0:
        raise ValueError("weight_kg must be positive")
    if met is not None and met <= 0:
        raise ValueError("met must be positive")

    speed = None
    source: MetSource
    if met is not None:
        value, source, what = met, "given", "MET supplied"
    elif distance_km is not None and key in SPEED_TABLES_KMH and duration_min > 0:
        speed = distance_km / (duration_min / 60)
        value, source = met_for_speed(key, speed), "speed"
        what = f"Compendium {key} MET at {speed:.1f} km/h"
    else:
        value, source, what = MET_TABLE[key].met, "table", MET_TABLE[key].description

    effective = max(value - 1, 0.0) if net else value
    kcal = round(effective * weight_kg * duration_min / 60, 1)
    step = ExplanationStep(
        "activity_kcal",
        f"{'Net' if net else 'Gross'} energy for {duration_min:g} min of {key} ({what}).",
        kcal,
        "kcal",
        ("(MET − 1)" if net else "MET") + " × weight_kg × duration_min / 60",
        {"met": round(value, 2), "weight_kg": weight_kg, "duration_min": duration_min},
    )
    return ActivityEnergy(
        kcal=kcal,
        activity_type=key,
        met=round(value, 2),
        met_source=source,
        net=net,
        duration_min=duration_min,
        weight_kg=weight_kg,
        speed_kmh=None if speed is None else round(speed, 2),
        explanation=[step],
    )


def estimate_kcal(
    activity_type: str,
    duration_min: float,
    weight_kg: float,
    met: float | None = None,
    *,
    distance_km: float | None = None,
    net: bool = False,
) -> float:
    """kcal = MET × weight_kg × hours (gross by default; see module docstring), 0.1 kcal."""
    return estimate_activity(
        activity_type, duration_min, weight_kg, met, distance_km=distance_km, net=net
    ).kcal
