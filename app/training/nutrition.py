"""Training-day and rest-day nutrition: carbohydrate cycling around the user's daily target.

The split: on the program's training days kcal rise and on rest days they fall, by

    training day = K × (1 + A × rest_days / 7),   rest day = K × (1 − A × training_days / 7)

with A = 0.20 (a training day has 20% of K more than a rest day). Over the program week
(Monday to Sunday) training_days × training + rest_days × rest = 7 × K, so the week's average
equals the target K and the planned rate of weight change is untouched. Only carbohydrate
moves (4 kcal/g): protein stays put because repair needs it every day, and fat stays put
because it fuels low-intensity rest days and hormone production equally. Carbohydrate is the
fuel of hard resistance sets (glycolysis) and refills muscle glycogen after them, so it is
where extra energy on a training day does the most. Rest-day carbs never go below
MIN_REST_CARBS_G: the swing shrinks instead.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.training.models import Program
from app.users.models import UserProfile

SWING = 0.20
MIN_REST_CARBS_G = 100.0
KCAL_PER_G_CARBS = 4.0
RULE = (
    "Carb cycling: training day = K × (1 + 0.20 × rest days / 7), rest day = K × (1 − 0.20 × "
    "training days / 7); the week's average stays at your target K. Only carbohydrate changes "
    "(4 kcal/g): it fuels hard sets and refills glycogen; protein and fat stay the same."
)


@dataclass(frozen=True)
class CarbCycle:
    day_type: str  # "training" | "rest"
    training_days: int
    base_kcal: float
    base_carbs_g: float
    kcal: float
    carbs_g: float
    adjustment_kcal: float
    rule: str = RULE


def _week_days(program: Program, day: dt.date) -> tuple[int, bool] | None:
    idx = (day - program.start_date).days // 7
    weeks = program.plan.get("weeks", [])
    if idx < 0 or idx >= len(weeks):
        return None
    days = weeks[idx]["days"]
    return len(days), any(d["weekday"] == day.weekday() for d in days)


def cycle(
    program: Program | None,
    profile: UserProfile | None,
    day: dt.date,
    kcal: float,
    carbs_g: float,
) -> CarbCycle | None:
    """The day's cycled kcal and carbs, or None when cycling does not apply (switched off, no
    program, a day outside it, or a week without both training and rest days)."""
    if program is None or (profile is not None and profile.carb_cycling is False):
        return None
    week = _week_days(program, day)
    if week is None:
        return None
    n, training = week
    if n <= 0 or n >= 7 or kcal <= 0:
        return None
    rest = 7 - n
    swing = SWING
    # The rest-day cut comes out of carbs alone; keep enough of them.
    max_cut = max(0.0, (carbs_g - MIN_REST_CARBS_G) * KCAL_PER_G_CARBS)
    if kcal * swing * n / 7 > max_cut:
        swing = max_cut * 7 / (kcal * n)
    delta = kcal * swing * (rest / 7 if training else -n / 7)
    return CarbCycle(
        day_type="training" if training else "rest",
        training_days=n,
        base_kcal=kcal,
        base_carbs_g=carbs_g,
        kcal=round(kcal + delta),
        carbs_g=round(carbs_g + delta / KCAL_PER_G_CARBS),
        adjustment_kcal=round(delta),
    )


async def active_programs(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Program]:
    """Each user's active program, one query."""
    if not user_ids:
        return {}
    rows = await session.scalars(
        sa.select(Program)
        .where(col(Program.user_id).in_(user_ids), col(Program.is_active))
        .order_by(col(Program.created_at))
    )
    return {p.user_id: p for p in rows}


def as_json(c: CarbCycle) -> dict[str, Any]:
    return {
        "day_type": c.day_type,
        "training_days": c.training_days,
        "base_kcal": c.base_kcal,
        "base_carbs_g": c.base_carbs_g,
        "adjustment_kcal": c.adjustment_kcal,
        "rule": c.rule,
    }
