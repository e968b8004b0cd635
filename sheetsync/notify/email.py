"""Sending digests over SMTP: STARTTLS, implicit TLS or plain; AUTH when a username is set;
bounded retries with backoff for what may pass (server down, busy, 4xx), none for what will
not (a refused login, a 5xx answer, an untrusted certificate)."""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage

from sheetsync.config import Notify

log = logging.getLogger(__name__)

#: first wait between attempts; doubled after each failed attempt
BACKOFF_SECONDS = 1.0


class DeliveryFailed(Exception):
    """A message was not delivered; ``str()`` says why in one line (no secrets)."""


class _Permanent(DeliveryFailed):
    """Retrying will not help."""


def _reason(error: BaseException) -> tuple[str, bool]:
    """(one-line reason, whether another attempt may succeed)."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"the SMTP server refused the login ({error.smtp_code})", False
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the SMTP server does not offer STARTTLS or AUTH: check notify.security", False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        return f"the SMTP server refused the recipient ({codes[0]})", codes[0] < 500
    if isinstance(error, smtplib.SMTPResponseException):
        text = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return f"the SMTP server answered {error.smtp_code} {' '.join(text.split())}", (
            error.smtp_code < 500
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the SMTP server's TLS certificate is not trusted ({error.verify_message}); "
            "SSL_CERT_FILE names extra CA certificates",
            False,
        )
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason}): check notify.security and notify.smtp_port", False
    if isinstance(error, TimeoutError):
        return "the SMTP server did not answer in time", True
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the SMTP server closed the connection", True
    if isinstance(error, OSError):
        return f"cannot reach the SMTP server ({error.strerror or error})", True
    # smtplib's own refusals ("No suitable authentication method found"): no retry helps
    return f"SMTP failed: {error}", False


class Mailer:
    """One SMTP session for a run's messages, opened on the first message.

    Example::

        with Mailer(config.notify) as mailer:
            mailer.send(message)  # raises DeliveryFailed
    """

    def __init__(self, notify: Notify, sleep: Callable[[float], None] = time.sleep) -> None:
        self.notify = notify
        self._sleep = sleep
        self._smtp: smtplib.SMTP | None = None
        #: set when connecting failed after every attempt: later messages fail at once
        self._down: str | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            # the messages are sent: a failed goodbye changes nothing
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None

    def _password(self) -> str:
        name = self.notify.password_env
        value = os.environ.get(name)
        if not value:
            raise _Permanent(
                f"the environment variable {name} (notify.password_env) holding the SMTP "
                "password is not set"
            )
        return value

    def _connect(self) -> smtplib.SMTP:
        n = self.notify
        password = self._password() if n.username else ""
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if n.security == "ssl":
            smtp = smtplib.SMTP_SSL(n.smtp_host, n.port, timeout=n.timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(n.smtp_host, n.port, timeout=n.timeout_seconds)
        try:
            smtp.ehlo()
            if n.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if n.username:
                smtp.login(n.username, password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise :class:`DeliveryFailed` after at most
        ``notify.attempts`` attempts."""
        if self._down is not None:
            raise DeliveryFailed(self._down)
        wait = BACKOFF_SECONDS
        for attempt in range(1, self.notify.attempts + 1):
            connected = self._smtp is not None
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                    connected = True
                self._smtp.send_message(message)
                return
            except _Permanent as error:
                self._down = str(error)  # the password is missing: so it is for every message
                raise
            except (smtplib.SMTPException, OSError) as error:
                reason, again = _reason(error)
                if self._smtp is not None and not isinstance(error, smtplib.SMTPRecipientsRefused):
                    self._smtp.close()
                    self._smtp = None
                if not again:
                    if not connected:  # the login or TLS failed: so would every message
                        self._down = reason
                    raise _Permanent(reason) from None
                if attempt == self.notify.attempts:
                    if not connected:
                        self._down = reason
                    raise DeliveryFailed(
                        f"{reason} (tried {attempt} time{'s' if attempt > 1 else ''})"
                    ) from None
                log.info("SMTP attempt %d failed (%s); again in %g s", attempt, reason, wait)
                self._sleep(wait)
                wait *= 2
