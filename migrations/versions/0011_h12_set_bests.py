"""Indexes for a workout's previous bests: the best e1RM, the best set volume and the most
reps at a load, each the first row of an index walked from the top, instead of aggregating
the user's whole history of those exercises on every logged workout.

Revision ID: 0011_h12_set_bests
Revises: 0009_g_trackers
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_h12_set_bests"
down_revision: str | None = "0011_h15_catalog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_workout_sets_best_e1rm": ["user_id", "exercise_id", "e1rm_kg"],
    "ix_workout_sets_best_volume": ["user_id", "exercise_id", "volume_kg"],
    "ix_workout_sets_best_reps": ["user_id", "exercise_id", "weight_kg", "reps"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "workout_sets", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="workout_sets")
