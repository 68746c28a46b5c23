"""Roles, the admin CLI, account search, deactivation (tokens stop at once) and the audit."""

from __future__ import annotations

import uuid

from app.admin.cli import set_role
from app.cli import main as cli_main
from tests.admin.helpers import make_admin
from tests.conftest import assert_problem

USERS = "/api/v1/admin/users"
AUDIT = "/api/v1/admin/audit"


async def test_cli_grants_and_revokes_admin(app, client, user, capsys):
    r = await client.get(USERS, headers=user.headers)
    assert_problem(r, 403, "forbidden")
    assert_problem(await client.get("/api/v1/admin/pipeline", headers=user.headers), 403)

    settings = app.state.resources.settings
    assert await set_role(settings, user.email.upper(), True) == 0
    assert "role admin" in capsys.readouterr().out
    me = (await client.get("/api/v1/users/me", headers=user.headers)).json()
    assert me["role"] == "admin" and me["is_admin"] is True
    assert (await client.get(USERS, headers=user.headers)).status_code == 200
    assert (await client.get("/api/v1/admin/pipeline", headers=user.headers)).status_code == 200

    audit = (await client.get(AUDIT, headers=user.headers)).json()
    grant = next(e for e in audit["items"] if e["action"] == "user.role")
    assert grant["actor_id"] is None and grant["actor_label"] == "cli"
    assert grant["target_id"] == user.id and grant["detail"] == {"from": "user", "to": "admin"}

    assert await set_role(settings, user.email, False) == 0
    assert_problem(await client.get(USERS, headers=user.headers), 403)
    assert await set_role(settings, "nobody@example.com", True) == 1
    assert "no account" in capsys.readouterr().err


def test_cli_parses_admin_subcommand(monkeypatch):
    seen = {}

    async def fake(settings, identifier, grant):
        seen.update(identifier=identifier, grant=grant)
        return 0

    monkeypatch.setattr("app.admin.cli.set_role", fake)
    assert cli_main(["admin", "revoke", "ada@example.com"]) == 0
    assert seen == {"identifier": "ada@example.com", "grant": False}


async def test_list_and_search_users_paginated(app, client, make_user):
    admin = await make_user(email="root@example.com")
    await make_admin(app, admin)
    for name in ("ann", "bob", "ann_b"):
        await make_user(email=f"{name}@example.org")

    page = (await client.get(USERS, params={"limit": 2}, headers=admin.headers)).json()
    assert page["total"] == 4 and len(page["items"]) == 2 and page["limit"] == 2
    rest = (await client.get(USERS, params={"offset": 2}, headers=admin.headers)).json()
    emails = [u["email"] for u in page["items"] + rest["items"]]
    assert sorted(emails) == sorted(
        ["root@example.com", "ann@example.org", "bob@example.org", "ann_b@example.org"]
    )
    assert {"id", "role", "is_active", "timezone", "created_at"} <= set(page["items"][0])
    assert "password_hash" not in page["items"][0]

    found = (await client.get(USERS, params={"q": "ANN"}, headers=admin.headers)).json()
    assert sorted(u["email"] for u in found["items"]) == ["ann@example.org", "ann_b@example.org"]
    # `_` is a LIKE wildcard; the search matches it literally.
    found = (await client.get(USERS, params={"q": "n_b"}, headers=admin.headers)).json()
    assert [u["email"] for u in found["items"]] == ["ann_b@example.org"]

    assert_problem(await client.get(USERS, params={"limit": 201}, headers=admin.headers), 422)
    assert_problem(await client.get(USERS, params={"offset": -1}, headers=admin.headers), 422)

    audit = (
        await client.get(AUDIT, params={"action": "user.search"}, headers=admin.headers)
    ).json()
    assert audit["total"] == 4
    assert audit["items"][0]["actor_id"] == admin.id


async def test_deactivation_stops_tokens_at_once(app, client, make_user):
    admin = await make_user()
    await make_admin(app, admin)
    target = await make_user()
    other = await make_user()
    assert (await client.get("/api/v1/users/me", headers=target.headers)).status_code == 200

    r = await client.post(f"{USERS}/{target.id}/deactivate", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False

    # The access token is refused at once, also on routes that never load the user row.
    assert_problem(await client.get("/api/v1/users/me", headers=target.headers), 401)
    assert_problem(await client.get("/api/v1/logs", headers=target.headers), 401)
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": target.refresh_token})
    assert_problem(r, 401)
    login = {"email": target.email, "password": target.password}
    assert_problem(await client.post("/api/v1/auth/login", json=login), 401)
    # Nobody else is affected.
    assert (await client.get("/api/v1/logs", headers=other.headers)).status_code == 200

    r = await client.post(f"{USERS}/{target.id}/reactivate", headers=admin.headers)
    assert r.status_code == 200 and r.json()["is_active"] is True
    r = await client.post("/api/v1/auth/login", json=login)
    assert r.status_code == 200, r.text
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await client.get("/api/v1/logs", headers=fresh)).status_code == 200
    # The refresh chain from before the deactivation stays dead.
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": target.refresh_token})
    assert_problem(r, 401)

    audit = (await client.get(AUDIT, params={"target_id": target.id}, headers=admin.headers)).json()
    assert [e["action"] for e in audit["items"]] == ["user.activate", "user.deactivate"]
    deact = audit["items"][1]
    assert deact["actor_id"] == admin.id and deact["actor_label"] == admin.email
    assert deact["detail"]["refresh_tokens_revoked"] == 1


async def test_deactivation_guards(app, client, make_user):
    admin = await make_user()
    await make_admin(app, admin)
    plain = await make_user()
    r = await client.post(f"{USERS}/{admin.id}/deactivate", headers=admin.headers)
    assert_problem(r, 409, "self-lockout")
    r = await client.post(f"{USERS}/{uuid.uuid4()}/deactivate", headers=admin.headers)
    assert_problem(r, 404, "user-not-found")
    r = await client.post(f"{USERS}/{admin.id}/deactivate", headers=plain.headers)
    assert_problem(r, 403)
    assert_problem(await client.get(AUDIT, headers=plain.headers), 403)
    assert_problem(await client.get(AUDIT), 401)
    # Nothing was audited for refused requests.
    assert (await client.get(AUDIT, headers=admin.headers)).json()["total"] == 1  # the grant


async def test_role_route(app, client, make_user):
    admin = await make_user()
    await make_admin(app, admin)
    other = await make_user()
    r = await client.put(f"{USERS}/{other.id}/role", json={"role": "admin"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert (await client.get(AUDIT, headers=other.headers)).status_code == 200
    r = await client.put(f"{USERS}/{admin.id}/role", json={"role": "user"}, headers=admin.headers)
    assert_problem(r, 409, "self-lockout")
    r = await client.put(f"{USERS}/{other.id}/role", json={"role": "root"}, headers=admin.headers)
    assert_problem(r, 422)
    r = await client.put(f"{USERS}/{other.id}/role", json={"role": "user"}, headers=admin.headers)
    assert r.json()["role"] == "user"
    assert_problem(await client.get(AUDIT, headers=other.headers), 403)


async def test_views_are_audited_too(app, client, make_user):
    admin = await make_user()
    await make_admin(app, admin)
    for url in ("/api/v1/admin/pipeline", "/api/v1/admin/feedback", AUDIT):
        assert (await client.get(url, headers=admin.headers)).status_code == 200
    audit = (await client.get(AUDIT, headers=admin.headers)).json()
    views = [e for e in audit["items"] if e["target_type"] == "view"]
    assert [e["action"] for e in views] == ["audit.view", "feedback.view", "pipeline.view"]
    assert all(e["actor_id"] == admin.id for e in views)
