"""POST /workouts through its write shortcut (core/routing.fast_write, PostgreSQL only)
answers and stores exactly what the route does for the same input: PR flags across
consecutive and backdated workouts, warm-ups excluded, pounds converted, the activity's kcal,
and no second activity on a day whose tracker session is the workout."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from app.core import routing
from app.core.routing import FastAnswer
from app.training import router as training_router
from app.training.schemas import WorkoutOut
from tests.conftest import BACKEND, assert_problem, create_user
from tests.training.helpers import private_exercise, set_profile
from tests.training.test_workout_pgwrite import HISTORY, _stored, _strip

WORKOUTS = "/api/v1/workouts"
ENDPOINT = training_router.create_workout
# A tracker's session that a workout logged at 17:05 for 55 minutes is (no second activity).
TRACKER_XML = (
    b'<?xml version="1.0"?><HealthData>'
    b'<Workout workoutActivityType="HKWorkoutActivityTypeTraditionalStrengthTraining" '
    b'duration="55" durationUnit="min" totalEnergyBurned="310" totalEnergyBurnedUnit="kcal" '
    b'startDate="2024-05-29 17:00:00 +0000" endDate="2024-05-29 17:55:00 +0000"/>'
    b"</HealthData>"
)
IMPORTED_DAY = {
    "started_at": "2024-05-29T17:05:00Z",
    "duration_min": 55,
    "exercises": [
        {
            "exercise_id": HISTORY[0]["exercises"][0]["exercise_id"],
            "sets": [
                {"reps": 10, "weight_lb": 95, "is_warmup": True},
                {"reps": 6, "weight_lb": 225},
                {"reps": 6, "weight_lb": 230, "rpe": 9},
            ],
        }
    ],
}


@pytest.fixture
def shortcut_calls(monkeypatch: pytest.MonkeyPatch) -> list[FastAnswer | None]:
    calls: list[FastAnswer | None] = []
    inner = getattr(ENDPOINT, routing._FAST_WRITE_ATTR)

    async def spy(scope: Any, body: Any) -> FastAnswer | None:
        answer = await inner(scope, body)
        calls.append(answer)
        return answer

    monkeypatch.setattr(ENDPOINT, routing._FAST_WRITE_ATTR, spy)
    return calls


async def _post(c: httpx.AsyncClient, user: Any, body: Any) -> httpx.Response:
    headers = {"Content-Type": "application/json", **user.headers}
    return await c.post(WORKOUTS, content=json.dumps(body).encode(), headers=headers)


async def _user(c: httpx.AsyncClient) -> Any:
    user = await create_user(c, tz="America/New_York")
    await set_profile(c, user, weight_kg=82.5)
    r = await c.post(
        "/api/v1/activities/import/apple_health",
        files={"file": ("export.xml", TRACKER_XML, "application/xml")},
        headers=user.headers,
    )
    assert r.status_code == 200 and r.json()["imported"] == 1, r.text
    return user


async def test_shortcut_answers_and_stores_what_the_route_does(
    app: Any,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    shortcut_calls: list[FastAnswer | None],
) -> None:
    fast_user, slow_user = await _user(client), await _user(client)
    bodies = [*HISTORY, IMPORTED_DAY]
    for body in bodies:
        fast = await _post(client, fast_user, body)
        with monkeypatch.context() as m:
            m.delattr(ENDPOINT, routing._FAST_WRITE_ATTR)
            slow = await _post(client, slow_user, body)
        assert fast.status_code == slow.status_code == 201, (fast.text, slow.text)
        assert _strip(fast.json()) == _strip(slow.json())
        if BACKEND == "server":
            # The limiter is a GCRA whose bucket refills in real time: two users' equal
            # histories can read one request apart when the machine is slow between them.
            remaining = int(fast.headers["RateLimit-Remaining"])
            assert abs(remaining - int(slow.headers["RateLimit-Remaining"])) <= 1
    # Only the first user's writes reached the shortcut; on PostgreSQL it answered them all.
    assert len(shortcut_calls) == len(bodies)
    answered = [a for a in shortcut_calls if a is not None]
    assert len(answered) == (len(bodies) if BACKEND == "server" else 0)
    last = fast.json()
    # Pounds stored in kg; the day's tracker session is the workout's activity.
    assert [s["weight_kg"] for s in last["exercises"][0]["sets"]] == [43.09, 102.06, 104.33]
    assert last["activity_id"] is not None
    r = await client.get(
        "/api/v1/activities/daily",
        params={"start": "2024-05-29", "end": "2024-05-29"},
        headers=fast_user.headers,
    )
    assert r.json()["days"][0]["activities"] == 1 and r.json()["days"][0]["kcal"] == 310
    # The pounds beat the earlier bench sets; the warm-up sets nothing.
    assert [s["prs"] for s in last["exercises"][0]["sets"]] == [[], ["e1rm"], ["e1rm"]]
    stored = [
        await _stored(app.state.resources.engine, uuid.UUID(u.id)) for u in (fast_user, slow_user)
    ]
    assert stored[0] == stored[1]
    assert len(stored[0]["sets"]) == 5 * 8 + 3
    assert [a["source"] for a in stored[0]["activities"]].count("workout") == len(HISTORY)


async def test_refusals_through_the_shortcut_are_the_routes(
    client: httpx.AsyncClient, make_user: Any, shortcut_calls: list[FastAnswer | None]
) -> None:
    alice, bob = await make_user(), await make_user()
    secret = await private_exercise(client, alice)
    body = {"date": "2024-05-01", "exercises": [{"exercise_id": secret, "sets": [{"reps": 5}]}]}
    assert_problem(await _post(client, bob, body), 422, "unknown-exercise")
    bad = {**body, "date": "1800-01-01"}
    assert_problem(await _post(client, alice, bad), 422)
    r = await client.post(WORKOUTS, json=body)
    assert_problem(r, 401)
    r = await client.get(WORKOUTS, headers=bob.headers)
    assert r.json()["total"] == 0


@pytest.mark.skipif(BACKEND != "server", reason="the one-trip write is PostgreSQL's")
@pytest.mark.parametrize("weight", [82.5, None])
async def test_one_trip_answer_is_the_models_bytes(
    client: httpx.AsyncClient,
    make_user: Any,
    shortcut_calls: list[FastAnswer | None],
    weight: float | None,
) -> None:
    """The one-trip write's answer skips the model (`workouts.answer_json`): its bytes must be
    exactly what `WorkoutOut` serialises for the same values (key order, floats written as
    floats where the JSON gave integers, nulls, the zone of times), and its values the route's."""
    user = await make_user(tz="Europe/Paris")
    if weight is not None:
        await set_profile(client, user, weight_kg=weight)
    odd = {
        # An instant, an estimated duration, sets without load or reps, integers for floats.
        "started_at": "2024-06-03T06:30:00+02:00",
        "title": 'Mixed "pr_count": 0',
        "exercises": [
            {
                "exercise_id": HISTORY[0]["exercises"][0]["exercise_id"],
                "sets": [
                    {"reps": 5, "weight_kg": 100, "rpe": 8, "rir": 2},
                    {"reps": 3, "weight_lb": 235, "is_warmup": True},
                    {"duration_s": 60, "distance_m": 400},
                ],
            },
            {
                "exercise_id": HISTORY[0]["exercises"][2]["exercise_id"],
                "sets": [{"reps": 12}, {"reps": 0}],
            },
        ],
    }
    for body in [*HISTORY, odd]:
        r = await _post(client, user, body)
        assert r.status_code == 201, r.text
        model = WorkoutOut.model_validate_json(r.content)
        assert r.content == model.model_dump_json().encode()
        stored = await client.get(f"{WORKOUTS}/{model.id}", headers=user.headers)
        # The same values as read back, and the same text: an instant is answered in UTC,
        # as stored, whatever offset it was sent with.
        assert model == WorkoutOut.model_validate_json(stored.content)
        assert r.json()["started_at"] == stored.json()["started_at"]
    # The first write priced the session with a weight read by the two-trip write (a model);
    # every later one went in one trip and answered bytes.
    answered = [a for a in shortcut_calls if a is not None]
    assert [a.body is None for a in answered] == [True] + [False] * len(HISTORY)
    last = r.json()
    kcal = None if weight is None else round(3.5 * weight * last["duration_min"] / 60, 1)
    assert last["kcal"] == kcal and last["duration_min"] == 14.0
    assert last["duration_estimated"] is True
    assert last["started_at"] == "2024-06-03T04:30:00Z"
    assert [s["volume_kg"] for s in last["exercises"][0]["sets"]] == [500.0, 0.0, 0.0]
    assert b'"volume_kg":500.0' in r.content and b'"weight_kg":100.0' in r.content
    assert b'"rpe":8.0' in r.content
