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

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ...errors import LayoutError, SourceError
from ..base import MEMORY_SHEET, Cell, SheetData, WritePlan, columns_of
from .filesafety import Fingerprint, check_path, check_unchanged, read_file, save_atomically
from .package import Package, write_package
from .readback import check_saved
from .reader import SheetValues
from .spreadsheetml import MAX_COLS, col_letter, format_range
from .tables import frame_rows, sheet_tables
from .workbook import Workbook
from .writer import build_rewrite

log = logging.getLogger(__name__)


def _blank_table_frames(package: Package, part: str, rows: list[list[Cell]]) -> None:
    """Read the cells of tables' totals rows, and of their header rows below row 1, as empty:
    they are never prospect data, so nothing is decided or written there (see :mod:`.tables`)."""
    for row, left, right, what in frame_rows(sheet_tables(package, part)):
        if 0 < row < len(rows):
            cells = rows[row]
            if any(v is not None for v in cells[left : right + 1]):
                log.info("%s: row %d holds %s: not prospect data", package.label, row + 1, what)
                cells[left : right + 1] = [None] * len(cells[left : right + 1])


def _check_room(plan: WritePlan) -> None:
    """Refuse a plan whose created columns fall past XFD, Excel's last column."""
    beyond = {
        col: values for col, (rows, values) in columns_of(plan.cells).items() if col >= MAX_COLS
    }
    if not beyond:
        return
    names = ", ".join(str(values[0]) for values in beyond.values() if values)
    raise LayoutError(
        "sheet layout: the columns run to XFD, Excel's last, so there is no room for "
        f"the {len(beyond)} column(s) sheetsync adds ({names}): delete unused columns at the "
        "right end of the header row, or add those columns yourself, and run again"
    )


def _warn_merges(plan: WritePlan, snap: _Snapshot, label: str) -> None:
    """Warn about merged ranges over the columns the plan writes (and Flag, Next Contact): a
    merge shows its first cell only, so the tool's answers there would be hidden."""
    owned = {*columns_of(plan.cells), plan.flag_col, *plan.date_cols}
    for top, left, bottom, right in snap.merged:
        cols = sorted(col for col in owned if left <= col <= right)
        if not cols or bottom < 1:
            continue
        ref = format_range(top, left, bottom, right)
        names = ", ".join(
            str(snap.headers.get(col) or plan.cells.get((0, col)) or col_letter(col))
            for col in cols
        )
        log.warning(
            "%s: cells %s are merged over the column(s) sheetsync writes (%s); a merged range "
            "shows its first cell only: unmerge %s",
            label,
            ref,
            names,
            ref,
        )


@dataclass
class _Snapshot:
    """One version of the file, as read: what write() must still find on disk."""

    data: bytes
    fingerprint: Fingerprint
    #: the header row as read (names for the columns a table grows over)
    headers: dict[int, Cell]
    #: merged ranges of the sheet as read: (top, left, bottom, right), 0-based
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


class ExcelSource:
    """An Excel workbook opened on one worksheet.

    ``sheet``: the worksheet's name; None = the one named "Prospects", else the first worksheet.
    ``backups``: how many previous versions to keep beside the file (``Name.xlsx.bak``, then
    ``.bak2``...; 0 = none). ``read_only``: for reading alone (``agenda``, ``forecast``): a
    workbook open in Excel is read as saved, and :meth:`write` is refused.
    """

    def __init__(
        self, path: str | Path, sheet: str | None = None, backups: int = 1, read_only: bool = False
    ) -> None:
        self.path = Path(path).expanduser().resolve()
        self.key = str(self.path)
        self.lock_key = self.key  # the whole file is rewritten: one lock per workbook
        self.sheet = sheet
        self.backups = backups
        self.read_only = read_only
        self._snapshot: _Snapshot | None = None

    def _load(self) -> tuple[_Snapshot, Workbook]:
        """Read the file once; refuses what sheetsync must not touch (see the module docs)."""
        check_path(self.path, open_elsewhere_ok=self.read_only)
        data, fingerprint = read_file(self.path)
        return _Snapshot(data, fingerprint, {}), Workbook(Package(data, self.path.name))

    def read(self) -> SheetData:
        """Read the prospects worksheet and the memory sheet (cached formula results, real
        dates, None for empty cells)."""
        snap, workbook = self._load()
        entry = workbook.choose(self.sheet)
        assert entry.part is not None
        memory_entry = workbook.worksheet(MEMORY_SHEET)
        workbook.check_sizes([entry, memory_entry])
        workbook.refuse_dtd(entry)
        values = SheetValues(snap.data, workbook.package, workbook)
        try:
            rows = values.rows(entry)
            snap.merged = values.merged.get(entry.name, [])
            memory = values.rows(memory_entry) if memory_entry is not None else None
        finally:
            values.close()
        _blank_table_frames(workbook.package, entry.part, rows)
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
        if self.read_only:
            raise SourceError(f"{self.path.name} was opened for reading only: nothing was written")
        _check_room(plan)
        snap = self._snapshot if self._snapshot is not None else self._load()[0]
        _warn_merges(plan, snap, self.path.name)
        check_path(self.path)
        check_unchanged(self.path, snap.fingerprint)
        package = Package(snap.data, self.path.name)
        workbook = Workbook(package)
        entry = workbook.choose(self.sheet)
        workbook.refuse_dtd(entry)
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
        self._snapshot = _Snapshot(
            data, Fingerprint.of(data, self.path.stat()), snap.headers, snap.merged
        )

    def close(self) -> None:
        """Nothing to release: the file is read whole and written in :meth:`write`."""
