"""Sign-up and sign-in by one-time code: E.164 numbers, hashed 6-digit codes, expiry, wrong
tries, resend budgets per number and per client, phone on an existing account, the SMS
backends (log, and a signed webhook to a local receiver)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from app.admin.cli import set_role
from app.auth.models import OtpCode, User
from app.core.config import Settings
from tests.conftest import assert_problem

REQUEST = "/api/v1/auth/otp/request"
VERIFY = "/api/v1/auth/otp/verify"
ME = "/api/v1/users/me"
PHONE = "+4915112345678"
SPACED = "+49 151 1234 5678"
OTHER_PHONE = "+33612345678"

# Budgets off, so a test can ask for several codes; the budget tests set their own.
NO_BUDGETS = dict(otp_resend_seconds=0, otp_per_hour_per_number=0, otp_per_hour_per_ip=0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def last_code(caplog, phone: str = PHONE) -> str:
    texts = [
        r.getMessage()
        for r in caplog.records
        if r.name == "nexfitra.sms" and phone in r.getMessage()
    ]
    assert texts, "no SMS was logged"
    match = re.search(r"code is (\d{6})\b", texts[-1])
    assert match, texts[-1]
    return match.group(1)


async def users_with_phone(app, phone: str) -> list[User]:
    async with app.state.resources.sessionmaker() as s:
        return list(await s.scalars(sa.select(User).where(User.phone == phone)))


@pytest.fixture(autouse=True)
def _sms_log(caplog):
    caplog.set_level(logging.INFO, logger="nexfitra.sms")


async def test_sign_up_happens_only_at_verification(app, client, caplog):
    r = await client.post(REQUEST, json={"phone": SPACED})
    assert r.status_code == 202, r.text
    assert r.json()["detail"].startswith("A code is on its way")
    code = last_code(caplog)
    assert len(code) == 6
    assert await users_with_phone(app, PHONE) == []  # no account yet
    async with app.state.resources.sessionmaker() as s:
        (row,) = (await s.scalars(sa.select(OtpCode))).all()
    assert row.phone == PHONE and code not in row.code_hash and row.attempts == 0
    assert (row.expires_at - row.created_at) == dt.timedelta(minutes=5)

    r = await client.post(VERIFY, json={"phone": PHONE, "code": code})
    assert r.status_code == 200, r.text
    tokens = r.json()
    me = (await client.get(ME, headers=bearer(tokens["access_token"]))).json()
    assert me["phone"] == PHONE and me["email"] is None and me["role"] == "user"
    (user,) = await users_with_phone(app, PHONE)
    assert str(user.id) == me["id"] and user.password_hash is None
    # Single use.
    r = await client.post(VERIFY, json={"phone": PHONE, "code": code})
    assert_problem(r, 422, "invalid-code")
    # The refresh token works like any other.
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200


async def test_second_login_is_the_same_account(app, client_factory, caplog):
    async with client_factory(**NO_BUDGETS) as c:
        ids = []
        for spelling in (PHONE, SPACED):
            assert (await c.post(REQUEST, json={"phone": spelling})).status_code == 202
            r = await c.post(VERIFY, json={"phone": spelling, "code": last_code(caplog)})
            assert r.status_code == 200, r.text
            ids.append((await c.get(ME, headers=bearer(r.json()["access_token"]))).json()["id"])
        assert ids[0] == ids[1]
        assert len(await users_with_phone(c.app, PHONE)) == 1


async def test_invalid_numbers_are_422(client):
    for bad in ("12345", "+1 555", "not a number", "+4915112345678" + "9" * 30, "+49\x00151"):
        body = assert_problem(await client.post(REQUEST, json={"phone": bad}), 422)
        assert body["errors"][0]["field"] == "phone"
    r = await client.post(VERIFY, json={"phone": PHONE, "code": "12345"})
    assert assert_problem(r, 422)["errors"][0]["field"] == "code"
    r = await client.post(VERIFY, json={"phone": PHONE, "code": "123456"})
    assert_problem(r, 422, "invalid-code")  # nothing pending


async def test_wrong_tries_expiry_and_a_new_code(app, client_factory, caplog):
    async with client_factory(**NO_BUDGETS) as c:
        await c.post(REQUEST, json={"phone": PHONE})
        code = last_code(caplog)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for left in (4, 3, 2, 1, 0):
            body = assert_problem(await c.post(VERIFY, json={"phone": PHONE, "code": wrong}), 422)
            assert body["attempts_left"] == left
        # Five wrong tries: even the right code is refused now.
        body = assert_problem(await c.post(VERIFY, json={"phone": PHONE, "code": code}), 422)
        assert "Too many wrong codes" in body["detail"]
        assert await users_with_phone(c.app, PHONE) == []

        await c.post(REQUEST, json={"phone": PHONE})
        code = last_code(caplog)
        async with c.app.state.resources.sessionmaker() as s:
            await s.execute(
                sa.update(OtpCode).values(
                    expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
                )
            )
            await s.commit()
        body = assert_problem(await c.post(VERIFY, json={"phone": PHONE, "code": code}), 422)
        assert "expired" in body["detail"]

        await c.post(REQUEST, json={"phone": PHONE})
        first = last_code(caplog)
        await c.post(REQUEST, json={"phone": PHONE})
        second = last_code(caplog)
        if first != second:  # the newer code replaces the older one
            assert_problem(await c.post(VERIFY, json={"phone": PHONE, "code": first}), 422)
        assert (await c.post(VERIFY, json={"phone": PHONE, "code": second})).status_code == 200


async def test_resend_once_a_minute_per_number(client, caplog):
    assert (await client.post(REQUEST, json={"phone": PHONE})).status_code == 202
    r = await client.post(REQUEST, json={"phone": SPACED})
    body = assert_problem(r, 429, "rate-limited")
    assert 50 <= int(r.headers["retry-after"]) <= 60 and "this number" in body["detail"]
    # Another number is not held back.
    assert (await client.post(REQUEST, json={"phone": OTHER_PHONE})).status_code == 202


async def test_hourly_budgets_per_number_and_per_client(client_factory):
    async with client_factory(otp_resend_seconds=0, otp_per_hour_per_number=3) as c:
        for _ in range(3):
            assert (await c.post(REQUEST, json={"phone": PHONE})).status_code == 202
        r = await c.post(REQUEST, json={"phone": PHONE})
        assert_problem(r, 429)
        assert r.headers["ratelimit-policy"] == "3;w=3600" and int(r.headers["retry-after"]) > 60
    async with client_factory(
        otp_resend_seconds=0, otp_per_hour_per_number=0, otp_per_hour_per_ip=2
    ) as c:
        assert (await c.post(REQUEST, json={"phone": PHONE})).status_code == 202
        assert (await c.post(REQUEST, json={"phone": OTHER_PHONE})).status_code == 202
        body = assert_problem(await c.post(REQUEST, json={"phone": "+12025550143"}), 429)
        assert "from here" in body["detail"]


async def test_add_phone_to_an_email_account(app, client_factory, caplog):
    async with client_factory(**NO_BUDGETS) as c:
        r = await c.post(
            "/api/v1/auth/signup", json={"email": "e@example.com", "password": "pass-word"}
        )
        assert r.status_code == 201
        r = await c.post(
            "/api/v1/auth/login", json={"email": "e@example.com", "password": "pass-word"}
        )
        h = bearer(r.json()["access_token"])

        # Not without a code, not with a wrong one.
        assert_problem(await c.patch(ME, json={"phone": PHONE}, headers=h), 422)
        await c.post(REQUEST, json={"phone": PHONE})
        code = last_code(caplog)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        r = await c.patch(ME, json={"phone": PHONE, "phone_code": wrong}, headers=h)
        assert_problem(r, 422, "invalid-code")
        assert (await c.get(ME, headers=h)).json()["phone"] is None

        r = await c.patch(ME, json={"phone": SPACED, "phone_code": code}, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["phone"] == PHONE and r.json()["email"] == "e@example.com"

        # The number now signs in to the same account.
        await c.post(REQUEST, json={"phone": PHONE})
        r = await c.post(VERIFY, json={"phone": PHONE, "code": last_code(caplog)})
        me = (await c.get(ME, headers=bearer(r.json()["access_token"]))).json()
        assert me["email"] == "e@example.com"

        # Another account cannot take the number, even with a valid code.
        r = await c.post(
            "/api/v1/auth/signup", json={"email": "f@example.com", "password": "pass-word"}
        )
        r = await c.post(
            "/api/v1/auth/login", json={"email": "f@example.com", "password": "pass-word"}
        )
        other = bearer(r.json()["access_token"])
        await c.post(REQUEST, json={"phone": PHONE})
        r = await c.patch(ME, json={"phone": PHONE, "phone_code": last_code(caplog)}, headers=other)
        assert_problem(r, 409, "phone-taken")


async def test_phone_account_erasure_needs_a_fresh_code(app, client_factory, caplog):
    async with client_factory(**NO_BUDGETS) as c:
        await c.post(REQUEST, json={"phone": PHONE})
        r = await c.post(VERIFY, json={"phone": PHONE, "code": last_code(caplog)})
        h = bearer(r.json()["access_token"])
        assert_problem(await c.request("DELETE", ME, json={"password": "x"}, headers=h), 409)
        await c.post(REQUEST, json={"phone": PHONE})
        code = last_code(caplog)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        r = await c.request("DELETE", ME, json={"code": wrong}, headers=h)
        assert_problem(r, 422, "invalid-code")
        assert (await c.request("DELETE", ME, json={"code": code}, headers=h)).status_code == 204
        assert await users_with_phone(c.app, PHONE) == []
        async with c.app.state.resources.sessionmaker() as s:
            assert (await s.scalars(sa.select(OtpCode))).all() == []
        # Phone-only accounts cannot use password routes.
        assert_problem(await c.get(ME, headers=h), 401)


async def test_admin_cli_by_phone(app, client_factory, caplog):
    async with client_factory(**NO_BUDGETS) as c:
        await c.post(REQUEST, json={"phone": PHONE})
        r = await c.post(VERIFY, json={"phone": PHONE, "code": last_code(caplog)})
        h = bearer(r.json()["access_token"])
        assert await set_role(c.app.state.resources.settings, "+49 (151) 1234-5678", True) == 0
        assert (await c.get(ME, headers=h)).json()["role"] == "admin"
        found = (await c.get("/api/v1/admin/users", params={"q": "1511234"}, headers=h)).json()
        assert [u["phone"] for u in found["items"]] == [PHONE]


class SmsGateway:
    """A local stand-in for an SMS gateway adapter: records signed POSTs."""

    def __init__(self, port: int, status: int = 202) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_webhook_sms_backend_signs_and_delivers(client_factory):
    gateway = SmsGateway(18503)
    secret = "gateway-secret-0123456789"
    try:
        async with client_factory(
            sms_backend="webhook", sms_webhook_url=gateway.url, sms_webhook_secret=secret
        ) as c:
            assert (await c.post(REQUEST, json={"phone": SPACED})).status_code == 202
            ((headers, body),) = gateway.requests
            payload = json.loads(body)
            assert payload["to"] == PHONE
            code = re.search(r"code is (\d{6})\b", payload["text"]).group(1)
            ts = headers["x-nexfitra-timestamp"]
            mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256)
            assert headers["x-nexfitra-signature"] == "sha256=" + mac.hexdigest()
            assert headers["content-type"] == "application/json"
            assert (await c.post(VERIFY, json={"phone": PHONE, "code": code})).status_code == 200
    finally:
        gateway.close()


async def test_failing_gateway_still_answers_202(client_factory, caplog):
    gateway = SmsGateway(18504, status=500)
    caplog.set_level(logging.ERROR, logger="nexfitra.auth")
    try:
        async with client_factory(
            sms_backend="webhook", sms_webhook_url=gateway.url, sms_webhook_secret="s" * 20
        ) as c:
            assert (await c.post(REQUEST, json={"phone": PHONE})).status_code == 202
            assert len(gateway.requests) == 1
            assert any("HTTP 500" in (r.exc_text or "") for r in caplog.records)
    finally:
        gateway.close()


def test_gateway_url_rules():
    base = dict(sms_backend="webhook", sms_webhook_secret="s" * 20)
    prod = dict(base, environment="production", jwt_secret="Qm4-rT9_xLp2Zv7KcW1nYb8JdF3sHg6AeU0o")
    Settings(**base, sms_webhook_url="http://127.0.0.1:9/sms")  # fine in development
    Settings(**prod, sms_webhook_url="https://sms.example.com/send")
    for url in (
        "http://sms.example.com/send",
        "https://127.0.0.1/sms",
        "https://10.1.2.3/sms",
        "https://[::1]/sms",
        "https://169.254.169.254/latest",
        "https://localhost/sms",
        "ftp://sms.example.com/",
    ):
        with pytest.raises(ValidationError):
            Settings(**prod, sms_webhook_url=url)
    with pytest.raises(ValidationError):
        Settings(sms_backend="webhook", sms_webhook_url="https://sms.example.com/send")
