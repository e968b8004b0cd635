"""The HTTP seam to Google: where requests go (``SHEETSYNC_SHEETS_ENDPOINT``), bounded retries.

gspread's own ``BackOffHTTPClient`` retries forever without jitter and ignores ``Retry-After``;
:class:`SheetsHTTPClient` retries 429 and 5xx with exponential backoff and jitter, honours
``Retry-After``, and gives up when the next wait would pass the policy's total time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import google.auth.transport.requests as google_requests
import requests
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import RefreshError, TransportError
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient, ParamsType

from sheetsync.errors import CredentialsError, SourceError
from sheetsync.sources.http import RetryPolicy, is_loopback, refuse_plain_http, retry_after
from sheetsync.sources.http import endpoint_from_env as env_endpoint

__all__ = ["RetryPolicy", "SheetsHTTPClient", "authorized_session", "endpoint_from_env"]

log = logging.getLogger(__name__)

ENDPOINT_ENV = "SHEETSYNC_SHEETS_ENDPOINT"
SHEETS_ORIGIN = "https://sheets.googleapis.com"
#: answers worth asking again: quota (429), request timeout (408) and server trouble (5xx)
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
#: (connect, read) seconds; a 100,000-row read can take a while, a dead host should not
TIMEOUT = (15.0, 300.0)


def endpoint_from_env() -> str | None:
    """The local Sheets endpoint from ``SHEETSYNC_SHEETS_ENDPOINT`` (trailing slash dropped)."""
    return env_endpoint(ENDPOINT_ENV, "http://127.0.0.1:8080")


def check_plain_http(url: str, *, sends_secret: bool, what: str) -> None:
    """Refuse to send a token (or a signed assertion) over plain http beyond this machine."""
    if sends_secret:
        refuse_plain_http(url, f"Google credentials ({what})")


def _retry_after(response: requests.Response | None) -> float | None:
    return None if response is None else retry_after(response.headers)


def _status_text(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.reason or ""


class ConfinedAuthRequest(google_requests.Request):
    """google-auth's own HTTP (token exchange, background look-ups), kept to allowed hosts.

    With SHEETSYNC_SHEETS_ENDPOINT set, google-auth may only reach this machine and the hosts
    named in the configuration (the endpoint, the key file's ``token_uri``): a service
    account's background "regional access boundary" look-up at Google is refused here, so a
    test run never sends anything to Google.
    """

    def __init__(self, allowed_hosts: set[str]) -> None:
        super().__init__()
        self.allowed_hosts = {h.lower() for h in allowed_hosts}

    def __call__(self, url: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        host = (urlsplit(url).hostname or "").lower()
        if not (is_loopback(host) or host in self.allowed_hosts):
            raise TransportError(
                f"not sent to {host}: only local hosts while {ENDPOINT_ENV} is set"
            )
        return super().__call__(url, method, *args, **kwargs)


def authorized_session(credentials: Credentials, endpoint: str | None) -> requests.Session:
    """The session gspread sends through: google-auth's, confined when the endpoint is local."""
    if endpoint is None:
        return google_requests.AuthorizedSession(credentials)
    allowed = {urlsplit(endpoint).hostname or ""}
    token_uri = getattr(credentials, "_token_uri", None)
    if token_uri:
        allowed.add(urlsplit(str(token_uri)).hostname or "")
    return google_requests.AuthorizedSession(credentials, auth_request=ConfinedAuthRequest(allowed))


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client, sent to ``endpoint`` when set, with :class:`RetryPolicy` retries.

    Configure with :meth:`configure` after ``gspread.Client(auth, session, SheetsHTTPClient)``
    built it. Request bodies are sent as compact JSON.
    """

    endpoint: str | None = None
    retry: RetryPolicy = RetryPolicy()

    def configure(self, endpoint: str | None, retry: RetryPolicy, credentials: Credentials) -> None:
        self.endpoint = endpoint
        self.retry = retry
        self.timeout = TIMEOUT
        sends_secret = not isinstance(credentials, AnonymousCredentials)
        check_plain_http(endpoint or SHEETS_ORIGIN, sends_secret=sends_secret, what="Sheets API")

    def url(self, endpoint: str) -> str:
        if self.endpoint and endpoint.startswith(SHEETS_ORIGIN):
            return self.endpoint + endpoint[len(SHEETS_ORIGIN) :]
        return endpoint

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        url = self.url(endpoint)
        if json is not None:
            data = _compact(json)
            headers = {**(headers or {}), "Content-Type": "application/json; charset=utf-8"}
        started = self.retry.clock()
        attempt = 0
        while True:
            response: requests.Response | None = None
            try:
                response = self.session.request(
                    method=method,
                    url=url,
                    params=params,
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                )
            except RefreshError as err:
                raise CredentialsError(
                    f"Google refused the credentials when asked for an access token: "
                    f"{err.args[0] if err.args else err}"
                ) from err
            except (requests.ConnectionError, requests.Timeout, TransportError) as err:
                if not _safe_to_resend(method, err):
                    raise SourceError(
                        f"the connection to Google Sheets failed during a {method} request "
                        f"({type(err).__name__}); the change may or may not have been applied: "
                        "run the sync again (it is safe to repeat)"
                    ) from err
                problem = f"could not reach Google Sheets ({type(err).__name__})"
                cause: BaseException = err
            else:
                if response.ok:
                    return response
                if response.status_code not in RETRYABLE:
                    raise APIError(response)
                problem = (
                    f"Google Sheets answered {response.status_code} ({_status_text(response)})"
                )
                cause = APIError(response)
            wait = self.retry.delay(attempt, _retry_after(response))
            spent = self.retry.clock() - started
            if spent + wait > self.retry.total_seconds:
                raise SourceError(
                    f"{problem}, and kept failing for {spent:.0f} s (limit "
                    f"{self.retry.total_seconds:.0f} s): nothing was written; run the sync again "
                    "later"
                ) from cause
            log.info("%s; retrying in %.1f s", problem, wait)
            self.retry.sleep(wait)
            attempt += 1


def _safe_to_resend(method: str, err: Exception) -> bool:
    """Reads can always be repeated; a write only when it surely never left this machine."""
    if method.upper() == "GET" or isinstance(err, TransportError):
        return True
    return isinstance(err, requests.ConnectTimeout) or (
        isinstance(err, requests.ConnectionError) and "NewConnectionError" in repr(err)
    )


def _compact(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
