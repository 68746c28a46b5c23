"""Password change (other sessions end) and reset by emailed single-use token, through the
log backend and a real SMTP server (aiosmtpd on a local port)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import re
import uuid

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.auth.models import PasswordResetToken
from app.core.security import create_token
from tests.conftest import assert_problem

ME = "/api/v1/users/me"
CHANGE = "/api/v1/users/me/password"
RESET = "/api/v1/auth/password-reset/request"
CONFIRM = "/api/v1/auth/password-reset/confirm"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def older_access_token(app, user_id: str) -> str:
    """An access token issued a minute ago (tokens carry whole-second issue times)."""
    settings = app.state.resources.settings
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)
    return create_token(settings, uuid.UUID(user_id), "access", now=past)[0]


async def test_change_password_ends_other_sessions(app, client, make_user):
    user = await make_user(password="old-password")
    # A second device.
    r = await client.post(LOGIN, json={"email": user.email, "password": "old-password"})
    other_refresh = r.json()["refresh_token"]
    old_access = older_access_token(app, user.id)
    assert (await client.get(ME, headers=bearer(old_access))).status_code == 200
    bystander = await make_user()

    body = {"current_password": "old-password", "new_password": "new-password-1"}
    r = await client.post(CHANGE, json=body, headers=user.headers)
    assert r.status_code == 200, r.text
    pair = r.json()
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 15 * 60

    # Every refresh chain from before is dead, older access tokens are refused.
    for token in (user.refresh_token, other_refresh):
        assert_problem(await client.post(REFRESH, json={"refresh_token": token}), 401)
    assert_problem(await client.get(ME, headers=bearer(old_access)), 401)
    # The answered pair works, and so does the new password; the old one does not.
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 200
    r = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200
    r = await client.post(LOGIN, json={"email": user.email, "password": "old-password"})
    assert_problem(r, 401)
    r = await client.post(LOGIN, json={"email": user.email, "password": "new-password-1"})
    assert r.status_code == 200
    # Other users' sessions are untouched.
    r = await client.post(REFRESH, json={"refresh_token": bystander.refresh_token})
    assert r.status_code == 200


async def test_change_password_failures(client, user):
    body = {"current_password": "wrong-one", "new_password": "new-password-1"}
    assert_problem(
        await client.post(CHANGE, json=body, headers=user.headers), 401, "wrong-password"
    )
    body = {"current_password": user.password, "new_password": "short"}
    err = assert_problem(await client.post(CHANGE, json=body, headers=user.headers), 422)
    assert err["errors"][0]["field"] == "new_password"
    assert_problem(await client.post(CHANGE, json=body), 401)
    # Nothing changed: the old password and refresh token still work.
    r = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert r.status_code == 200
    r = await client.post(REFRESH, json={"refresh_token": user.refresh_token})
    assert r.status_code == 200


def reset_token_from(text: str) -> str:
    match = re.search(r"valid \d+ minutes, once\): (\S+)", text)
    assert match, text
    return match.group(1)


async def test_reset_by_log_backend(app, client, make_user, caplog):
    user = await make_user(password="forgotten-1")
    old_access = older_access_token(app, user.id)
    caplog.set_level(logging.INFO, logger="nexfitra.email")

    r = await client.post(RESET, json={"email": user.email.upper()})
    assert r.status_code == 202, r.text
    (record,) = [r for r in caplog.records if r.name == "nexfitra.email"]
    assert f"to={user.email}" in record.getMessage()
    token = reset_token_from(record.getMessage())

    # Only the digest is stored.
    async with app.state.resources.sessionmaker() as s:
        stored = (await s.scalars(sa.select(PasswordResetToken))).all()
    assert len(stored) == 1 and token not in stored[0].token_hash

    assert_problem(await client.post(CONFIRM, json={"token": token, "new_password": "x"}), 422)
    r = await client.post(CONFIRM, json={"token": token, "new_password": "brand-new-1"})
    assert r.status_code == 204, r.text
    # Single use.
    r = await client.post(CONFIRM, json={"token": token, "new_password": "brand-new-2"})
    assert_problem(r, 422, "invalid-reset-token")
    # All sessions ended.
    assert_problem(await client.post(REFRESH, json={"refresh_token": user.refresh_token}), 401)
    assert_problem(await client.get(ME, headers=bearer(old_access)), 401)
    r = await client.post(LOGIN, json={"email": user.email, "password": "brand-new-1"})
    assert r.status_code == 200


async def test_reset_unknown_email_looks_the_same(client, caplog):
    caplog.set_level(logging.INFO, logger="nexfitra.email")
    r = await client.post(RESET, json={"email": "nobody@example.com"})
    assert r.status_code == 202
    assert r.json() == {"detail": "If the address has an account, a reset link is on its way"}
    assert not [r for r in caplog.records if r.name == "nexfitra.email"]
    assert_problem(await client.post(RESET, json={"email": "not-an-email"}), 422)


async def test_reset_token_expiry_and_supersession(app, client, user, caplog):
    caplog.set_level(logging.INFO, logger="nexfitra.email")
    await client.post(RESET, json={"email": user.email})
    first = reset_token_from(caplog.records[-1].getMessage())
    await client.post(RESET, json={"email": user.email})
    second = reset_token_from(caplog.records[-1].getMessage())
    # Only the newest link works.
    r = await client.post(CONFIRM, json={"token": first, "new_password": "brand-new-1"})
    assert_problem(r, 422, "invalid-reset-token")
    async with app.state.resources.sessionmaker() as s:
        await s.execute(
            sa.update(PasswordResetToken).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
        await s.commit()
    r = await client.post(CONFIRM, json={"token": second, "new_password": "brand-new-1"})
    assert_problem(r, 422, "invalid-reset-token")
    r = await client.post(CONFIRM, json={"token": "x" * 43, "new_password": "brand-new-1"})
    assert_problem(r, 422, "invalid-reset-token")
    r = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert r.status_code == 200


async def test_reset_rate_limited_per_address(client_factory):
    async with client_factory(rate_limit_password_reset_per_hour=2) as c:
        for _ in range(2):
            assert (await c.post(RESET, json={"email": "a@example.com"})).status_code == 202
        r = await c.post(RESET, json={"email": "A@example.com"})
        body = assert_problem(r, 429, "rate-limited")
        assert int(r.headers["retry-after"]) > 60 and "this address" in body["detail"]
        assert r.headers["ratelimit-policy"] == "2;w=3600"
        # Another address has its own budget.
        assert (await c.post(RESET, json={"email": "b@example.com"})).status_code == 202


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode())
        )
        return "250 OK"


async def test_reset_by_smtp(client_factory, make_user):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=18501)
    controller.start()
    try:
        async with client_factory(
            email_backend="smtp",
            smtp_host="127.0.0.1",
            smtp_port=18501,
            smtp_security="none",
            email_from="NexFitra <reset@nexfitra.test>",
            password_reset_url="https://app.example/reset#",
        ) as c:
            r = await c.post(
                "/api/v1/auth/signup", json={"email": "smtp@example.com", "password": "pass-word"}
            )
            assert r.status_code == 201
            assert (await c.post(RESET, json={"email": "smtp@example.com"})).status_code == 202
            (sender, rcpts, content) = inbox.messages[0]
            assert sender == "reset@nexfitra.test" and rcpts == ["smtp@example.com"]
            message = email.message_from_string(content, policy=email.policy.default)
            assert message["Subject"] == "Reset your NexFitra password"
            assert message["From"] == "NexFitra <reset@nexfitra.test>"
            token = reset_token_from(message.get_content()).removeprefix(
                "https://app.example/reset#"
            )
            r = await c.post(CONFIRM, json={"token": token, "new_password": "via-smtp-1"})
            assert r.status_code == 204
            r = await c.post(LOGIN, json={"email": "smtp@example.com", "password": "via-smtp-1"})
            assert r.status_code == 200
    finally:
        controller.stop()
