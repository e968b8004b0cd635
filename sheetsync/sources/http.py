"""What every HTTP source shares: bounded retries with backoff and ``Retry-After``, loopback hosts,
a local endpoint from the environment, no secret over plain http beyond this machine.

Used by the Google Sheets transport (:mod:`.gsheets.transport`) and the Microsoft Graph client
(:mod:`.msgraph.client`).
"""

from __future__ import annotations

import email.utils
import ipaddress
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sheetsync.errors import CredentialsError, SourceError


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep asking after 429/5xx answers and network errors.

    The n-th wait is ``first_delay * 2**n`` (capped at ``max_delay``) scaled by a random factor
    in [0.5, 1) (jitter, so many clients do not retry in step), or the server's ``Retry-After``
    when that is longer. The sum of waits never exceeds ``total_seconds``: when the next wait
    would, the request fails instead.

    Example::

        policy = RetryPolicy(total_seconds=config.retry_seconds)
        wait = policy.delay(attempt, retry_after(response.headers))
    """

    total_seconds: float = 120.0
    #: None: a 60th of the total, at most one second (1 s for the default 120 s)
    first_delay: float | None = None
    max_delay: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        first = self.first_delay
        if first is None:
            first = min(1.0, self.total_seconds / 60)
        wait = min(self.max_delay, first * 2**attempt) * (0.5 + self.jitter() / 2)
        return max(wait, retry_after or 0.0)


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (a number or an HTTP date), else None."""
    if headers is None:
        return None
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine (``localhost``, 127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_from_env(name: str, example: str) -> str | None:
    """The endpoint the environment variable ``name`` gives (a local test server), trailing
    slash dropped; None when unset. ``example`` shows the form in the error message."""
    value = os.environ.get(name, "").strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"{name}={value!r} is not an http(s) URL: use e.g. {example}")
    return value


def refuse_plain_http(url: str, secret: str) -> None:
    """Refuse to send ``secret`` (what it is, for the message) to ``url`` over plain http,
    unless ``url`` is this machine."""
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise CredentialsError(
            f"refusing to send {secret} over plain http to {parts.hostname}: use https, or a "
            "loopback address for a local test server"
        )
