"""Daily and weekly analytics: SQL GROUP BYs over (user_id, date), compared with goals.

A nutrient is "on target" within ±TOLERANCE of its goal, "under" below and "over" above it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.goals import service as goals_service
from app.goals.models import Goal
from app.logs.models import LogEntry
from app.summaries import micronutrients
from app.summaries.schemas import (
    Comparison,
    DailySummary,
    DaySummary,
    GoalTargets,
    MealTotals,
    Nutrients,
    StatusCounts,
    WaterTotals,
    WeeklySummary,
)
from app.water import service as water_service

TOLERANCE = 0.10
GOAL_KEYS = ("kcal", "protein_g", "carbs_g", "fat_g")
SUM_KEYS = tuple(Nutrients.model_fields)
MEAL_ORDER = ("breakfast", "lunch", "dinner", "snack")

_sums = [sa.func.coalesce(sa.func.sum(getattr(LogEntry, k)), 0).label(k) for k in SUM_KEYS]


def _nutrients(row: Mapping[str, Any] | None) -> Nutrients:
    if row is None:
        return Nutrients()
    return Nutrients(**{k: round(float(row[k] or 0), 1) for k in SUM_KEYS})


def _add(a: Nutrients, b: Nutrients) -> Nutrients:
    return Nutrients(**{k: round(getattr(a, k) + getattr(b, k), 1) for k in SUM_KEYS})


def status_of(actual: float, goal: float) -> str:
    if goal <= 0:
        return "on_target" if actual <= 0 else "over"
    if actual < goal * (1 - TOLERANCE):
        return "under"
    if actual > goal * (1 + TOLERANCE):
        return "over"
    return "on_target"


def compare(totals: Nutrients, goal: Goal | None) -> dict[str, Comparison] | None:
    if goal is None:
        return None
    out = {}
    for k in GOAL_KEYS:
        g = float(getattr(goal, k))
        a = float(getattr(totals, k))
        out[k] = Comparison(
            goal=g,
            actual=a,
            difference=round(a - g, 1),
            percent=round(a / g * 100, 1) if g > 0 else None,
            status=status_of(a, g),
        )
    return out


def _targets(goal: Goal | None) -> GoalTargets | None:
    if goal is None:
        return None
    return GoalTargets(
        effective_from=goal.effective_from,
        **{k: float(getattr(goal, k)) for k in GOAL_KEYS},
    )


async def daily(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> DailySummary:
    rows = (
        await session.execute(
            sa.select(col(LogEntry.meal_type), sa.func.count().label("n"), *_sums)
            .where(col(LogEntry.user_id) == user_id, col(LogEntry.date) == day)
            .group_by(col(LogEntry.meal_type))
        )
    ).mappings()
    by_meal: dict[str, Mapping[str, Any]] = {r["meal_type"]: r for r in rows}
    meals = [
        MealTotals(
            meal_type=m,
            entries=int(by_meal[m]["n"]) if m in by_meal else 0,
            totals=_nutrients(by_meal.get(m)),
        )
        for m in MEAL_ORDER
    ]
    totals = Nutrients()
    for m in meals:
        totals = _add(totals, m.totals)
    goal = await goals_service.goal_on(session, user_id, day)
    water_ml = await water_service.daily_total(session, user_id, day)
    water_goal, basis = await water_service.goal(session, user_id)
    return DailySummary(
        date=day,
        entries=sum(m.entries for m in meals),
        totals=totals,
        meals=meals,
        goal=_targets(goal),
        comparison=compare(totals, goal),
        tolerance_pct=TOLERANCE * 100,
        micronutrients=await micronutrients.for_range(session, user_id, day, day),
        water=WaterTotals(
            total_ml=water_ml,
            goal_ml=water_goal,
            goal_basis=basis,
            percent=round(water_ml / water_goal * 100, 1) if water_goal else 0.0,
        ),
    )


async def weekly(session: AsyncSession, user_id: uuid.UUID, start: dt.date) -> WeeklySummary:
    end = start + dt.timedelta(days=6)
    rows = (
        await session.execute(
            sa.select(col(LogEntry.date), sa.func.count().label("n"), *_sums)
            .where(
                col(LogEntry.user_id) == user_id,
                col(LogEntry.date) >= start,
                col(LogEntry.date) <= end,
            )
            .group_by(col(LogEntry.date))
        )
    ).mappings()
    by_day: dict[dt.date, Mapping[str, Any]] = {r["date"]: r for r in rows}
    goals = await goals_service.goals_for_range(session, user_id, start, end)
    week = build_weekly(start, by_day, goals)
    week.micronutrients = await micronutrients.for_range(session, user_id, start, end)
    return week


def build_weekly(
    start: dt.date, by_day: Mapping[dt.date, Mapping[str, Any]], goals: Sequence[Goal]
) -> WeeklySummary:
    days: list[DaySummary] = []
    totals = Nutrients()
    counts = {k: StatusCounts() for k in GOAL_KEYS}
    closeness: list[tuple[float, dt.date]] = []
    for i in range(7):
        day = start + dt.timedelta(days=i)
        row = by_day.get(day)
        day_totals = _nutrients(row)
        goal = goals_service.goal_for_day(goals, day)
        logged = row is not None
        cmp = compare(day_totals, goal)
        if logged:
            totals = _add(totals, day_totals)
            if cmp is not None and goal is not None:
                for k, c in cmp.items():
                    setattr(counts[k], c.status, getattr(counts[k], c.status) + 1)
                closeness.append((abs(day_totals.kcal - goal.kcal), day))
        days.append(
            DaySummary(
                date=day,
                logged=logged,
                entries=int(row["n"]) if row is not None else 0,
                totals=day_totals,
                goal=_targets(goal),
                comparison=cmp,
            )
        )
    days_logged = sum(1 for d in days if d.logged)
    averages = (
        Nutrients(**{k: round(getattr(totals, k) / days_logged, 1) for k in SUM_KEYS})
        if days_logged
        else Nutrients()
    )
    judged = sum(c.under + c.on_target + c.over for c in counts.values())
    on = sum(c.on_target for c in counts.values())
    closeness.sort()
    return WeeklySummary(
        start=start,
        end=start + dt.timedelta(days=6),
        days=days,
        totals=totals,
        daily_averages=averages,
        days_logged=days_logged,
        best_day=closeness[0][1] if closeness else None,
        worst_day=closeness[-1][1] if closeness else None,
        status_counts=counts,
        adherence_pct=round(on / judged * 100, 1) if judged else None,
        tolerance_pct=TOLERANCE * 100,
    )
