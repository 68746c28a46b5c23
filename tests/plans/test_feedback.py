"""Plan feedback: ratings stored against the plan, the planner avoiding 1-2 and favouring
4-5 (latest rating wins), other users unaffected, operators' aggregate per recipe."""

from __future__ import annotations

import uuid

from app.plans.recipes import recipes_by_id
from tests.admin.helpers import make_admin
from tests.conftest import assert_problem
from tests.logs.helpers import set_goal

GOAL = {"kcal": 2200, "protein_g": 130, "carbs_g": 250, "fat_g": 75}


async def plan(client, user) -> dict:
    r = await client.post("/api/v1/plans/generate", json={}, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()["plans"][0]


def offered(p: dict) -> set[str]:
    ids = {o["recipe_id"] for s in p["slots"] for o in s["options"]}
    return ids | {o["recipe_id"] for o in p["snack_options"]}


def first(p: dict, slot: str) -> str:
    return next(s for s in p["slots"] if s["slot"] == slot)["options"][0]["recipe_id"]


async def rate(client, user, day, status=201, **body):
    r = await client.post(f"/api/v1/plans/{day}/feedback", json=body, headers=user.headers)
    assert r.status_code == status, r.text
    return r.json()


async def test_low_rating_stops_the_recipe_and_latest_wins(client, make_user):
    user = await make_user(tz="UTC")
    await set_goal(client, user, **GOAL)
    day1 = await plan(client, user)
    # Planning the same day again gives the same menu (a deterministic variety seed)...
    assert first(await plan(client, user), "dinner") == first(day1, "dinner")
    dinner = first(day1, "dinner")

    body = await rate(client, user, day1["date"], rating=1, slot="dinner", comment=" fennel ")
    assert body["recipe_id"] == dinner and body["rating"] == 1 and body["comment"] == "fennel"
    # ...so its absence now is the rating's doing: not in any slot, option or snack.
    again = await plan(client, user)
    assert dinner not in offered(again)
    assert again["met"] is True

    # A later rating of 4 brings it back.
    await rate(client, user, day1["date"], rating=4, recipe_id=dinner)
    assert dinner in offered(await plan(client, user))


async def test_high_rating_favours_the_recipe(client, make_user):
    user = await make_user(tz="UTC")
    await set_goal(client, user, **GOAL)
    p = await plan(client, user)
    lunch = next(s for s in p["slots"] if s["slot"] == "lunch")
    alternative = lunch["options"][2]["recipe_id"]
    assert alternative not in {s["options"][0]["recipe_id"] for s in p["slots"]}
    await rate(client, user, p["date"], rating=5, slot="lunch", recipe_id=alternative)
    again = await plan(client, user)
    # The third choice of the day before is now planned: the rating outweighs its rank.
    assert alternative in {s["options"][0]["recipe_id"] for s in again["slots"]}
    assert again["met"] is True


async def test_feedback_validation_and_other_users(client, make_user):
    user, other = await make_user(tz="UTC"), await make_user(tz="UTC")
    for u in (user, other):
        await set_goal(client, u, **GOAL)
    p = await plan(client, user)
    day = p["date"]
    for bad in (
        {"rating": 0},
        {"rating": 6},
        {"rating": 3, "slot": "brunch"},
        {"rating": 3, "comment": "x" * 1001},
        {"rating": 3, "comment": "a\x00b"},
        {"rating": 3, "extra": 1},
    ):
        r = await client.post(f"/api/v1/plans/{day}/feedback", json=bad, headers=user.headers)
        assert_problem(r, 422)
    stranger = str(uuid.uuid4())
    r = await client.post(
        f"/api/v1/plans/{day}/feedback",
        json={"rating": 3, "recipe_id": stranger},
        headers=user.headers,
    )
    assert_problem(r, 422, "feedback-not-in-plan")
    dinner_first = first(p, "dinner")
    r = await client.post(
        f"/api/v1/plans/{day}/feedback",
        json={"rating": 3, "slot": "breakfast", "recipe_id": dinner_first},
        headers=user.headers,
    )
    if dinner_first not in {o["recipe_id"] for o in p["slots"][0]["options"]}:
        assert_problem(r, 422, "feedback-not-in-plan")
    assert_problem(
        await client.post(
            "/api/v1/plans/2001-01-01/feedback", json={"rating": 3}, headers=user.headers
        ),
        404,
    )
    assert_problem(await client.post(f"/api/v1/plans/{day}/feedback", json={"rating": 3}), 401)
    # A day as a whole.
    whole = await rate(client, user, day, rating=5, comment="great day")
    assert whole["slot"] is None and whole["recipe_id"] is None

    # The other user has no plan that day until they make one, and one user's rating does not
    # change the other's menu.
    other_before = await plan(client, other)
    await rate(client, user, day, rating=1, slot="dinner")
    other_after = await plan(client, other)
    assert offered(other_after) == offered(other_before)


async def test_admin_feedback_aggregate(app, client, make_user):
    admin = await make_user()
    await make_admin(app, admin)
    a, b = await make_user(tz="UTC"), await make_user(tz="UTC")
    rated = {}
    for u in (a, b):
        await set_goal(client, u, **GOAL)
        p = await plan(client, u)
        rated[u.id] = p
    # Both rate one recipe offered to a; b rates it only if it was offered to b too.
    target = first(rated[a.id], "breakfast")
    await rate(client, a, rated[a.id]["date"], rating=1, recipe_id=target)
    await rate(client, a, rated[a.id]["date"], rating=2, recipe_id=target)
    await rate(client, a, rated[a.id]["date"], rating=5)  # the day: not a recipe's
    if target in offered(rated[b.id]):
        await rate(client, b, rated[b.id]["date"], rating=5, recipe_id=target)
        expected = {"ratings": 3, "average": 2.67, "low": 2, "high": 1, "users": 2}
    else:
        expected = {"ratings": 2, "average": 1.5, "low": 2, "high": 0, "users": 1}

    assert_problem(await client.get("/api/v1/admin/feedback", headers=a.headers), 403)
    r = await client.get("/api/v1/admin/feedback", headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1
    (item,) = body["items"]
    assert item["recipe_id"] == target
    assert {k: item[k] for k in expected} == expected
    assert item["name"] == recipes_by_id()[uuid.UUID(target)].name and item["source"] == "library"
    r = await client.get("/api/v1/admin/feedback", params={"min_ratings": 4}, headers=admin.headers)
    assert r.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    r = await client.get("/api/v1/admin/feedback", params={"limit": 0}, headers=admin.headers)
    assert_problem(r, 422)
