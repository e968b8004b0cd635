"""The Google Sheets source: read a worksheet and its memory, write a plan back.

A sync costs at most four requests below the split size (README, "Google Sheets"):

1. ``spreadsheets.get`` with a field mask: sheet properties, conditional formats, filters;
2. one ``values:batchGet`` of the worksheet and the memory sheet (unformatted, serial dates);
3. before writing cells, one ``values:batchGet`` re-reading the header row and the ID column
   (the whole table when a changed row has no usable ID) to catch rows that moved;
4. one ``spreadsheets.batchUpdate`` with the changed cells, the memory and the formatting,
   which Google applies atomically.

A plan that changes nothing, with the formatting already in place, sends no write at all.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable
from typing import Any, TypeVar

import gspread
from gspread.exceptions import APIError

from sheetsync.errors import CredentialsError, SheetNotFound, SourceError, UsageError
from sheetsync.schema import col_letter
from sheetsync.sources.base import EPOCH_1900, MEMORY_SHEET, Cell, SheetData, WritePlan
from sheetsync.sources.widths import created_widths

from . import batch, formatting
from .address import SheetAddress, parse_source
from .apivalues import from_api, plain
from .auth import GoogleCredentials, resolve_credentials
from .formatting import SheetMeta
from .rows import Now, align, id_text
from .transport import RetryPolicy, SheetsHTTPClient, authorized_session, endpoint_from_env

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_SHEET = "Prospects"
#: the one metadata read: every sheet's properties, conditional formats and filters
METADATA_FIELDS = (
    "spreadsheetId,sheets(properties(sheetId,title,index,hidden,"
    "gridProperties(rowCount,columnCount,frozenRowCount)),"
    "conditionalFormats,basicFilter,filterViews)"
)
READ_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}


def a1_sheet(title: str) -> str:
    """A sheet title as an A1 range naming the whole sheet: ``'It''s'``."""
    return "'" + title.replace("'", "''") + "'"


class GoogleSheetSource:
    """A Google spreadsheet opened on one worksheet (see :class:`sheetsync.sources.base.Source`).

    ``source`` is a Sheets URL (its ``#gid=`` picks the worksheet) or ``gsheet:KEY``; ``sheet``
    names the worksheet and wins over the gid; without either, ``Prospects``, else the first
    sheet. ``credentials`` is a service-account key or cached OAuth token file (see
    :mod:`.auth` for where else they are looked for). 429 and 5xx answers are retried for at most
    ``retry_seconds`` in all. Writes above ``max_request_bytes``/``max_request_cells`` are split
    into batches of whole rows.
    """

    def __init__(
        self,
        source: str,
        sheet: str | None = None,
        credentials: str | None = None,
        retry_seconds: float = 120.0,
        *,
        retry: RetryPolicy | None = None,
        max_request_bytes: int = batch.MAX_REQUEST_BYTES,
        max_request_cells: int = batch.MAX_REQUEST_CELLS,
    ) -> None:
        self.address: SheetAddress = parse_source(source)
        self.spreadsheet_id = self.address.key
        #: syncs of any worksheets of one spreadsheet share its memory sheet: one lock for all
        self.lock_key = f"gsheet:{self.address.key}"
        self.sheet_name = sheet
        if sheet:
            self.key = f"gsheet:{self.address.key}#{sheet}"
        elif self.address.gid is not None:
            self.key = f"gsheet:{self.address.key}#gid={self.address.gid}"
        else:
            self.key = f"gsheet:{self.address.key}"
        self._credentials_path = credentials
        if not (math.isfinite(retry_seconds) and retry_seconds >= 0):
            # NaN or infinity would retry for ever, holding the run lock
            raise UsageError(
                f"retry_seconds must be a finite number of seconds, 0 or more, not {retry_seconds}"
            )
        self._retry = retry or RetryPolicy(total_seconds=retry_seconds)
        self._max_bytes = max_request_bytes
        self._max_cells = max_request_cells
        self._http_client: SheetsHTTPClient | None = None
        self._creds: GoogleCredentials | None = None
        self._target: SheetMeta | None = None
        self._memory: SheetMeta | None = None
        self._sheet_ids: set[int] = set()
        self._header: list[Any] = []
        self._rows: list[list[Any]] | None = None
        self._memory_width = 0

    # --- plumbing -------------------------------------------------------------------------

    def _http(self) -> SheetsHTTPClient:
        if self._http_client is None:
            endpoint = endpoint_from_env()
            self._creds = resolve_credentials(self._credentials_path, local=endpoint is not None)
            creds = self._creds.credentials
            client = gspread.Client(
                creds, session=authorized_session(creds, endpoint), http_client=SheetsHTTPClient
            )
            http = client.http_client
            assert isinstance(http, SheetsHTTPClient)
            http.auth = creds
            http.configure(endpoint, self._retry, creds)
            self._http_client = http
        return self._http_client

    def _call(self, what: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one API call, turning Google's errors into ours (with what to do about them)."""
        try:
            return call(*args, **kwargs)
        except APIError as err:
            raise self._explain(err, what) from err

    def _explain(self, err: APIError, what: str) -> SourceError:
        message = str(err.error.get("message", "")) if isinstance(err.error, dict) else ""
        account = self._creds.account if self._creds else "your Google account"
        if err.code == 403:
            return CredentialsError(
                f"Google refused the {what} of spreadsheet {self.spreadsheet_id} ({message}): "
                f"share the spreadsheet with {account} (Editor)"
            )
        if err.code == 401:
            return CredentialsError(
                f"Google did not accept the credentials ({message}): check --credentials or run "
                "`sheetsync login` again"
            )
        if err.code == 404:
            return SourceError(f"no spreadsheet has the key {self.spreadsheet_id}: check the URL")
        return SourceError(
            f"Google Sheets refused the {what} ({err.code}: {message}); nothing was written"
        )

    # --- read -----------------------------------------------------------------------------

    def _load_metadata(self) -> None:
        http = self._http()
        meta = self._call(
            "metadata read",
            http.fetch_sheet_metadata,
            self.spreadsheet_id,
            params={"includeGridData": "false", "fields": METADATA_FIELDS},
        )
        sheets = [SheetMeta.from_api(s) for s in meta.get("sheets") or []]
        self._sheet_ids = {s.sheet_id for s in sheets}
        self._memory = next((s for s in sheets if s.title == MEMORY_SHEET), None)
        self._target = self._choose([s for s in sheets if s.title != MEMORY_SHEET])

    def _choose(self, sheets: list[SheetMeta]) -> SheetMeta:
        titles = ", ".join(repr(s.title) for s in sheets) or "none"
        if self.sheet_name:
            if self.sheet_name == MEMORY_SHEET:
                raise SheetNotFound(
                    f"{MEMORY_SHEET!r} is sheetsync's own memory: pick another sheet"
                )
            found = [s for s in sheets if s.title == self.sheet_name] or [
                s for s in sheets if s.title.casefold() == self.sheet_name.casefold()
            ]
            if len(found) != 1:
                raise SheetNotFound(
                    f"no worksheet named {self.sheet_name!r} in spreadsheet {self.spreadsheet_id};"
                    f" its worksheets: {titles}"
                )
            return found[0]
        if self.address.gid is not None:
            found = [s for s in sheets if s.sheet_id == self.address.gid]
            if not found:
                raise SheetNotFound(
                    f"no worksheet with gid {self.address.gid} in spreadsheet "
                    f"{self.spreadsheet_id}: check the URL or pass --sheet (worksheets: {titles})"
                )
            return found[0]
        for pick in (
            [s for s in sheets if s.title == DEFAULT_SHEET],
            [s for s in sheets if s.title.casefold() == DEFAULT_SHEET.casefold()],
            sorted((s for s in sheets if not s.hidden), key=lambda s: s.index),
            sorted(sheets, key=lambda s: s.index),
        ):
            if pick:
                return pick[0]
        raise SheetNotFound(f"spreadsheet {self.spreadsheet_id} has no worksheet to sync")

    def read(self) -> SheetData:
        """Read the worksheet and the memory sheet (two requests). Raises SourceError."""
        self._load_metadata()
        assert self._target is not None
        ranges = [a1_sheet(self._target.title)]
        if self._memory is not None:
            ranges.append(a1_sheet(MEMORY_SHEET))
        answer = self._call(
            "read",
            self._http().values_batch_get,
            self.spreadsheet_id,
            ranges,
            params=dict(READ_PARAMS),
        )
        value_ranges = answer.get("valueRanges") or []
        table = (value_ranges[0].get("values") if value_ranges else None) or []
        memory_values = None
        if self._memory is not None:
            memory_values = (value_ranges[1].get("values") if len(value_ranges) > 1 else None) or []
        self._header = list(table[0]) if table else []
        self._rows = [list(line) for line in table[1:]]
        self._memory_width = max((len(line) for line in memory_values or []), default=0)
        return SheetData(
            title=self._target.title,
            headers=[from_api(v) for v in self._header],
            rows=[[from_api(v) for v in line] for line in self._rows],
            epoch=EPOCH_1900,
            memory=None
            if memory_values is None
            else [[from_api(v) for v in line] for line in memory_values],
        )

    def close(self) -> None:
        """Nothing held between read and write (each call is its own request)."""

    # --- write ----------------------------------------------------------------------------

    def write(self, plan: WritePlan) -> None:
        """Apply the plan: one atomic batchUpdate below the split size, nothing if in step."""
        if self._target is None:
            self._load_metadata()
        target = self._target
        assert target is not None
        cells = {pos: plain(value) for pos, value in plan.cells.items()}
        width = max([plan.width, len(self._header)] + [c + 1 for _, c in cells])
        height = max([plan.height, 1] + [r + 1 for r, _ in cells])
        tail = formatting.highlight_requests(target, plan.highlight, plan.flag_col, width, height)
        tail += formatting.header_requests(target, width, max(target.row_count, height))
        tail += formatting.view_requests(target, plan, width, height)
        tail += formatting.width_requests(
            target, created_widths(plan, dict(enumerate(self._header)))
        )
        if not cells and plan.memory is None and not tail:
            log.debug("nothing to write to %s", self.key)
            return
        if cells:
            if self._rows is None:
                raise SourceError("write() needs a read() first: there is nothing to compare with")
            cells = self._where_rows_are_now(plan, cells)
        job = self._job(plan, cells, width, tail)
        batches = job.pack(self._max_bytes, self._max_cells)
        for n, requests in enumerate(batches, 1):
            if n > 1:
                log.info("writing batch %d of %d to %s", n, len(batches), self.key)
            try:
                self._call(
                    "write" if len(batches) == 1 else f"write (batch {n} of {len(batches)})",
                    self._http().batch_update,
                    self.spreadsheet_id,
                    {"requests": requests},
                )
            except SourceError as err:
                if n == 1:
                    raise
                # Earlier batches landed: say so instead of "nothing was written".
                said = str(err).replace("nothing was written", "this batch was not written")
                raise SourceError(
                    f"{said}; batches 1-{n - 1} of {len(batches)} were written (every row whole): "
                    "run the sync again to finish"
                ) from err
        # What we knew about the sheet is stale now: the next sync reads it again.
        self._target = None
        self._rows = None

    def _where_rows_are_now(
        self, plan: WritePlan, cells: dict[tuple[int, int], Cell]
    ) -> dict[tuple[int, int], Cell]:
        """Re-read the header and IDs (one request) and move ``cells`` to where rows are now."""
        target = self._target
        assert target is not None
        ids = [id_text(v) for v in plan.ids]
        counts: dict[str, int] = {}
        for value in ids:
            counts[value] = counts.get(value, 0) + 1
        whole = any(
            r >= 1 and (r - 1 >= len(ids) or not ids[r - 1] or counts[ids[r - 1]] > 1)
            for r, _ in cells
        )
        name = a1_sheet(target.title)
        if whole:
            ranges = [name]
        else:
            letters = col_letter(plan.id_col)
            ranges = [f"{name}!1:1", f"{name}!{letters}2:{letters}"]
        answer = self._call(
            "check that rows did not move",
            self._http().values_batch_get,
            self.spreadsheet_id,
            ranges,
            params=dict(READ_PARAMS),
        )
        value_ranges = answer.get("valueRanges") or []
        if whole:
            table = (value_ranges[0].get("values") if value_ranges else None) or []
            header = table[0] if table else []
            rows = table[1:]
            now = Now(
                header=header,
                ids=[line[plan.id_col] if plan.id_col < len(line) else "" for line in rows],
                rows=rows,
            )
        else:
            header_values = (value_ranges[0].get("values") or [[]])[0] if value_ranges else []
            id_values = (value_ranges[1].get("values") if len(value_ranges) > 1 else None) or []
            now = Now(header=header_values, ids=[line[0] if line else "" for line in id_values])
        moved = align(cells, plan.ids, self._header, self._rows, now, target.title)
        if moved is not cells:
            log.info(
                "rows of %r moved since they were read; answers follow their IDs", target.title
            )
        return moved

    def _job(
        self,
        plan: WritePlan,
        cells: dict[tuple[int, int], Cell],
        width: int,
        tail: list[dict[str, Any]],
    ) -> batch.WriteJob:
        target = self._target
        assert target is not None
        memory = self._memory
        job = batch.WriteJob(
            target_id=target.sheet_id, memory_id=memory.sheet_id if memory else None
        )
        rows_needed = max([0] + [r + 1 for r, _ in cells])
        if width > target.col_count:
            job.head.append(_append(target.sheet_id, "COLUMNS", width - target.col_count))
        if rows_needed > target.row_count:
            job.head.append(_append(target.sheet_id, "ROWS", rows_needed - target.row_count))
        job.target_rows = batch.row_writes(cells, plan.date_format)
        if plan.memory is not None:
            rows = [[plain(v) for v in line] for line in plan.memory]
            mem_width = max([1, self._memory_width] + [len(line) for line in rows])
            mem_height = max(1, len(rows))
            if memory is None:
                memory_id = self._new_sheet_id()
                job.memory_id = memory_id
                job.head.insert(
                    0,
                    {
                        "addSheet": {
                            "properties": {
                                "sheetId": memory_id,
                                "title": MEMORY_SHEET,
                                "hidden": True,
                                "gridProperties": {
                                    "rowCount": mem_height,
                                    "columnCount": mem_width,
                                },
                            }
                        }
                    },
                )
                old_rows = mem_height
            else:
                memory_id = memory.sheet_id
                if mem_width > memory.col_count:
                    job.head.append(_append(memory_id, "COLUMNS", mem_width - memory.col_count))
                if mem_height > memory.row_count:
                    job.head.append(_append(memory_id, "ROWS", mem_height - memory.row_count))
                old_rows = max(memory.row_count, mem_height)
                if not memory.hidden:
                    job.memory_tail.append(
                        {
                            "updateSheetProperties": {
                                "properties": {"sheetId": memory_id, "hidden": True},
                                "fields": "hidden",
                            }
                        }
                    )
            job.memory_rows = batch.full_rows(rows, mem_width, plan.date_format)
            if old_rows > len(rows):
                # Clear whatever the old memory had below the new one.
                job.memory_tail.insert(
                    0,
                    {
                        "updateCells": {
                            "range": {
                                "sheetId": memory_id,
                                "startRowIndex": len(rows),
                                "endRowIndex": old_rows,
                            },
                            "fields": "userEnteredValue",
                        }
                    },
                )
        job.tail = tail
        return job

    def _new_sheet_id(self) -> int:
        while True:
            candidate = random.randint(1_000_000, 2**31 - 1)
            if candidate not in self._sheet_ids:
                return candidate


def _append(sheet_id: int, dimension: str, length: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}
