"""A logged workout is a WorkoutLogged event, and the week's facts count its training."""

from __future__ import annotations

from tests.events.helpers import outbox_rows
from tests.events.test_insights import consume
from tests.training.helpers import set_profile
from tests.training.test_workouts import bench_workout


async def test_workout_logged_event_and_training_facts(client, user):
    await set_profile(client, user, weight_kg=80)
    r = await client.post("/api/v1/workouts", json=bench_workout(), headers=user.headers)
    assert r.status_code == 201, r.text
    workout = r.json()
    (event,) = await outbox_rows(client, "WorkoutLogged")
    assert str(event.user_id) == user.id
    assert event.payload["workout_id"] == workout["id"] and event.payload["date"] == "2024-05-01"
    assert event.payload["total_volume_kg"] == workout["total_volume_kg"]
    await consume(client)
    r = await client.get("/api/v1/insights?start=2024-04-29", headers=user.headers)
    body = r.json()
    assert body["source"] == "consumer"
    training = body["facts"]["training"]
    assert training["sessions"] == 1
    assert training["volume_kg"] == round(workout["total_volume_kg"], 1)
    assert training["working_sets"] == workout["working_sets"]
