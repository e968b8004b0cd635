"""A real SMTP server on 127.0.0.1 for the digest tests (aiosmtpd): STARTTLS or implicit TLS
with a self-signed certificate made here, AUTH (PLAIN/LOGIN) against a user table, and faults
on demand (a recipient whose messages get a 4xx or 5xx answer)."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from certs import self_signed


def self_signed_files(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost and its key, as PEM files."""
    key_pem, cert_pem = self_signed("sheetsync test SMTP", ip="127.0.0.1", dns=("localhost",))
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    return cert_file, key_file


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Inbox:
    """The aiosmtpd handler: keeps every accepted message; ``faults`` maps a recipient to
    the SMTP answer its messages get instead ("451 4.3.0 try later")."""

    messages: list[Received] = field(default_factory=list)
    faults: dict[str, str] = field(default_factory=dict)
    data_attempts: int = 0
    logins: list[tuple[str, bool]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.data_attempts += 1
        for rcpt in envelope.rcpt_tos:
            if rcpt in self.faults:
                return self.faults[rcpt]
        login = session.auth_data.login.decode() if session.authenticated else None
        self.messages.append(
            Received(
                sender=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                raw=envelope.original_content or envelope.content,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                login=login,
            )
        )
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.messages if address in m.recipients]


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox
    cert_file: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(
    folder: Path, security: str = "starttls", users: dict[str, str] | None = None
) -> Iterator[SmtpServer]:
    """Serve on 127.0.0.1 until the block ends. ``security``: "starttls" (TLS required before
    MAIL), "ssl" (TLS from the first byte) or "none"; ``users``: AUTH required when given."""
    cert_file, key_file = self_signed_files(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and users is not None
            and users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        inbox.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    options: dict = {"server_hostname": "localhost", "ready_timeout": 10.0}
    if users is not None:
        options.update(authenticator=authenticator, auth_required=True)
    if security == "starttls":
        options.update(tls_context=context, require_starttls=True)
    elif security == "ssl":
        # aiosmtpd counts only STARTTLS as TLS for AUTH; here every byte is TLS already
        options.update(ssl_context=context, auth_require_tls=False)
    else:
        options.update(auth_require_tls=False)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer(port, inbox, cert_file)
    finally:
        controller.stop()
