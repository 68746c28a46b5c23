"""Exercise catalogue, workout logs and body measurements."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))


class Exercise(SQLModel, table=True):
    """A catalogue exercise (`slug` = its Free Exercise DB id, no owner), a shared exercise an
    admin added (no slug, no owner) or a user's private one (`owner_id`)."""

    __tablename__ = "exercises"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    slug: str | None = Field(default=None, max_length=80, sa_column_kwargs={"unique": True})
    owner_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    name: str = Field(max_length=120)
    force: str | None = Field(default=None, max_length=16)
    level: str | None = Field(default=None, max_length=16)
    mechanic: str | None = Field(default=None, max_length=16)
    equipment: str | None = Field(default=None, max_length=24)
    category: str | None = Field(default=None, max_length=24)
    primary_muscles: list[str] = _json_list()
    secondary_muscles: list[str] = _json_list()
    instructions: list[str] = _json_list()
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExerciseMuscle(SQLModel, table=True):
    """One row per (exercise, muscle): the muscle filter and the weekly hard-set count join it,
    so both stay plain indexed SQL on either dialect (no JSON operators)."""

    __tablename__ = "exercise_muscles"
    __table_args__ = (sa.Index("ix_exercise_muscles_muscle", "muscle", "is_primary"),)

    exercise_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("exercises.id", ondelete="CASCADE"), primary_key=True
        )
    )
    muscle: str = Field(max_length=24, primary_key=True)
    is_primary: bool


class Workout(SQLModel, table=True):
    """One logged training session. Derived figures (volume, working sets, PR count, kcal) are
    stored so lists and stats never recompute them from every set."""

    __tablename__ = "workouts"
    __table_args__ = (sa.Index("ix_workouts_user_date", "user_id", "date"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    date: dt.date = Field(description="The user's local date of the session")
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_min: float
    duration_estimated: bool = False
    title: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=2000)
    total_volume_kg: float = 0.0
    working_sets: int = 0
    pr_count: int = 0
    kcal: float | None = None
    met: float | None = None
    # The activity this session counts as (its own, or a tracker's import of the same session).
    activity_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("activities.id", ondelete="SET NULL"), nullable=True
        ),
    )
    program_id: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WorkoutSet(SQLModel, table=True):
    """One set. `user_id`, `date` and `week_start` repeat the workout's so history, PR and
    weekly stats queries are single-table GROUP BYs on an index."""

    __tablename__ = "workout_sets"
    __table_args__ = (
        # Weekly stats over a date range, and the recent sets programs progress from. Lookups by
        # user and exercise use the best-of indexes below (migration 0012_hw_set_user_date).
        sa.Index("ix_workout_sets_user_date", "user_id", "date"),
        sa.Index("ix_workout_sets_workout", "workout_id"),
        # A new workout's previous bests, each the top of one of these (`pgwrite`). Working
        # sets only on PostgreSQL, where every reader asks for those (0016_wk_workout_log_fn).
        sa.Index(
            "ix_workout_sets_best_e1rm",
            "user_id",
            "exercise_id",
            "e1rm_kg",
            postgresql_where=sa.text("NOT is_warmup"),
        ),
        sa.Index(
            "ix_workout_sets_best_volume",
            "user_id",
            "exercise_id",
            "volume_kg",
            postgresql_where=sa.text("NOT is_warmup"),
        ),
        sa.Index(
            "ix_workout_sets_best_reps",
            "user_id",
            "exercise_id",
            "weight_kg",
            "reps",
            postgresql_where=sa.text("NOT is_warmup"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    workout_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("workouts.id", ondelete="CASCADE"), nullable=False
        )
    )
    # The workout's user, with no foreign key of its own: the workout's holds it (and its
    # cascade removes the sets with the user's workouts), and checking it again on every set
    # row cost the database a lookup per set (migration 0013_hw_sets_user_fk).
    user_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    exercise_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("exercises.id"), nullable=False)
    )
    date: dt.date
    week_start: dt.date = Field(description="Monday of the set's ISO week")
    position: int = Field(description="The exercise's place in the workout, from 0")
    set_number: int = Field(description="The set's place within its exercise, from 1")
    reps: int | None = None
    weight_kg: float | None = None
    rpe: float | None = None
    rir: int | None = None
    duration_s: int | None = None
    distance_m: float | None = None
    is_warmup: bool = False
    is_hard: bool = False
    volume_kg: float = 0.0
    e1rm_kg: float | None = None
    pr_e1rm: bool = False
    pr_reps: bool = False
    pr_volume: bool = False


class BodyMeasurement(SQLModel, table=True):
    """Tape measurements of one local day; a later write that day replaces them."""

    __tablename__ = "body_measurements"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "date", name="uq_body_measurements_user_date"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    date: dt.date
    waist_cm: float | None = None
    hips_cm: float | None = None
    neck_cm: float | None = None
    chest_cm: float | None = None
    arm_cm: float | None = None
    thigh_cm: float | None = None
    body_fat_pct: float | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Program(SQLModel, table=True):
    """A generated training program. One active per user; a new one retires the old (kept,
    so workouts logged against it keep their reference)."""

    __tablename__ = "programs"
    __table_args__ = (sa.Index("ix_programs_user_active", "user_id", "is_active"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True, sa_type=sa.Uuid)
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    is_active: bool = True
    start_date: dt.date = Field(description="Monday of the program's first week")
    active_from: dt.date = Field(description="The local day it was generated")
    weeks: int
    params: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    plan: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    text: str | None = None
    text_source: str | None = Field(default=None, max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
