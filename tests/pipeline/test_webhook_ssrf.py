"""Webhooks cannot be aimed at the API's own network (SSRF), at registration or at delivery.

DNS is replaced by `netguard.static_resolver` where a test must decide what a name resolves
to (a public address, then a private one: DNS rebinding); `localhost` goes through the real
system resolver. Receivers are local HTTP servers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import ssl
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import sqlalchemy as sa

from app.core import netguard
from app.core.config import Settings
from app.pipeline import notify
from app.pipeline.models import NotificationDelivery
from tests.conftest import assert_problem
from tests.pipeline.helpers import notifications, today_noon

# What the production rules are, apart from the resolver.
PRODUCTION = netguard.OutboundPolicy()
DEV = netguard.OutboundPolicy(allow_private=True, require_https=False, allowed_ports=None)


class Server:
    """A local HTTP server answering every POST with `status` (and `Location` for 3xx)."""

    def __init__(self, status: int = 204, location: str | None = None) -> None:
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def use_policy(monkeypatch, app, policy: netguard.OutboundPolicy) -> None:
    monkeypatch.setattr(app.state.resources, "net_policy", policy)


async def put_hook(client, user, url: str) -> httpx.Response:
    return await client.put(
        "/api/v1/notifications/webhook", json={"url": url}, headers=user.headers
    )


BAD_URLS = [
    "https://127.1:8443/",
    "https://127.0.0.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://0x7f.1/",
    "https://127.000.000.001/",
    "https://100.64.0.1/",
    "https://10.0.0.5/",
    "https://172.16.0.1/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "https://255.255.255.255/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[64:ff9b::a00:5]/",  # NAT64 of 10.0.0.5
    "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[ff02::1]/",
    "https://localhost/",
    "https://localhost./",
    "https://redis.railway.internal/",  # resolves to a private address (below)
    "https://mixed.example.net/",  # one public and one private address
    "https://nowhere.example.net/",  # does not resolve
    "http://hooks.example.net/",  # plain http in production
    "https://hooks.example.net:6379/",  # a port other than 80/443
    "https://hooks.example.net:0/",
    "https://user:pw@hooks.example.net/",
    "https://999.1.1.1/",
    "https://1.2.3.4.5/",
]

DNS = netguard.static_resolver(
    {
        "hooks.example.net": ["93.184.215.14"],
        "redis.railway.internal": ["10.250.3.7"],
        "mixed.example.net": ["93.184.215.14", "192.168.0.10"],
    }
)


async def test_production_refuses_non_public_targets(client, user, app, monkeypatch):
    # The production policy with a stand-in DNS; localhost still goes to the real resolver.
    async def resolve(host: str, port: int) -> list[str]:
        if host == "localhost":
            return await netguard.system_resolver(host, port)
        return await DNS(host, port)

    use_policy(monkeypatch, app, dataclasses.replace(PRODUCTION, resolver=resolve))
    accepted = []
    for url in BAD_URLS:
        r = await put_hook(client, user, url)
        if r.status_code != 422:
            accepted.append(url)
            continue
        body = assert_problem(r, 422, "invalid-webhook-url")
        # The answer never says what the name resolved to.
        assert "10.250" not in body["detail"] and "192.168" not in body["detail"], body
    assert accepted == []
    r = await put_hook(client, user, "https://hooks.example.net/nexfitra")
    assert r.status_code == 200, r.text
    r = await put_hook(client, user, "https://hooks.example.net:443/nexfitra?a=1")
    assert r.status_code == 200, r.text


def test_production_settings_give_the_production_policy():
    prod = Settings(_env_file=None, environment="production", jwt_secret=secrets.token_urlsafe(48))
    assert netguard.policy_from_settings(prod) == PRODUCTION
    dev = Settings(_env_file=None, environment="development", webhook_allow_private=True)
    assert netguard.policy_from_settings(dev) == DEV


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("93.184.215.14", "93.184.215.14"),
        ("93.184.215.14.", "93.184.215.14"),
        ("hooks.example.net", None),
        ("1e1", None),  # a name: its last label is not a number
    ],
)
def test_host_literals_are_read_as_resolvers_read_them(host, address):
    parsed = netguard.parse_host_address(host)
    assert (str(parsed) if parsed else None) == address


def test_public_addresses_are_accepted():
    for a in ("93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"):
        assert netguard.is_public_address(netguard.ipaddress.ip_address(a)), a


async def test_internal_name_in_hosts_file_is_refused(client, user, app, monkeypatch):
    """`localhost` resolves (via /etc/hosts) to loopback: refused without allow_private,
    whatever the port and scheme rules."""
    use_policy(monkeypatch, app, dataclasses.replace(DEV, allow_private=False))
    r = await put_hook(client, user, "http://localhost:18111/hook")
    assert_problem(r, 422, "invalid-webhook-url")


async def deliver_once(ctx, user, policy: netguard.OutboundPolicy) -> None:
    now = today_noon()
    async with ctx.sessionmaker() as s:
        await notify.schedule_plan_ready(
            s, uuid.UUID(user.id), now.date(), "UTC", "07:00", now, fallback=False
        )
    async with httpx.AsyncClient(timeout=2) as http:
        await notify.dispatch_due(
            ctx.sessionmaker, notify.default_notifiers(http, policy), ctx.config, now
        )


async def deliveries(client, user) -> list[dict]:
    r = await client.get("/api/v1/notifications/deliveries", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_dns_rebinding_is_caught_at_delivery(ctx, client, user, app, monkeypatch, server):
    """Registered while the name pointed at a public address; at delivery it points at the
    receiver on 127.0.0.1: nothing is sent."""
    public = dataclasses.replace(
        DEV, allow_private=False, resolver=netguard.static_resolver({"hook.test": ["1.1.1.1"]})
    )
    use_policy(monkeypatch, app, public)
    url = f"http://hook.test:{server.port}/plan"
    assert (await put_hook(client, user, url)).status_code == 200

    rebound = dataclasses.replace(
        public, resolver=netguard.static_resolver({"hook.test": ["127.0.0.1"]})
    )
    await deliver_once(ctx, user, rebound)
    assert server.requests == []
    (d,) = await deliveries(client, user)
    assert (d["ok"], d["status_code"]) == (False, None)
    assert d["error"] == "The URL's host does not resolve to a public address"
    (note,) = await notifications(ctx, user.id)
    assert note.status == "pending"  # retried later, when the name may be public again


async def test_delivery_connects_to_the_vetted_address(ctx, client, user, app, monkeypatch, server):
    """The client dials the address that was checked, sending the name as Host: the name
    below exists only in the stand-in DNS, so the request arrives only if it was pinned."""
    dns = netguard.static_resolver({"pinned.test": ["127.0.0.1"]})
    use_policy(monkeypatch, app, dataclasses.replace(DEV, resolver=dns))
    url = f"http://pinned.test:{server.port}/plan?x=1"
    assert (await put_hook(client, user, url)).status_code == 200
    await deliver_once(ctx, user, dataclasses.replace(DEV, resolver=dns))
    (headers,) = server.requests
    assert headers["host"] == f"pinned.test:{server.port}"
    (d,) = await deliveries(client, user)
    assert (d["ok"], d["status_code"], d["error"]) == (True, 204, None)


async def test_redirects_are_not_followed(ctx, client, user, server):
    redirecting = Server(status=302, location=f"http://127.0.0.1:{server.port}/internal")
    try:
        r = await put_hook(client, user, f"http://127.0.0.1:{redirecting.port}/hook")
        assert r.status_code == 200
        await deliver_once(ctx, user, DEV)
        assert len(redirecting.requests) == 1
        assert server.requests == []  # the Location was not visited
        (d,) = await deliveries(client, user)
        expected = (False, 302, "redirect not followed (302)")
        assert (d["ok"], d["status_code"], d["error"]) == expected
    finally:
        redirecting.close()


async def test_delivery_errors_carry_no_internal_detail(ctx, client, user):
    """A refused connection is "connection failed": no errno, exception name or address that
    would make the delivery log a port scanner."""
    closed = Server()
    port = closed.port
    closed.close()  # nothing listens there now
    r = await put_hook(client, user, f"http://127.0.0.1:{port}/hook")
    assert r.status_code == 200
    await deliver_once(ctx, user, DEV)
    (d,) = await deliveries(client, user)
    assert (d["ok"], d["status_code"], d["error"]) == (False, None, "connection failed")
    (note,) = await notifications(ctx, user.id)
    assert note.last_error == "connection failed"


async def test_non_2xx_is_reported_by_status_only(ctx, client, user):
    failing = Server(status=500)
    try:
        r = await put_hook(client, user, f"http://127.0.0.1:{failing.port}/")
        assert r.status_code == 200
        await deliver_once(ctx, user, DEV)
        (d,) = await deliveries(client, user)
        assert (d["ok"], d["status_code"], d["error"]) == (False, 500, "non-2xx status 500")
    finally:
        failing.close()


async def test_old_delivery_rows_with_internal_detail_are_not_shown(ctx, client, user):
    """Rows recorded before the categories existed carried exception text; the log shows
    them as a plain failure."""
    failing = Server(status=500)
    try:
        r = await put_hook(client, user, f"http://127.0.0.1:{failing.port}/")
        assert r.status_code == 200
        await deliver_once(ctx, user, DEV)
    finally:
        failing.close()
    leaked = "ConnectError: [Errno 111] Connection refused (10.0.0.7:6379)"
    async with ctx.sessionmaker() as s:
        await s.execute(sa.update(NotificationDelivery).values(error=leaked))
        await s.commit()
    (d,) = await deliveries(client, user)
    assert d["error"] == "delivery failed"


def self_signed(name: str) -> tuple[bytes, bytes]:
    """A certificate for `name` and its key (PEM), valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.mark.parametrize(("cert_name", "ok"), [("pinned.test", True), ("other.test", False)])
async def test_https_delivery_to_the_vetted_address_checks_the_certificate_name(
    ctx, client, user, app, monkeypatch, tmp_path, cert_name, ok
):
    """Over TLS the client dials the vetted IP but sends the name as SNI and checks the
    certificate against the name: a certificate for another name fails the delivery."""
    cert_pem, key_pem = self_signed(cert_name)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    server = Server()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.server.socket = tls.wrap_socket(server.server.socket, server_side=True)
    try:
        dns = netguard.static_resolver({"pinned.test": ["127.0.0.1"]})
        policy = dataclasses.replace(DEV, resolver=dns)
        use_policy(monkeypatch, app, policy)
        url = f"https://pinned.test:{server.port}/plan"
        assert (await put_hook(client, user, url)).status_code == 200
        now = today_noon()
        async with ctx.sessionmaker() as s:
            await notify.schedule_plan_ready(
                s, uuid.UUID(user.id), now.date(), "UTC", "07:00", now, fallback=False
            )
        trust = ssl.create_default_context(cadata=cert_pem.decode())
        async with httpx.AsyncClient(timeout=2, verify=trust) as http:
            await notify.dispatch_due(
                ctx.sessionmaker, notify.default_notifiers(http, policy), ctx.config, now
            )
        (d,) = await deliveries(client, user)
        if ok:
            assert (d["ok"], d["status_code"], d["error"]) == (True, 204, None)
            (headers,) = server.requests
            assert headers["host"] == f"pinned.test:{server.port}"
        else:
            assert (d["ok"], d["status_code"], d["error"]) == (False, None, "connection failed")
            assert server.requests == []
    finally:
        server.close()
