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
from collections.abc import Iterable

import python_calamine as calamine

from ...errors import WorkbookRefused
from ..base import Cell

#: at most this many distinct texts, and as many dates, are shared (the first ones met, from a
#: sample of rows)
_SHARED_TEXTS = 4096


def _day_fraction(value: dt.time) -> float:
    return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86_400


def _clean(value: object) -> Cell:
    # called only for the types the list comprehension below does not handle inline
    if isinstance(value, dt.time):
        return _day_fraction(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86_400
    return value  # type: ignore[return-value]


def _row(values: list[object], texts: dict[str, str], dates: dict[dt.date, dt.date]) -> list[Cell]:
    return [
        (texts.get(v, v) or None)
        if type(v) is str
        else (int(v) if v.is_integer() else v)
        if type(v) is float
        else dates.get(v, v)
        if type(v) is dt.date
        else v
        if type(v) in (bool, int, dt.datetime)
        else _clean(v)
        for v in values
    ]


def _share(values: list[object], texts: dict[str, str], dates: dict[dt.date, dt.date]) -> None:
    """Note the short texts and the dates of a sample row, to be shared from now on."""
    for value in values:
        kind = type(value)
        if kind is str and len(value) <= 32 and len(texts) < _SHARED_TEXTS:  # type: ignore[arg-type]
            texts.setdefault(value, value)  # type: ignore[arg-type]
        elif kind is dt.date and len(dates) < _SHARED_TEXTS:
            dates.setdefault(value, value)  # type: ignore[arg-type]


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
            # from row 1 but the columns from the first one used), so that each raw row is
            # converted, and its repeated texts shared, before the next one is made: the raw
            # copies of a big sheet never all exist at once.
            raw: Iterable[list[object]] = (
                sheet.iter_rows()
                if sheet.start is None or sheet.start[1] == 0
                else sheet.to_python(skip_empty_area=False)
            )
            # texts that repeat (owners, stages, outcomes) become one object each, which saves
            # a third of the memory of a typical sheet; so do dates
            texts: dict[str, str] = {}
            dates: dict[dt.date, dt.date] = {}
            rows: list[list[Cell]] = []
            for index, values in enumerate(raw):
                rows.append(_row(values, texts, dates))
                if index % 64 == 0 and (len(texts) < _SHARED_TEXTS or len(dates) < _SHARED_TEXTS):
                    _share(values, texts, dates)
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
