from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.training.dataset import Category, Equipment, Force, Level, Mechanic, Muscle
from app.training.figures import lb_to_kg

# Printable text only: NUL and other control characters never reach the database.
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=_NO_CONTROL)
]
Step = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=_NO_CONTROL),
]

# --- exercises -------------------------------------------------------------------------------


class SharedExerciseIn(BaseModel):
    """An exercise every user sees (operators, at /api/v1/admin/exercises). Muscles, equipment,
    level and category use the catalogue's own words."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Landmine press",
                    "equipment": "barbell",
                    "mechanic": "compound",
                    "force": "push",
                    "level": "intermediate",
                    "primary_muscles": ["shoulders"],
                    "secondary_muscles": ["chest", "triceps"],
                    "instructions": ["Wedge one end of a barbell in a corner.", "Press it up."],
                }
            ]
        },
    )

    name: Name
    force: Force | None = None
    level: Level = "beginner"
    mechanic: Mechanic | None = None
    equipment: Equipment | None = None
    category: Category = "strength"
    primary_muscles: Annotated[list[Muscle], Field(min_length=1, max_length=5)]
    secondary_muscles: Annotated[list[Muscle], Field(max_length=10)] = []
    instructions: Annotated[list[Step], Field(max_length=30)] = []

    @field_validator("primary_muscles", "secondary_muscles")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


class ExerciseIn(SharedExerciseIn):
    """A private exercise (only you see it). Admins may send `shared: true` to add one everyone
    sees. Muscles, equipment, level and category use the catalogue's own words."""

    shared: bool = Field(False, description="Admins only: visible to every user")


class ExercisePatch(BaseModel):
    """Operators' correction of a shared exercise: only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Landmine shoulder press", "level": "beginner"}]},
    )

    name: Name | None = None
    force: Force | None = None
    level: Level | None = None
    mechanic: Mechanic | None = None
    equipment: Equipment | None = None
    category: Category | None = None
    primary_muscles: Annotated[list[Muscle], Field(min_length=1, max_length=5)] | None = None
    secondary_muscles: Annotated[list[Muscle], Field(max_length=10)] | None = None
    instructions: Annotated[list[Step], Field(max_length=30)] | None = None

    @field_validator("primary_muscles", "secondary_muscles")
    @classmethod
    def _unique(cls, v: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(v)) if v is not None else None

    @model_validator(mode="after")
    def _no_null_required(self) -> ExercisePatch:
        for name in ("name", "level", "category", "primary_muscles"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        for name in ("secondary_muscles", "instructions"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; send [] to clear it")
        return self


ExerciseSource = Literal["free_exercise_db", "shared", "private"]


class ExerciseSummary(BaseModel):
    id: uuid.UUID
    name: str
    source: ExerciseSource = Field(
        description="free_exercise_db (the packaged catalogue), shared (added by an admin) or "
        "private (yours)"
    )
    force: str | None
    level: str | None
    mechanic: str | None
    equipment: str | None
    category: str | None
    primary_muscles: list[str]
    secondary_muscles: list[str]
    score: float | None = Field(None, description="Name match score 0-100 when q was given")


class ExerciseOut(ExerciseSummary):
    instructions: list[str]


class ExercisePage(BaseModel):
    items: list[ExerciseSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class SharedExercisePage(BaseModel):
    items: list[ExerciseOut]
    total: int
    limit: int
    offset: int


# --- workouts --------------------------------------------------------------------------------

MAX_SETS_PER_WORKOUT = 200
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=_NO_CONTROL)
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=120, pattern=_NO_CONTROL)
]


def _aware(v: dt.datetime | None) -> dt.datetime | None:
    if v is not None and v.tzinfo is None:
        raise ValueError("must include a UTC offset, e.g. 2024-05-01T07:30:00Z")
    return v


AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware)]


class SetIn(BaseModel):
    """One set. Load in `weight_kg` or `weight_lb` (stored in kg to 0.01), not both; a set
    without load (pull-ups, planks) leaves both out. At least reps, duration_s or distance_m."""

    model_config = ConfigDict(extra="forbid")

    reps: Annotated[int, Field(ge=0, le=500)] | None = None
    weight_kg: Annotated[float, Field(ge=0, le=1000)] | None = None
    weight_lb: Annotated[float, Field(ge=0, le=2200)] | None = None
    rpe: Annotated[float, Field(ge=1, le=10, multiple_of=0.5)] | None = None
    rir: Annotated[int, Field(ge=0, le=10)] | None = None
    duration_s: Annotated[int, Field(ge=0, le=86_400)] | None = None
    distance_m: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    is_warmup: bool = False

    @model_validator(mode="after")
    def _shape(self) -> SetIn:
        if self.weight_lb is not None:
            if self.weight_kg is not None:
                raise ValueError("give weight_kg or weight_lb, not both")
            self.weight_kg = lb_to_kg(self.weight_lb)
            self.weight_lb = None
        elif self.weight_kg is not None:
            # Most loads are already at 0.01 kg: a model's setattr costs ~5 us, 20 a workout.
            rounded = round(self.weight_kg, 2)
            if rounded != self.weight_kg:
                self.weight_kg = rounded
        if self.reps is None and self.duration_s is None and self.distance_m is None:
            raise ValueError("a set needs reps, duration_s or distance_m")
        return self


class ExerciseEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: uuid.UUID
    sets: Annotated[list[SetIn], Field(min_length=1, max_length=50)]


def _check_total_sets(entries: list[ExerciseEntryIn] | None) -> None:
    if entries is not None and sum(len(e.sets) for e in entries) > MAX_SETS_PER_WORKOUT:
        raise ValueError(f"a workout holds at most {MAX_SETS_PER_WORKOUT} sets")


class WorkoutIn(BaseModel):
    """A workout. Give `date` (local day), `started_at` (an instant; they must agree in your
    time zone), both or neither (now). Without `duration_min` the length is estimated from the
    sets (45 s of work, or the set's duration_s, plus 2 min rest each)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "date": "2024-05-01",
                    "duration_min": 60,
                    "title": "Push day",
                    "exercises": [
                        {
                            "exercise_id": "1b3d6c04-9c1f-5b3e-8f5a-3a5e2b1e7f10",
                            "sets": [
                                {"reps": 10, "weight_kg": 40, "is_warmup": True},
                                {"reps": 5, "weight_kg": 100, "rpe": 8},
                                {"reps": 5, "weight_lb": 225, "rir": 1},
                            ],
                        }
                    ],
                }
            ]
        },
    )

    date: dt.date | None = None
    started_at: AwareDatetime | None = None
    duration_min: Annotated[float, Field(gt=0, le=600)] | None = None
    title: Title | None = None
    notes: Text | None = None
    exercises: Annotated[list[ExerciseEntryIn], Field(min_length=1, max_length=40)]

    @model_validator(mode="after")
    def _sets(self) -> WorkoutIn:
        _check_total_sets(self.exercises)
        return self


class WorkoutPatch(BaseModel):
    """Change only the fields sent. `exercises` replaces every set (figures and PRs are
    worked out again); `null` clears title, notes or duration_min (then estimated)."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date | None = None
    started_at: AwareDatetime | None = None
    duration_min: Annotated[float, Field(gt=0, le=600)] | None = None
    title: Title | None = None
    notes: Text | None = None
    exercises: Annotated[list[ExerciseEntryIn], Field(min_length=1, max_length=40)] | None = None

    @model_validator(mode="after")
    def _sets(self) -> WorkoutPatch:
        _check_total_sets(self.exercises)
        return self


PrKind = Literal["e1rm", "reps_at_weight", "volume"]


class SetOut(BaseModel):
    id: uuid.UUID
    set_number: int
    reps: int | None
    weight_kg: float | None
    rpe: float | None
    rir: int | None
    duration_s: int | None
    distance_m: float | None
    is_warmup: bool
    is_hard: bool = Field(description="A working set near failure: RIR ≤ 4 / RPE ≥ 6, or unrated")
    volume_kg: float = Field(description="weight_kg × reps; 0 for warm-ups")
    e1rm_kg: float | None = Field(description="Estimated 1RM by Epley's formula")
    prs: list[PrKind] = Field(description="Personal records this set set when it was logged")


class BestSet(BaseModel):
    set_number: int
    reps: int | None
    weight_kg: float | None
    e1rm_kg: float | None


class WorkoutExerciseOut(BaseModel):
    exercise_id: uuid.UUID
    name: str
    volume_kg: float
    best_set: BestSet | None = Field(description="Highest e1RM (or most reps without load)")
    e1rm_kg: float | None
    sets: list[SetOut]


class WorkoutOut(BaseModel):
    id: uuid.UUID
    date: dt.date
    started_at: dt.datetime | None
    duration_min: float
    duration_estimated: bool
    title: str | None
    notes: str | None
    total_volume_kg: float = Field(description="Σ weight_kg × reps over working sets")
    working_sets: int
    pr_count: int
    kcal: float | None = Field(
        description="MET × body weight × hours (strength training MET); null without a weight"
    )
    met: float | None
    kcal_formula: str
    e1rm_formula: str
    activity_id: uuid.UUID | None = Field(
        description="The activity this session counts as for the day's energy"
    )
    exercises: list[WorkoutExerciseOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class WorkoutSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    date: dt.date
    started_at: dt.datetime | None
    duration_min: float
    title: str | None
    total_volume_kg: float
    working_sets: int
    pr_count: int
    kcal: float | None
    created_at: dt.datetime


class WorkoutPage(BaseModel):
    items: list[WorkoutSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


# --- progress --------------------------------------------------------------------------------


class HistorySession(BaseModel):
    date: dt.date
    workout_id: uuid.UUID
    best_set: BestSet | None
    e1rm_kg: float | None
    volume_kg: float
    working_sets: int
    max_reps: int | None


class ExerciseHistory(BaseModel):
    exercise_id: uuid.UUID
    name: str
    e1rm_formula: str
    sessions: list[HistorySession] = Field(description="Newest first")
    total: int
    limit: int
    offset: int


class MuscleWeek(BaseModel):
    week_start: dt.date = Field(description="Monday of the ISO week")
    muscle: str
    hard_sets: float = Field(description="Primary muscle 1 per hard set, secondary 0.5")


class PrOut(BaseModel):
    date: dt.date
    workout_id: uuid.UUID
    exercise_id: uuid.UUID
    exercise: str
    reps: int | None
    weight_kg: float | None
    e1rm_kg: float | None
    volume_kg: float
    prs: list[PrKind]


class WorkoutStats(BaseModel):
    start: dt.date
    end: dt.date
    sessions: int
    total_volume_kg: float
    working_sets: int
    duration_min: float
    kcal: float
    hard_set_rule: str
    hard_sets_per_muscle_week: list[MuscleWeek]
    prs: list[PrOut]


Girth = Annotated[float, Field(gt=0, le=300)]


class MeasurementIn(BaseModel):
    """Tape measurements in cm for a local day (default today); writing the same day again
    replaces it. Body fat is estimated by the US Navy formula when waist, neck (and hips for
    women) are here and your profile has sex and height."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"date": "2024-05-01", "waist_cm": 86.4, "neck_cm": 38.1, "chest_cm": 104}]
        },
    )

    date: dt.date | None = None
    waist_cm: Girth | None = None
    hips_cm: Girth | None = None
    neck_cm: Girth | None = None
    chest_cm: Girth | None = None
    arm_cm: Girth | None = None
    thigh_cm: Girth | None = None
    body_fat_pct: Annotated[float, Field(ge=2, le=75)] | None = None

    @model_validator(mode="after")
    def _some(self) -> MeasurementIn:
        if (
            all(
                getattr(self, f) is None
                for f in ("waist_cm", "hips_cm", "neck_cm", "chest_cm", "arm_cm", "thigh_cm")
            )
            and self.body_fat_pct is None
        ):
            raise ValueError("send at least one measurement")
        return self


class MeasurementOut(BaseModel):
    date: dt.date
    waist_cm: float | None
    hips_cm: float | None
    neck_cm: float | None
    chest_cm: float | None
    arm_cm: float | None
    thigh_cm: float | None
    body_fat_pct: float | None = Field(description="As you gave it")
    navy_body_fat_pct: float | None = Field(
        description="US Navy estimate; null when a girth, sex or height is missing"
    )
    navy_formula: str
    updated_at: dt.datetime


class MeasurementPage(BaseModel):
    items: list[MeasurementOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


# --- programs --------------------------------------------------------------------------------

TrainingGoal = Literal["strength", "hypertrophy", "fat_loss", "general_fitness", "endurance"]
Experience = Literal["beginner", "intermediate", "advanced"]


class ProgramGenerateIn(BaseModel):
    """Fields left out come from your profile (training_goal, training_days_per_week,
    training_session_minutes, training_equipment, training_experience), then from defaults:
    the goal follows your nutrition goal (lose: fat_loss, gain: hypertrophy, else
    general_fitness), 3 days, 60 minutes, a full gym, beginner."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "goal": "hypertrophy",
                    "days_per_week": 4,
                    "session_minutes": 60,
                    "equipment": ["barbell", "dumbbell", "cable"],
                    "experience": "intermediate",
                    "weeks": 8,
                }
            ]
        },
    )

    goal: TrainingGoal | None = None
    days_per_week: Annotated[int, Field(ge=2, le=6)] | None = None
    session_minutes: Annotated[int, Field(ge=20, le=180)] | None = None
    equipment: Annotated[list[Equipment], Field(max_length=12)] | None = None
    experience: Experience | None = None
    liked_exercise_ids: Annotated[list[uuid.UUID], Field(max_length=20)] = []
    disliked_exercise_ids: Annotated[list[uuid.UUID], Field(max_length=200)] = []
    weeks: Annotated[int, Field(ge=1, le=16)] = 4


class ProgramParams(BaseModel):
    goal: TrainingGoal
    days_per_week: int
    session_minutes: int
    equipment: list[str]
    experience: Experience
    liked_exercise_ids: list[uuid.UUID]
    disliked_exercise_ids: list[uuid.UUID]
    weeks: int


class PlannedExercise(BaseModel):
    exercise_id: uuid.UUID
    name: str
    slot: str
    mechanic: str | None
    force: str | None
    equipment: str | None
    primary_muscles: list[str]
    sets: int
    reps_min: int
    reps_max: int
    rpe: float = Field(description="Target RPE (rate of perceived exertion, 1-10)")


class PlannedDay(BaseModel):
    date: dt.date
    name: str
    exercises: list[PlannedExercise]


class PlannedWeek(BaseModel):
    week: int
    start_date: dt.date
    deload: bool
    days: list[PlannedDay]


class ProgramOut(BaseModel):
    id: uuid.UUID
    params: ProgramParams
    split: str
    days_per_week: int
    periodisation_model: str
    balance: dict[str, Any] = Field(
        description="Working sets per week by force (push/pull) and primary muscle"
    )
    start_date: dt.date
    end_date: dt.date
    weeks: list[PlannedWeek]
    text: str | None
    text_source: str | None = Field(description="llm or template")
    created_at: dt.datetime
    updated_at: dt.datetime


class LastSession(BaseModel):
    date: dt.date
    load_kg: float | None
    reps: list[int]


class TargetExercise(PlannedExercise):
    target_reps: int
    target_load_kg: float | None = Field(
        description="From your last session by double progression; null before you log one"
    )
    target_load_lb: float | None
    progression: str = Field(description="Why this target")
    last_session: LastSession | None
    missed_in_a_row: int


class ProgramDayOut(BaseModel):
    program_id: uuid.UUID
    date: dt.date
    week: int
    deload: bool
    rest_day: bool
    name: str | None
    exercises: list[TargetExercise]
    progression_rule: str


class PlannedWorkoutIn(BaseModel):
    """The sets you did on a planned day (any exercise may be swapped or added)."""

    model_config = ConfigDict(extra="forbid")

    started_at: AwareDatetime | None = None
    duration_min: Annotated[float, Field(gt=0, le=600)] | None = None
    notes: Text | None = None
    exercises: Annotated[list[ExerciseEntryIn], Field(min_length=1, max_length=40)]

    @model_validator(mode="after")
    def _sets(self) -> PlannedWorkoutIn:
        _check_total_sets(self.exercises)
        return self
