"""The outbox: webhook delivery (signed, retried, logged) and the log notifier."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from app.core import netguard
from app.pipeline import notify
from tests.conftest import assert_problem
from tests.pipeline.helpers import notifications, today_noon

# Development rules: the receivers listen on 127.0.0.1 on random ports.
LOCAL = netguard.OutboundPolicy(allow_private=True, require_https=False, allowed_ports=None)


class Receiver:
    """A local HTTP endpoint that answers 500 to the first `fail_first` requests."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/plan"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=1)
    yield r
    r.close()


async def register(client, user, url: str) -> str:
    r = await client.put("/api/v1/notifications/webhook", json={"url": url}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["url"] == url
    return r.json()["secret"]


async def test_webhook_delivery_retries_and_is_signed(ctx, client, user, receiver):
    secret = await register(client, user, receiver.url)
    now = today_noon()
    day = now.date()
    async with ctx.sessionmaker() as s:
        await notify.schedule_plan_ready(
            s, uuid.UUID(user.id), day, "UTC", "07:00", now, fallback=False
        )
    async with httpx.AsyncClient(timeout=5) as http:
        notifiers = notify.default_notifiers(http, LOCAL)
        send = lambda at: notify.dispatch_due(ctx.sessionmaker, notifiers, ctx.config, at)  # noqa: E731
        assert await send(now) == 1  # the receiver answers 500
        (note,) = await notifications(ctx, user.id)
        assert (note.status, note.attempts) == ("pending", 1)
        assert note.next_attempt_at == now + dt.timedelta(seconds=30)
        assert await send(now + dt.timedelta(seconds=10)) == 0  # backing off
        assert await send(now + dt.timedelta(seconds=31)) == 1
        assert await send(now + dt.timedelta(hours=1)) == 0  # sent once, not again

    (note,) = await notifications(ctx, user.id)
    assert (note.status, note.attempts) == ("sent", 2)
    assert len(receiver.requests) == 2
    for headers, body in receiver.requests:
        ts = headers["x-nexfitra-timestamp"]
        mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert headers["x-nexfitra-signature"] == f"sha256={mac}"
        assert headers["x-nexfitra-event"] == "plan.ready"
        payload = json.loads(body)
        assert payload["event"] == "plan.ready" and payload["date"] == str(day)
        assert payload["user_id"] == user.id and payload["id"] == str(note.id)
    # A wrong secret does not verify.
    headers, body = receiver.requests[-1]
    bad = hmac.new(b"other", headers["x-nexfitra-timestamp"].encode() + b"." + body, "sha256")
    assert headers["x-nexfitra-signature"] != f"sha256={bad.hexdigest()}"

    r = await client.get("/api/v1/notifications/deliveries", headers=user.headers)
    assert r.status_code == 200
    log = r.json()
    assert [(d["attempt"], d["ok"], d["status_code"]) for d in log] == [
        (2, True, 204),
        (1, False, 500),
    ]
    assert {d["channel"] for d in log} == {"webhook"}


async def test_delivery_gives_up_after_the_limit(make_ctx, client, user):
    bad = Receiver(fail_first=100)
    try:
        await register(client, user, bad.url)
        ctx = make_ctx(config={"notify_max_attempts": 2, "notify_retry_base_s": 1})
        now = today_noon()
        async with ctx.sessionmaker() as s:
            await notify.schedule_plan_ready(
                s, uuid.UUID(user.id), now.date(), "UTC", "07:00", now, fallback=True
            )
        async with httpx.AsyncClient(timeout=5) as http:
            notifiers = notify.default_notifiers(http, LOCAL)
            for step in range(4):
                await notify.dispatch_due(
                    ctx.sessionmaker, notifiers, ctx.config, now + dt.timedelta(seconds=5 * step)
                )
        (note,) = await notifications(ctx, user.id)
        assert (note.status, note.attempts) == ("failed", 2)
        assert note.last_error == "non-2xx status 500"
        assert len(bad.requests) == 2
    finally:
        bad.close()


async def test_without_webhook_the_log_notifier_delivers(ctx, user):
    now = today_noon()
    async with ctx.sessionmaker() as s:
        await notify.schedule_plan_ready(
            s, uuid.UUID(user.id), now.date(), "UTC", "07:00", now, fallback=False
        )
    async with httpx.AsyncClient() as http:
        sent = await notify.dispatch_due(
            ctx.sessionmaker, notify.default_notifiers(http, LOCAL), ctx.config, now
        )
    assert sent == 1
    (note,) = await notifications(ctx, user.id)
    assert note.status == "sent"


async def test_webhook_registration(client, user, make_user, app, monkeypatch):
    # A stand-in for DNS: example.com must resolve to a public address to be accepted.
    res = app.state.resources
    dns = netguard.static_resolver({"example.com": ["93.184.215.14"]})
    monkeypatch.setattr(res, "net_policy", dataclasses.replace(res.net_policy, resolver=dns))
    r = await client.get("/api/v1/notifications/webhook", headers=user.headers)
    assert_problem(r, 404)
    secret = await register(client, user, "https://example.com/a")
    r = await client.put(
        "/api/v1/notifications/webhook",
        json={"url": "https://example.com/b"},
        headers=user.headers,
    )
    assert r.json()["secret"] is None  # unchanged, not shown again
    r = await client.put(
        "/api/v1/notifications/webhook",
        json={"url": "https://example.com/b", "rotate_secret": True},
        headers=user.headers,
    )
    assert r.json()["secret"] not in (None, secret)
    r = await client.put(
        "/api/v1/notifications/webhook", json={"url": "ftp://x/y"}, headers=user.headers
    )
    assert_problem(r, 422, "invalid-webhook-url")
    other = await make_user()
    r = await client.get("/api/v1/notifications/webhook", headers=other.headers)
    assert_problem(r, 404)
    r = await client.delete("/api/v1/notifications/webhook", headers=user.headers)
    assert r.status_code == 204
