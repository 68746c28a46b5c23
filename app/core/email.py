"""Outgoing email behind one small interface, chosen by EMAIL_BACKEND.

`log` (the default) writes the message to the log: development and tests need no mail server.
`smtp` sends through the standard library's smtplib, run in a worker thread so a slow mail
server never blocks the event loop. TLS (`starttls` or implicit `ssl`) always verifies the
server's certificate chain and host name, against the system's CAs or SMTP_CA_FILE; failures
raise `EmailDeliveryError` saying what to fix.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

import anyio.to_thread

from app.core.config import Settings

log = logging.getLogger("nexfitra.email")


class EmailDeliveryError(RuntimeError):
    """The message could not be handed to the mail server; the text says why."""


class EmailSender(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


class LogEmailSender:
    async def send(self, to: str, subject: str, body: str) -> None:
        log.info("email (log backend) to=%s subject=%s\n%s", to, subject, body)


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SmtpEmailSender:
    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("EMAIL_BACKEND=smtp needs SMTP_HOST")
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.timeout = settings.smtp_timeout_seconds
        self.sender = settings.email_from
        self.ca_file = settings.smtp_ca_file

    def _context(self) -> ssl.SSLContext:
        # create_default_context: CERT_REQUIRED and check_hostname on. A CA file replaces the
        # system store rather than adding to it, so a test or private CA is all that is trusted.
        return ssl.create_default_context(cafile=self.ca_file)

    def _send_sync(self, message: EmailMessage) -> None:
        where = f"SMTP server {self.host}:{self.port}"
        if self.username and self.security == "none" and not _loopback(self.host):
            # AUTH PLAIN/LOGIN would put the password on the wire in clear text.
            raise EmailDeliveryError(
                f"{where}: refusing to send SMTP credentials without TLS; set SMTP_SECURITY "
                "to starttls or ssl"
            )
        try:
            smtp: smtplib.SMTP
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    try:
                        smtp.starttls(context=self._context())
                    except smtplib.SMTPNotSupportedError as exc:
                        raise EmailDeliveryError(
                            f"{where} does not offer STARTTLS; not sending in clear text"
                        ) from exc
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except ssl.SSLCertVerificationError as exc:
            raise EmailDeliveryError(
                f"{where}: its TLS certificate does not verify ({exc.verify_message}); "
                "if the server uses a private CA, point SMTP_CA_FILE at it"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise EmailDeliveryError(f"{where}: {exc}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            said = exc.smtp_error
            text = said.decode(errors="replace") if isinstance(said, bytes) else said
            raise EmailDeliveryError(
                f"{where} refused the login of {self.username!r}: {exc.smtp_code} {text}"
            ) from exc
        except EmailDeliveryError:
            raise
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise EmailDeliveryError(f"{where}: {type(exc).__name__}: {exc}") from exc

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await anyio.to_thread.run_sync(self._send_sync, message)


def email_sender(settings: Settings) -> EmailSender:
    if settings.email_backend == "smtp":
        return SmtpEmailSender(settings)
    return LogEmailSender()
