"""Words for a meal plan: LLM prose when available, a deterministic template otherwise.

Every number in the text comes from the structured plan. The LLM is asked for prose without
numbers, and any sentence of its answer that still states a nutrition figure is dropped, so
its words can never contradict the figures the app shows.

The plan dict is read tolerantly; the shape it understands is

    {"meals": [{"meal_type": "breakfast", "recipe": "Oatmeal" | {"name": ...},
                "kcal": 400, ...}, ...],
     "totals": {"kcal": 2000, "protein_g": 150, "carbs_g": 200, "fat_g": 70},
     "targets": {"kcal": 2100, "protein_g": 140, ...}}

or {"days": [<that day shape>, ...]} for several days.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Mapping
from typing import Any, Protocol

from app.core import metrics
from app.llm.client import LLMError

log = logging.getLogger("nexfitra.llm")

_MACROS = (("protein_g", "protein"), ("carbs_g", "carbs"), ("fat_g", "fat"))
_MEAL_LABEL_KEYS = ("meal_type", "meal", "slot", "label")
_RECIPE_KEYS = ("recipe", "recipe_name", "title", "name")

# A number tied to energy, a macro or a percentage: figures only the plan may state.
_NUTRITION_FIGURE = re.compile(
    r"\d[\d,.]*\s*(?:k?cal\b|kcals?\b|calories\b|kj\b|%|percent\b|mg\b|mcg\b|µg\b"
    r"|g(?:rams?)?\s+(?:of\s+)?(?:protein|carb|fat|fib|sugar|sodium))"
    r"|\b(?:protein|carbs?|carbohydrates?|fat|fib(?:er|re)|calories|kcal)\b\W{0,3}\d",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value: float) -> str:
    return f"{round(value):,}"


def _recipe_names(meal: Mapping[str, Any]) -> list[str]:
    for key in _RECIPE_KEYS:
        value = meal.get(key)
        if isinstance(value, Mapping):
            value = value.get("name") or value.get("title")
        if isinstance(value, str) and value.strip() and value != _meal_label(meal):
            return [value.strip()]
    for key in ("recipes", "items", "foods"):
        values = meal.get(key)
        if isinstance(values, list):
            names = []
            for v in values:
                if isinstance(v, Mapping):
                    v = v.get("name") or v.get("title") or v.get("food")
                if isinstance(v, str) and v.strip():
                    names.append(v.strip())
            if names:
                return names
    return []


def _meal_label(meal: Mapping[str, Any]) -> str | None:
    for key in _MEAL_LABEL_KEYS:
        value = meal.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _meals(day: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    meals = day.get("meals")
    return [m for m in meals if isinstance(m, Mapping)] if isinstance(meals, list) else []


def _totals(day: Mapping[str, Any]) -> dict[str, float]:
    given = day.get("totals")
    if isinstance(given, Mapping):
        found = {}
        for key in ("kcal", *(m for m, _ in _MACROS)):
            v = _num(given.get(key))
            if v is not None:
                found[key] = v
        if found:
            return found
    # No totals given: add up what the meals carry, flat or under their own "totals".
    summed: dict[str, float] = {}
    for meal in _meals(day):
        own = meal.get("totals")
        source: Mapping[str, Any] = own if isinstance(own, Mapping) else meal
        for key in ("kcal", *(m for m, _ in _MACROS)):
            v = _num(source.get(key))
            if v is not None:
                summed[key] = summed.get(key, 0.0) + v
    return summed


def _day_summary(day: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    totals = _totals(day)
    targets_raw = day.get("targets")
    targets = targets_raw if isinstance(targets_raw, Mapping) else {}
    parts: list[str] = []
    if "kcal" in totals:
        energy = f"about {_fmt(totals['kcal'])} kcal"
        target_kcal = _num(targets.get("kcal"))
        if target_kcal:
            energy += f" (target {_fmt(target_kcal)} kcal)"
        parts.append(energy)
    for key, label in _MACROS:
        if key in totals:
            macro = f"{_fmt(totals[key])} g {label}"
            target = _num(targets.get(key))
            if target:
                macro += f" (target {_fmt(target)} g)"
            parts.append(macro)
    if parts:
        lines.append("This day gives you " + ", ".join(parts) + ".")
    meal_parts: list[str] = []
    for meal in _meals(day):
        meal_label = _meal_label(meal)
        names = _recipe_names(meal)
        if meal_label and names:
            meal_parts.append(f"{meal_label.capitalize()}: {', '.join(names)}")
        elif names:
            meal_parts.append(", ".join(names))
        elif meal_label:
            meal_parts.append(meal_label.capitalize())
    if meal_parts:
        lines.append("; ".join(meal_parts) + ".")
    return lines


def template_text(plan: Mapping[str, Any]) -> str:
    days = plan.get("days")
    if isinstance(days, list) and days:
        lines = []
        for n, day in enumerate(days, start=1):
            if isinstance(day, Mapping):
                summary = _day_summary(day)
                if summary:
                    lines.append(f"Day {n}: " + " ".join(summary))
        text = "\n".join(lines)
    else:
        text = "\n".join(_day_summary(plan))
    return text or "Your meal plan is ready."


def strip_nutrition_figures(text: str) -> str:
    """Drops every sentence of `text` that states a nutrition figure."""
    kept_lines = []
    for line in text.splitlines():
        sentences = [s for s in _SENTENCE.split(line) if not _NUTRITION_FIGURE.search(s)]
        kept = " ".join(sentences).strip()
        if kept:
            kept_lines.append(kept)
    return "\n".join(kept_lines)


class PlanTextWriter(Protocol):
    """What `describe_plan` needs of an LLM: `LLMClient` or a `BudgetedWriter` around it."""

    async def write_plan_text(self, plan: dict[str, Any]) -> str: ...


class BudgetExhausted(LLMError):
    reason = "budget"


class BudgetedWriter:
    """An LLM writer with a budget for one batch of the nightly run: at most `max_calls`
    calls and `max_seconds` of wall clock; after `max_failures` failures in a row the server
    is taken to be down and not asked again. Past the budget every plan gets the template,
    so a slow or unavailable LLM can never hold up the run."""

    def __init__(
        self,
        inner: PlanTextWriter,
        *,
        max_calls: int,
        max_seconds: float,
        max_failures: int = 3,
        clock: Any = time.monotonic,
    ) -> None:
        self.inner = inner
        self.max_calls = max_calls
        self.max_failures = max_failures
        self._clock = clock
        self._deadline = clock() + max_seconds
        self.calls = 0
        self.failures_in_row = 0
        self.healthy = False
        self._probe = asyncio.Lock()

    def spent(self) -> str | None:
        if self.calls >= self.max_calls:
            return f"the batch's {self.max_calls} LLM calls are spent"
        if self._clock() >= self._deadline:
            return "the batch's LLM time budget is spent"
        if self.failures_in_row >= self.max_failures:
            return f"the LLM failed {self.failures_in_row} times in a row"
        return None

    async def write_plan_text(self, plan: dict[str, Any]) -> str:
        if self.healthy:
            return await self._call(plan)
        # Until the server has answered (and after each failure) one call at a time, so a dead
        # server sees `max_failures` requests, not one per plan of the batch at once.
        async with self._probe:
            return await self._call(plan)

    async def _call(self, plan: dict[str, Any]) -> str:
        why = self.spent()
        if why is not None:
            raise BudgetExhausted(why)
        self.calls += 1
        try:
            text = await self.inner.write_plan_text(plan)
        except LLMError:
            self.failures_in_row += 1
            self.healthy = False
            raise
        self.failures_in_row = 0
        self.healthy = True
        return text


async def describe_plan(plan: dict[str, Any], llm: PlanTextWriter | None) -> tuple[str, str]:
    """(text, source): source is "llm" when the LLM wrote the prose, else "template"."""
    summary = template_text(plan)
    if llm is None:
        return summary, "template"
    try:
        prose = strip_nutrition_figures(await llm.write_plan_text(plan))
    except BudgetExhausted:
        return summary, "template"
    except LLMError as exc:
        log.warning("plan text falls back to the template (%s): %s", exc.reason, exc)
        metrics.LLM_FALLBACKS.labels("plan_text", exc.reason).inc()
        return summary, "template"
    if not prose:
        return summary, "template"
    return f"{summary}\n\n{prose}", "llm"
