"""The workout write on PostgreSQL (`app.training.pgwrite`, raw asyncpg) against the session
write SQLite uses: the same answers (figures, PRs against earlier and later-dated history) and
the same rows, and nothing left behind when the write fails."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from app.activities.models import Activity
from app.events.models import OutboxEvent
from app.training import pgwrite, workouts
from app.training.models import Workout, WorkoutSet
from app.training.schemas import WorkoutIn
from tests.conftest import BACKEND, create_user
from tests.training.helpers import BENCH, PULLUPS, SQUAT, set_profile

pytestmark = pytest.mark.skipif(BACKEND != "server", reason="the PostgreSQL write path")


def _body(day: str, load: float, reps: int, extra: int = 0) -> dict[str, Any]:
    return {
        "date": day,
        "duration_min": 50,
        "title": "Session",
        "exercises": [
            {
                "exercise_id": BENCH,
                "sets": [
                    {"reps": 10, "weight_kg": load / 2, "is_warmup": True},
                    {"reps": reps, "weight_kg": load, "rpe": 8},
                    {"reps": reps + extra, "weight_kg": load, "rir": 2},
                    {"reps": reps - 1, "weight_kg": load + 5},
                ],
            },
            {"exercise_id": SQUAT, "sets": [{"reps": 5, "weight_kg": load + 40}] * 2},
            {"exercise_id": PULLUPS, "sets": [{"reps": 8 + extra}, {"reps": 6}]},
        ],
    }


# In order: a first session, a heavier one, a backdated one (before the others: its PRs are
# measured against nothing earlier), one matching earlier reps at a load, one beating them.
HISTORY = [
    _body("2024-05-01", 80, 5),
    _body("2024-05-08", 85, 5, extra=1),
    _body("2024-04-20", 90, 3),
    _body("2024-05-15", 85, 6),
    _body("2024-05-22", 85, 7, extra=2),
]
_OWN = {"id", "workout_id", "user_id", "activity_id", "created_at", "updated_at"}


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _OWN}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


async def _stored(engine: Any, user_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for name, table, order in (
            ("workouts", Workout.__table__, ("date",)),  # type: ignore[attr-defined]
            ("sets", WorkoutSet.__table__, ("date", "position", "set_number")),  # type: ignore[attr-defined]
            ("activities", Activity.__table__, ("date",)),  # type: ignore[attr-defined]
        ):
            rows = await conn.execute(
                sa.select(table).where(table.c.user_id == user_id).order_by(*order)
            )
            out[name] = [_strip(dict(r._mapping)) for r in rows]
        events = await conn.execute(
            sa.select(OutboxEvent.payload)
            .where(OutboxEvent.user_id == user_id, OutboxEvent.type == "WorkoutLogged")
            .order_by(OutboxEvent.occurred_at)
        )
        out["events"] = [_strip(p) for (p,) in events]
    return out


async def test_raw_and_session_writes_agree(app, client):
    res = app.state.resources
    users = []
    for _ in range(2):
        u = await create_user(client, tz="Europe/Berlin")
        await set_profile(client, u, weight_kg=82.5)
        users.append(uuid.UUID(u.id))
    raw_user, session_user = users
    for body in HISTORY:
        parsed = WorkoutIn.model_validate(body)
        data = parsed.model_dump(exclude={"exercises"})
        raw = await workouts.log_workout_pg(
            res.engine, res.cache, raw_user, "Europe/Berlin", data, parsed.exercises, None
        )
        async with res.sessionmaker() as session:
            ref = await workouts._log_workout_session(
                session, session_user, "Europe/Berlin", data, parsed.exercises, None, res.cache
            )
        assert _strip(raw.model_dump()) == _strip(ref.model_dump())
    # The history above does set PRs, of every kind, so the comparison covers them.
    kinds = {k for e in raw.exercises for s in e.sets for k in s.prs}
    assert kinds == {"e1rm", "reps_at_weight", "volume"}
    raw_rows, ref_rows = (
        await _stored(res.engine, raw_user),
        await _stored(res.engine, session_user),
    )
    assert len(raw_rows["sets"]) == 5 * 8
    assert raw_rows == ref_rows


async def test_failed_write_leaves_nothing(app, client):
    """The workout, its sets, its activity and its event are one statement: a set that cannot
    be written (its id is taken) leaves none of them."""
    res = app.state.resources
    u = await create_user(client)
    user_id = uuid.UUID(u.id)
    parsed = WorkoutIn.model_validate(HISTORY[0])
    data = parsed.model_dump(exclude={"exercises"})
    first = await workouts.log_workout_pg(
        res.engine, res.cache, user_id, "UTC", data, parsed.exercises, None
    )
    before = await _stored(res.engine, user_id)
    taken = first.exercises[0].sets[0].id
    read = workouts._Prefetched({uuid.UUID(BENCH): "b", uuid.UUID(SQUAT): "s"}, None, {}, "UTC")
    read.names[uuid.UUID(PULLUPS)] = "p"
    workout, sets = workouts._compose(
        user_id, data["date"], None, data, parsed.exercises, read, None
    )
    sets[-1]["id"] = taken
    from app.activities import service as activities_service

    activity = activities_service.new_workout_activity(
        user_id,
        day=workout.date,
        started_at=None,
        duration_min=workout.duration_min,
        kcal=workout.kcal,
        met_value=workout.met,
        now=workout.created_at,
    )
    workout.activity_id = activity["id"]
    async with res.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        with pytest.raises(Exception, match="duplicate key"):
            await pgwrite.write(
                driver, workout.row(), sets, activity, workouts._logged_event(workout)
            )
    assert await _stored(res.engine, user_id) == before
    assert len(before["workouts"]) == 1
