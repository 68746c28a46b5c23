from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.training.dataset import exercise_uuid

BENCH = str(exercise_uuid("Barbell_Bench_Press_-_Medium_Grip"))
SQUAT = str(exercise_uuid("Barbell_Squat"))
DEADLIFT = str(exercise_uuid("Barbell_Deadlift"))
PULLUPS = str(exercise_uuid("Pullups"))


async def make_admin(app: Any, user: Any) -> None:
    async with app.state.resources.sessionmaker() as s:
        await s.execute(sa.update(User).where(User.id == uuid.UUID(user.id)).values(is_admin=True))
        await s.commit()


async def set_profile(client: Any, user: Any, **fields: Any) -> None:
    r = await client.patch("/api/v1/users/me/profile", json=fields, headers=user.headers)
    assert r.status_code == 200, r.text


async def private_exercise(client: Any, owner: Any) -> str:
    """An exercise `owner` created (private: no other user may log it); its id."""
    r = await client.post(
        "/api/v1/exercises",
        json={"name": "Secret lift", "primary_muscles": ["chest"]},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])
