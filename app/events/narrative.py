"""The week in plain English: a deterministic template, or LLM prose that states only facts.

The LLM is given the week's facts and may phrase them; every number in its answer must be one
of the numbers in those facts, otherwise the template text is answered. Numbers are the one
thing a model must never make up here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from app.llm.client import LLMClient, LLMError

log = logging.getLogger("nexfitra.llm")

_NUTRIENT_WORDS = {
    "kcal": "calories",
    "protein_g": "protein",
    "carbs_g": "carbohydrate",
    "fat_g": "fat",
}
_LIMIT_WORDS = {"sodium_mg": "sodium", "sugars_g": "sugars", "sat_fat_g": "saturated fat"}
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)*(?![\w])")


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def template(facts: Mapping[str, Any]) -> str:
    start = dt.date.fromisoformat(facts["start"])
    lines: list[str] = []
    logged = int(facts.get("days_logged") or 0)
    if not logged:
        return (
            f"You logged no food in the week of {start:%B} {start.day}. "
            "Log a meal or two and this summary will tell you how the week went."
        )
    lines.append(
        f"In the week of {start:%B} {start.day} you logged food on {logged} of 7 days"
        f" ({facts.get('entries', 0)} entries), averaging {facts.get('avg_kcal')} kcal a day."
    )
    wd, we = facts.get("weekday_avg_kcal"), facts.get("weekend_avg_kcal")
    if wd is not None and we is not None:
        if we > wd * 1.1:
            lines.append(f"Weekends ran higher: {we} kcal a day against {wd} on weekdays.")
        elif we < wd * 0.9:
            lines.append(f"Weekends ran lower: {we} kcal a day against {wd} on weekdays.")
        else:
            lines.append(f"Weekdays and weekends were alike ({wd} and {we} kcal a day).")
    if facts.get("has_goal"):
        parts = []
        for key, word in _NUTRIENT_WORDS.items():
            c = (facts.get("targets") or {}).get(key) or {}
            parts.append(f"{word} on {c.get('on_target', 0)}")
        kcal = (facts.get("targets") or {}).get("kcal") or {}
        lines.append(
            "Days on target: " + _join(parts) + "."
            f" Calories were under on {_days(kcal.get('under', 0))}"
            f" and over on {_days(kcal.get('over', 0))}."
        )
    for key, word in _LIMIT_WORDS.items():
        top = [t["food"] for t in (facts.get("top_sources") or {}).get(key) or []]
        if top:
            lines.append(f"Most of your {word} came from {_join(top)}.")
    meals = facts.get("protein_by_meal") or {}
    largest = meals.get("largest_meal")
    if largest:
        share = (meals.get("share_pct") or {}).get(largest)
        if meals.get("balanced"):
            lines.append("Your protein was spread well across your meals.")
        else:
            lines.append(f"{largest.capitalize()} carried {share}% of your protein.")
    training = facts.get("training")
    if isinstance(training, Mapping) and training.get("sessions"):
        lines.append(
            f"You trained {training['sessions']} times, moving"
            f" {training.get('volume_kg', 0)} kg in total."
        )
    streak = int(facts.get("streak_days") or 0)
    if streak >= 2:
        lines.append(f"Your logging streak stands at {streak} days.")
    return " ".join(lines)


def _numbers_in(value: Any) -> Iterator[float]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, str):
        try:
            d = dt.date.fromisoformat(value)
        except ValueError:
            return
        yield from (float(d.year), float(d.month), float(d.day))
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _numbers_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _numbers_in(v)


def allowed_numbers(facts: Mapping[str, Any]) -> set[float]:
    allowed = {7.0}  # "of 7 days": the length of a week is not a claim about the user
    for n in _numbers_in(facts):
        allowed.update({n, float(round(n)), round(n, 1)})
    return allowed


def unfounded_numbers(text: str, facts: Mapping[str, Any]) -> list[str]:
    """Numbers in `text` that are not among the facts."""
    allowed = allowed_numbers(facts)
    bad = []
    for m in _NUMBER.finditer(text):
        raw = m.group(0)
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            bad.append(raw)
            continue
        if value not in allowed:
            bad.append(raw)
    return bad


async def narrate(facts: Mapping[str, Any], llm: LLMClient | None) -> tuple[str, str]:
    """(text, source): "llm" when the model's prose passed the number check, else "template"."""
    text = template(facts)
    if llm is None:
        return text, "template"
    try:
        prose = (await llm.write_week_text(dict(facts))).strip()
    except LLMError as exc:
        log.warning("week narrative falls back to the template (%s): %s", exc.reason, exc)
        return text, "template"
    bad = unfounded_numbers(prose, facts)
    if not prose or bad:
        log.warning("week narrative falls back to the template: numbers not in facts %s", bad)
        return text, "template"
    return prose, "llm"
