"""ExcelSource: an .xlsx/.xlsm workbook as a sheetsync source.

Reading uses python-calamine; writing edits the zip package part by part (see
:mod:`.writer`), so everything sheetsync does not own (other sheets, charts, pictures, shapes,
pivot caches, query tables, VBA, cached formula results, extension lists) is kept byte for byte.

Refused with :class:`~sheetsync.errors.WorkbookRefused`, the file untouched: a workbook open in
Excel or LibreOffice (their lock file beside it); a legacy ``.xls``, any other format, an
encrypted (password-protected) workbook, a file that is not a zip or lacks its workbook part;
Strict Open XML; and a file that changed on disk between :meth:`read` and the end of
:meth:`write`. A missing file is a :class:`~sheetsync.errors.SourceError`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..base import MEMORY_SHEET, Cell, SheetData, WritePlan
from .filesafety import Fingerprint, check_path, check_unchanged, read_file, save_atomically
from .package import Package, write_package
from .readback import check_saved
from .reader import SheetValues
from .workbook import Workbook
from .writer import build_rewrite


@dataclass
class _Snapshot:
    """One version of the file, as read: what write() must still find on disk."""

    data: bytes
    fingerprint: Fingerprint
    #: the header row as read (names for the columns a table grows over)
    headers: dict[int, Cell]


class ExcelSource:
    """An Excel workbook opened on one worksheet.

    ``sheet``: the worksheet's name; None = the one named "Prospects", else the first worksheet.
    ``backups``: how many previous versions to keep beside the file (``Name.xlsx.bak``, then
    ``.bak2``...; 0 = none).
    """

    def __init__(self, path: str | Path, sheet: str | None = None, backups: int = 1) -> None:
        self.path = Path(path).expanduser().resolve()
        self.key = str(self.path)
        self.lock_key = self.key  # the whole file is rewritten: one lock per workbook
        self.sheet = sheet
        self.backups = backups
        self._snapshot: _Snapshot | None = None

    def _load(self) -> tuple[_Snapshot, Workbook]:
        """Read the file once; refuses what sheetsync must not touch (see the module docs)."""
        check_path(self.path)
        data, fingerprint = read_file(self.path)
        return _Snapshot(data, fingerprint, {}), Workbook(Package(data, self.path.name))

    def read(self) -> SheetData:
        """Read the prospects worksheet and the memory sheet (cached formula results, real
        dates, None for empty cells)."""
        snap, workbook = self._load()
        entry = workbook.choose(self.sheet)
        values = SheetValues(snap.data, self.path.name)
        try:
            rows = values.rows(entry.name)
            memory_entry = workbook.worksheet(MEMORY_SHEET)
            memory = values.rows(memory_entry.name) if memory_entry is not None else None
        finally:
            values.close()
        headers = rows[0] if rows else []
        snap.headers = dict(enumerate(headers))
        self._snapshot = snap
        return SheetData(
            title=entry.name,
            headers=headers,
            rows=rows[1:],
            epoch=workbook.epoch,
            memory=memory,
        )

    def write(self, plan: WritePlan) -> None:
        """Apply ``plan`` atomically (see the module docs); a plan that changes nothing whose
        highlighting, frozen header and filter are in place leaves the file untouched."""
        snap = self._snapshot if self._snapshot is not None else self._load()[0]
        check_path(self.path)
        check_unchanged(self.path, snap.fingerprint)
        package = Package(snap.data, self.path.name)
        workbook = Workbook(package)
        entry = workbook.choose(self.sheet)
        with ThreadPoolExecutor(max_workers=2) as pool:
            rewrite = build_rewrite(package, workbook, entry, plan, snap.headers, pool)
        if rewrite.empty:
            return
        saved: list[bytes] = []

        def write(out: BinaryIO) -> None:
            write_package(out, package, rewrite.replaced, rewrite.added.items())

        def check(temp: Path) -> None:
            saved.append(
                check_saved(temp, package, rewrite.replaced, rewrite.added, self.path.name)
            )

        save_atomically(self.path, write, check, self.backups, snap.fingerprint)
        # what was just saved is the version a next write() must find on disk (and check)
        data = saved[0]
        self._snapshot = _Snapshot(data, Fingerprint.of(data, self.path.stat()), snap.headers)

    def close(self) -> None:
        """Nothing to release: the file is read whole and written in :meth:`write`."""
