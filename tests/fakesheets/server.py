"""The HTTP side of the fake: a threaded server on 127.0.0.1 plus the controls tests use."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import a1
from .api import SheetsApi
from .errors import ApiError
from .model import Cell, Formula, Sheet, Spreadsheet
from .values import read_values, to_serial

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SPREADSHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"


@dataclass
class LoggedRequest:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    headers: dict[str, str]
    status: int = 0

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    """Answer ``status`` instead of serving, ``remaining`` times (None = until cleared)."""

    status: int
    remaining: int | None
    retry_after: str | None = None
    match: str | None = None
    method: str | None = None

    def applies(self, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method and self.method != method:
            return False
        return self.match is None or self.match in path


@dataclass
class TokenGrant:
    """A token request the fake answered (or refused)."""

    grant_type: str
    claims: dict[str, Any] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    ok: bool = True


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def to_cell(value: Any, date_format: str) -> Cell | None:
    """A Python value seeded the way the Sheets UI would hold it."""
    if value is None or value == "":
        return None
    if isinstance(value, Cell):
        return value
    if isinstance(value, dt.datetime):
        pattern = f"{date_format} hh:mm:ss"
        return Cell(to_serial(value), {"numberFormat": {"type": "DATE_TIME", "pattern": pattern}})
    if isinstance(value, dt.date):
        return Cell(to_serial(value), {"numberFormat": {"type": "DATE", "pattern": date_format}})
    if isinstance(value, Formula | str | bool | int | float):
        return Cell(value)
    raise TypeError(f"cannot seed a cell with {value!r}")


class FakeSheets:
    """A local Google Sheets v4 server for tests. Use as a context manager or start()/stop()."""

    def __init__(self) -> None:
        self.books: dict[str, Spreadsheet] = {}
        self.api = SheetsApi(self.books)
        self.lock = threading.RLock()
        self.log: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.hooks: list[Callable[[LoggedRequest], None]] = []
        self.token_grants: list[TokenGrant] = []
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        #: when True, Sheets requests need a Bearer token this fake issued (else 403)
        self.require_auth = False
        #: pretty-print answers like Google does (2-space indent); off for big benchmarks
        self.pretty = True
        self._trusted: dict[str, rsa.RSAPublicKey] = {}
        self._counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeSheets:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSheets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the value for SHEETSYNC_SHEETS_ENDPOINT)."""
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    # --- seeding and inspection -----------------------------------------------------------

    def seed(
        self,
        key: str,
        sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None,
        *,
        title: str = "Prospects",
        date_format: str = "yyyy-mm-dd",
    ) -> Spreadsheet:
        """Create spreadsheet ``key`` with one sheet per entry (title -> rows of values).

        ``dt.date`` values become serial numbers with a DATE format, as typed dates do in the
        Sheets UI; :class:`Formula` values become formulas; everything else is stored as is."""
        with self.lock:
            book = Spreadsheet(key=key, title=title)
            self.books[key] = book
            for i, (sheet_title, rows) in enumerate((sheets or {"Sheet1": []}).items()):
                self.add_sheet(
                    key, sheet_title, rows, sheet_id=0 if i == 0 else None, date_format=date_format
                )
            return book

    def add_sheet(
        self,
        key: str,
        title: str,
        rows: Iterable[Sequence[Any]] = (),
        *,
        sheet_id: int | None = None,
        hidden: bool = False,
        row_count: int | None = None,
        col_count: int | None = None,
        date_format: str = "yyyy-mm-dd",
    ) -> Sheet:
        with self.lock:
            book = self.books[key]
            grid = [[to_cell(v, date_format) for v in row] for row in rows]
            sheet = Sheet(
                sheet_id=book.new_sheet_id() if sheet_id is None else sheet_id,
                title=title,
                index=len(book.sheets),
                hidden=hidden,
                row_count=row_count or max(1000, len(grid)),
                col_count=col_count or max(26, max((len(r) for r in grid), default=0)),
                rows=grid,
            )
            book.sheets.append(sheet)
            return sheet

    def book(self, key: str) -> Spreadsheet:
        return self.books[key]

    def sheet(self, key: str, title: str) -> Sheet:
        found = self.books[key].sheet_by_title(title)
        if found is None:
            raise KeyError(title)
        return found

    def values(
        self, key: str, title: str, render: str = "UNFORMATTED_VALUE", dates: str = "SERIAL_NUMBER"
    ) -> list[list[Any]]:
        """What ``values.get`` would answer for the whole sheet (trimmed, "" for blanks)."""
        with self.lock:
            sheet = self.sheet(key, title)
            return read_values(
                sheet, (0, sheet.row_count, 0, sheet.col_count), "ROWS", render, dates
            )

    def cell(self, key: str, title: str, ref: str) -> Cell | None:
        parsed = a1.parse(ref)
        return self.sheet(key, title).cell(parsed.start_row or 0, parsed.start_col or 0)

    def set_values(self, key: str, title: str, ref: str, rows: Sequence[Sequence[Any]]) -> None:
        """Type values into the sheet as a user would (no request logged)."""
        with self.lock:
            sheet = self.sheet(key, title)
            parsed = a1.parse(ref)
            r0, c0 = parsed.start_row or 0, parsed.start_col or 0
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    sheet.put(r0 + i, c0 + j, to_cell(value, "yyyy-mm-dd"))

    def insert_rows(
        self, key: str, title: str, index: int, rows: Sequence[Sequence[Any]] = ((),)
    ) -> None:
        """Insert rows before 0-based row ``index``, as a user would in the UI."""
        with self.lock:
            book = self.books[key]
            sheet = self.sheet(key, title)
            self.api.batch_update(
                book,
                {
                    "requests": [
                        {
                            "insertDimension": {
                                "range": {
                                    "sheetId": sheet.sheet_id,
                                    "dimension": "ROWS",
                                    "startIndex": index,
                                    "endIndex": index + len(rows),
                                },
                                "inheritFromBefore": index > 0,
                            }
                        }
                    ]
                },
            )
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    sheet.put(index + i, j, to_cell(value, "yyyy-mm-dd"))

    def sort_rows(
        self, key: str, title: str, start: int, sort_key: Callable[[list[Any]], Any]
    ) -> None:
        """Sort the rows from 0-based row ``start`` down, as a user sorting a range would."""
        with self.lock:
            sheet = self.sheet(key, title)
            body = sheet.rows[start:]
            body.sort(key=lambda line: sort_key([c.value if c else None for c in line]))
            sheet.rows[start:] = body

    def make_private(self, key: str) -> None:
        """Answer 403 PERMISSION_DENIED for this spreadsheet, as for one not shared with us."""
        with self.lock:
            if key not in self.books:
                self.seed(key)
            self.books[key].private = True

    # --- faults, hooks, log ---------------------------------------------------------------

    def fail_next(
        self,
        count: int,
        status: int = 429,
        *,
        retry_after: float | str | None = None,
        match: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (a Google error body)."""
        with self.lock:
            self.faults.append(
                Fault(
                    status, count, None if retry_after is None else str(retry_after), match, method
                )
            )

    def fail_always(
        self, status: int = 500, *, match: str | None = None, method: str | None = None
    ) -> None:
        """Answer every matching request with ``status`` until :meth:`clear_faults`."""
        with self.lock:
            self.faults.append(Fault(status, None, None, match, method))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def on_request(self, hook: Callable[[LoggedRequest], None]) -> None:
        """Call ``hook(request)`` before serving each request (e.g. to edit the sheet mid-sync)."""
        self.hooks.append(hook)

    def requests(self, prefix: str = "/v4/", method: str | None = None) -> list[LoggedRequest]:
        """The logged requests whose path starts with ``prefix`` (Sheets API calls by default)."""
        return [
            r
            for r in self.log
            if r.path.startswith(prefix) and (method is None or r.method == method)
        ]

    def batch_updates(self, key: str | None = None) -> list[LoggedRequest]:
        return [
            r
            for r in self.requests()
            if r.path.endswith(":batchUpdate")
            and "/values" not in r.path
            and (key is None or f"/{key}:" in r.path)
        ]

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()

    # --- OAuth ----------------------------------------------------------------------------

    def trust_service_account(self, email: str, public_key_pem: bytes) -> None:
        """Verify JWT signatures from ``email`` with this key (unknown issuers are not checked)."""
        key = serialization.load_pem_public_key(public_key_pem)
        assert isinstance(key, rsa.RSAPublicKey)
        self._trusted[email] = key

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant_type = form.get("grant_type", "")
        grant = TokenGrant(grant_type, form={k: v for k, v in form.items() if k != "assertion"})
        self.token_grants.append(grant)
        refresh = None
        if grant_type == JWT_GRANT:
            try:
                header_b64, claims_b64, signature_b64 = form["assertion"].split(".")
                claims = _b64json(claims_b64)
                if _b64json(header_b64).get("alg") != "RS256":
                    raise ValueError("not RS256")
            except (KeyError, ValueError):
                grant.ok = False
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT."}
            grant.claims = claims
            key = self._trusted.get(claims.get("iss", ""))
            if key is not None:
                try:
                    key.verify(
                        base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4)),
                        f"{header_b64}.{claims_b64}".encode(),
                        padding.PKCS1v15(),
                        hashes.SHA256(),
                    )
                except InvalidSignature:
                    grant.ok = False
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "Invalid JWT Signature.",
                    }
            if claims.get("exp", 0) < time.time():
                grant.ok = False
                return 400, {"error": "invalid_grant", "error_description": "Token has expired."}
            scope = claims.get("scope", "")
        elif grant_type == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                grant.ok = False
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
            scope = SPREADSHEETS_SCOPE
        elif grant_type == "authorization_code":
            if not form.get("code"):
                grant.ok = False
                return 400, {"error": "invalid_grant", "error_description": "Missing code."}
            scope = SPREADSHEETS_SCOPE
            refresh = f"1//fake-refresh-{next(self._counter)}"
            self.refresh_tokens.add(refresh)
        else:
            grant.ok = False
            return 400, {"error": "unsupported_grant_type", "error_description": grant_type}
        token = f"ya29.fake-{next(self._counter)}"
        self.access_tokens.add(token)
        answer: dict[str, Any] = {
            "access_token": token,
            "expires_in": 3599,
            "scope": scope,
            "token_type": "Bearer",
        }
        if refresh:
            answer["refresh_token"] = refresh
        return 200, answer

    # --- serving --------------------------------------------------------------------------

    def serve(self, request: LoggedRequest) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.log.append(request)
            for hook in list(self.hooks):
                hook(request)
            if request.path == "/token" and request.method == "POST":
                form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
                status, payload = self._token(form)
                return status, payload, {}
            for fault in self.faults:
                if fault.applies(request.method, request.path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return fault.status, ApiError(fault.status).body(), headers
            if self.require_auth and request.path.startswith("/v4/"):
                auth = request.headers.get("authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
                    # Google answers 403, not 401, to a request without credentials.
                    return 403, ApiError(403, "The request is missing a valid API key.").body(), {}
            try:
                status, payload = self.api.handle(
                    request.method, request.path, request.query, request.body
                )
            except ApiError as err:
                return err.code, err.body(), {}
            return status, payload, {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm and delayed ACKs
    # add 40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    fake: FakeSheets

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake keeps its own log."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = LoggedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        status, payload, headers = self.fake.serve(request)
        request.status = status
        if payload is None:
            data = b""
        elif self.fake.pretty:
            data = (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode()
        else:
            data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve
