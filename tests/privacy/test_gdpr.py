"""GDPR export and erasure, checked against the SQLAlchemy metadata so that a new table
holding users' rows cannot be forgotten by either."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import sqlalchemy as sa
from sqlmodel import SQLModel

from app import models as _models  # noqa: F401  (every table on the metadata)
from app.privacy.service import REDACTED
from tests.conftest import assert_problem
from tests.privacy.populate import populate

EXPORT = "/api/v1/users/me/export"
# Rows that mention an operator without being theirs (ON DELETE SET NULL): kept on erasure,
# with this column emptied.
DETACHED = {
    "audit_log": "actor_id",
    "shared_recipes": "created_by",
    "retired_recipes": "retired_by",
}
ME = "/api/v1/users/me"


def tables_with_user_rows() -> dict[str, set[str]]:
    """Every table with a foreign key to users, plus tables referencing those, computed here
    independently of app/privacy: {table: the foreign key columns leading to a user}."""
    found: dict[str, set[str]] = {"users": {"id"}}
    changed = True
    while changed:
        changed = False
        for table in SQLModel.metadata.tables.values():
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if parent in found and table.name != parent:
                    cols = found.setdefault(table.name, set())
                    if fk.parent.name not in cols:
                        cols.add(fk.parent.name)
                        changed = True
    return found


async def export(client, user) -> dict:
    r = await client.get(EXPORT, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return json.loads(r.content)


async def row_counts(app) -> dict[str, int]:
    async with app.state.resources.engine.connect() as conn:
        return {
            t.name: await conn.scalar(sa.select(sa.func.count()).select_from(t))
            for t in SQLModel.metadata.sorted_tables
        }


async def test_export_has_every_user_table_and_nothing_of_others(app, client, make_ctx, make_user):
    ctx = make_ctx()
    user, other = await make_user(tz="UTC"), await make_user(tz="UTC")
    await populate(app, client, ctx, user)
    await populate(app, client, ctx, other)

    doc = await export(client, user)
    assert doc["format"] == "nexfitra-export/1" and doc["user_id"] == user.id
    tables = doc["tables"]
    expected = tables_with_user_rows()
    missing = set(expected) - set(tables)
    assert not missing, f"tables holding users' rows missing from the export: {missing}"
    # populate() must give the user rows everywhere, or the erasure test proves nothing.
    empty = {name for name in expected if not tables[name]}
    assert not empty, f"populate() left these tables empty: {empty}"

    # Every row is the user's own (directly or through a row of theirs).
    assert [u["id"] for u in tables["users"]] == [user.id]
    for name, rows in tables.items():
        for row in rows:
            for column in expected[name] & {"user_id", "owner_id"}:
                assert row[column] == user.id, (name, row)
    for name, column in DETACHED.items():
        assert all(r[column] == user.id for r in tables[name]), name
    own_food = {f["id"] for f in tables["foods"]}
    assert own_food and all(p["food_id"] in own_food for p in tables["food_portions"])
    own_notes = {n["id"] for n in tables["notifications"]}
    assert all(d["notification_id"] in own_notes for d in tables["notification_deliveries"])

    # Secrets are redacted, the rest is kept.
    assert tables["users"][0]["password_hash"] == REDACTED
    assert tables["users"][0]["email"] == user.email
    assert tables["webhooks"][0]["secret"] == REDACTED
    assert tables["webhooks"][0]["url"].endswith("/hook")
    assert all(t["token_hash"] == REDACTED for t in tables["refresh_tokens"])
    assert all(t["token_hash"] == REDACTED for t in tables["password_reset_tokens"])
    assert tables["log_entries"][0]["kcal"] == 400
    assert tables["weight_entries"][0]["weight_kg"] == 80.5


async def test_export_needs_a_token(client):
    assert_problem(await client.get(EXPORT), 401)


async def test_delete_leaves_no_row_of_the_user(app, client, make_ctx, make_user):
    ctx = make_ctx()
    user, other = await make_user(tz="UTC"), await make_user(tz="UTC")
    await populate(app, client, ctx, user)
    await populate(app, client, ctx, other)
    before_other = await export(client, other)
    before = await export(client, user)
    counts = await row_counts(app)

    r = await client.request(
        "DELETE", ME, json={"password": "wrong-password"}, headers=user.headers
    )
    assert_problem(r, 401, "wrong-password")
    assert_problem(await client.request("DELETE", ME, json={}, headers=user.headers), 401)
    assert await row_counts(app) == counts  # nothing half-done

    r = await client.request("DELETE", ME, json={"password": user.password}, headers=user.headers)
    assert r.status_code == 204, r.text

    # No row of the user remains anywhere: look every exported row up by primary key.
    expected = tables_with_user_rows()
    async with app.state.resources.engine.connect() as conn:
        for name, rows in before["tables"].items():
            table = SQLModel.metadata.tables[name]
            pk = list(table.primary_key.columns)
            for row in rows:
                found = (
                    await conn.execute(
                        sa.select(table).where(*(c == _typed(c, row[c.name]) for c in pk))
                    )
                ).first()
                if name in DETACHED:  # an operator's action is kept, detached from them
                    assert found is not None and getattr(found, DETACHED[name]) is None
                else:
                    assert found is None, (name, row)
            # And nothing references the user by a user column either.
            for column in expected[name] & {"user_id", "owner_id", *DETACHED.values()}:
                n = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(table.c[column] == uuid.UUID(user.id))
                )
                assert n == 0, (name, column)

    # The other user's data is intact; the deleted user's tokens stop at once.
    after_other = await export(client, other)
    assert {k: len(v) for k, v in after_other["tables"].items()} == {
        k: len(v) for k, v in before_other["tables"].items()
    }
    assert_problem(await client.get(ME, headers=user.headers), 401)
    assert_problem(await client.get("/api/v1/logs", headers=user.headers), 401)
    r = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    assert_problem(r, 401)
    # The address is free again.
    r = await client.post(
        "/api/v1/auth/signup", json={"email": user.email, "password": "again-123"}
    )
    assert r.status_code == 201


def _typed(column: sa.Column, value):
    if isinstance(column.type, sa.Uuid):
        return uuid.UUID(value)
    if isinstance(column.type, sa.Date) and isinstance(value, str):
        return dt.date.fromisoformat(value)  # a date in a primary key (weekly insights)
    return value


async def test_queued_plan_job_of_an_erased_user_does_nothing(app, client, make_ctx, make_user):
    from app.pipeline.service import schedule_cycle
    from app.plans.models import MealPlan
    from tests.logs.helpers import set_goal
    from tests.pipeline.helpers import run_jobs, today_noon

    ctx = make_ctx()
    user, other = await make_user(tz="UTC"), await make_user(tz="UTC")
    now = today_noon()
    for u in (user, other):
        await set_goal(client, u, effective_from=str(now.date()))
    result = await schedule_cycle(ctx, now)
    assert result.enqueued == 2
    r = await client.request("DELETE", ME, json={"password": user.password}, headers=user.headers)
    assert r.status_code == 204
    await run_jobs(ctx)  # the job still names the erased user
    async with app.state.resources.sessionmaker() as s:
        owners = list(await s.scalars(sa.select(MealPlan.user_id)))
    assert owners == [uuid.UUID(other.id)]
