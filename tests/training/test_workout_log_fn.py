"""The one-round-trip workout write on PostgreSQL (`workout_log`, migration
0016_wk_workout_log_fn) against the session write SQLite uses: the same answers (volume, e1RM,
every kind of record, against earlier and backdated history, an exercise twice in a workout),
the same stored rows and events; and when its checks decline (another body weight or zone than
assumed, a tracker session that day, an unknown exercise, no user) nothing written by it and
the two-trip write's answer instead."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.errors import Unauthorized
from app.training import pgwrite, workouts
from app.training.models import WorkoutSet
from app.training.schemas import WorkoutIn
from tests.conftest import BACKEND, create_user
from tests.training.helpers import BENCH, DEADLIFT, PULLUPS, SQUAT, set_profile
from tests.training.test_workout_fast_write import TRACKER_XML
from tests.training.test_workout_pgwrite import _stored, _strip

pytestmark = pytest.mark.skipif(BACKEND != "server", reason="the PostgreSQL write path")


def _body(day: str, load: float, reps: int, extra: int = 0) -> dict[str, Any]:
    return {
        "date": day,
        "title": 'Heavy "pr_count": 0 day',
        "exercises": [
            {
                "exercise_id": BENCH,
                "sets": [
                    {"reps": 10, "weight_kg": load / 2, "is_warmup": True},
                    {"reps": reps, "weight_kg": load, "rpe": 8},
                    {"reps": reps + extra, "weight_kg": load, "rir": 5},
                    {"reps": 0, "weight_kg": load + 10},
                    {"reps": reps - 1, "weight_lb": (load + 5) * 2.2},
                ],
            },
            {"exercise_id": SQUAT, "sets": [{"reps": 5, "weight_kg": load + 40}] * 2},
            {"exercise_id": PULLUPS, "sets": [{"reps": 8 + extra}, {"duration_s": 30}]},
            # The same lift again: its records start from the history, not from the first entry.
            {
                "exercise_id": BENCH,
                "sets": [
                    {"reps": reps + 2 + extra, "weight_kg": load - 10, "rpe": 9.5},
                    {"reps": 31, "weight_kg": 20, "duration_s": 90},
                ],
            },
            {"exercise_id": DEADLIFT, "sets": [{"reps": 3, "weight_kg": load * 2}]},
        ],
    }


# A first session, heavier ones, one backdated before all (nothing earlier to beat), one at
# equal reps, one beating reps at a load, and a lighter one (no records at all).
HISTORY = [
    _body("2024-05-01", 80, 5),
    _body("2024-05-08", 85, 5, extra=1),
    _body("2024-04-20", 90, 3),
    _body("2024-05-15", 85, 6),
    _body("2024-05-22", 85, 7, extra=2),
    _body("2024-05-23", 60, 4),
    {**_body("2024-05-24", 100, 8, extra=3), "duration_min": 75.5, "notes": "felt strong"},
]


@pytest.fixture
def statuses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What `workout_log` answered, call by call; each test starts with no weight guesses."""
    seen: list[str] = []
    inner = pgwrite.log

    async def spy(*args: Any, **kwargs: Any) -> pgwrite.Logged:
        logged = await inner(*args, **kwargs)
        seen.append(logged.status)
        return logged

    monkeypatch.setattr(pgwrite, "log", spy)
    monkeypatch.setattr(workouts, "_weight_guesses", {})
    return seen


async def _users(client: Any, n: int, weight: float | None = 82.5) -> list[uuid.UUID]:
    out = []
    for _ in range(n):
        u = await create_user(client, tz="Europe/Berlin")
        if weight is not None:
            await set_profile(client, u, weight_kg=weight)
        out.append(uuid.UUID(u.id))
    return out


async def _log(app: Any, user_id: uuid.UUID, body: dict[str, Any], *, session: bool) -> Any:
    res = app.state.resources
    parsed = WorkoutIn.model_validate(body)
    data = parsed.model_dump(exclude={"exercises"})
    if session:
        async with res.sessionmaker() as s:
            return await workouts._log_workout_session(
                s, user_id, "Europe/Berlin", data, parsed.exercises, None, res.cache
            )
    return await workouts.log_workout_pg(
        res.engine, res.cache, user_id, "Europe/Berlin", data, parsed.exercises, None
    )


@pytest.mark.parametrize("weight", [82.5, None])
async def test_one_trip_and_session_writes_agree(
    app: Any, client: Any, statuses: list[str], weight: float | None
) -> None:
    fast_user, session_user = await _users(client, 2, weight)
    workouts._remember_weight(fast_user, weight)
    for body in HISTORY:
        fast = await _log(app, fast_user, body, session=False)
        ref = await _log(app, session_user, body, session=True)
        assert _strip(fast.model_dump()) == _strip(ref.model_dump())
    # Every write went through the function, and the history sets every kind of record.
    assert statuses == ["ok"] * len(HISTORY)
    kinds = {k for e in fast.exercises for s in e.sets for k in s.prs}
    assert kinds == {"e1rm", "reps_at_weight", "volume"}
    assert fast.pr_count == sum(1 for e in fast.exercises for s in e.sets if s.prs) > 0
    assert (fast.kcal is None) == (weight is None)
    stored = [await _stored(app.state.resources.engine, u) for u in (fast_user, session_user)]
    assert len(stored[0]["sets"]) == 12 * len(HISTORY)
    assert len(stored[0]["activities"]) == len(HISTORY)
    assert stored[0] == stored[1]


async def test_figures_of_a_one_trip_write(app: Any, client: Any, statuses: list[str]) -> None:
    """Numbers worked out by hand, so a change to both paths at once cannot pass unnoticed."""
    (user,) = await _users(client, 1)
    workouts._remember_weight(user, 82.5)
    first = {
        "date": "2024-05-01",
        "exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5, "weight_kg": 100}]}],
    }
    again = [{"reps": 6, "weight_kg": 100}]
    second = {
        "date": "2024-05-08",
        "exercises": [
            {
                "exercise_id": BENCH,
                "sets": [
                    {"reps": 10, "weight_kg": 50, "is_warmup": True},
                    *again,
                    {"reps": 5, "weight_kg": 105},
                ],
            },
            {"exercise_id": BENCH, "sets": again},
            {"exercise_id": PULLUPS, "sets": [{"reps": 8}]},
        ],
    }
    out = await _log(app, user, first, session=False)
    assert out.pr_count == 0 and out.exercises[0].e1rm_kg == 116.7  # 100 × (1 + 5/30)
    out = await _log(app, user, second, session=False)
    assert statuses == ["ok", "ok"]
    every = ["e1rm", "reps_at_weight", "volume"]
    # 6 × 100: e1RM 120 > 116.7, 6 > 5 reps at 100 kg, 600 > 500 kg; 5 × 105: e1RM 122.5 only.
    assert [s.prs for s in out.exercises[0].sets] == [[], every, ["e1rm"]]
    # The same lift again is measured against the history, not the first entry's sets.
    assert [s.prs for s in out.exercises[1].sets] == [every]
    assert [s.prs for s in out.exercises[2].sets] == [[]]  # a first session of pull-ups
    assert [s.volume_kg for s in out.exercises[0].sets] == [0.0, 600.0, 525.0]
    assert out.exercises[0].e1rm_kg == 122.5 and out.exercises[0].best_set is not None
    assert out.exercises[0].best_set.set_number == 3
    assert (out.total_volume_kg, out.working_sets, out.pr_count) == (1725.0, 4, 3)
    # 5 sets × (45 s + 120 s) = 13.75 min -> 13.8; 3.5 × 82.5 kg × 13.8 / 60 = 66.4125 kcal.
    assert (out.duration_min, out.kcal) == (13.8, 66.4)
    assert out.activity_id is not None


async def test_set_ids_grow_with_time(app: Any, client: Any, statuses: list[str]) -> None:
    """Migration 0018: the function's set ids are UUID version 7 (time first), so new sets
    land on the right edge of the primary key index instead of at random leaves."""
    (user,) = await _users(client, 1)
    workouts._remember_weight(user, 82.5)
    before_ms = int(time.time() * 1000)
    first = await _log(app, user, HISTORY[0], session=False)
    await asyncio.sleep(0.002)  # the two workouts in different milliseconds
    second = await _log(app, user, HISTORY[1], session=False)
    after_ms = int(time.time() * 1000)
    assert statuses == ["ok", "ok"]
    ids = [[s.id for e in out.exercises for s in e.sets] for out in (first, second)]
    every = ids[0] + ids[1]
    assert len(set(every)) == len(every) == 24
    assert {i.version for i in every} == {7}
    assert {i.variant for i in every} == {uuid.RFC_4122}
    assert all(before_ms <= i.int >> 80 <= after_ms for i in every)
    assert max(ids[0]) < min(ids[1])  # a later workout's sets sort after an earlier one's
    # The workout and its activity (ids made in Python, app/core/ids.py) too.
    others = [i for out in (first, second) for i in (out.id, out.activity_id)]
    assert {i.version for i in others if i is not None} == {7} and None not in others
    async with app.state.resources.engine.connect() as conn:
        stored = await conn.scalars(
            sa.select(WorkoutSet.id).where(WorkoutSet.user_id == user)  # type: ignore[arg-type]
        )
        assert sorted(stored) == sorted(every)


async def test_declines_write_nothing_and_fall_back(
    app: Any, client: Any, statuses: list[str]
) -> None:
    res = app.state.resources
    u = await create_user(client, tz="Europe/Berlin")
    await set_profile(client, u, weight_kg=70)
    user = uuid.UUID(u.id)
    # A guessed weight that is out of date: the function declines, the answer is priced with
    # the stored weight, and the next write goes through the function again.
    workouts._remember_weight(user, 99.0)
    out = await _log(app, user, HISTORY[0], session=False)
    assert statuses == ["stale"]
    assert out.kcal == round(3.5 * 70 * out.duration_min / 60, 1)
    assert workouts._weight_guesses[user] == 70
    await _log(app, user, HISTORY[1], session=False)
    assert statuses == ["stale", "ok"]
    # A zone other than the stored one: declined, and the write is dated in the stored zone.
    parsed = WorkoutIn.model_validate(HISTORY[3])
    out = await workouts.log_workout_pg(
        res.engine,
        res.cache,
        user,
        "Pacific/Kiritimati",
        parsed.model_dump(exclude={"exercises"}),
        parsed.exercises,
    )
    assert statuses[-1] == "stale" and str(out.date) == "2024-05-15"
    # An exercise private to someone else: declined, then the two-trip write's 422.
    other = await create_user(client)
    r = await client.post(
        "/api/v1/exercises",
        json={"name": "Secret lift", "primary_muscles": ["chest"]},
        headers=other.headers,
    )
    secret = r.json()["id"]
    body = {"date": "2024-06-01", "exercises": [{"exercise_id": secret, "sets": [{"reps": 5}]}]}
    with pytest.raises(workouts.UnknownExercise):
        await _log(app, user, body, session=False)
    assert statuses[-1] == "unknown"
    assert len((await _stored(res.engine, user))["workouts"]) == 3


async def test_tracker_day_declines_and_counts_the_session_once(
    app: Any, client: Any, statuses: list[str]
) -> None:
    u = await create_user(client, tz="America/New_York")
    await set_profile(client, u, weight_kg=82.5)
    r = await client.post(
        "/api/v1/activities/import/apple_health",
        files={"file": ("export.xml", TRACKER_XML, "application/xml")},
        headers=u.headers,
    )
    assert r.json()["imported"] == 1
    user = uuid.UUID(u.id)
    workouts._remember_weight(user, 82.5)
    res = app.state.resources
    body = {
        "started_at": "2024-05-29T17:05:00Z",
        "duration_min": 55,
        "exercises": [{"exercise_id": BENCH, "sets": [{"reps": 5, "weight_kg": 100}]}],
    }
    parsed = WorkoutIn.model_validate(body)
    out = await workouts.log_workout_pg(
        res.engine,
        res.cache,
        user,
        "America/New_York",
        parsed.model_dump(exclude={"exercises"}),
        parsed.exercises,
    )
    assert statuses == ["imports"]
    stored = await _stored(res.engine, user)
    assert [a["source"] for a in stored["activities"]] == ["apple_health"]
    async with res.engine.connect() as conn:
        imported = await conn.scalar(sa.text("SELECT id FROM activities"))
    assert out.activity_id == imported


async def test_gone_user_is_401_and_nothing_is_written(
    app: Any, client: Any, statuses: list[str]
) -> None:
    (user,) = await _users(client, 1)
    workouts._remember_weight(user, 82.5)
    res = app.state.resources
    async with res.engine.begin() as conn:
        await conn.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": user})
    with pytest.raises(Unauthorized):
        await _log(app, user, HISTORY[0], session=False)
    assert statuses == ["gone"]
    async with res.engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM workouts")) == 0
