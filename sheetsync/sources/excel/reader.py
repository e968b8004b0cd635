"""Reading a worksheet's values with python-calamine (Rust; 1.5 million cells in about a second).

calamine gives cached results for formulas, real dates for date-formatted cells (in the
workbook's 1900 or 1904 system), and ignores a ``<dimension>`` that claims more than the sheet
holds. We turn its values into :data:`~sheetsync.sources.base.Cell`: empty text becomes None,
whole floats become ints (an ID typed as 17 reads as 17, not 17.0), times and durations become
the fraction of a day Excel stores. Error cells (#N/A...) come back empty: calamine's Python
API does not expose them.

Where calamine cannot open the workbook (an Excel 4 macro sheet, an empty ``r:id``), fails on
the sheet, or gives a value that hides what is stored (NaN in a date cell reads as 1899-12-30,
a negative serial as midnight, both as a date or a time no one typed), the sheet is read again
by the project's own streaming reader, :mod:`.xmlreader`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator
from itertools import count, islice, zip_longest

import python_calamine as calamine

from ...errors import WorkbookRefused
from ..base import Cell
from .package import Package
from .workbook import SheetEntry, Workbook
from .xmlreader import XmlSheets

log = logging.getLogger(__name__)

#: a column's texts are shared until it has more than this many distinct ones
_SHARED_TEXTS = 4096
#: rows converted at a time
_BLOCK_ROWS = 4096
#: what calamine gives for a NaN in a date cell, and for zero or a negative whole serial
_NAN_DATE = dt.datetime(1899, 12, 30)
_MIDNIGHT = dt.time(0, 0)


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside calamine (pyo3's PanicException, which is not importable)."""
    return type(exc).__name__ == "PanicException"


def _day_fraction(value: dt.time) -> float:
    return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86_400


def _clean(value: object) -> Cell:
    # called only for the types the list comprehension below does not handle inline
    if isinstance(value, dt.time):
        return _day_fraction(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86_400
    return value  # type: ignore[return-value]


def _convert(values: Iterable[object], dates: dict[dt.date, dt.date]) -> list[Cell]:
    """Cells of any types as :data:`Cell` (see the module docs)."""
    return [
        (v or None)
        if type(v) is str
        else (int(v) if v.is_integer() else v)
        if type(v) is float
        else dates.setdefault(v, v)
        if type(v) is dt.date
        else v
        if type(v) in (bool, int, dt.datetime)
        else _clean(v)
        for v in values
    ]


class _Columns:
    """Converts rows in blocks, column by column: a column of one type (texts, numbers,
    dates: most are) takes a C-level path, and its repeated values become one object each
    (owners, stages, outcomes, dates), which saves a third of the memory of a typical sheet."""

    def __init__(self) -> None:
        #: per column, the texts met so far (None once the column proves mostly distinct)
        self._texts: dict[int, dict[str, str | None] | None] = {}
        self._dates: dict[dt.date, dt.date] = {}
        #: a value calamine may have made up was met (see the module docs)
        self.suspect = False

    def rows(self, raw: list[list[object]]) -> list[list[Cell]]:
        columns = zip_longest(*raw, fillvalue="")
        return list(map(list, zip(*map(self._column, count(), columns), strict=True)))

    def _column(self, index: int, values: tuple[object, ...]) -> list[Cell]:
        kinds = set(map(type, values))
        if kinds == {str}:
            texts = self._texts.setdefault(index, {"": None})
            if texts is None:
                return [v or None for v in values]  # type: ignore[misc]
            out = list(map(texts.setdefault, values, values))  # type: ignore[arg-type]
            if len(texts) > _SHARED_TEXTS:
                self._texts[index] = None
            return out
        if kinds == {float}:
            total = sum(values)  # type: ignore[arg-type]
            if total != total:  # a NaN (or inf - inf): looked at closely
                self.suspect = self.suspect or any(v != v for v in values)
            return [int(v) if v.is_integer() else v for v in values]  # type: ignore[attr-defined]
        if kinds == {dt.date}:
            return list(map(self._dates.setdefault, values, values))  # type: ignore[arg-type]
        if (
            (dt.time in kinds and _MIDNIGHT in values)
            or (dt.datetime in kinds and _NAN_DATE in values)
            or (float in kinds and any(v != v for v in values if type(v) is float))
        ):
            self.suspect = True
        return _convert(values, self._dates)


class SheetValues:
    """An opened workbook (from bytes) whose worksheets can be read: by calamine, else by
    :mod:`.xmlreader` (see the module docs)."""

    def __init__(self, data: bytes, package: Package, workbook: Workbook) -> None:
        self.label = package.label
        self._xml = XmlSheets(package, workbook)
        self._book: calamine.CalamineWorkbook | None = None
        self._why = ""
        #: merged ranges of the sheets read, by name: (top, left, bottom, right), 0-based
        self.merged: dict[str, list[tuple[int, int, int, int]]] = {}
        try:
            self._book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except BaseException as exc:
            if not isinstance(exc, calamine.CalamineError) and not _is_panic(exc):
                raise
            self._why = str(exc) or type(exc).__name__
            log.info("%s: python-calamine cannot open it (%s); reading the XML", self.label, exc)

    def rows(self, entry: SheetEntry) -> list[list[Cell]]:
        """All rows of worksheet ``entry`` from A1, trailing empty rows dropped."""
        why = self._why
        if self._book is not None:
            try:
                rows, suspect, merged = self._calamine_rows(entry.name)
            except BaseException as exc:
                if not isinstance(exc, calamine.CalamineError) and not _is_panic(exc):
                    raise
                why = str(exc) or type(exc).__name__
                log.info(
                    "%s [%s]: python-calamine: %s; reading the XML", self.label, entry.name, why
                )
            else:
                if not suspect:
                    self.merged[entry.name] = merged
                    return rows
                why = "a value it cannot give as stored"
        assert entry.part is not None
        try:
            rows = self._xml.rows(entry.part)
        except WorkbookRefused as exc:
            raise WorkbookRefused(f"{exc} [python-calamine: {why}]") from exc
        self.merged[entry.name] = self._xml.merged.get(entry.part, [])
        return rows

    def _calamine_rows(
        self, name: str
    ) -> tuple[list[list[Cell]], bool, list[tuple[int, int, int, int]]]:
        """Rows by calamine, whether a value may hide what is stored, and the merged ranges."""
        assert self._book is not None
        sheet = self._book.get_sheet_by_name(name)
        merged = [(a[0], a[1], b[0], b[1]) for a, b in sheet.merged_cell_ranges or ()]
        # Row by row when the sheet's cells start in column A (iter_rows gives the rows
        # from row 1 but the columns from the first one used), converted in blocks, so
        # that the raw copies of a big sheet never all exist at once.
        raw: Iterator[list[object]] = (
            sheet.iter_rows()
            if sheet.start is None or sheet.start[1] == 0
            else iter(sheet.to_python(skip_empty_area=False))
        )
        columns = _Columns()
        rows: list[list[Cell]] = []
        while block := list(islice(raw, _BLOCK_ROWS)):
            rows += columns.rows(block)
        del raw, sheet
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        return rows, columns.suspect, merged

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
