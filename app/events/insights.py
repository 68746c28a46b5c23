"""Weekly facts about a user's eating, kept current by a consumer of the log events.

The facts of a week are computed from the database with a few GROUP BYs, so applying an event
means "recompute the weeks it touched"; the consumer runner makes each event count once.
A week is Monday to Sunday (ISO), the same week `GET /summaries/weekly` defaults to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import dialect_insert
from app.core.timeutil import week_start
from app.core.types import utcnow
from app.events import outbox
from app.events.consumers import Consumer
from app.events.models import WeeklyInsight
from app.logs.models import LogEntry
from app.summaries import service as summaries_service
from app.summaries.schemas import WeeklySummary
from app.training.models import Workout

FACTS_VERSION = 1
MEALS = ("breakfast", "lunch", "dinner", "snack")
# Nutrients worth limiting: which foods brought the most of each in the week.
LIMIT_NUTRIENTS = ("sodium_mg", "sugars_g", "sat_fat_g")
STREAK_LOOKBACK_DAYS = 400

# Extra weekly facts from other domains (training volume, water), registered by those domains
# so this module need not import them: name -> async fn(session, user_id, start, end).
FACT_PROVIDERS: dict[str, Any] = {}


async def logged_days(
    session: AsyncSession, user_id: uuid.UUID, since: dt.date, until: dt.date
) -> list[dt.date]:
    rows = await session.scalars(
        sa.select(col(LogEntry.date))
        .where(
            col(LogEntry.user_id) == user_id,
            col(LogEntry.date) >= since,
            col(LogEntry.date) <= until,
        )
        .distinct()
        .order_by(col(LogEntry.date))
    )
    return list(rows)


def streaks(days: Iterable[dt.date], today: dt.date) -> dict[str, Any]:
    """Current streak: consecutive logged days ending today, or yesterday (today is not over
    yet, so an unlogged today does not break it). Longest: the longest run in `days`."""
    ordered = sorted(set(days))
    longest = run = 0
    prev: dt.date | None = None
    runs: list[tuple[dt.date, int]] = []  # (last day, length)
    for d in ordered:
        run = run + 1 if prev is not None and d - prev == dt.timedelta(days=1) else 1
        prev = d
        longest = max(longest, run)
        if runs and runs[-1][0] == d - dt.timedelta(days=1):
            runs[-1] = (d, run)
        else:
            runs.append((d, run))
    current = 0
    if runs and runs[-1][0] >= today - dt.timedelta(days=1):
        current = runs[-1][1]
    return {
        "current_days": current,
        "longest_days": longest,
        "last_logged": ordered[-1] if ordered else None,
    }


async def user_streaks(session: AsyncSession, user_id: uuid.UUID, today: dt.date) -> dict[str, Any]:
    # Whole history for the longest streak: one row per logged day, not per entry.
    rows = await session.scalars(
        sa.select(col(LogEntry.date))
        .where(col(LogEntry.user_id) == user_id, col(LogEntry.date) <= today)
        .distinct()
    )
    return streaks(rows, today)


async def _top_sources(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    name = sa.func.lower(col(LogEntry.description))
    for nutrient in LIMIT_NUTRIENTS:
        column = getattr(LogEntry, nutrient)
        amount = sa.func.sum(column)
        rows = (
            await session.execute(
                sa.select(sa.func.min(col(LogEntry.description)), amount.label("amount"))
                .where(
                    col(LogEntry.user_id) == user_id,
                    col(LogEntry.date) >= start,
                    col(LogEntry.date) <= end,
                    column.is_not(None),
                    column > 0,
                )
                .group_by(name)
                .order_by(amount.desc(), name)
                .limit(3)
            )
        ).all()
        total = await session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(
                col(LogEntry.user_id) == user_id,
                col(LogEntry.date) >= start,
                col(LogEntry.date) <= end,
            )
        )
        total_f = float(total or 0)
        out[nutrient] = [
            {
                "food": desc,
                "amount": round(float(a), 1),
                "share_pct": round(float(a) / total_f * 100) if total_f else None,
            }
            for desc, a in rows
        ]
    return out


async def _protein_by_meal(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> dict[str, Any]:
    rows = (
        await session.execute(
            sa.select(col(LogEntry.meal_type), sa.func.sum(col(LogEntry.protein_g)))
            .where(
                col(LogEntry.user_id) == user_id,
                col(LogEntry.date) >= start,
                col(LogEntry.date) <= end,
            )
            .group_by(col(LogEntry.meal_type))
        )
    ).all()
    grams = {m: 0.0 for m in MEALS}
    for meal, g in rows:
        grams[meal] = float(g or 0)
    total = sum(grams.values())
    shares = {m: round(g / total * 100) if total else None for m, g in grams.items()}
    top = max(grams, key=lambda m: grams[m]) if total else None
    return {
        "grams": {m: round(g, 1) for m, g in grams.items()},
        "share_pct": shares,
        "largest_meal": top,
        # Protein spread over three or more meals, none above half, is the usual advice for
        # muscle protein synthesis; a day that loads one meal misses it.
        "balanced": bool(total)
        and sum(1 for g in grams.values() if g > 0) >= 3
        and max(grams.values()) <= total * 0.5,
    }


async def _training(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, end: dt.date
) -> dict[str, Any]:
    row = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(col(Workout.total_volume_kg)), 0),
                sa.func.coalesce(sa.func.sum(col(Workout.working_sets)), 0),
                sa.func.coalesce(sa.func.sum(col(Workout.pr_count)), 0),
            ).where(
                col(Workout.user_id) == user_id,
                col(Workout.date) >= start,
                col(Workout.date) <= end,
            )
        )
    ).one()
    return {
        "sessions": int(row[0]),
        "volume_kg": round(float(row[1]), 1),
        "working_sets": int(row[2]),
        "prs": int(row[3]),
    }


def _weekday_weekend(days: Iterable[Any]) -> dict[str, Any]:
    weekday = [d.totals.kcal for d in days if d.logged and d.date.weekday() < 5]
    weekend = [d.totals.kcal for d in days if d.logged and d.date.weekday() >= 5]
    return {
        "weekday_avg_kcal": round(sum(weekday) / len(weekday)) if weekday else None,
        "weekend_avg_kcal": round(sum(weekend) / len(weekend)) if weekend else None,
        "weekday_days": len(weekday),
        "weekend_days": len(weekend),
    }


async def compute_facts(
    session: AsyncSession,
    user_id: uuid.UUID,
    start: dt.date,
    today: dt.date | None = None,
    week: WeeklySummary | None = None,
) -> dict[str, Any]:
    """The facts of the seven days from `start` (`week`: its summary, when already read)."""
    end = start + dt.timedelta(days=6)
    if week is None:
        week = await summaries_service.weekly(session, user_id, start)
    as_of = min(end, today) if today is not None else end
    history = await logged_days(
        session, user_id, as_of - dt.timedelta(days=STREAK_LOOKBACK_DAYS), as_of
    )
    streak = streaks(history, as_of)
    facts: dict[str, Any] = {
        "version": FACTS_VERSION,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days_logged": week.days_logged,
        "entries": sum(d.entries for d in week.days),
        "streak_days": streak["current_days"],
        "avg_kcal": round(week.daily_averages.kcal) if week.days_logged else None,
        "targets": {
            k: {"under": c.under, "on_target": c.on_target, "over": c.over}
            for k, c in week.status_counts.items()
        },
        "has_goal": any(d.goal is not None for d in week.days),
        "top_sources": await _top_sources(session, user_id, start, end),
        "protein_by_meal": await _protein_by_meal(session, user_id, start, end),
        **_weekday_weekend(week.days),
    }
    facts["training"] = await _training(session, user_id, start, end)
    for name, provider in FACT_PROVIDERS.items():
        facts[name] = await provider(session, user_id, start, end)
    return facts


async def store_week(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date, today: dt.date | None = None
) -> dict[str, Any]:
    facts = await compute_facts(session, user_id, start, today)
    now = utcnow()
    stmt = dialect_insert(session)(WeeklyInsight).values(
        user_id=user_id, week_start=start, facts=facts, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "week_start"], set_={"facts": facts, "updated_at": now}
    )
    await session.execute(stmt)
    return facts


async def stored_week(
    session: AsyncSession, user_id: uuid.UUID, start: dt.date
) -> WeeklyInsight | None:
    return await session.get(WeeklyInsight, (user_id, start))


def _dates(payload: Mapping[str, Any]) -> set[dt.date]:
    out = set()
    for key in ("date", "previous_date"):
        value = payload.get(key)
        if isinstance(value, str):
            try:
                out.add(dt.date.fromisoformat(value))
            except ValueError:
                continue
    return out


async def handle(session: AsyncSession, event: dict[str, Any]) -> None:
    await handle_many(session, [event])


async def handle_many(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Recomputes each (user, week) the events touched once, and announces the new facts: one
    InsightsUpdated per user, naming the weeks and the events behind them."""
    touched: dict[uuid.UUID, tuple[set[dt.date], list[str]]] = {}
    for event in events:
        user_id = uuid.UUID(event["user_id"])
        weeks, causes = touched.setdefault(user_id, (set(), []))
        weeks.update(week_start(d) for d in _dates(event.get("payload") or {}))
        causes.append(str(event.get("id")))
    rows = []
    for user_id, (weeks, causes) in touched.items():
        for start in sorted(weeks):
            await store_week(session, user_id, start)
        if weeks:
            rows.append(
                outbox.event_row(
                    outbox.INSIGHTS_UPDATED,
                    user_id,
                    {"weeks": sorted(w.isoformat() for w in weeks), "causes": causes},
                )
            )
    await outbox.add(session, rows)


CONSUMER = Consumer(
    name="insights",
    types=frozenset(
        {
            outbox.FOOD_LOGGED,
            outbox.FOOD_LOG_UPDATED,
            outbox.FOOD_LOG_DELETED,
            outbox.WORKOUT_LOGGED,
        }
    ),
    handle=handle,
    handle_batch=handle_many,
)
