"""Vitamins and minerals eaten, against the Dietary Reference Intakes for the user's sex and age.

The reference values live in `data/dri.json` with their source (the National Academies' DRI
summary tables; sodium and potassium from the 2019 update). Amounts come from each log entry's
nutrient snapshot (USDA data, scaled to the grams eaten); entries typed by hand carry only the
few nutrients they were given, which `coverage_pct` makes visible.

Status: `below` under the RDA or AI, `meets` from it up to the upper level, `above_upper` past
the UL (or, for sodium, the Chronic Disease Risk Reduction intake). Below an AI does not mean
inadequate (an AI is not an average requirement); the kind is reported so clients can say so.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.logs.models import LogEntry
from app.users.models import UserProfile

Status = Literal["below", "meets", "above_upper"]

# Log entry columns that hold a nutrient for entries without a full snapshot (typed entries).
_COLUMNS = ("fiber_g", "sodium_mg")


class Micronutrient(BaseModel):
    nutrient: str
    unit: str
    amount: float = Field(description="Eaten (a day), or the daily average over logged days")
    reference: float = Field(description="RDA or AI for your sex and age")
    reference_kind: Literal["RDA", "AI"]
    upper: float | None = Field(description="Tolerable Upper Intake Level (or sodium's CDRR)")
    upper_kind: Literal["UL", "CDRR"] | None
    percent: float = Field(description="amount as a percentage of the reference")
    status: Status


class Micronutrients(BaseModel):
    basis: str = Field(
        description="The DRI group used, e.g. 'female 31-50'; without sex and date of birth in "
        "the profile, the higher of the adult male and female values (31-50)"
    )
    coverage_pct: float | None = Field(
        description="Share of the entries that carry a full nutrient snapshot (foods from the "
        "database or parsed text); typed entries count only the nutrients they were given"
    )
    items: list[Micronutrient]
    source: str


@functools.cache
def dri() -> Mapping[str, Any]:
    raw = resources.files("app.summaries").joinpath("data", "dri.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _group(age: int) -> int:
    for i, (lo, hi) in enumerate(dri()["age_groups"]):
        if lo <= age <= hi:
            return i
    return 0  # under 9: the youngest group here (the app's profiles are for 13 and over)


def references(
    sex: str | None, age: int | None
) -> tuple[str, dict[str, tuple[float, float | None]]]:
    """(basis, {nutrient: (reference, upper)})."""
    table = dri()
    if sex in ("male", "female") and age is not None:
        g = _group(age)
        lo, hi = table["age_groups"][g]
        label = f"{sex} {lo}-{hi}" if hi < 200 else f"{sex} {lo}+"
        out = {}
        for name, spec in table["nutrients"].items():
            upper = spec["upper"][g] if spec.get("upper") else None
            out[name] = (float(spec[sex][g]), None if upper is None else float(upper))
        return label, out
    g = _group(40)
    out = {}
    for name, spec in table["nutrients"].items():
        upper = spec["upper"][g] if spec.get("upper") else None
        ref = max(float(spec["male"][g]), float(spec["female"][g]))
        out[name] = (ref, None if upper is None else float(upper))
    return "adult 31-50 (higher of male and female; set sex and date of birth)", out


def _amount_expr(name: str) -> Any:
    value = col(LogEntry.nutrients)[name].as_float()
    if name in _COLUMNS:
        value = sa.func.coalesce(value, getattr(LogEntry, name))
    return sa.func.coalesce(sa.func.sum(value), 0).label(name)


async def totals(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> tuple[dict[str, float], int, int, int]:
    """(per-nutrient totals, entries, entries with a snapshot, days logged) over the range."""
    names = list(dri()["nutrients"])
    row = (
        (
            await session.execute(
                sa.select(
                    sa.func.count().label("n"),
                    # Typed entries store JSON null: count the snapshots that hold values.
                    sa.func.count(col(LogEntry.nutrients)["kcal"].as_float()).label(
                        "with_snapshot"
                    ),
                    sa.func.count(sa.distinct(col(LogEntry.date))).label("days"),
                    *(_amount_expr(n) for n in names),
                ).where(
                    col(LogEntry.user_id) == user_id,
                    col(LogEntry.date) >= start,
                    col(LogEntry.date) <= end,
                )
            )
        )
        .mappings()
        .one()
    )
    amounts = {n: float(row[n] or 0) for n in names}
    return amounts, int(row["n"]), int(row["with_snapshot"]), int(row["days"])


def _age(dob: dt.date | None, on: dt.date) -> int | None:
    if dob is None or dob > on:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def assess(
    amounts: Mapping[str, float], refs: Mapping[str, tuple[float, float | None]]
) -> list[Micronutrient]:
    items = []
    for name, spec in dri()["nutrients"].items():
        ref, upper = refs[name]
        amount = round(amounts.get(name, 0.0), 2)
        if upper is not None and amount > upper:
            status: Status = "above_upper"
        elif amount >= ref:
            status = "meets"
        else:
            status = "below"
        items.append(
            Micronutrient(
                nutrient=name,
                unit=spec["unit"],
                amount=amount,
                reference=ref,
                reference_kind=spec["kind"],
                upper=upper,
                upper_kind=spec.get("upper_kind") if upper is not None else None,
                percent=round(amount / ref * 100, 1) if ref else 0.0,
                status=status,
            )
        )
    return items


async def for_range(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> Micronutrients:
    """A day (start == end): what was eaten. A longer range: the average per logged day."""
    profile = await session.get(UserProfile, user_id)
    sex = profile.sex if profile is not None else None
    age = _age(profile.date_of_birth if profile is not None else None, end)
    basis, refs = references(sex, age)
    amounts, n, with_snapshot, days = await totals(session, user_id, start, end)
    if start != end and days:
        amounts = {k: v / days for k, v in amounts.items()}
    return Micronutrients(
        basis=basis,
        coverage_pct=round(with_snapshot / n * 100, 1) if n else None,
        items=assess(amounts, refs),
        source=dri()["source"],
    )
