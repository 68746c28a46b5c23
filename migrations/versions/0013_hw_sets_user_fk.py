"""Workout sets: no foreign key of their own to the user.

A set's user is its workout's, whose foreign key already holds it, and whose cascade already
removes the sets with a deleted user's workouts. The second check ran once per set row on
every logged workout (twenty lookups of the user's row for a five-exercise session).

Revision ID: 0013_hw_sets_user_fk
Revises: 0012_hw_set_user_date
Create Date: 2026-12-03 08:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_hw_sets_user_fk"
down_revision: str | None = "0012_hw_set_user_date"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps the constraint unnamed; batch mode names it by this convention to drop it.
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_SQLITE_NAME = "fk_workout_sets_user_id_users"
_PG_NAME = "workout_sets_user_id_fkey"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "workout_sets", recreate="always", naming_convention=_NAMING
        ) as batch_op:
            batch_op.drop_constraint(_SQLITE_NAME, type_="foreignkey")
    else:
        op.drop_constraint(_PG_NAME, "workout_sets", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("workout_sets", recreate="always") as batch_op:
            batch_op.create_foreign_key(
                _SQLITE_NAME, "users", ["user_id"], ["id"], ondelete="CASCADE"
            )
    else:
        op.create_foreign_key(
            _PG_NAME, "workout_sets", "users", ["user_id"], ["id"], ondelete="CASCADE"
        )
