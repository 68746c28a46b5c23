"""Weight trend and adaptive (data-driven) energy expenditure.

Pure functions over `(date, value)` pairs so the API layer can feed them straight from the
weight and food logs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.users.energy import KCAL_PER_KG, Confidence, ExplanationStep

# Rates smaller than this are noise: no projection is made from them.
FLAT_RATE_KG_PER_WEEK = 0.02
# Within this distance of the target the target counts as reached.
TARGET_REACHED_KG = 0.05
# Projections further out than this are not meaningful.
MAX_PROJECTION_DAYS = 5 * 365
RATE_WINDOW_DAYS = 28
MIN_RATE_SPAN_DAYS = 7

# Plausible daily expenditure for an adult; outside it the data (not the person) is wrong.
PLAUSIBLE_TDEE_KCAL = (1000.0, 6000.0)
MIN_WEIGH_INS = 4


@dataclass(frozen=True)
class TrendPoint:
    date: dt.date
    weight_kg: float
    trend_kg: float


@dataclass(frozen=True)
class WeightTrend:
    """Trend of a weight log. Latest values are None when there are no entries; the weekly
    rate is None until the last 28 days hold weigh-ins spanning at least 7 days."""

    alpha: float
    latest_date: dt.date | None
    latest_weight_kg: float | None
    latest_trend_kg: float | None
    weekly_rate_kg: float | None
    rate_window_start: dt.date | None
    target_weight_kg: float | None
    projected_date: dt.date | None
    series: list[TrendPoint]
    explanation: list[ExplanationStep] = field(default_factory=list)


@dataclass(frozen=True)
class AdaptiveEstimate:
    """Expenditure estimated from intake and weight change over a window.

    `tdee_kcal` is None when confidence is "none". `raw_tdee_kcal` is the unclamped estimate
    (None when it cannot be computed at all). `standard_error_kcal` is the statistical
    uncertainty of the estimate from the scatter of intake and weigh-ins.
    """

    tdee_kcal: int | None
    raw_tdee_kcal: int | None
    confidence: Confidence
    clamped: bool
    window_start: dt.date | None
    window_end: dt.date | None
    window_days: int
    logged_days: int
    weigh_ins: int
    mean_intake_kcal: int | None
    weight_change_kg: float | None
    weekly_rate_kg: float | None
    energy_balance_kcal: int | None
    standard_error_kcal: int | None
    explanation: list[ExplanationStep] = field(default_factory=list)


def _daily(
    entries: Iterable[tuple[dt.date, float]], how: Literal["sum", "mean"]
) -> dict[dt.date, float]:
    grouped: dict[dt.date, list[float]] = {}
    for date, value in entries:
        if not math.isfinite(value):
            raise ValueError(f"value for {date} is not a finite number")
        grouped.setdefault(date, []).append(value)
    if how == "sum":
        return {d: sum(v) for d, v in grouped.items()}
    return {d: sum(v) / len(v) for d, v in grouped.items()}


def _slope(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Ordinary least-squares slope and its standard error (0 when it cannot be estimated)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return 0.0, 0.0
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    if n <= 2:
        return slope, 0.0
    resid = sum((y - my - slope * (x - mx)) ** 2 for x, y in points)
    return slope, math.sqrt(resid / (n - 2) / sxx)


def ema_series(daily: dict[dt.date, float], alpha: float) -> list[TrendPoint]:
    """Exponential moving average over logged days; a gap of n days decays like n daily steps
    (alpha_eff = 1 - (1 - alpha)**n) so one weigh-in after a long break moves the trend more."""
    series: list[TrendPoint] = []
    trend = 0.0
    prev: dt.date | None = None
    for date in sorted(daily):
        w = daily[date]
        if prev is None:
            trend = w
        else:
            a_eff = 1 - (1 - alpha) ** (date - prev).days
            trend += a_eff * (w - trend)
        series.append(TrendPoint(date, w, trend))
        prev = date
    return series


def weight_trend(
    entries: Sequence[tuple[dt.date, float]],
    alpha: float = 0.1,
    target_weight_kg: float | None = None,
) -> WeightTrend:
    """Smoothed weight trend, weekly rate and projected date to reach a target.

    - Several weigh-ins on one date are averaged.
    - Trend: EMA with smoothing `alpha` (0.1 ≈ a 10-day memory, as popularised by The Hacker's
      Diet), gap-aware per elapsed day.
    - Weekly rate: least-squares slope of the trend over the last 28 days × 7 (the slope is
      steadier than first-vs-last). Needs points spanning at least 7 days.
    - Projection: days = (target − trend) / daily rate from the latest date, only when moving
      toward the target faster than 0.02 kg/week and within 5 years; the latest date if the
      trend is already within 0.05 kg of the target.
    """
    if not 0 < alpha <= 1:
        raise ValueError("alpha must be in (0, 1]")
    daily = _daily(entries, "mean")
    if any(w <= 0 for w in daily.values()):
        raise ValueError("weights must be positive")
    series = ema_series(daily, alpha)
    if not series:
        return WeightTrend(alpha, None, None, None, None, None, target_weight_kg, None, [])

    last = series[-1]
    window_start = last.date - dt.timedelta(days=RATE_WINDOW_DAYS - 1)
    window = [p for p in series if p.date >= window_start]
    rate: float | None = None
    if len(window) >= 2 and (window[-1].date - window[0].date).days >= MIN_RATE_SPAN_DAYS:
        slope, _ = _slope([((p.date - last.date).days, p.trend_kg) for p in window])
        rate = slope * 7

    steps = [
        ExplanationStep(
            "trend",
            f"Trend weight: exponential moving average of your weigh-ins (alpha {alpha:g}).",
            round(last.trend_kg, 2),
            "kg",
            "trend += (1 − (1 − alpha)^days_since_last) × (weight − trend)",
            {"alpha": alpha, "weigh_ins": len(series)},
        )
    ]
    if rate is not None:
        steps.append(
            ExplanationStep(
                "weekly_rate",
                "Weekly change: least-squares slope of the trend over the last 28 days.",
                round(rate, 3),
                "kg/week",
                "slope_kg_per_day × 7",
                {"points": len(window), "window_start": window[0].date.isoformat()},
            )
        )

    projected: dt.date | None = None
    if target_weight_kg is not None:
        remaining = target_weight_kg - last.trend_kg
        if abs(remaining) <= TARGET_REACHED_KG:
            projected = last.date
        elif rate is not None and abs(rate) >= FLAT_RATE_KG_PER_WEEK and remaining * rate > 0:
            days = math.ceil(remaining / (rate / 7))
            if days <= MAX_PROJECTION_DAYS:
                projected = last.date + dt.timedelta(days=days)
        steps.append(
            ExplanationStep(
                "projection",
                (
                    f"At the current rate you reach {target_weight_kg:g} kg around "
                    f"{projected.isoformat()}."
                    if projected
                    else "No projection: the trend is flat or moving away from the target."
                ),
                None,
                None,
                "(target_weight_kg − trend_kg) / (weekly_rate_kg / 7) days",
                {"target_weight_kg": target_weight_kg, "remaining_kg": round(remaining, 2)},
            )
        )

    return WeightTrend(
        alpha=alpha,
        latest_date=last.date,
        latest_weight_kg=last.weight_kg,
        latest_trend_kg=round(last.trend_kg, 2),
        weekly_rate_kg=None if rate is None else round(rate, 3),
        rate_window_start=window[0].date if rate is not None else None,
        target_weight_kg=target_weight_kg,
        projected_date=projected,
        series=[TrendPoint(p.date, p.weight_kg, round(p.trend_kg, 3)) for p in series],
        explanation=steps,
    )


def _confidence(logged_days: int, weigh_ins: int, window_days: int) -> Confidence:
    """Confidence from data coverage in the window (after the "none" checks):

    - high: intake logged on >= 85% of days (24 of 28) and weighed on >= 50% of days (14 of 28)
    - medium: intake on >= 70% of days (20 of 28) and weighed on >= 25% of days (7 of 28)
    - low: otherwise
    Coverage matters more than raw precision: missing days are usually untypical days.
    """
    if logged_days >= 0.85 * window_days and weigh_ins >= 0.5 * window_days:
        return "high"
    if logged_days >= 0.70 * window_days and weigh_ins >= 0.25 * window_days:
        return "medium"
    return "low"


def adaptive_expenditure(
    intake: Sequence[tuple[dt.date, float]],
    weights: Sequence[tuple[dt.date, float]],
    window_days: int = 28,
    min_days: int = 14,
    end_date: dt.date | None = None,
) -> AdaptiveEstimate:
    """Real daily expenditure from energy balance: what you ate minus what you stored.

    expenditure = mean daily intake − weight_change_kg × 7700 / days

    - Window: the `window_days` days ending at `end_date` (default: the latest date in either
      series). Intake entries on one date are summed (they are parts of one day); dates with
      no entries, or a total of 0 or less, are not logged days and are left out of the mean
      rather than counted as zero.
    - Weight change: the least-squares line through the window's weigh-ins (same-day weigh-ins
      averaged), slope × window_days. A fitted line is used rather than the EMA trend because
      the EMA lags by about (1 − alpha) / alpha days and so understates the change when little
      history precedes the window; the line is unbiased and uses every weigh-in.
    - Confidence "none" when fewer than `min_days` logged days, fewer than 4 weigh-ins, or
      weigh-ins spanning less than 7 days; otherwise see `_confidence`.
    - The estimate is clamped to 1000-6000 kcal; a clamped estimate is downgraded to "low"
      because it means the logs are inconsistent (e.g. unlogged eating).
    """
    if window_days < 7:
        raise ValueError("window_days must be at least 7")
    if not 1 <= min_days <= window_days:
        raise ValueError("min_days must be between 1 and window_days")
    all_dates = [d for d, _ in intake] + [d for d, _ in weights]
    if end_date is None:
        end_date = max(all_dates) if all_dates else None
    if end_date is None:
        return AdaptiveEstimate(
            None, None, "none", False, None, None, window_days, 0, 0, None, None, None, None, None
        )
    start = end_date - dt.timedelta(days=window_days - 1)

    intake_days = {
        d: v for d, v in _daily(intake, "sum").items() if start <= d <= end_date and v > 0
    }
    weigh_days = {d: v for d, v in _daily(weights, "mean").items() if start <= d <= end_date}
    logged, n_weigh = len(intake_days), len(weigh_days)
    mean_intake = sum(intake_days.values()) / logged if logged else None

    slope = slope_se = None
    if n_weigh >= 2:
        slope, slope_se = _slope([((d - start).days, w) for d, w in weigh_days.items()])

    steps: list[ExplanationStep] = []
    if mean_intake is not None:
        steps.append(
            ExplanationStep(
                "mean_intake",
                f"Average intake over the {logged} days you logged (unlogged days left out).",
                round(mean_intake),
                "kcal",
                "sum(intake_kcal) / logged_days",
                {"logged_days": logged, "window_days": window_days},
            )
        )

    raw = balance = change = se = None
    if mean_intake is not None and slope is not None and slope_se is not None:
        balance = slope * KCAL_PER_KG
        change = slope * window_days
        raw = mean_intake - balance
        intake_sd = (
            math.sqrt(sum((v - mean_intake) ** 2 for v in intake_days.values()) / (logged - 1))
            if logged > 1
            else 0.0
        )
        se = math.hypot(intake_sd / math.sqrt(logged), slope_se * KCAL_PER_KG)
        steps.append(
            ExplanationStep(
                "weight_change",
                f"Weight change over {window_days} days from the line through your "
                f"{n_weigh} weigh-ins; stored or released energy at 7,700 kcal per kg.",
                round(balance),
                "kcal/day",
                "slope_kg_per_day × 7700",
                {"weight_change_kg": round(change, 2), "weigh_ins": n_weigh},
            )
        )

    span = (max(weigh_days) - min(weigh_days)).days if weigh_days else 0
    confidence: Confidence
    if logged < min_days or n_weigh < MIN_WEIGH_INS or span < 7 or raw is None:
        confidence = "none"
        reason = (
            f"Not enough data yet: {logged} logged days (need {min_days}) and {n_weigh} "
            f"weigh-ins (need {MIN_WEIGH_INS}, at least a week apart)."
        )
    else:
        confidence = _confidence(logged, n_weigh, window_days)
        reason = f"{logged} logged days and {n_weigh} weigh-ins in {window_days} days."

    tdee: float | None = None
    clamped = False
    if raw is not None and confidence != "none":
        lo, hi = PLAUSIBLE_TDEE_KCAL
        tdee = min(max(raw, lo), hi)
        clamped = tdee != raw
        if clamped:
            confidence = "low"
            reason += f" The raw estimate {round(raw)} kcal is implausible and was clamped."
    steps.append(
        ExplanationStep(
            "expenditure",
            f"Estimated expenditure ({confidence} confidence). {reason}",
            None if tdee is None else round(tdee),
            "kcal",
            "mean_intake_kcal − weight_change_kg × 7700 / window_days",
            {"raw_kcal": None if raw is None else round(raw)},
        )
    )

    return AdaptiveEstimate(
        tdee_kcal=None if tdee is None else round(tdee),
        raw_tdee_kcal=None if raw is None else round(raw),
        confidence=confidence,
        clamped=clamped,
        window_start=start,
        window_end=end_date,
        window_days=window_days,
        logged_days=logged,
        weigh_ins=n_weigh,
        mean_intake_kcal=None if mean_intake is None else round(mean_intake),
        weight_change_kg=None if change is None else round(change, 2),
        weekly_rate_kg=None if slope is None else round(slope * 7, 3),
        energy_balance_kcal=None if balance is None else round(balance),
        standard_error_kcal=None if se is None else round(se),
        explanation=steps,
    )
