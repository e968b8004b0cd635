"""Posting a digest to a Slack-compatible incoming webhook. The URL is a secret: no message,
log line or error ever shows it."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from sheetsync.config import Notify
from sheetsync.notify.email import BACKOFF_SECONDS, DeliveryFailed

log = logging.getLogger(__name__)


class Unreachable(DeliveryFailed):
    """No answer at all (no connection, a timeout): later messages would fare no better."""


#: longest Retry-After honoured; a longer one counts as a failure (a later run retries)
MAX_RETRY_AFTER = 30.0


def post(
    notify: Notify, payload: dict[str, Any], sleep: Callable[[float], None] = time.sleep
) -> None:
    """POST ``payload`` as JSON; retry 429, 5xx and network errors with backoff; raise
    :class:`DeliveryFailed` with a reason that never names the URL."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    wait = BACKOFF_SECONDS
    for attempt in range(1, notify.attempts + 1):
        request = urllib.request.Request(
            notify.webhook_url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        retry_after: float | None = None
        answered = False
        try:
            with urllib.request.urlopen(request, timeout=notify.timeout_seconds) as answer:
                answer.read()
            return
        except urllib.error.HTTPError as error:
            answered = True
            reason = f"the webhook answered {error.code}"
            again = error.code == 429 or error.code >= 500
            header = error.headers.get("Retry-After") if error.headers else None
            if header and header.strip().isdigit():
                retry_after = float(header.strip())
            error.close()
        except TimeoutError:
            reason, again = "the webhook did not answer in time", True
        except urllib.error.URLError as error:
            cause = error.reason
            detail = cause.strerror if isinstance(cause, OSError) and cause.strerror else cause
            reason, again = f"cannot reach the webhook ({detail})", True
            if isinstance(cause, TimeoutError):
                reason = "the webhook did not answer in time"
        except ValueError:  # http.client.InvalidURL: its message would show the URL
            raise DeliveryFailed("notify.webhook_url is not a valid URL") from None
        except OSError as error:
            reason, again = (
                f"cannot reach the webhook ({error.strerror or type(error).__name__})",
                True,
            )
        if not again:
            raise DeliveryFailed(reason)
        if attempt == notify.attempts:
            failure = DeliveryFailed if answered else Unreachable
            raise failure(f"{reason} (tried {attempt} time{'s' if attempt > 1 else ''})")
        pause = wait if retry_after is None else retry_after
        if pause > MAX_RETRY_AFTER:
            raise DeliveryFailed(f"{reason}; it asked to wait {pause:g} s")
        log.info("webhook attempt %d failed (%s); again in %g s", attempt, reason, pause)
        sleep(pause)
        wait *= 2
