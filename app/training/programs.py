"""Programs: generate, follow day by day with double-progression targets, log a planned day,
and adapt when the profile's training preferences change."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import re
import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cache import Cache
from app.core.errors import NotFound, Unprocessable
from app.core.timeutil import week_start
from app.core.types import utcnow
from app.llm.client import LLMClient, LLMError
from app.training import generator, workouts
from app.training.dataset import EQUIPMENT, load_exercises
from app.training.figures import LB_PER_KG
from app.training.models import Exercise, Program, WorkoutSet
from app.training.schemas import (
    ExerciseEntryIn,
    LastSession,
    PlannedWorkoutIn,
    ProgramDayOut,
    ProgramGenerateIn,
    ProgramOut,
    TargetExercise,
    WorkoutOut,
)
from app.training.service import visible
from app.users.models import UserProfile

log = logging.getLogger("nexfitra.training")

KG_STEP = 2.5
LB_STEP = 5.0
MISSED_LIMIT = 3
DELOAD_FACTOR = 0.9
HISTORY_DAYS = 180
PROGRESSION_RULE = (
    "Double progression: keep the load and add reps until every working set reaches the top "
    "of the range, then add the smallest plate step (2.5 kg, or 5 lb in imperial units) and "
    "start again at the bottom. Three missed sessions in a row on a lift (skipped, or below "
    "the bottom of the range) lower its load by 10%, to the nearest plate step."
)
_GOAL_FROM_NUTRITION = {"lose": "fat_loss", "gain": "hypertrophy", "maintain": "general_fitness"}
# A number in digits or words: program text from an LLM may state none (the app shows them).
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|hundred|once|twice|half|dozen)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class ProgramNotFound(NotFound):
    code, title = "program-not-found", "No current program"


class OutsideProgram(Unprocessable):
    code, title = "outside-program", "Date outside the program"


class RestDay(Unprocessable):
    code, title = "rest-day", "Rest day"


@functools.cache
def _catalogue_candidates() -> tuple[generator.Candidate, ...]:
    return tuple(
        generator.Candidate(
            id=e.id,
            name=e.name,
            equipment=e.equipment,
            level=e.level,
            mechanic=e.mechanic,
            force=e.force,
            category=e.category,
            primary_muscles=e.primary_muscles,
            secondary_muscles=e.secondary_muscles,
        )
        for e in load_exercises()
    )


async def _extra_candidates(session: AsyncSession, user_id: uuid.UUID) -> list[generator.Candidate]:
    """Shared and the user's private exercises (the packaged catalogue is in memory)."""
    rows = await session.scalars(
        sa.select(Exercise).where(col(Exercise.slug).is_(None), visible(user_id))
    )
    extra = [
        generator.Candidate(
            id=e.id,
            name=e.name,
            equipment=e.equipment,
            level=e.level,
            mechanic=e.mechanic,
            force=e.force,
            category=e.category,
            primary_muscles=tuple(e.primary_muscles),
            secondary_muscles=tuple(e.secondary_muscles),
        )
        for e in rows
    ]
    return extra


def resolve_params(req: ProgramGenerateIn, profile: UserProfile | None) -> generator.Params:
    p = profile
    goal = req.goal or (p.training_goal if p else None)
    if goal is None:
        goal = _GOAL_FROM_NUTRITION.get(p.goal or "", "general_fitness") if p else "general_fitness"
    equipment: list[str] | None = list(req.equipment) if req.equipment is not None else None
    if equipment is None:
        equipment = list(p.training_equipment) if p and p.training_equipment else list(EQUIPMENT)
    return generator.Params(
        goal=goal,
        days_per_week=req.days_per_week or (p.training_days_per_week if p else None) or 3,
        session_minutes=req.session_minutes or (p.training_session_minutes if p else None) or 60,
        equipment=tuple(sorted(set(equipment))),
        experience=req.experience or (p.training_experience if p else None) or "beginner",
        liked=tuple(dict.fromkeys(req.liked_exercise_ids)),
        disliked=tuple(dict.fromkeys(req.disliked_exercise_ids)),
        weeks=req.weeks,
    )


def template_text(plan: dict[str, Any], params: generator.Params) -> str:
    days = plan["weeks"][0]["days"] if plan["weeks"] else []
    names = ", ".join(d["name"] for d in days)
    return (
        f"A {params.weeks}-week {params.goal.replace('_', ' ')} program, "
        f"{params.days_per_week} days a week ({plan['split'].replace('_', ' ')}: {names}), "
        f"about {params.session_minutes} minutes a session. Compound lifts come first each day. "
        f"{plan['periodisation']}."
    )


def strip_numbers(text: str) -> str:
    """Drops every sentence that states a number (digits or number words)."""
    kept_lines = []
    for line in text.splitlines():
        sentences = [s for s in _SENTENCE.split(line) if not _NUMBER.search(s)]
        kept = " ".join(sentences).strip()
        if kept:
            kept_lines.append(kept)
    return "\n".join(kept_lines)


async def describe(
    plan: dict[str, Any], params: generator.Params, llm: LLMClient | None
) -> tuple[str, str]:
    summary = template_text(plan, params)
    if llm is None:
        return summary, "template"
    brief = {
        "goal": params.goal,
        "split": plan["split"],
        "periodisation": "block periodisation with a deload week",
        "days": [
            {"name": d["name"], "exercises": [e["name"] for e in d["exercises"]]}
            for d in (plan["weeks"][0]["days"] if plan["weeks"] else [])
        ],
    }
    try:
        prose = strip_numbers(await llm.write_program_text(brief))
    except LLMError as exc:
        log.warning("program text falls back to the template: %s", exc)
        return summary, "template"
    if not prose:
        return summary, "template"
    return f"{summary}\n\n{prose}", "llm"


async def _profile(session: AsyncSession, user_id: uuid.UUID) -> UserProfile | None:
    return await session.get(UserProfile, user_id)


async def generate_program(
    session: AsyncSession,
    user_id: uuid.UUID,
    today: dt.date,
    req: ProgramGenerateIn,
    llm: LLMClient | None,
) -> ProgramOut:
    params = resolve_params(req, await _profile(session, user_id))
    extra = await _extra_candidates(session, user_id)
    known = {c.id for c in _catalogue_candidates()} | {c.id for c in extra}
    unknown = [i for i in (*params.liked, *params.disliked) if i not in known]
    if unknown:
        raise Unprocessable(
            "no such exercise (or not yours): " + ", ".join(str(i) for i in unknown)
        )
    both = set(params.liked) & set(params.disliked)
    if both:
        raise Unprocessable("an exercise cannot be liked and disliked: " + str(sorted(both)[0]))
    plan = generator.generate(_catalogue_candidates(), params, extra)
    text, source = await describe(plan, params, llm)
    await session.execute(
        sa.update(Program)
        .where(col(Program.user_id) == user_id, col(Program.is_active))
        .values(is_active=False, updated_at=utcnow())
    )
    program = Program(
        user_id=user_id,
        start_date=week_start(today),
        active_from=today,
        weeks=params.weeks,
        params=params.as_json(),
        plan=plan,
        text=text,
        text_source=source,
    )
    session.add(program)
    await session.commit()
    return program_out(program)


def program_out(p: Program) -> ProgramOut:
    plan = p.plan
    weeks = []
    for w in plan["weeks"]:
        monday = p.start_date + dt.timedelta(weeks=w["week"] - 1)
        weeks.append(
            {
                "week": w["week"],
                "start_date": monday,
                "deload": w["deload"],
                "days": [
                    {
                        "date": monday + dt.timedelta(days=d["weekday"]),
                        "name": d["name"],
                        "exercises": d["exercises"],
                    }
                    for d in w["days"]
                ],
            }
        )
    return ProgramOut.model_validate(
        {
            "id": p.id,
            "params": p.params,
            "split": plan["split"],
            "days_per_week": plan["days_per_week"],
            "periodisation_model": plan["periodisation"],
            "balance": plan["balance"],
            "start_date": p.start_date,
            "end_date": p.start_date + dt.timedelta(weeks=p.weeks, days=-1),
            "weeks": weeks,
            "text": p.text,
            "text_source": p.text_source,
            "created_at": p.created_at,
            "updated_at": p.updated_at,
        }
    )


async def active_program(session: AsyncSession, user_id: uuid.UUID) -> Program | None:
    return await session.scalar(
        sa.select(Program)
        .where(col(Program.user_id) == user_id, col(Program.is_active))
        .order_by(col(Program.created_at).desc())
        .limit(1)
    )


async def current(session: AsyncSession, user_id: uuid.UUID) -> Program:
    program = await active_program(session, user_id)
    if program is None:
        raise ProgramNotFound("You have no program yet: POST /api/v1/programs/generate")
    return program


def week_index(program: Program, day: dt.date) -> int:
    idx = (day - program.start_date).days // 7
    if idx < 0 or idx >= len(program.plan["weeks"]):
        end = program.start_date + dt.timedelta(weeks=program.weeks, days=-1)
        raise OutsideProgram(f"{day} is outside your program ({program.start_date} to {end})")
    return idx


def planned_day(program: Program, day: dt.date) -> tuple[dict[str, Any], dict[str, Any] | None]:
    week = program.plan["weeks"][week_index(program, day)]
    for d in week["days"]:
        if d["weekday"] == day.weekday():
            return week, d
    return week, None


def is_training_day(program: Program | None, day: dt.date) -> bool | None:
    """True/False inside the program, None outside it (or without one)."""
    if program is None:
        return None
    try:
        return planned_day(program, day)[1] is not None
    except OutsideProgram:
        return None


def _scheduled_dates(program: Program, exercise_id: str, before: dt.date) -> list[dt.date]:
    """Dates the program planned this exercise, from the day it began until `before`."""
    out = []
    for w in program.plan["weeks"]:
        monday = program.start_date + dt.timedelta(weeks=w["week"] - 1)
        for d in w["days"]:
            day = monday + dt.timedelta(days=d["weekday"])
            if program.active_from <= day < before and any(
                e["exercise_id"] == exercise_id for e in d["exercises"]
            ):
                out.append(day)
    return sorted(out, reverse=True)


def _round_step(value: float, step: float) -> float:
    # Half steps round down: a lighter load is the safer miss.
    return math.ceil(value / step - 0.5) * step


def target_for(
    planned: dict[str, Any],
    sessions: list[tuple[dt.date, list[tuple[int | None, float | None]]]],
    scheduled_past: list[dt.date],
    imperial: bool,
) -> dict[str, Any]:
    """Double-progression target of one planned lift from the user's sessions of it (newest
    first, each its working sets as (reps, kg)). Pure, so the arithmetic is tested exactly."""
    lo, hi = int(planned["reps_min"]), int(planned["reps_max"])

    def top(sets: list[tuple[int | None, float | None]]) -> tuple[float | None, list[int]]:
        loads = [w for _, w in sets if w is not None]
        load = max(loads) if loads else None
        reps = [r or 0 for r, w in sets if w == load]
        return load, reps

    last = sessions[0] if sessions else None
    last_date = last[0] if last else None
    skipped = sum(1 for d in scheduled_past if last_date is None or d > last_date)
    missed = skipped
    if last is not None and skipped < MISSED_LIMIT:
        # Then the logged sessions that fell short of the range, newest first.
        for _, sets in sessions:
            _, reps = top(sets)
            if reps and min(reps) < lo:
                missed += 1
            else:
                break
    out: dict[str, Any] = {"missed_in_a_row": missed, "last_session": None}
    if last is None:
        out.update(
            target_reps=hi,
            target_load_kg=None,
            progression=f"No logged session yet: pick a load you can lift for {hi} reps at "
            f"RPE {planned['rpe']:g}.",
        )
        return out
    load, reps = top(last[1])
    out["last_session"] = LastSession(date=last[0], load_kg=load, reps=reps)
    if load is None:
        best = max(reps) if reps else max((r or 0 for r, _ in last[1]), default=0)
        target = min(hi, max(lo, best + 1))
        out.update(
            target_reps=target,
            target_load_kg=None,
            progression=f"Bodyweight: aim for {target} reps a set.",
        )
        return out
    unit_load = load * LB_PER_KG if imperial else load
    step = LB_STEP if imperial else KG_STEP
    unit = "lb" if imperial else "kg"
    if missed >= MISSED_LIMIT:
        new = _round_step(unit_load * DELOAD_FACTOR, step)
        target, why = lo, f"{missed} missed sessions in a row: load down 10% to {new:g} {unit}."
    elif reps and min(reps) >= hi:
        new = _round_step(unit_load, step) + step
        target = lo
        why = f"All sets reached {hi} reps: load up one plate step to {new:g} {unit}."
    else:
        new = unit_load
        target = min(hi, max(lo, (min(reps) if reps else lo) + 1))
        why = f"Same load; add a rep: aim for {target} reps on every set."
    kg = round(new / LB_PER_KG, 2) if imperial else round(new, 2)
    out.update(target_reps=target, target_load_kg=kg, progression=why)
    return out


async def _sessions_of(
    session: AsyncSession, user_id: uuid.UUID, exercise_ids: list[uuid.UUID], before: dt.date
) -> dict[uuid.UUID, list[tuple[dt.date, list[tuple[int | None, float | None]]]]]:
    rows = await session.execute(
        sa.select(
            col(WorkoutSet.exercise_id),
            col(WorkoutSet.date),
            col(WorkoutSet.reps),
            col(WorkoutSet.weight_kg),
        )
        .where(
            col(WorkoutSet.user_id) == user_id,
            col(WorkoutSet.exercise_id).in_(exercise_ids),
            col(WorkoutSet.date) < before,
            col(WorkoutSet.date) >= before - dt.timedelta(days=HISTORY_DAYS),
            sa.not_(col(WorkoutSet.is_warmup)),
        )
        .order_by(col(WorkoutSet.date).desc(), col(WorkoutSet.set_number))
    )
    grouped: dict[uuid.UUID, dict[dt.date, list[tuple[int | None, float | None]]]] = defaultdict(
        dict
    )
    for ex_id, day, reps, weight in rows.all():
        grouped[ex_id].setdefault(day, []).append((reps, weight))
    return {k: sorted(v.items(), key=lambda kv: kv[0], reverse=True) for k, v in grouped.items()}


async def day_targets(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> ProgramDayOut:
    program = await current(session, user_id)
    week, planned = planned_day(program, day)
    base = {
        "program_id": program.id,
        "date": day,
        "week": week["week"],
        "deload": week["deload"],
        "progression_rule": PROGRESSION_RULE,
    }
    if planned is None:
        return ProgramDayOut(**base, rest_day=True, name=None, exercises=[])
    profile = await _profile(session, user_id)
    imperial = profile is not None and profile.units == "imperial"
    ids = [uuid.UUID(e["exercise_id"]) for e in planned["exercises"]]
    history = await _sessions_of(session, user_id, ids, day)
    exercises = []
    for e, ex_id in zip(planned["exercises"], ids, strict=True):
        t = target_for(
            e,
            history.get(ex_id, []),
            _scheduled_dates(program, e["exercise_id"], day),
            imperial,
        )
        if week["deload"] and t["target_load_kg"] is not None:
            t["progression"] += " Deload week: fewer sets at a lower RPE."
        kg = t["target_load_kg"]
        exercises.append(
            TargetExercise(
                **e,
                target_reps=t["target_reps"],
                target_load_kg=kg,
                target_load_lb=None if kg is None else round(kg * LB_PER_KG, 1),
                progression=t["progression"],
                last_session=t["last_session"],
                missed_in_a_row=t["missed_in_a_row"],
            )
        )
    return ProgramDayOut(**base, rest_day=False, name=planned["name"], exercises=exercises)


async def log_planned_day(
    session: AsyncSession,
    user_id: uuid.UUID,
    tz: str,
    day: dt.date,
    body: PlannedWorkoutIn,
    cache: Cache | None = None,
) -> WorkoutOut:
    program = await current(session, user_id)
    week, planned = planned_day(program, day)
    if planned is None:
        raise RestDay(f"{day} is a rest day in your program")
    data = {
        "date": day,
        "started_at": body.started_at,
        "duration_min": body.duration_min,
        "title": f"{planned['name']} (week {week['week']})",
        "notes": body.notes,
    }
    entries: list[ExerciseEntryIn] = body.exercises
    return await workouts.log_workout(
        session, user_id, tz, data, entries, program_id=program.id, cache=cache
    )


async def follow_profile(session: AsyncSession, user_id: uuid.UUID, today: dt.date) -> bool:
    """The profile's training preferences changed: regenerate the active program's coming
    weeks (from next week on) with them; this week, past weeks and their logs stay."""
    program = await active_program(session, user_id)
    profile = await _profile(session, user_id)
    if program is None or profile is None:
        return False
    old = generator.Params.from_json(program.params)
    new = generator.Params(
        goal=profile.training_goal or old.goal,
        days_per_week=profile.training_days_per_week or old.days_per_week,
        session_minutes=profile.training_session_minutes or old.session_minutes,
        equipment=(
            tuple(sorted(set(profile.training_equipment)))
            if profile.training_equipment
            else old.equipment
        ),
        experience=profile.training_experience or old.experience,
        liked=old.liked,
        disliked=old.disliked,
        weeks=old.weeks,
    )
    if new == old:
        return False
    keep = max(0, min(len(program.plan["weeks"]), (today - program.start_date).days // 7 + 1))
    extra = await _extra_candidates(session, user_id)
    plan = generator.generate(_catalogue_candidates(), new, extra)
    merged = dict(plan)
    merged["weeks"] = program.plan["weeks"][:keep] + plan["weeks"][keep:]
    merged["regenerated_from_week"] = keep + 1
    program.params = new.as_json()
    program.plan = merged
    program.text = template_text(plan, new)
    program.text_source = "template"
    program.updated_at = utcnow()
    session.add(program)
    await session.commit()
    return True
