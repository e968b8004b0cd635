"""A small direct client for the few Microsoft Graph calls a sync needs, over ``requests``.

``GET /shares/{u!...}/driveItem`` or ``GET /drives/{d}/items/{i}`` (metadata: eTag, size, name),
``GET .../content`` (a 302 to a pre-authenticated download URL, fetched without the token),
``PUT .../content`` with ``If-Match`` (up to 250 MB) or an upload session above that
(``POST .../createUploadSession`` with ``If-Match``, then 10 MiB fragments without the token).

429, 503 and 504 are retried with backoff, honouring ``Retry-After``, for at most the policy's
total time; every other refusal becomes one of sheetsync's errors with a message that says
what to do. ``SHEETSYNC_GRAPH_ENDPOINT`` sends every call to a local server instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote, urlsplit

import requests
from requests.exceptions import ChunkedEncodingError

from sheetsync.errors import CredentialsError, SourceChanged, SourceError, WorkbookRefused
from sheetsync.sources.http import RetryPolicy, refuse_plain_http, retry_after
from sheetsync.sources.http import endpoint_from_env as env_endpoint

from .address import GraphAddress

log = logging.getLogger(__name__)


class _HidePreauthenticated(logging.Filter):
    """urllib3 logs the path and query of every request at DEBUG (``--verbose``, ``--log-file``).
    Graph's download and upload-session URLs are credentials (anyone holding one may read or
    write the file for a while, no token needed): those are logged as ``<pre-authenticated>``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.hidden: set[str] = set()

    def hide(self, url: str) -> None:
        parts = urlsplit(url)
        self.hidden.add(parts.path + (f"?{parts.query}" if parts.query else ""))

    def filter(self, record: logging.LogRecord) -> bool:
        if self.hidden and isinstance(record.args, tuple):
            record.args = tuple(
                "<pre-authenticated>" if isinstance(a, str) and a in self.hidden else a
                for a in record.args
            )
        return True


_PREAUTHENTICATED = _HidePreauthenticated()
logging.getLogger("urllib3.connectionpool").addFilter(_PREAUTHENTICATED)

ENDPOINT_ENV = "SHEETSYNC_GRAPH_ENDPOINT"
GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
#: throttled (429) or briefly unavailable (503, 504): ask again after Retry-After
RETRYABLE = frozenset({429, 503, 504})
#: Graph's limit for ``PUT .../content``; bigger files go through an upload session
SIMPLE_UPLOAD_LIMIT = 250 * 1024 * 1024
#: upload-session fragments must be multiples of 320 KiB, under 60 MiB: 10 MiB
FRAGMENT_SIZE = 32 * 320 * 1024
#: (connect, read) seconds
TIMEOUT = (15.0, 300.0)
SELECT = "id,name,eTag,size,file,folder,parentReference,webUrl"


class TokenSource(Protocol):
    """Gives the bearer token for Graph (see :mod:`.auth`)."""

    #: who the calls are made as, for messages ("the app 1234...", "you (ana@contoso.com)")
    who: str
    #: "app", "user" or "none" (a local test server)
    kind: str

    def token(self, refresh: bool = False) -> str | None:
        """An access token; ``refresh`` asks for a new one (the last was refused)."""
        ...


class NoToken:
    """No credentials: only for a local server (``SHEETSYNC_GRAPH_ENDPOINT``)."""

    who = "this machine (no credentials)"
    kind = "none"

    def token(self, refresh: bool = False) -> str | None:
        return None


@dataclass(frozen=True)
class DriveItem:
    """What a sync needs to know of a file in OneDrive or SharePoint."""

    drive_id: str
    item_id: str
    name: str
    etag: str
    size: int
    is_file: bool
    is_folder: bool
    web_url: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriveItem:
        parent = data.get("parentReference") or {}
        return cls(
            drive_id=str(parent.get("driveId") or ""),
            item_id=str(data.get("id") or ""),
            name=str(data.get("name") or ""),
            etag=str(data.get("eTag") or ""),
            size=int(data.get("size") or 0),
            is_file="file" in data,
            is_folder="folder" in data,
            web_url=str(data.get("webUrl") or ""),
        )

    @property
    def path(self) -> str:
        return f"/drives/{quote(self.drive_id, safe='!')}/items/{quote(self.item_id, safe='!')}"


def endpoint_from_env() -> str | None:
    """The Graph endpoint from ``SHEETSYNC_GRAPH_ENDPOINT`` (e.g. http://127.0.0.1:PORT/v1.0)."""
    return env_endpoint(ENDPOINT_ENV, "http://127.0.0.1:8080/v1.0")


class GraphClient:
    """The Graph calls of a sync, as one caller (``tokens``), with bounded retries.

    Example::

        client = GraphClient(GRAPH_ENDPOINT, tokens, RetryPolicy(total_seconds=120))
        item = client.resolve(parse_source("https://contoso.sharepoint.com/:x:/r/sites/..."))
        client.download(item, Path("copy.xlsx"))
    """

    def __init__(
        self,
        endpoint: str,
        tokens: TokenSource,
        retry: RetryPolicy,
        session: requests.Session | None = None,
        simple_upload_limit: int = SIMPLE_UPLOAD_LIMIT,
        fragment_size: int = FRAGMENT_SIZE,
    ) -> None:
        if tokens.kind != "none":
            refuse_plain_http(endpoint, "a Microsoft token")
        self.endpoint = endpoint.rstrip("/")
        self.tokens = tokens
        self.retry = retry
        self.session = session or requests.Session()
        self.simple_upload_limit = simple_upload_limit
        self.fragment_size = fragment_size

    # -- the calls ---------------------------------------------------------------------------

    def resolve(self, address: GraphAddress) -> DriveItem:
        """The item a link or ``msgraph:`` address names (its metadata, fresh)."""
        # messages say "this link": the CLI names the source before them
        if address.share_url is not None:
            path, what = f"/shares/{address.share_id}/driveItem", "this link"
        else:
            drive, item = (
                quote(address.drive_id or "", safe="!"),
                quote(address.item_id or "", safe="!"),
            )
            path, what = f"/drives/{drive}/items/{item}", "this drive item"
        return self._metadata(path, what)

    def metadata(self, item: DriveItem) -> DriveItem:
        """``item`` as it is now (a new eTag when someone saved it)."""
        return self._metadata(item.path, item.name)

    def _metadata(self, path: str, what: str) -> DriveItem:
        response = self._send("GET", self.endpoint + path, what=what, params={"$select": SELECT})
        item = DriveItem.from_json(response.json())
        if not (item.drive_id and item.item_id):
            raise SourceError(
                f"Microsoft Graph did not say which drive holds {what}: give the workbook as "
                "msgraph:/drives/DRIVE_ID/items/ITEM_ID"
            )
        return item

    def download(self, item: DriveItem, out: BinaryIO) -> int:
        """Write the item's bytes to ``out``; returns how many. The 302 Graph answers is
        followed without the token (the download URL is pre-authenticated)."""
        response = self._send("GET", f"{self.endpoint}{item.path}/content", what=item.name)
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("Location", "")
            response.close()
            if not location.startswith(("https://", "http://")):
                raise SourceError(
                    f"Microsoft Graph sent no download address for {item.name}; nothing was "
                    "written: run the sync again"
                )
            _PREAUTHENTICATED.hide(location)
            response = self._send("GET", location, what=item.name, auth=False, stream=True)
        written = 0
        try:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
                written += len(chunk)
        except requests.RequestException as err:
            raise SourceError(
                f"the download of {item.name} was cut off ({type(err).__name__}); nothing was "
                "written: run the sync again"
            ) from err
        finally:
            response.close()
        return written

    def upload(self, item: DriveItem, path: Path) -> DriveItem:
        """Replace the item's content with ``path`` if it still has ``item.etag`` (else
        :class:`SourceChanged`); all or nothing."""
        size = path.stat().st_size
        if size > self.simple_upload_limit:
            return self._upload_in_session(item, path, size)
        with path.open("rb") as handle:

            def body() -> BinaryIO:
                handle.seek(0)
                return handle

            response = self._send(
                "PUT",
                f"{self.endpoint}{item.path}/content",
                what=item.name,
                body=body,
                headers={"If-Match": item.etag, "Content-Type": "application/octet-stream"},
                writing=True,
            )
        return DriveItem.from_json(response.json())

    def _upload_in_session(self, item: DriveItem, path: Path, size: int) -> DriveItem:
        response = self._send(
            "POST",
            f"{self.endpoint}{item.path}/createUploadSession",
            what=item.name,
            json={"item": {"@microsoft.graph.conflictBehavior": "replace"}},
            headers={"If-Match": item.etag},
            writing=True,
        )
        upload_url = str(response.json()["uploadUrl"])
        _PREAUTHENTICATED.hide(upload_url)
        done = False
        try:
            with path.open("rb") as handle:
                start = 0
                while start < size:
                    chunk = handle.read(self.fragment_size)
                    end = start + len(chunk) - 1
                    response = self._send(
                        "PUT",
                        upload_url,
                        what=item.name,
                        auth=False,  # Graph: the token must not go to the upload URL
                        body=chunk,
                        headers={"Content-Range": f"bytes {start}-{end}/{size}"},
                        writing=True,
                    )
                    start = end + 1
            if response.status_code not in (200, 201):
                raise SourceError(
                    f"the upload session of {item.name} ended without the file "
                    f"(answer {response.status_code}); the workbook in the cloud is unchanged: "
                    "run the sync again"
                )
            done = True
            return DriveItem.from_json(response.json())
        finally:
            if not done:  # cancel: the half-sent bytes are dropped, the file stays as it was
                try:
                    self.session.delete(upload_url, timeout=TIMEOUT)
                except requests.RequestException:
                    log.info("could not cancel the upload session (it expires by itself)")

    # -- one request, retried ----------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        auth: bool = True,
        params: dict[str, str] | None = None,
        body: bytes | Callable[[], BinaryIO] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        writing: bool = False,
    ) -> requests.Response:
        started = self.retry.clock()
        attempt = 0
        refresh = refreshed = False
        while True:
            sent = dict(headers or {})
            if auth:
                token = self.tokens.token(refresh=refresh)
                refresh = False  # a new token once: the retries after it reuse it
                if token:
                    sent["Authorization"] = f"Bearer {token}"
            response: requests.Response | None = None
            cause: BaseException | None = None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=body() if callable(body) else body,
                    json=json,
                    headers=sent,
                    timeout=TIMEOUT,
                    allow_redirects=False,
                    stream=stream,
                )
            except (requests.ConnectionError, requests.Timeout, ChunkedEncodingError) as err:
                # Every write here is conditional (If-Match, or a fragment the service drops
                # when incomplete), so sending it again can never apply it twice.
                problem = f"could not reach Microsoft Graph ({type(err).__name__})"
                cause = err
            except requests.RequestException as err:  # a bad URL in an answer, and the like
                raise SourceError(
                    f"could not talk to Microsoft Graph about {what} ({type(err).__name__}); "
                    "nothing was written: run the sync again, and with --verbose if it recurs"
                ) from err
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status == 401 and auth and not refreshed and self.tokens.kind != "none":
                    refresh = refreshed = True  # an expired token: ask for a new one, once
                    continue
                if status not in RETRYABLE:
                    raise self._error(response, what, writing)
                problem = f"Microsoft Graph answered {status} ({_code(response)})"
            wait = self.retry.delay(
                attempt, retry_after(None if response is None else response.headers)
            )
            spent = self.retry.clock() - started
            if spent + wait > self.retry.total_seconds:
                outcome = (
                    "the workbook in the cloud is either as it was or completely synced, never "
                    "half-written"
                    if writing
                    else "nothing was written"
                )
                raise SourceError(
                    f"{problem} for {what}, and kept failing for {spent:.0f} s (limit "
                    f"{self.retry.total_seconds:.0f} s): {outcome}; run the sync again later"
                ) from cause
            log.info("%s; retrying in %.1f s", problem, wait)
            self.retry.sleep(wait)
            attempt += 1

    def _error(self, response: requests.Response, what: str, writing: bool) -> SourceError:
        status = response.status_code
        code = _code(response)
        nothing = "nothing was written"
        if status == 412:
            return SourceChanged(f"{what} was changed by someone since it was read; {nothing}")
        if status == 401:
            again = (
                "run `sheetsync login --microsoft` again"
                if self.tokens.kind == "user"
                else "check the app's tenant_id, client_id and secret or certificate"
            )
            return CredentialsError(
                f"Microsoft Graph refused the access token for {what} ({code}): {again}"
            )
        if status == 403:
            verb = "change" if writing else "open"
            return SourceError(
                f"{self.tokens.who} may not {verb} {what} ({code}): {self._access_fix()}; {nothing}"
            )
        if status == 404:
            # Graph answers 404, not 403, for an item the caller may not see
            return SourceError(
                f"no file found at {what} ({code}) that {self.tokens.who} may see: check the "
                "link (copy it again from OneDrive or SharePoint; the file may have been moved "
                f"or deleted); if it is right, {self._access_fix()}"
            )
        if status == 423:
            return WorkbookRefused(
                f"{what} is locked in SharePoint (checked out, or locked by another app) "
                f"({code}): check it in or wait until it is released, then run the sync again; "
                f"{nothing}"
            )
        if status == 507:
            return SourceError(f"the OneDrive or site holding {what} is full ({code}); {nothing}")
        if status == 413:
            return SourceError(f"{what} is too big for Microsoft Graph ({code}); {nothing}")
        return SourceError(
            f"Microsoft Graph answered {status} ({code}: {_message(response)}) for {what}; "
            f"{nothing}"
        )

    def _access_fix(self) -> str:
        """What gives the caller access to a workbook it may not open."""
        if self.tokens.kind == "app":
            return (
                "grant the app the application permission Files.ReadWrite.All, or "
                "Sites.Selected with write access to the workbook's site (see the README, "
                "Microsoft 365)"
            )
        return "ask the workbook's owner to share it with you with edit rights"


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _code(response: requests.Response) -> str:
    return str(_error_body(response).get("code") or response.reason or response.status_code)


def _message(response: requests.Response) -> str:
    return str(_error_body(response).get("message") or "")[:200]
