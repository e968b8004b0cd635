"""The one small interface every source (Excel file, Google Sheet) implements.

A source reads a worksheet as raw cell values and writes back a :class:`WritePlan`: the changed
owned cells, the created headers, the tool's memory sheet and the highlighting. It never decides
anything: the pure stages do (``sheetsync.read``, ``.decide``, ``.plan``).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import ItemsView, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import Protocol

#: The raw value of a cell as a source hands it over: text, a number, a bool, a date or
#: date-time (for real date cells), or None for an empty cell. Formulas are not evaluated by
#: us: a source gives the cached result where it has one (Excel) or the computed value (Sheets).
Cell = str | int | float | bool | dt.date | dt.datetime | None

#: Serial day 0 of a spreadsheet's date system: Excel 1900 / Google Sheets, and Excel 1904.
EPOCH_1900 = dt.date(1899, 12, 30)
EPOCH_1904 = dt.date(1904, 1, 1)

#: Name of the hidden worksheet that holds what sheetsync remembers between syncs.
MEMORY_SHEET = "sheetsync_memory"


@dataclass
class SheetData:
    """One worksheet as read from a source."""

    title: str
    #: header row (sheet row 1), raw values; may be shorter than the widest data row
    headers: list[Cell]
    #: data rows (sheet row 2 onwards), raw values, ragged; trailing empty rows may be omitted
    rows: list[list[Cell]]
    #: serial day 0 for numbers in date columns (EPOCH_1900 or EPOCH_1904)
    epoch: dt.date = EPOCH_1900
    #: raw rows of the memory sheet (its header first), or None when it does not exist yet
    memory: list[list[Cell]] | None = None


#: one column's changed cells: (rows ascending, their new values)
ColumnChanges = tuple[list[int], list[Cell]]


class PlanCells(Mapping[tuple[int, int], Cell]):
    """A plan's cells held column by column, as the plan stage makes them: a first sync of 100,000
    rows changes 400,000 cells, and a dict keyed by (row, col) would cost 50 MB and a Python
    step per cell to build and to regroup. Reads as a mapping (row, col) -> value."""

    def __init__(self, columns: Mapping[int, ColumnChanges]) -> None:
        self._columns = {col: columns[col] for col in sorted(columns) if columns[col][0]}
        self._len = sum(len(rows) for rows, _ in self._columns.values())

    @property
    def columns(self) -> dict[int, ColumnChanges]:
        """col -> (rows ascending, values), columns in ascending order."""
        return self._columns

    def __getitem__(self, key: tuple[int, int]) -> Cell:
        try:
            row, col = key
            rows, values = self._columns.get(col, ((), ()))
            i = bisect_left(rows, row)
        except (TypeError, ValueError):  # not a (row, col) pair: no such cell, as in a dict
            raise KeyError(key) from None
        if i < len(rows) and rows[i] == row:
            return values[i]
        raise KeyError(key)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for col, (rows, _) in self._columns.items():
            yield from zip(rows, repeat(col))

    def __len__(self) -> int:
        return self._len

    def items(self) -> ItemsView[tuple[int, int], Cell]:
        return _PlanItems(self)

    def __repr__(self) -> str:
        return f"PlanCells({dict(self.items())!r})"


class _PlanItems(ItemsView[tuple[int, int], Cell]):
    _mapping: PlanCells

    def __iter__(self) -> Iterator[tuple[tuple[int, int], Cell]]:
        for col, (rows, values) in self._mapping.columns.items():
            yield from zip(zip(rows, repeat(col)), values, strict=False)


def columns_of(cells: Mapping[tuple[int, int], Cell]) -> dict[int, ColumnChanges]:
    """``cells`` column by column (see :class:`PlanCells`), whatever mapping holds them."""
    if isinstance(cells, PlanCells):
        return cells.columns
    grouped: dict[int, list[tuple[int, Cell]]] = {}
    for (row, col), value in cells.items():
        grouped.setdefault(col, []).append((row, value))
    columns: dict[int, ColumnChanges] = {}
    for col in sorted(grouped):
        pairs = sorted(grouped[col], key=lambda pair: pair[0])
        columns[col] = ([row for row, _ in pairs], [value for _, value in pairs])
    return columns


@dataclass(frozen=True)
class HighlightRule:
    """Tint a whole row when its Flag cell equals ``flag``."""

    flag: str
    fill: str  # "RRGGBB"
    font: str | None = None  # "RRGGBB" font colour, None = unchanged
    strike: bool = False


@dataclass
class WritePlan:
    """Everything a sync changes in one worksheet, as cells.

    Row and column numbers are 0-based *sheet* coordinates (row 0 is the header row), so a
    source maps them to A1 or GridRange without knowing anything about the rules.
    """

    #: (row, col) -> new value; a value of None clears the cell; ``dt.date`` values are written
    #: as real date cells with ``date_format``; str values are always literal text, never a
    #: formula. The plan stage gives a :class:`PlanCells`; any mapping will do.
    cells: Mapping[tuple[int, int], Cell] = field(default_factory=dict)
    #: number of columns of the table after the sync (created owned columns included)
    width: int = 0
    #: number of sheet rows of the table (header included)
    height: int = 0
    #: 0-based column of ``Flag`` (conditional formatting keys on it) and of ``ID``
    flag_col: int = 0
    id_col: int = 0
    #: column of dates the tool writes (``Next Contact``), for a date number format
    date_cols: tuple[int, ...] = ()
    date_format: str = "yyyy-mm-dd"
    #: full contents of the memory sheet (header first) when it changed, else None
    memory: list[list[Cell]] | None = None
    highlight: tuple[HighlightRule, ...] = ()
    #: IDs of the data rows as read, in sheet order (row i+1 <-> ids[i]); a source that can
    #: detect moved rows before writing (Google Sheets) compares them with what it re-reads
    ids: list[str] = field(default_factory=list)
    #: 0-based column of ``Owner`` (None when the sheet has none) and the owners present, as
    #: first written in the sheet, for per-owner filter views ("Due: Dana")
    owner_col: int | None = None
    owners: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.cells) or self.memory is not None


class Source(Protocol):
    """An Excel workbook or a Google spreadsheet, opened on one worksheet."""

    #: a stable text naming the source in messages (a path, or gsheet:KEY#sheet)
    key: str
    #: what two syncs must not do at once: the workbook or the spreadsheet (its memory sheet is
    #: shared by all its worksheets)
    lock_key: str

    def read(self) -> SheetData:
        """Read the worksheet and the memory sheet. Raises SourceError / SheetNotFound."""
        ...

    def write(self, plan: WritePlan) -> None:
        """Apply ``plan`` atomically: everything or nothing. Also installs highlighting, the
        frozen header and a filter when missing (idempotently), even if ``plan.cells`` is empty
        the first time. A plan with nothing to change and highlighting already installed must
        not touch the source at all."""
        ...

    def close(self) -> None:
        """Release what the source holds between read and write (an Excel source's check
        process); the source can be read again after. Safe to call twice."""
        ...
