from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import statistics
import time
import uuid
from typing import TYPE_CHECKING

import httpx
import pytest
from jose import jwt

from app.core.config import Settings
from app.core.security import create_token
from tests.conftest import assert_problem, create_user

if TYPE_CHECKING:
    from tests.conftest import TestUser

SIGNUP = "/api/v1/auth/signup"
LOGIN = "/api/v1/auth/login"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"


def settings_of(client: httpx.AsyncClient) -> Settings:
    return client._transport.app.state.settings  # type: ignore[attr-defined]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": password})


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


async def assert_me_refused(client: httpx.AsyncClient, token: str) -> None:
    r = await client.get(ME, headers=bearer(token))
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"


# --- sign-up --------------------------------------------------------------------------------


async def test_signup_normalises_email_and_hides_hash(client):
    r = await client.post(SIGNUP, json={"email": "  Ada.L@Example.COM ", "password": "pass-word"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["email"] == "ada.l@example.com"
    assert body["timezone"] == "UTC"
    assert body["is_admin"] is False
    uuid.UUID(body["id"])
    assert not {"password", "password_hash"} & body.keys()
    assert "argon2" not in r.text


async def test_signup_duplicate_email_in_other_case_conflicts(client, user):
    r = await client.post(SIGNUP, json={"email": user.email.upper(), "password": "another-pw"})
    body = assert_problem(r, 409, "email-taken")
    assert user.email in body["detail"]


async def test_signup_short_password_is_422_on_password(client):
    r = await client.post(SIGNUP, json={"email": "short@example.com", "password": "1234567"})
    body = assert_problem(r, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["password"]
    # Nothing was created: the same email can still sign up.
    r = await client.post(SIGNUP, json={"email": "short@example.com", "password": "12345678"})
    assert r.status_code == 201


async def test_signup_invalid_email_is_422(client):
    r = await client.post(SIGNUP, json={"email": "not-an-email", "password": "long-enough"})
    body = assert_problem(r, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["email"]


# --- login ----------------------------------------------------------------------------------


def assert_token_pair(body: dict) -> None:
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["access_token"] != body["refresh_token"]
    assert body["access_token"].count(".") == 2


async def test_json_login_answers_token_pair(client, user):
    r = await login(client, user.email.upper(), user.password)
    assert r.status_code == 200, r.text
    assert_token_pair(r.json())
    me = await client.get(ME, headers=bearer(r.json()["access_token"]))
    assert me.json()["id"] == user.id


async def test_oauth2_form_login_answers_token_pair(client, user):
    r = await client.post(TOKEN, data={"username": user.email, "password": user.password})
    assert r.status_code == 200, r.text
    assert_token_pair(r.json())
    me = await client.get(ME, headers=bearer(r.json()["access_token"]))
    assert me.json()["email"] == user.email


async def test_oauth2_form_wrong_password_is_401(client, user):
    r = await client.post(TOKEN, data={"username": user.email, "password": "wrong-password"})
    assert_problem(r, 401, "invalid-credentials")


async def test_wrong_password_and_unknown_email_answer_identically(client, user):
    wrong = await login(client, user.email, "wrong-password")
    unknown = await login(client, "nobody@example.com", user.password)
    assert_problem(wrong, 401, "invalid-credentials")
    assert_problem(unknown, 401, "invalid-credentials")
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"


async def test_unknown_email_costs_a_hash_verification_too(client, user):
    async def median_seconds(email: str) -> float:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            r = await login(client, email, "wrong-password")
            times.append(time.perf_counter() - t0)
            assert r.status_code == 401
        return statistics.median(times)

    wrong = await median_seconds(user.email)
    unknown = await median_seconds("nobody@example.com")
    assert unknown >= 0.5 * wrong, (unknown, wrong)


# --- access tokens --------------------------------------------------------------------------


async def test_me_with_token(client, user):
    r = await client.get(ME, headers=user.headers)
    assert r.status_code == 200
    assert r.json()["id"] == user.id
    assert r.json()["email"] == user.email


async def test_me_without_token_is_401(client):
    r = await client.get(ME)
    body = assert_problem(r, 401, "unauthorized")
    assert body["detail"] == "Missing bearer token"
    assert r.headers["www-authenticate"] == "Bearer"


async def test_me_with_garbage_token_is_401(client):
    await assert_me_refused(client, "not.a.jwt")


async def test_refresh_token_is_not_an_access_token(client, user):
    await assert_me_refused(client, user.refresh_token)


async def test_access_token_is_not_a_refresh_token(client, user):
    r = await refresh(client, user.access_token)
    assert_problem(r, 401, "invalid-refresh-token")


async def test_expired_access_token_is_refused(client, user):
    settings = settings_of(client)
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    token, _ = create_token(settings, uuid.UUID(user.id), "access", now=an_hour_ago)
    await assert_me_refused(client, token)
    # The same claims minted now are accepted, so only the expiry made the difference.
    fresh, _ = create_token(settings, uuid.UUID(user.id), "access")
    assert (await client.get(ME, headers=bearer(fresh))).status_code == 200


async def test_token_signed_with_another_secret_is_refused(client, user):
    other = settings_of(client).model_copy(update={"jwt_secret": "another-secret-" + "y" * 40})
    token, _ = create_token(other, uuid.UUID(user.id), "access")
    await assert_me_refused(client, token)


def _claims(user: TestUser) -> dict:
    now = int(time.time())
    return {"sub": user.id, "jti": str(uuid.uuid4()), "typ": "access", "iat": now, "exp": now + 600}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_unsigned_alg_none_token_is_refused(client, user):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user))}."
    await assert_me_refused(client, token)


async def test_token_with_other_algorithm_is_refused(client, user):
    settings = settings_of(client)
    assert settings.jwt_algorithm == "HS256"
    good = jwt.encode(_claims(user), settings.secret, algorithm="HS256")
    assert (await client.get(ME, headers=bearer(good))).status_code == 200
    hs512 = jwt.encode(_claims(user), settings.secret, algorithm="HS512")
    await assert_me_refused(client, hs512)


# --- refresh rotation and logout -----------------------------------------------------------


async def test_refresh_rotates_the_pair(client, user):
    r = await refresh(client, user.refresh_token)
    assert r.status_code == 200, r.text
    pair = r.json()
    assert_token_pair(pair)
    assert pair["refresh_token"] != user.refresh_token
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).json()["id"] == user.id
    r2 = await refresh(client, pair["refresh_token"])
    assert r2.status_code == 200, r2.text


async def test_reused_refresh_token_revokes_its_whole_chain(client, user):
    other_session = (await login(client, user.email, user.password)).json()["refresh_token"]
    first = (await refresh(client, user.refresh_token)).json()["refresh_token"]
    newest = (await refresh(client, first)).json()["refresh_token"]

    r = await refresh(client, user.refresh_token)
    body = assert_problem(r, 401, "refresh-token-reused")
    assert "revoked" in body["detail"]
    assert_problem(await refresh(client, newest), 401, "invalid-refresh-token")
    # Another login is another chain, untouched.
    r = await refresh(client, other_session)
    assert r.status_code == 200, r.text


async def test_logout_revokes_that_chain_only(client, user):
    other_session = (await login(client, user.email, user.password)).json()["refresh_token"]
    r = await client.post(LOGOUT, json={"refresh_token": user.refresh_token}, headers=user.headers)
    assert r.status_code == 204, r.text
    assert_problem(await refresh(client, user.refresh_token), 401, "invalid-refresh-token")
    assert (await refresh(client, other_session)).status_code == 200


async def test_logout_all_sessions_revokes_every_chain(client, user):
    second = (await login(client, user.email, user.password)).json()["refresh_token"]
    rotated = (await refresh(client, user.refresh_token)).json()["refresh_token"]
    r = await client.post(LOGOUT, json={"all_sessions": True}, headers=user.headers)
    assert r.status_code == 204, r.text
    for token in (second, rotated):
        assert_problem(await refresh(client, token), 401, "invalid-refresh-token")


async def test_logout_requires_access_token(client, user):
    r = await client.post(LOGOUT, json={"refresh_token": user.refresh_token})
    assert_problem(r, 401, "unauthorized")
    assert (await refresh(client, user.refresh_token)).status_code == 200


# --- account settings -----------------------------------------------------------------------


async def test_patch_timezone(client, user):
    r = await client.patch(ME, json={"timezone": "Europe/Berlin"}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["timezone"] == "Europe/Berlin"
    assert (await client.get(ME, headers=user.headers)).json()["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd"])
async def test_patch_unknown_timezone_is_422(client, user, tz):
    r = await client.patch(ME, json={"timezone": tz}, headers=user.headers)
    body = assert_problem(r, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["timezone"]
    assert (await client.get(ME, headers=user.headers)).json()["timezone"] == "UTC"


async def test_created_users_are_independent(client):
    a = await create_user(client)
    b = await create_user(client)
    assert (await client.get(ME, headers=a.headers)).json()["id"] == a.id
    assert (await client.get(ME, headers=b.headers)).json()["id"] == b.id


async def test_signup_cannot_set_admin_flag(client):
    body = {"email": "eve@example.com", "password": "long-enough", "is_admin": True}
    r = await client.post(SIGNUP, json=body)
    assert_problem(r, 422)
    assert "is_admin" in {e["field"] for e in r.json()["errors"]}


async def test_concurrent_signups_with_one_email_create_one_account(client):
    body = {"email": "race@example.com", "password": "long-enough"}
    responses = await asyncio.gather(*(client.post(SIGNUP, json=body) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    for r in responses:
        if r.status_code == 409:
            assert_problem(r, 409, "email-taken")


async def test_concurrent_refreshes_with_one_token_let_exactly_one_through(client, user):
    responses = await asyncio.gather(*(refresh(client, user.refresh_token) for _ in range(3)))
    assert sorted(r.status_code for r in responses) == [200, 401, 401]
    for r in responses:
        if r.status_code == 401:
            assert_problem(r, 401, "refresh-token-reused")


async def test_logout_with_someone_elses_refresh_token_is_refused(client, user, make_user):
    other = await make_user()
    r = await client.post(LOGOUT, json={"refresh_token": other.refresh_token}, headers=user.headers)
    assert_problem(r, 401, "invalid-refresh-token")
    assert (await refresh(client, other.refresh_token)).status_code == 200
