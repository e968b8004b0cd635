"""Reading a worksheet's values with python-calamine (Rust; 1.5 million cells in about a second).

calamine gives cached results for formulas, real dates for date-formatted cells (in the
workbook's 1900 or 1904 system), and ignores a ``<dimension>`` that claims more than the sheet
holds. We turn its values into :data:`~sheetsync.sources.base.Cell`: empty text becomes None,
whole floats become ints (an ID typed as 17 reads as 17, not 17.0), times and durations become
the fraction of a day Excel stores. Error cells (#N/A...) come back empty: calamine's Python
API does not expose them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from itertools import count, islice, zip_longest

import python_calamine as calamine

from ...errors import WorkbookRefused
from ..base import Cell

#: a column's texts are shared until it has more than this many distinct ones
_SHARED_TEXTS = 4096
#: rows converted at a time
_BLOCK_ROWS = 4096


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
            return [int(v) if v.is_integer() else v for v in values]  # type: ignore[attr-defined]
        if kinds == {dt.date}:
            return list(map(self._dates.setdefault, values, values))  # type: ignore[arg-type]
        return _convert(values, self._dates)


class SheetValues:
    """An opened workbook (from bytes) whose worksheets can be read by name."""

    def __init__(self, data: bytes, label: str) -> None:
        self.label = label
        try:
            self._book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except calamine.CalamineError as exc:
            raise WorkbookRefused(
                f"{label} cannot be read ({exc}); open it in Excel, save it and run again"
            ) from exc

    def rows(self, name: str) -> list[list[Cell]]:
        """All rows of worksheet ``name`` from A1, trailing empty rows dropped."""
        try:
            sheet = self._book.get_sheet_by_name(name)
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
        except calamine.CalamineError as exc:
            raise WorkbookRefused(
                f"{self.label}: worksheet {name!r} cannot be read ({exc}); "
                "open it in Excel, save it and run again"
            ) from exc
        del raw, sheet
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        return rows

    def close(self) -> None:
        self._book.close()
