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

import python_calamine as calamine

from ...errors import WorkbookRefused
from ..base import Cell

#: at most this many distinct texts are shared (the first ones met, from a sample of rows)
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


def _row(values: list[object], texts: dict[str, str]) -> list[Cell]:
    return [
        (texts.get(v, v) or None)
        if type(v) is str
        else (int(v) if v.is_integer() else v)
        if type(v) is float
        else v
        if type(v) in (bool, int, dt.date, dt.datetime)
        else _clean(v)
        for v in values
    ]


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
            rows: list[list[object]] = self._book.get_sheet_by_name(name).to_python(
                skip_empty_area=False
            )
        except calamine.CalamineError as exc:
            raise WorkbookRefused(
                f"{self.label}: worksheet {name!r} cannot be read ({exc}); "
                "open it in Excel, save it and run again"
            ) from exc
        # converted in place, row by row, so two copies of a big sheet never coexist; texts
        # that repeat (owners, stages, outcomes) become one object each, which saves a third
        # of the memory of a typical sheet
        texts: dict[str, str] = {}
        for index, values in enumerate(rows):
            rows[index] = _row(values, texts)
            if len(texts) < _SHARED_TEXTS and index % 64 == 0:
                for value in values:
                    if type(value) is str and len(value) <= 32:
                        texts.setdefault(value, value)
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        return rows  # type: ignore[return-value]

    def close(self) -> None:
        self._book.close()
