"""MicrosoftSource: an Excel workbook in OneDrive or SharePoint, synced through Microsoft Graph.

The sync is the Excel sync: the workbook is downloaded into a private temporary folder and
read and written there by :class:`~sheetsync.sources.excel.ExcelSource` (same writer, same
checks, same refusals, same Why). Only when that write changed the file is it uploaded, with
``If-Match`` on the eTag read before the download: a workbook someone saved meanwhile answers
412 (:class:`~sheetsync.errors.SourceChanged`) and is never overwritten; the sync then reads
and decides again. The downloaded copy is deleted when the source is closed; earlier versions
are kept by OneDrive's and SharePoint's own version history.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from sheetsync.config import Config
from sheetsync.errors import WorkbookRefused
from sheetsync.sources.base import SheetData, WritePlan
from sheetsync.sources.excel import ExcelSource
from sheetsync.sources.http import RetryPolicy

from .address import GraphAddress, parse_source
from .auth import resolve_tokens
from .client import GRAPH_ENDPOINT, DriveItem, GraphClient, endpoint_from_env

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


class MicrosoftSource:
    """A workbook in OneDrive or SharePoint opened on one worksheet (``sheet`` as for a file).

    Example::

        source = MicrosoftSource("https://contoso.sharepoint.com/:x:/r/sites/Sales/...", None,
                                 client=GraphClient(GRAPH_ENDPOINT, tokens, RetryPolicy()))
        data = source.read(); source.write(plan); source.close()
    """

    def __init__(self, spec: str, sheet: str | None, client: GraphClient) -> None:
        self.address: GraphAddress = parse_source(spec)
        self.key = spec
        self.lock_key = spec
        self.sheet = sheet
        self.client = client
        #: the item as last read (its eTag is what an upload must still find)
        self.item: DriveItem | None = None
        #: uploads sent (0 after a sync with nothing to change)
        self.uploads = 0
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._excel: ExcelSource | None = None
        self._path: Path | None = None

    @classmethod
    def from_config(cls, spec: str, sheet: str | None, config: Config) -> MicrosoftSource:
        """The source as ``sheetsync sync`` opens it: credentials from ``[microsoft]`` (or
        ``--credentials``), ``retry_seconds``, ``SHEETSYNC_GRAPH_ENDPOINT``."""
        endpoint = endpoint_from_env()
        settings = config.microsoft
        tokens = resolve_tokens(
            settings.credentials,
            settings.tenant_id,
            settings.client_id,
            settings.certificate,
            local=endpoint is not None,
        )
        retry = RetryPolicy(total_seconds=config.retry_seconds)
        return cls(spec, sheet, GraphClient(endpoint or GRAPH_ENDPOINT, tokens, retry))

    def read(self) -> SheetData:
        """Fetch the item's metadata, download it and read it as an Excel file."""
        self.close()
        if self.item is None:
            item = self.client.resolve(self.address)
        else:
            item = self.client.metadata(self.item)
        _check_workbook(item)
        self._folder = tempfile.TemporaryDirectory(prefix="sheetsync-")  # mode 700
        path = Path(self._folder.name) / _file_name(item.name)
        with path.open("wb") as out:
            self.client.download(item, out)
        self.item = item
        self._path = path
        self._excel = ExcelSource(path, self.sheet, backups=0)
        return self._excel.read()

    def write(self, plan: WritePlan) -> None:
        """Write ``plan`` into the downloaded copy; upload it (``If-Match``) only if it changed."""
        assert self._excel is not None and self._path is not None and self.item is not None
        before = _stamp(self._path)
        self._excel.write(plan)
        if _stamp(self._path) == before:
            return  # nothing to change: nothing is sent
        self.item = self.client.upload(self.item, self._path)
        self.uploads += 1

    def close(self) -> None:
        """Stop the Excel checks and delete the downloaded copy. Safe to call twice."""
        try:
            if self._excel is not None:
                self._excel.close()
        finally:
            self._excel = None
            self._path = None
            if self._folder is not None:
                self._folder.cleanup()
                self._folder = None


def _check_workbook(item: DriveItem) -> None:
    suffix = Path(item.name).suffix.lower()
    if item.is_folder:
        raise WorkbookRefused(
            f"this is the folder {item.name!r}, not a workbook: open the folder, select the "
            ".xlsx file and copy the link of that file"
        )
    if suffix == ".xls":
        raise WorkbookRefused(
            f"{item.name} is an Excel 97-2003 workbook (.xls): open it in Excel, save it as "
            ".xlsx (File > Save As) and sync that copy's link"
        )
    if not item.is_file or suffix not in WORKBOOK_SUFFIXES:
        raise WorkbookRefused(
            f"{item.name} is not an Excel workbook (.xlsx or .xlsm): give the link of the "
            "workbook itself"
        )


def _file_name(name: str) -> str:
    """The item's name as a safe local file name (the Excel source names it in messages)."""
    return re.sub(r"[\\/:\x00]", "_", name) or "workbook.xlsx"


def _stamp(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return stat.st_ino, stat.st_mtime_ns, stat.st_size
