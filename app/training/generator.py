"""Training program generator: pure, deterministic and fast (no I/O, no randomness).

Input: goal, days per week, session length, available equipment, experience, liked and
disliked exercises, number of weeks. Output: a plan of weeks, each with its training days,
each day a list of exercises with sets, a rep range and a target RPE.

- Split by days: 2-3 full body (A/B), 4 upper/lower, 5 push/pull/legs + upper/lower,
  6 push/pull/legs twice. Templates pair every push slot with a pull slot.
- Each slot names the muscle it trains and whether it wants a compound lift; candidates come
  from the catalogue filtered by equipment, experience level and dislikes, ranked by a fixed
  key (liked first, then free-weight compound lifts, then the plainest name), so the same
  input always gives the same plan.
- Periodisation: blocks of four weeks with linear intensity progression (target RPE +0.5 a
  week) and a deload in the last week of each block (about 40% fewer sets, RPE −2).
"""

from __future__ import annotations

import functools
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

GOALS = ("strength", "hypertrophy", "fat_loss", "general_fitness", "endurance")
EXPERIENCE = ("beginner", "intermediate", "advanced")
BLOCK_WEEKS = 4
DELOAD_SET_FACTOR = 0.6
DELOAD_RPE_DROP = 2.0
RPE_STEP_PER_WEEK = 0.5
PERIODISATION_MODEL = (
    "Block periodisation with linear intensity progression: blocks of 4 weeks, target RPE "
    "+0.5 per week, and the last week of each block a deload (about 40% fewer sets, RPE −2)"
)
# Minutes a working set takes with its rest; sizes a session to session_minutes.
MIN_PER_SET = 2.75
WEEKDAYS = {
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 4, 5),
    6: (0, 1, 2, 3, 4, 5),
}


@dataclass(frozen=True, slots=True)
class Slot:
    key: str
    muscles: tuple[str, ...]  # acceptable primary muscles, best first
    compound: bool
    force: str | None = None


SLOTS = {
    s.key: s
    for s in (
        Slot("squat", ("quadriceps",), True, "push"),
        Slot("hinge", ("hamstrings", "lower back", "glutes"), True, "pull"),
        Slot("horizontal_push", ("chest",), True, "push"),
        Slot("vertical_push", ("shoulders",), True, "push"),
        Slot("horizontal_pull", ("middle back", "lats"), True, "pull"),
        Slot("vertical_pull", ("lats",), True, "pull"),
        Slot("quad_isolation", ("quadriceps",), False),
        Slot("hamstring_isolation", ("hamstrings",), False),
        Slot("chest_isolation", ("chest",), False),
        Slot("shoulder_isolation", ("shoulders",), False),
        Slot("biceps", ("biceps",), False),
        Slot("triceps", ("triceps",), False),
        Slot("calves", ("calves",), False),
        Slot("core", ("abdominals",), False),
        Slot("rear_back", ("traps", "middle back"), False),
    )
}

DAY_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Full body A": (
        "squat",
        "horizontal_push",
        "vertical_pull",
        "hamstring_isolation",
        "shoulder_isolation",
        "core",
    ),
    "Full body B": (
        "hinge",
        "vertical_push",
        "horizontal_pull",
        "quad_isolation",
        "biceps",
        "triceps",
    ),
    "Upper": (
        "horizontal_push",
        "horizontal_pull",
        "vertical_push",
        "vertical_pull",
        "biceps",
        "triceps",
        "shoulder_isolation",
    ),
    "Lower": ("squat", "hinge", "quad_isolation", "hamstring_isolation", "calves", "core"),
    "Push": (
        "horizontal_push",
        "vertical_push",
        "chest_isolation",
        "shoulder_isolation",
        "triceps",
    ),
    "Pull": ("vertical_pull", "horizontal_pull", "rear_back", "biceps", "core"),
    "Legs": ("squat", "hinge", "quad_isolation", "hamstring_isolation", "calves"),
}
SPLITS: dict[int, tuple[str, tuple[str, ...]]] = {
    2: ("full_body", ("Full body A", "Full body B")),
    3: ("full_body", ("Full body A", "Full body B", "Full body A")),
    4: ("upper_lower", ("Upper", "Lower", "Upper", "Lower")),
    5: ("push_pull_legs_upper_lower", ("Push", "Pull", "Legs", "Upper", "Lower")),
    6: ("push_pull_legs", ("Push", "Pull", "Legs", "Push", "Pull", "Legs")),
}
# (sets, reps_min, reps_max, rpe) for compound and isolation lifts.
DOSES: dict[str, tuple[tuple[int, int, int, float], tuple[int, int, int, float]]] = {
    "strength": ((5, 3, 5, 7.5), (3, 8, 12, 7.5)),
    "hypertrophy": ((4, 6, 10, 7.5), (3, 10, 15, 8.0)),
    "fat_loss": ((3, 8, 12, 7.0), (3, 12, 15, 7.5)),
    "general_fitness": ((3, 8, 12, 7.0), (2, 10, 15, 7.0)),
    "endurance": ((3, 12, 20, 6.5), (2, 15, 20, 6.5)),
}
LEVELS_FOR = {
    "beginner": ("beginner",),
    "intermediate": ("beginner", "intermediate"),
    "advanced": ("beginner", "intermediate", "expert"),
}
# Free weights first for compound lifts (they load best and progress in plate steps).
EQUIPMENT_RANK = {
    "barbell": 0,
    "dumbbell": 1,
    "body only": 2,
    "cable": 3,
    "machine": 4,
    "kettlebells": 5,
    "e-z curl bar": 1,
    "bands": 6,
}
ALWAYS_AVAILABLE = ("body only",)
TRAINING_CATEGORIES = ("strength", "powerlifting")


@dataclass(frozen=True, slots=True)
class Candidate:
    id: uuid.UUID
    name: str
    equipment: str | None
    level: str | None
    mechanic: str | None
    force: str | None
    category: str | None
    primary_muscles: tuple[str, ...]
    secondary_muscles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Params:
    goal: str
    days_per_week: int
    session_minutes: int
    equipment: tuple[str, ...]
    experience: str
    liked: tuple[uuid.UUID, ...] = ()
    disliked: tuple[uuid.UUID, ...] = ()
    weeks: int = 4

    def as_json(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "days_per_week": self.days_per_week,
            "session_minutes": self.session_minutes,
            "equipment": list(self.equipment),
            "experience": self.experience,
            "liked_exercise_ids": [str(i) for i in self.liked],
            "disliked_exercise_ids": [str(i) for i in self.disliked],
            "weeks": self.weeks,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Params:
        return cls(
            goal=d["goal"],
            days_per_week=int(d["days_per_week"]),
            session_minutes=int(d["session_minutes"]),
            equipment=tuple(d["equipment"]),
            experience=d["experience"],
            liked=tuple(uuid.UUID(i) for i in d.get("liked_exercise_ids", [])),
            disliked=tuple(uuid.UUID(i) for i in d.get("disliked_exercise_ids", [])),
            weeks=int(d["weeks"]),
        )


@functools.cache
def staples() -> dict[str, tuple[uuid.UUID, ...]]:
    """Per slot, the exercises a coach would pick first (data/staples.json), best first."""
    from app.training.dataset import exercise_uuid

    raw = resources.files("app.training").joinpath("data", "staples.json").read_text("utf-8")
    data = json.loads(raw)
    return {
        k: tuple(exercise_uuid(slug) for slug in v)
        for k, v in data.items()
        if not k.startswith("_")
    }


@dataclass
class _Pools:
    by_slot: dict[str, list[Candidate]] = field(default_factory=dict)


def _equipped(c: Candidate, p: Params) -> bool:
    return c.id not in p.disliked and (
        c.equipment is not None and (c.equipment in p.equipment or c.equipment in ALWAYS_AVAILABLE)
    )


def _usable(c: Candidate, p: Params) -> bool:
    if not _equipped(c, p) or c.category not in TRAINING_CATEGORIES:
        return False
    return c.level in LEVELS_FOR[p.experience]


def _staple_usable(c: Candidate, p: Params) -> bool:
    # The catalogue rates some plain staples "intermediate" (the barbell shoulder press):
    # staples are only held back from beginners and intermediates when rated expert.
    return _equipped(c, p) and (p.experience == "advanced" or c.level != "expert")


def _rank(c: Candidate, slot: Slot, liked: set[uuid.UUID]) -> tuple[Any, ...]:
    muscle_rank = slot.muscles.index(c.primary_muscles[0]) if c.primary_muscles else 9
    return (
        c.id not in liked,
        muscle_rank,
        c.force != slot.force if slot.force else False,
        EQUIPMENT_RANK.get(c.equipment or "", 9) if slot.compound else 0,
        len(c.name),
        c.name,
        str(c.id),
    )


def _fits(c: Candidate, slot: Slot) -> bool:
    want = "compound" if slot.compound else "isolation"
    return c.mechanic == want and bool(c.primary_muscles) and c.primary_muscles[0] in slot.muscles


def _loose(c: Candidate, slot: Slot) -> bool:
    return bool(c.primary_muscles) and c.primary_muscles[0] in slot.muscles


@dataclass(frozen=True)
class _SlotIndex:
    """Per slot, the catalogue's candidates already in rank order: generating then only
    filters short lists by the user's equipment and level (no scan, no sort)."""

    fits: dict[str, tuple[Candidate, ...]]
    loose: dict[str, tuple[Candidate, ...]]
    by_id: dict[uuid.UUID, Candidate]


_INDEXES: dict[int, tuple[Sequence[Candidate], _SlotIndex]] = {}


def _index(candidates: Sequence[Candidate]) -> _SlotIndex:
    hit = _INDEXES.get(id(candidates))
    if hit is not None and hit[0] is candidates:
        return hit[1]
    none: set[uuid.UUID] = set()
    fits, loose = {}, {}
    for key, slot in SLOTS.items():
        pool = [c for c in candidates if c.category in TRAINING_CATEGORIES and _loose(c, slot)]
        pool.sort(key=lambda c, slot=slot: _rank(c, slot, none))  # type: ignore[misc]
        fits[key] = tuple(c for c in pool if _fits(c, slot))
        loose[key] = tuple(pool)
    index = _SlotIndex(fits, loose, {c.id: c for c in candidates})
    # Only an immutable sequence may be cached by identity (the packaged catalogue).
    if isinstance(candidates, tuple):
        _INDEXES[id(candidates)] = (candidates, index)
    return index


def _pools(candidates: Sequence[Candidate], p: Params, extra: Sequence[Candidate] = ()) -> _Pools:
    index = _index(candidates)
    liked = set(p.liked)
    none: set[uuid.UUID] = set()
    by_id = {**index.by_id, **{c.id: c for c in extra}}
    pools = _Pools()
    for key, slot in SLOTS.items():
        fits = [c for c in index.fits[key] if _usable(c, p)]
        more = [c for c in extra if _fits(c, slot) and _usable(c, p)]
        if more:
            fits = sorted(fits + more, key=lambda c, slot=slot: _rank(c, slot, none))  # type: ignore[misc]
        if not fits and not slot.compound:
            # No isolation lift for the muscle with this equipment: any lift for it will do.
            fits = [c for c in index.loose[key] if _usable(c, p)]
            more = [c for c in extra if _loose(c, slot) and _usable(c, p)]
            if more:
                fits = sorted(fits + more, key=lambda c, slot=slot: _rank(c, slot, none))  # type: ignore[misc]
        first = [
            by_id[i] for i in staples().get(key, ()) if i in by_id and _staple_usable(by_id[i], p)
        ]
        firsts = {c.id for c in first}
        rest = [c for c in fits if c.id not in firsts]
        liked_first = [c for c in rest if c.id in liked]
        pools.by_slot[key] = liked_first + first + [c for c in rest if c.id not in liked]
    return pools


def _dose(p: Params, compound: bool) -> tuple[int, int, int, float]:
    sets, lo, hi, rpe = DOSES[p.goal][0 if compound else 1]
    if p.experience == "beginner":
        sets = max(2, sets - 1)
    elif p.experience == "advanced" and compound:
        sets += 1
    return sets, lo, hi, rpe


def _week_shape(week: int) -> tuple[bool, int]:
    """(deload, position in its block from 0) of a 0-based week number."""
    pos = week % BLOCK_WEEKS
    return pos == BLOCK_WEEKS - 1, pos


def _session(
    template: Sequence[str], pools: _Pools, used: dict[str, int], p: Params
) -> list[tuple[str, Candidate]]:
    """The day's lifts: one per slot, compound first, rotating through each slot's ranking
    when the slot comes back in the same week; sized to the session length."""
    budget = max(3, int(p.session_minutes / MIN_PER_SET))
    chosen: list[tuple[str, Candidate]] = []
    seen: set[uuid.UUID] = set()
    sets_used = 0
    ordered = sorted(template, key=lambda k: not SLOTS[k].compound)
    for key in ordered:
        pool = [c for c in pools.by_slot.get(key, []) if c.id not in seen]
        if not pool:
            continue
        pick = pool[used.get(key, 0) % len(pool)] if pool[0].id not in p.liked else pool[0]
        sets = _dose(p, SLOTS[key].compound)[0]
        if chosen and sets_used + sets > budget:
            break
        used[key] = used.get(key, 0) + 1
        seen.add(pick.id)
        chosen.append((key, pick))
        sets_used += sets
    return chosen


def generate(
    candidates: Sequence[Candidate], p: Params, extra: Sequence[Candidate] = ()
) -> dict[str, Any]:
    """The program for `p` from the catalogue `candidates` (pass the same tuple each time: its
    slot index is built once) and the user's own `extra` exercises."""
    if p.goal not in GOALS or p.experience not in EXPERIENCE or p.days_per_week not in SPLITS:
        raise ValueError("goal, experience or days_per_week out of range")
    pools = _pools(candidates, p, extra)
    everything = [*candidates, *extra] if extra else candidates
    split, day_names = SPLITS[p.days_per_week]
    weekdays = WEEKDAYS[p.days_per_week]
    used: dict[str, int] = {}
    base_days = []
    for weekday, name in zip(weekdays, day_names, strict=True):
        base_days.append((weekday, name, _session(DAY_TEMPLATES[name], pools, used, p)))
    _place_liked(base_days, everything, p)

    weeks = []
    for w in range(p.weeks):
        deload, pos = _week_shape(w)
        deload = deload and p.weeks > 1
        days = []
        for weekday, name, lifts in base_days:
            exercises = []
            for key, c in lifts:
                compound = SLOTS[key].compound if key in SLOTS else c.mechanic == "compound"
                sets, lo, hi, rpe = _dose(p, compound)
                if deload:
                    sets = max(1, math.floor(sets * DELOAD_SET_FACTOR + 0.5))
                    rpe -= DELOAD_RPE_DROP
                else:
                    rpe = min(9.5, rpe + RPE_STEP_PER_WEEK * pos)
                exercises.append(
                    {
                        "exercise_id": str(c.id),
                        "name": c.name,
                        "slot": key,
                        "mechanic": c.mechanic,
                        "force": c.force,
                        "equipment": c.equipment,
                        "primary_muscles": list(c.primary_muscles),
                        "sets": sets,
                        "reps_min": lo,
                        "reps_max": hi,
                        "rpe": rpe,
                    }
                )
            days.append({"weekday": weekday, "name": name, "exercises": exercises})
        weeks.append({"week": w + 1, "deload": deload, "days": days})
    return {
        "split": split,
        "days_per_week": p.days_per_week,
        "periodisation": PERIODISATION_MODEL,
        "balance": _balance(base_days, p),
        "weeks": weeks,
    }


def _place_liked(
    days: list[tuple[int, str, list[tuple[str, Candidate]]]],
    candidates: Sequence[Candidate],
    p: Params,
) -> None:
    """Every liked exercise the equipment allows is in the week: in place of the lift of the
    same slot kind on some day, or added to the shortest day."""
    by_id = {c.id: c for c in candidates}
    present = {c.id for _, _, lifts in days for _, c in lifts}
    for liked_id in p.liked:
        c = by_id.get(liked_id)
        if c is None or liked_id in present or not _usable(c, p):
            continue
        placed = False
        for _, _, lifts in days:
            for i, (key, current) in enumerate(lifts):
                slot = SLOTS[key]
                if (
                    current.id not in p.liked
                    and c.primary_muscles
                    and c.primary_muscles[0] in slot.muscles
                    and (c.mechanic == "compound") == slot.compound
                ):
                    lifts[i] = (key, c)
                    placed = True
                    break
            if placed:
                break
        if not placed:
            shortest = min(days, key=lambda d: (len(d[2]), d[0]))
            kind = "liked_compound" if c.mechanic == "compound" else "liked_isolation"
            shortest[2].append((kind, c))
        present.add(liked_id)
    for _, _, lifts in days:
        lifts.sort(key=lambda kc: kc[1].mechanic != "compound")


def _balance(days: list[tuple[int, str, list[tuple[str, Candidate]]]], p: Params) -> dict[str, Any]:
    """Weekly working sets by force and by primary muscle (base week, before periodisation)."""
    push = pull = 0
    muscles: dict[str, int] = {}
    for _, _, lifts in days:
        for key, c in lifts:
            compound = SLOTS[key].compound if key in SLOTS else c.mechanic == "compound"
            sets = _dose(p, compound)[0]
            if c.force == "push":
                push += sets
            elif c.force == "pull":
                pull += sets
            for m in c.primary_muscles[:1]:
                muscles[m] = muscles.get(m, 0) + sets
    return {"push_sets": push, "pull_sets": pull, "sets_per_muscle": dict(sorted(muscles.items()))}
