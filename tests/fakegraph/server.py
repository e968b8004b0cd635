"""A local Microsoft Graph (drive items) and Microsoft identity platform, for tests.

Graph is served over plain http on 127.0.0.1 (``SHEETSYNC_GRAPH_ENDPOINT``); the identity
platform over https with a self-signed certificate made by the test (MSAL signs in over https
only; ``REQUESTS_CA_BUNDLE`` makes MSAL trust it). Both share one state, so a token the identity
side issues is the one Graph checks. The request and answer shapes follow the pages listed in
this folder's README.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import json
import re
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from python_calamine import CalamineWorkbook

CLIENT_CREDENTIALS = "client_credentials"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_TOKEN = "refresh_token"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
SIMPLE_UPLOAD_LIMIT = 250 * 1024 * 1024
#: upload-session fragments other than the last must be multiples of 320 KiB
FRAGMENT_UNIT = 320 * 1024
ALIASES = ("organizations", "common", "consumers")


# -- the model -------------------------------------------------------------------------------


@dataclass
class Item:
    """A file or folder in a drive."""

    drive_id: str
    item_id: str
    name: str
    content: bytes | None  # None: a folder
    version: int = 1
    #: 423 resourceLocked on writes: open for editing in Excel (a SharePoint lock)
    locked: bool = False
    #: 423 accessDenied on writes: checked out by someone (OneDrive/onedrive-api-docs#1199)
    checked_out: bool = False
    #: principals (client IDs or user names) answered 403; "*" = everyone with a token
    denied: set[str] = field(default_factory=set)

    @property
    def etag(self) -> str:
        return f'"{{{self.item_id.upper()}}},{self.version}"'

    @property
    def ctag(self) -> str:
        return f'"c:{{{self.item_id.upper()}}},{self.version}"'

    def json(self, base: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.context": f"{base}/$metadata#drives('{self.drive_id}')/items/$entity",
            "id": self.item_id,
            "name": self.name,
            "eTag": self.etag,
            "cTag": self.ctag,
            "size": len(self.content or b""),
            "webUrl": "https://contoso.sharepoint.com/sites/Sales/Shared%20Documents/"
            + quote(self.name),
            "createdDateTime": "2026-11-02T09:00:00Z",
            "lastModifiedDateTime": "2026-12-01T08:00:00Z",
            "parentReference": {
                "driveType": "documentLibrary",
                "driveId": self.drive_id,
                "id": "01PARENTFOLDERID0000000000000000000",
                "path": f"/drives/{self.drive_id}/root:",
            },
        }
        if self.content is None:
            body["folder"] = {"childCount": 0}
        else:
            body["file"] = {"mimeType": _mime(self.name), "hashes": {}}
        return body


def _mime(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower()
    return {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
        "xls": "application/vnd.ms-excel",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }.get(suffix, "application/octet-stream")


@dataclass
class App:
    """An app registration in a tenant."""

    client_id: str
    secret: str | None = None
    secret_expired: bool = False
    #: SHA-1 and SHA-256 thumbprints (hex) -> the registered certificate's public key
    certificates: dict[str, Any] = field(default_factory=dict)
    public_client: bool = False


@dataclass
class DeviceFlow:
    client_id: str
    tenant: str
    device_code: str
    user_code: str
    polls: int = 0
    expires: float = 0.0
    #: the scopes asked for at /devicecode (they decide the token answer's parts)
    scope: str = ""


@dataclass
class Fault:
    """Answer ``status`` (or drop the connection when ``drop``) instead of serving, ``times``
    times (None = always), for requests whose method and path match."""

    status: int = 503
    times: int | None = 1
    retry_after: str | None = None
    match: str = ""
    method: str | None = None
    drop: bool = False

    def applies(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return (self.method is None or self.method == method) and self.match in path


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int
    bytes_in: int
    bytes_out: int
    authorized: bool
    headers: dict[str, str]
    host: str  # "graph", "download", "upload" or "login"


@dataclass
class UploadSession:
    item: Item
    size: int = 0
    received: bytearray = field(default_factory=bytearray)


# -- the state and its controls --------------------------------------------------------------


class FakeGraph:
    """The shared state of the local Graph and identity servers, and the controls tests use."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.items: dict[tuple[str, str], Item] = {}
        self.shares: dict[str, tuple[str, str]] = {}
        self.tenants: dict[str, dict[str, App]] = {}
        self.users: dict[str, str] = {}  # user name -> tenant
        self.tokens: dict[str, tuple[str, float]] = {}  # access token -> (principal, expiry)
        self.refresh_tokens: dict[str, tuple[str, str, str]] = {}  # -> (client, tenant, user)
        self.revoked_users: set[str] = set()
        self.flows: dict[str, DeviceFlow] = {}
        self.sessions: dict[str, UploadSession] = {}
        self.downloads: dict[str, bytes] = {}
        self.faults: list[Fault] = []
        self.log: list[LoggedRequest] = []
        self.grants: list[dict[str, str]] = []  # token requests (form fields, secrets masked)
        #: called with (method, path) before a Graph request is served (edit like a user)
        self.before: list[Callable[[str, str], None]] = []
        self.require_token = False
        self.token_lifetime = 3599
        #: device flow: polls answered authorization_pending before the user "signs in"
        self.pending_polls = 1
        self.device_interval = 5
        #: seconds a device code lives (the docs' default is 15 minutes)
        self.device_lifetime = 900
        #: the user who signs in at the device-code page
        self.signing_in = "ana@contoso.com"
        self.decline = False
        self.graph_url = ""
        self.login_url = ""
        self._ids = itertools.count(1)

    # items
    def add_file(
        self, name: str, content: bytes | None, *, share_url: str | None = None, drive: str = ""
    ) -> Item:
        with self.lock:
            n = next(self._ids)
            drive_id = drive or "b!FakeDriveSalesTeam0000000000000000000000000000000000000"
            item = Item(drive_id, f"01ITEM{n:030d}", name, content)
            self.items[(item.drive_id, item.item_id)] = item
            if share_url:
                self.shares[share_url] = (item.drive_id, item.item_id)
            return item

    def save(self, item: Item, content: bytes) -> None:
        """Someone saved the workbook (a new eTag)."""
        with self.lock:
            item.content = content
            item.version += 1

    def fail(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    # identity
    def add_app(
        self,
        tenant: str,
        client_id: str,
        *,
        secret: str | None = None,
        certificate_pem: bytes | None = None,
        public_client: bool = False,
    ) -> App:
        app = App(client_id, secret=secret, public_client=public_client)
        if certificate_pem is not None:
            cert = x509.load_pem_x509_certificate(certificate_pem)
            for algorithm in (hashes.SHA1(), hashes.SHA256()):
                app.certificates[cert.fingerprint(algorithm).hex()] = cert.public_key()
        with self.lock:
            self.tenants.setdefault(tenant, {})[client_id] = app
        return app

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token, (who, _) in list(self.tokens.items()):
                self.tokens[token] = (who, 0.0)

    def revoke(self, user: str) -> None:
        with self.lock:
            self.revoked_users.add(user)

    # request log
    def requests(self, host: str | None = None, method: str | None = None) -> list[LoggedRequest]:
        with self.lock:
            return [
                r
                for r in self.log
                if (host is None or r.host == host) and (method is None or r.method == method)
            ]

    def writes(self) -> list[LoggedRequest]:
        return [
            r
            for r in self.requests()
            if r.method in ("PUT", "POST", "PATCH", "DELETE") and r.host != "login"
        ]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    # -- tokens --------------------------------------------------------------------------------

    def _issue(self, principal: str) -> str:
        token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0." + secrets.token_urlsafe(24)
        self.tokens[token] = (principal, time.time() + self.token_lifetime)
        return token

    def principal(self, authorization: str | None) -> tuple[str | None, str | None]:
        """(who, problem) for an Authorization header."""
        if not authorization:
            return None, "no token" if self.require_token else None
        if not authorization.startswith("Bearer "):
            return None, "not a bearer token"
        found = self.tokens.get(authorization[7:])
        if found is None:
            return None, "unknown token"
        who, expiry = found
        if expiry < time.time():
            return None, "expired"
        return who, None


# -- the HTTP side ---------------------------------------------------------------------------


def _graph_error(status: int, code: str, message: str, inner: str | None = None) -> tuple:
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "innerError": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": "00000000-0000-0000-0000-000000000000",
        },
    }
    if inner:
        error["innerError"]["code"] = inner
    return status, {"error": error}, {}


def _fault_answer(status: int) -> tuple:
    """A refusal the test injected: 429 as throttling.md's "Sample response", else errors.md's
    ``serviceNotAvailable``."""
    if status != 429:
        return _graph_error(status, "serviceNotAvailable", "Fault injected by the test.")
    return (
        429,
        {
            "error": {
                "code": "TooManyRequests",
                "innerError": {
                    "code": "429",
                    "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "message": "Please retry after",
                    "request-id": "00000000-0000-0000-0000-000000000000",
                    "status": "429",
                },
                "message": "Please retry again later.",
            }
        },
        {},
    )


def _aad_error(status: int, error: str, code: int, text: str) -> tuple:
    return (
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: 0000 Correlation ID: 0000 "
            "Timestamp: 2026-12-05 09:00:00Z",
            "error_codes": [code],
            "timestamp": "2026-12-05 09:00:00Z",
            "trace_id": "00000000-0000-0000-0000-000000000000",
            "correlation_id": "00000000-0000-0000-0000-000000000000",
        },
        {},
    )


_ITEM = re.compile(r"^/v1\.0/drives/(?P<drive>[^/]+)/items/(?P<item>[^/]+)(?P<rest>/.*)?$")
_SHARE = re.compile(r"^/v1\.0/shares/(?P<share>[^/]+)/driveItem(?P<rest>/.*)?$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeGraph
    side: str  # "graph" or "login"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every answer on a kept-alive connection
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        host = self.side
        if self.side == "graph" and path.startswith("/_download/"):
            host = "download"
        elif self.side == "graph" and path.startswith("/_upload/"):
            host = "upload"
        with fake.lock:
            fault = next((f for f in fake.faults if f.applies(self.command, path)), None)
            if fault is not None and fault.times is not None:
                fault.times -= 1
        if fault is not None and fault.drop:
            # read part of the body, then hang up without an answer (a network failure)
            self.rfile.read(min(length, 1024))
            with fake.lock:
                fake.log.append(
                    LoggedRequest(self.command, path, 0, min(length, 1024), 0, False, {}, host)
                )
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = self.rfile.read(length) if length else b""
        if fault is not None:
            status, payload, headers = _fault_answer(fault.status)
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
        elif self.side == "login":
            status, payload, headers = _login(fake, self.command, path, body, self.headers)
        else:
            for hook in list(fake.before):
                hook(self.command, path)
            status, payload, headers = _graph(
                fake, self.command, path, query, body, self.headers, host
            )
        if isinstance(payload, bytes):
            data = payload
            headers.setdefault("Content-Type", "application/octet-stream")
        elif payload is None:
            data = b""
        else:
            data = json.dumps(payload).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        # logged before the answer goes out: a client that reads the log right after its
        # request returned must find it there
        with fake.lock:
            fake.log.append(
                LoggedRequest(
                    self.command,
                    path,
                    status,
                    length + _header_bytes(self.headers),
                    len(data),
                    "Authorization" in self.headers,
                    dict(self.headers),
                    host,
                )
            )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve


def _header_bytes(headers: Any) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers.items())


# -- Graph -------------------------------------------------------------------------------------


def _graph(
    fake: FakeGraph,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: bytes,
    headers: Any,
    host: str,
) -> tuple:
    if host == "download":
        content = fake.downloads.get(path.rsplit("/", 1)[-1])
        if content is None:
            return _graph_error(404, "itemNotFound", "The download URL has expired.")
        return 200, content, {}
    if host == "upload":
        return _upload_fragment(fake, method, path, body, headers)
    who, problem = fake.principal(headers.get("Authorization"))
    if problem:
        message = (
            "Lifetime validation failed, the token is expired."
            if problem == "expired"
            else "Access token is empty."
            if problem == "no token"
            else "Invalid token."
        )
        return _graph_error(401, "InvalidAuthenticationToken", message)
    base = fake.graph_url
    share = _SHARE.match(path)
    if share:
        token = share["share"]
        if not token.startswith("u!"):
            return _graph_error(400, "invalidRequest", "Invalid shares key.")
        encoded = token[2:] + "=" * (-len(token[2:]) % 4)
        try:
            url = base64.urlsafe_b64decode(encoded).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return _graph_error(400, "invalidRequest", "Invalid shares key.")
        ids = fake.shares.get(url)
        if ids is None:
            return _graph_error(
                404,
                "itemNotFound",
                "The sharing link no longer exists, or you do not have permission to access it.",
            )
        item = fake.items[ids]
        rest = share["rest"] or ""
    else:
        match = _ITEM.match(path)
        if match is None:
            return _graph_error(400, "invalidRequest", f"Invalid request: {path}")
        item = fake.items.get((match["drive"], match["item"]))
        if item is None:
            return _graph_error(404, "itemNotFound", "The resource could not be found.")
        rest = match["rest"] or ""
    if "*" in item.denied or who in item.denied:
        return _graph_error(403, "accessDenied", "Access denied")
    if rest == "" and method == "GET":
        return 200, _select(item.json(base), query), {}
    if rest == "/content" and method == "GET":
        if item.content is None:
            return _graph_error(404, "itemNotFound", "The resource could not be found.")
        if headers.get("If-None-Match") in (item.etag, item.ctag):
            return 304, None, {}
        token = secrets.token_urlsafe(16)
        fake.downloads[token] = item.content
        origin = base.rsplit("/v1.0", 1)[0]
        return 302, None, {"Location": f"{origin}/_download/{token}"}
    if rest == "/content" and method == "PUT":
        refused = _precondition(item, headers)
        if refused:
            return refused
        if len(body) > SIMPLE_UPLOAD_LIMIT:
            return _graph_error(413, "maxFileSizeExceeded", "Max file size exceeded.")
        fake.save(item, body)
        return 200, item.json(base), {}
    if rest == "/createUploadSession" and method == "POST":
        refused = _precondition(item, headers)
        if refused:
            return refused
        session_id = secrets.token_urlsafe(16)
        fake.sessions[session_id] = UploadSession(item)
        origin = base.rsplit("/v1.0", 1)[0]
        return (
            200,
            {
                "uploadUrl": f"{origin}/_upload/{session_id}",
                "expirationDateTime": "2026-12-06T09:21:55.523Z",
                "nextExpectedRanges": ["0-"],
            },
            {},
        )
    if rest.startswith("/workbook/") and method in ("GET", "PATCH"):
        return _workbook(item, method, rest, body, query)
    return _graph_error(400, "invalidRequest", f"Not served by the fake: {method} {rest}")


def _precondition(item: Item, headers: Any) -> tuple | None:
    if item.locked:
        return _graph_error(
            423, "resourceLocked", "The resource you are attempting to access is locked"
        )
    if item.checked_out:
        return _graph_error(
            423,
            "accessDenied",
            "The file is currently checked out or locked for editing by another user.",
        )
    expected = headers.get("If-Match")
    if expected is not None and expected != "*" and not re.fullmatch(r'(W/)?"[^"]*"', expected):
        return _graph_error(
            400,
            "invalidRequest",
            "ETag header is malformed. ETags must be quoted strings.",
            "malformedEntityTag",
        )
    if expected is not None and expected not in (item.etag, item.ctag, "*"):
        return _graph_error(
            412,
            "resourceModified",
            "ETag does not match current item's value",
            "entityTagDoesNotMatch",
        )
    return None


def _select(body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
    fields = query.get("$select")
    if not fields:
        return body
    wanted = set(fields[0].split(","))
    return {k: v for k, v in body.items() if k in wanted or k.startswith("@odata")}


def _upload_fragment(fake: FakeGraph, method: str, path: str, body: bytes, headers: Any) -> tuple:
    session = fake.sessions.get(path.rsplit("/", 1)[-1])
    if session is None:
        return _graph_error(
            404, "itemNotFound", "Upload session not found.", "uploadSessionNotFound"
        )
    if method == "DELETE":
        del fake.sessions[path.rsplit("/", 1)[-1]]
        return 204, None, {}
    if "Authorization" in headers:
        return _graph_error(401, "unauthenticated", "Do not send a token to the upload URL.")
    found = re.match(r"bytes (\d+)-(\d+)/(\d+)$", headers.get("Content-Range") or "")
    if method != "PUT" or found is None:
        return _graph_error(400, "invalidRequest", "Content-Range is required.")
    start, end, size = (int(g) for g in found.groups())
    if session.size and size != session.size:
        return _graph_error(
            400, "invalidRequest", "Declared total size differs.", "fragmentLengthMismatch"
        )
    final = end + 1 == size
    if len(body) > 60 * 1024 * 1024 or (not final and len(body) % FRAGMENT_UNIT):
        return _graph_error(
            400,
            "invalidRequest",
            "Fragments must be multiples of 320 KiB and under 60 MiB.",
            "maxFragmentLengthExceeded",
        )
    if start != len(session.received) or end - start + 1 != len(body):
        return _graph_error(
            416, "invalidRange", "Uploaded fragment is out of order.", "fragmentOutOfOrder"
        )
    session.size = size
    session.received += body
    if len(session.received) < size:
        return (
            202,
            {
                "expirationDateTime": "2026-12-06T09:21:55.523Z",
                "nextExpectedRanges": [f"{len(session.received)}-"],
            },
            {},
        )
    refused = _precondition(session.item, {})
    if refused:
        return refused
    fake.save(session.item, bytes(session.received))
    del fake.sessions[path.rsplit("/", 1)[-1]]
    return 200, session.item.json(fake.graph_url), {}


def _workbook(item: Item, method: str, rest: str, body: bytes, query: dict) -> tuple:
    """The Excel workbook API, for the naive way's cost: answered, not applied to the file."""
    found = re.search(r"range\(address='([A-Z]+\d+:[A-Z]+\d+)'\)", rest)
    if method == "PATCH" and found:
        values = json.loads(body).get("values") or [[]]
        return 200, _range(found[1], values), {}
    if method == "GET" and rest.endswith("/usedRange"):
        book = CalamineWorkbook.from_filelike(io.BytesIO(item.content or b""))
        name = re.search(r"worksheets/([^/]+)/", rest)
        sheet = unquote(name[1]).strip("'()") if name else book.sheet_names[0]
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        values = [[_plain(v) for v in row] for row in rows]
        body_out = _range(f"{sheet}!A1", values)
        return 200, _select(body_out, query), {}
    return _graph_error(400, "invalidRequest", f"Not served by the fake: {method} {rest}")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return (
            value - dt.datetime(1899, 12, 30)
            if isinstance(value, dt.datetime)
            else value - dt.date(1899, 12, 30)
        ).days
    return value


def _range(address: str, values: list[list[Any]]) -> dict[str, Any]:
    """A workbookRange as Graph returns it (every property, as the docs' range resource)."""
    rows, cols = len(values), max((len(r) for r in values), default=0)
    text = [["" if v is None else str(v) for v in row] for row in values]
    return {
        "@odata.type": "#microsoft.graph.workbookRange",
        "address": address,
        "addressLocal": address,
        "cellCount": rows * cols,
        "columnCount": cols,
        "columnHidden": False,
        "columnIndex": 0,
        "formulas": values,
        "formulasLocal": values,
        "formulasR1C1": values,
        "hidden": False,
        "numberFormat": [["General"] * cols for _ in range(rows)],
        "rowCount": rows,
        "rowHidden": False,
        "rowIndex": 0,
        "text": text,
        "valueTypes": [["String" if isinstance(v, str) else "Double" for v in r] for r in values],
        "values": values,
    }


# -- the identity platform ---------------------------------------------------------------------


_LOGIN = re.compile(r"^/(?P<tenant>[^/]+)/(?P<rest>.+)$")


def _login(fake: FakeGraph, method: str, path: str, body: bytes, headers: Any) -> tuple:
    match = _LOGIN.match(path)
    if match is None:
        return 404, {"error": "not_found"}, {}
    tenant, rest = match["tenant"], match["rest"]
    known = tenant in fake.tenants or tenant in ALIASES
    if rest == "v2.0/.well-known/openid-configuration" and method == "GET":
        if not known:
            return _aad_error(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud.",
            )
        base = f"{fake.login_url}/{tenant}"
        return (
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "tid"],
                "kerberos_endpoint": f"{base}/kerberos",
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            },
            {},
        )
    if method != "POST":
        return 404, {"error": "not_found"}, {}
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
    fake.grants.append(
        {
            k: ("***" if k in ("client_secret", "client_assertion", "refresh_token") else v)
            for k, v in form.items()
        }
    )
    if not known:
        return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
    if rest == "oauth2/v2.0/devicecode":
        return _device_code(fake, tenant, form)
    if rest == "oauth2/v2.0/token":
        grant = form.get("grant_type")
        if grant == CLIENT_CREDENTIALS:
            return _client_credentials(fake, tenant, form)
        if grant == DEVICE_CODE:
            return _device_token(fake, tenant, form)
        if grant == REFRESH_TOKEN:
            return _refresh(fake, tenant, form)
        return _aad_error(
            400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
        )
    return 404, {"error": "not_found"}, {}


def _app(fake: FakeGraph, tenant: str, client_id: str) -> App | None:
    for name, apps in fake.tenants.items():
        if (tenant in (name, *ALIASES)) and client_id in apps:
            return apps[client_id]
    return None


def _unknown_app(tenant: str, client_id: str) -> tuple:
    return _aad_error(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
    )


def _no_client_credential() -> tuple:
    """A confidential flow without a secret or assertion, or a device code for an app whose
    public client flows are off: Entra answers both with AADSTS7000218."""
    return _aad_error(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
    )


def _client_credentials(fake: FakeGraph, tenant: str, form: dict[str, str]) -> tuple:
    client_id = form.get("client_id", "")
    app = _app(fake, tenant, client_id)
    if app is None:
        return _unknown_app(tenant, client_id)
    if form.get("scope") != GRAPH_DEFAULT_SCOPE:
        return _aad_error(
            400,
            "invalid_scope",
            1002012,
            "The provided value for scope is not "
            "valid. Client credential flows must have a scope value with /.default",
        )
    if "client_assertion" in form:
        if form.get("client_assertion_type") != JWT_BEARER:
            return _aad_error(400, "invalid_request", 50027, "Invalid JWT token.")
        if not _assertion_ok(fake, app, tenant, form["client_assertion"]):
            return _aad_error(
                401,
                "invalid_client",
                700027,
                "The certificate with identifier "
                "used to sign the client assertion is not registered on "
                "application.",
            )
    elif "client_secret" in form:
        if app.secret is None or not secrets.compare_digest(form["client_secret"], app.secret):
            return _aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. "
                "Ensure the secret being sent in the request is the client "
                "secret value, not the client secret ID.",
            )
        if app.secret_expired:
            return _aad_error(
                401,
                "invalid_client",
                7000222,
                f"The provided client secret keys for app '{client_id}' are expired.",
            )
    else:
        return _no_client_credential()
    token = fake._issue(client_id)
    return (
        200,
        {
            "token_type": "Bearer",
            "expires_in": fake.token_lifetime,
            "ext_expires_in": fake.token_lifetime,
            "access_token": token,
        },
        {},
    )


def _assertion_ok(fake: FakeGraph, app: App, tenant: str, assertion: str) -> bool:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return False
    # certificate-credentials.md: "x5t", the base64url SHA-1 thumbprint; MSAL also sends
    # "x5t#S256" (SHA-256). Either names the registered certificate.
    thumb = header.get("x5t#S256") or header.get("x5t")
    if thumb is not None:
        thumb = base64.urlsafe_b64decode(thumb + "=" * (-len(thumb) % 4)).hex()
    key = app.certificates.get(thumb or "")
    if key is None:
        return False
    try:
        claims = jwt.decode(
            assertion,
            key,
            algorithms=["PS256", "RS256"],
            audience=f"{fake.login_url}/{tenant}/oauth2/v2.0/token",
        )
    except jwt.PyJWTError:
        return False
    return claims.get("iss") == app.client_id and claims.get("sub") == app.client_id


def _device_code(fake: FakeGraph, tenant: str, form: dict[str, str]) -> tuple:
    client_id = form.get("client_id", "")
    app = _app(fake, tenant, client_id)
    if app is None:
        return _unknown_app(tenant, client_id)
    if not app.public_client:
        return _no_client_credential()
    flow = DeviceFlow(
        client_id,
        tenant,
        secrets.token_urlsafe(32),
        secrets.token_hex(4).upper(),
        expires=time.time() + fake.device_lifetime,
        scope=form.get("scope", ""),
    )
    fake.flows[flow.device_code] = flow
    return (
        200,
        {
            "user_code": flow.user_code,
            "device_code": flow.device_code,
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": fake.device_lifetime,
            "interval": fake.device_interval,
            "message": "To sign in, use a web browser to open the page "
            f"https://microsoft.com/devicelogin and enter the code {flow.user_code} to "
            "authenticate.",
        },
        {},
    )


def _user_tokens(
    fake: FakeGraph, client_id: str, tenant: str, user: str, scope: str, *, refreshing: bool
) -> dict[str, Any]:
    """The token answer (v2-oauth2-device-code.md, "Successful authentication response"): an
    ``id_token`` only when ``openid`` was asked for, a ``refresh_token`` only with
    ``offline_access`` (always when refreshing: v2-oauth2-auth-code-flow.md)."""
    asked = scope.split()
    tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    uid = hashlib.sha256(user.encode()).hexdigest()[:32]
    now = int(time.time())
    claims = {
        "aud": client_id,
        "iss": f"{fake.login_url}/{tid}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": user.split("@")[0].title(),
        "oid": uid,
        "preferred_username": user,
        "sub": uid,
        "tid": tid,
        "ver": "2.0",
    }
    id_token = (
        ".".join(
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in ({"typ": "JWT", "alg": "none"}, claims)
        )
        + "."
    )
    client_info = (
        base64.urlsafe_b64encode(json.dumps({"uid": uid, "utid": tid}).encode())
        .decode()
        .rstrip("=")
    )
    answer: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": " ".join(s for s in asked if s != "offline_access"),
        "expires_in": fake.token_lifetime,
        "ext_expires_in": fake.token_lifetime,
        "access_token": fake._issue(user),
    }
    if refreshing or "offline_access" in asked:
        refresh = secrets.token_urlsafe(32)
        fake.refresh_tokens[refresh] = (client_id, tenant, user)
        answer["refresh_token"] = refresh
    if "openid" in asked:
        answer["id_token"] = id_token
        answer["client_info"] = client_info
    return answer


def _device_token(fake: FakeGraph, tenant: str, form: dict[str, str]) -> tuple:
    flow = fake.flows.get(form.get("device_code", ""))
    if flow is None or flow.client_id != form.get("client_id"):
        return _aad_error(
            400, "bad_verification_code", 70018, "Invalid verification code (device_code)."
        )
    if time.time() > flow.expires:
        return _aad_error(
            400,
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. This device "
            "code has expired.",
        )
    if fake.decline:
        return _aad_error(
            400, "authorization_declined", 65004, "The end user denied the authorization request."
        )
    flow.polls += 1
    if flow.polls <= fake.pending_polls:
        return _aad_error(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    del fake.flows[flow.device_code]
    tokens = _user_tokens(
        fake, flow.client_id, flow.tenant, fake.signing_in, flow.scope, refreshing=False
    )
    return 200, tokens, {}


def _refresh(fake: FakeGraph, tenant: str, form: dict[str, str]) -> tuple:
    found = fake.refresh_tokens.get(form.get("refresh_token", ""))
    if found is None:
        return _aad_error(
            400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
        )
    client_id, flow_tenant, user = found
    if user in fake.revoked_users:
        return _aad_error(
            400,
            "invalid_grant",
            50173,
            "The provided grant has expired due to "
            "it being revoked, a fresh auth token is needed. The user might have "
            "changed or reset their password.",
        )
    del fake.refresh_tokens[form["refresh_token"]]
    tokens = _user_tokens(
        fake, client_id, flow_tenant, user, form.get("scope", ""), refreshing=True
    )
    return 200, tokens, {}


# -- starting it -------------------------------------------------------------------------------


class Servers:
    """Both servers, started on 127.0.0.1; :meth:`close` stops them."""

    def __init__(self, fake: FakeGraph, certfile: Path | None, keyfile: Path | None) -> None:
        self.fake = fake
        graph = type("GraphHandler", (_Handler,), {"fake": fake, "side": "graph"})
        self._graph = ThreadingHTTPServer(("127.0.0.1", 0), graph)
        self._graph.daemon_threads = True
        fake.graph_url = f"http://127.0.0.1:{self._graph.server_address[1]}/v1.0"
        self._servers = [self._graph]
        if certfile is not None:
            login = type("LoginHandler", (_Handler,), {"fake": fake, "side": "login"})
            self._login = ThreadingHTTPServer(("127.0.0.1", 0), login)
            self._login.daemon_threads = True
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
            self._login.socket = context.wrap_socket(self._login.socket, server_side=True)
            fake.login_url = f"https://127.0.0.1:{self._login.server_address[1]}"
            self._servers.append(self._login)
        self._threads = [
            threading.Thread(target=s.serve_forever, daemon=True) for s in self._servers
        ]
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
