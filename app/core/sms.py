"""Outgoing SMS behind one small interface, chosen by SMS_BACKEND.

`log` (the default) writes the message to the log: development and tests need no gateway.
`webhook` POSTs `{"to", "text"}` as JSON to SMS_WEBHOOK_URL, signed like the notification
webhooks: `X-NexFitra-Signature: sha256=HMAC(secret, timestamp + "." + body)`, so the gateway
adapter can check that the request is ours and fresh.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Protocol

import httpx

from app.core import netguard
from app.core.config import Settings

log = logging.getLogger("nexfitra.sms")

TIMESTAMP_HEADER = "X-NexFitra-Timestamp"
SIGNATURE_HEADER = "X-NexFitra-Signature"


class SmsError(Exception):
    pass


class SmsSender(Protocol):
    async def send(self, to: str, text: str) -> None: ...


class LogSmsSender:
    async def send(self, to: str, text: str) -> None:
        log.info("sms (log backend) to=%s text=%s", to, text)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSmsSender:
    def __init__(self, settings: Settings) -> None:
        if not settings.sms_webhook_url or not settings.sms_webhook_secret:
            raise ValueError("SMS_BACKEND=webhook needs SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET")
        self.url = settings.sms_webhook_url
        self.secret = settings.sms_webhook_secret
        self.timeout = settings.sms_timeout_seconds
        # The rules of user webhooks: resolved and vetted at every send, the vetted address
        # dialled, no redirects (WEBHOOK_ALLOW_PRIVATE lifts the address rule in development).
        self.policy = netguard.policy_from_settings(settings)

    async def send(self, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text}, separators=(",", ":")).encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "NexFitra-SMS/1",
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(self.secret, ts, body),
        }
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            outcome = await netguard.post(
                client, self.url, self.policy, content=body, headers=headers
            )
        if not outcome.ok:
            if outcome.status_code is not None and outcome.status_code >= 300:
                raise SmsError(f"SMS gateway answered HTTP {outcome.status_code}")
            raise SmsError(f"SMS gateway: {outcome.error}")


def sms_sender(settings: Settings) -> SmsSender:
    if settings.sms_backend == "webhook":
        return WebhookSmsSender(settings)
    return LogSmsSender()
