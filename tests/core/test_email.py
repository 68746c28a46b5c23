"""The `smtp` email backend against a real SMTP server (aiosmtpd on a local port): plain,
STARTTLS and implicit TLS, each with a login, carrying a real password-reset link; and the
certificate checks that must fail (untrusted CA, wrong host name), with errors that say what
to fix. Certificates are made here, with `cryptography`, by a throwaway CA."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from app.core.config import Settings
from app.core.email import EmailDeliveryError, SmtpEmailSender
from tests.conftest import make_settings

# aiosmtpd warns whenever AUTH is allowed outside STARTTLS, which the none and ssl servers do.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER, PASSWORD = "mailer", "s3cret-smtp"
RESET = "/api/v1/auth/password-reset/request"
CONFIRM = "/api/v1/auth/password-reset/confirm"


# --- a throwaway PKI -------------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    sans: list[x509.GeneralName],
    ca: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name = issuer[0].subject if issuer else _name(subject)
    signer = issuer[1] if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()),
            critical=False,
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None) -> None:
    data = cert.public_bytes(serialization.Encoding.PEM)
    if key is not None:
        data += key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    path.write_bytes(data)


@dataclass
class Pki:
    ca_file: Path  # the CA the sender is told to trust
    good: Path  # 127.0.0.1 and localhost, signed by that CA
    wrong_host: Path  # mail.example.org only, signed by that CA
    self_signed: Path  # 127.0.0.1, signed by nobody the sender trusts

    def server_context(self, which: Path) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(which)
        return ctx


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("NexFitra test CA", ca_key, None, [], ca=True)
    _write(d / "ca.pem", ca, None)
    local = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    for name, subject, sans, issuer in (
        ("good", "127.0.0.1", local, (ca, ca_key)),
        ("wrong-host", "mail.example.org", [x509.DNSName("mail.example.org")], (ca, ca_key)),
        ("self-signed", "127.0.0.1", local, None),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        _write(d / f"{name}.pem", _cert(subject, key, issuer, sans), key)
    return Pki(d / "ca.pem", d / "good.pem", d / "wrong-host.pem", d / "self-signed.pem")


# --- a real SMTP server ----------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode())
        )
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(f"{mechanism}:{USER}")
        # handled=False: aiosmtpd answers the failure (535) itself.
        return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(pki: Pki, security: str, cert: Path | None = None) -> Iterator[tuple[Inbox, int]]:
    """`security`: none (plain, login allowed without TLS), starttls (offered and required
    before login) or ssl (implicit TLS). `cert` defaults to the good one."""
    inbox = Inbox()
    port = _free_port()
    ctx = pki.server_context(cert or pki.good)
    kwargs: dict[str, Any] = {
        "authenticator": inbox.authenticate,
        "auth_required": True,
        # aiosmtpd only counts STARTTLS as TLS (implicit TLS sessions would never be offered
        # AUTH), so the requirement is its own for starttls; plain is the no-TLS case.
        "auth_require_tls": security == "starttls",
    }
    if security == "starttls":
        kwargs.update(tls_context=ctx, require_starttls=True)
    elif security == "ssl":
        kwargs.update(ssl_context=ctx)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def smtp_overrides(pki: Pki, port: int, security: str, **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "email_backend": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": security,
        "smtp_username": USER,
        "smtp_password": PASSWORD,
        "smtp_ca_file": str(pki.ca_file),
        "smtp_timeout_seconds": 5.0,
        "email_from": "NexFitra <reset@nexfitra.test>",
    }
    return {**values, **kw}


def smtp_settings(base: Settings, pki: Pki, port: int, security: str, **kw: Any) -> Settings:
    return make_settings(base, **smtp_overrides(pki, port, security, **kw))


def reset_link(content: str) -> str:
    message = email.message_from_string(content, policy=email.policy.default)
    assert message["Subject"] == "Reset your NexFitra password"
    match = re.search(r"valid \d+ minutes, once\): (\S+)", message.get_content())
    assert match, content
    return match.group(1)


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
async def test_reset_email_over_each_transport(client_factory, pki, security):
    """The whole flow: the reset request is answered, the message arrives through an
    authenticated session over the transport, and its link's token resets the password."""
    with smtp_server(pki, security) as (inbox, port):
        overrides = smtp_overrides(
            pki, port, security, password_reset_url="https://app.example/reset#"
        )
        async with client_factory(**overrides) as c:
            r = await c.post(
                "/api/v1/auth/signup", json={"email": "tls@example.com", "password": "pass-word"}
            )
            assert r.status_code == 201, r.text
            assert (await c.post(RESET, json={"email": "tls@example.com"})).status_code == 202
            assert inbox.logins and inbox.logins[0].endswith(f":{USER}")
            ((sender, rcpts, content),) = inbox.messages
            assert sender == "reset@nexfitra.test" and rcpts == ["tls@example.com"]
            link = reset_link(content)
            assert link.startswith("https://app.example/reset#")
            token = link.removeprefix("https://app.example/reset#")
            assert len(token) >= 40
            r = await c.post(CONFIRM, json={"token": token, "new_password": f"new-{security}-1"})
            assert r.status_code == 204, r.text
            r = await c.post(
                "/api/v1/auth/login",
                json={"email": "tls@example.com", "password": f"new-{security}-1"},
            )
            assert r.status_code == 200


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_untrusted_certificate_is_refused(base_settings, pki, security):
    # A self-signed certificate, first against the system's CAs, then against our CA file.
    for ca_file in (None, str(pki.ca_file)):
        with smtp_server(pki, security, pki.self_signed) as (inbox, port):
            sender = SmtpEmailSender(
                smtp_settings(base_settings, pki, port, security, smtp_ca_file=ca_file)
            )
            with pytest.raises(EmailDeliveryError) as err:
                await sender.send("x@example.com", "Reset your NexFitra password", "token abc")
            text = str(err.value)
            assert f"127.0.0.1:{port}" in text and "does not verify" in text
            assert "SMTP_CA_FILE" in text and "certificate" in text
            assert inbox.messages == [] and inbox.logins == []


async def test_certificate_for_another_host_is_refused(base_settings, pki):
    with smtp_server(pki, "ssl", pki.wrong_host) as (inbox, port):
        sender = SmtpEmailSender(smtp_settings(base_settings, pki, port, "ssl"))
        with pytest.raises(EmailDeliveryError, match="mismatch"):
            await sender.send("x@example.com", "s", "b")
        assert inbox.messages == [] and inbox.logins == []


async def test_wrong_password_and_missing_starttls(base_settings, pki):
    with smtp_server(pki, "starttls") as (inbox, port):
        sender = SmtpEmailSender(
            smtp_settings(base_settings, pki, port, "starttls", smtp_password="wrong")
        )
        with pytest.raises(EmailDeliveryError, match=f"refused the login of '{USER}': 535"):
            await sender.send("x@example.com", "s", "b")
        assert inbox.messages == []
    # A server without STARTTLS: nothing goes in clear text, credentials least of all.
    with smtp_server(pki, "none") as (inbox, port):
        sender = SmtpEmailSender(smtp_settings(base_settings, pki, port, "starttls"))
        with pytest.raises(EmailDeliveryError, match="does not offer STARTTLS"):
            await sender.send("x@example.com", "s", "b")
        assert inbox.messages == [] and inbox.logins == []


async def test_no_credentials_in_clear_text_to_a_remote_server(base_settings, pki):
    sender = SmtpEmailSender(
        smtp_settings(base_settings, pki, 25, "none", smtp_host="mail.example.org")
    )
    with pytest.raises(EmailDeliveryError, match="without TLS"):
        await sender.send("x@example.com", "s", "b")


async def test_failed_send_is_logged_not_leaked(client_factory, pki, caplog):
    """The reset answer stays the same; the log says why the mail did not go."""
    with smtp_server(pki, "ssl", pki.self_signed) as (inbox, port):
        async with client_factory(**smtp_overrides(pki, port, "ssl")) as c:
            body = {"email": "f@example.com", "password": "pw-1234567"}
            assert (await c.post("/api/v1/auth/signup", json=body)).status_code == 201
            r = await c.post(RESET, json={"email": "f@example.com"})
            assert r.status_code == 202
            assert inbox.messages == []
            failed = [rec for rec in caplog.records if "password reset email" in rec.getMessage()]
            assert failed and "does not verify" in str(failed[-1].exc_info[1])


def test_ca_file_must_exist(tmp_path):
    with pytest.raises(ValidationError, match="SMTP_CA_FILE"):
        Settings(smtp_ca_file=str(tmp_path / "missing.pem"))
